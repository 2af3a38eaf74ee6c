/* test_abi: the plugin ABI v1 (final) contract, with real shared objects from tests/plugins:
 * a plugin built against the first, shorter swp_tool loads and runs; descriptors and elements
 * larger than the server's are refused naming both sizes; init's state reaches every ctx; the
 * call's deadline and cancel flag (set on timeout, on the pool and inline, and by the caller's
 * Stop flag); storage and HTTP refuse after the deadline; token exchange only for a plugin that
 * declared it, audience-bound and short-lived. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin_harness.h"
#include "auth/sw_jwt.h"
#include "core/sw_log.h"
#include "core/sw_time.h"

#include <pthread.h>
#include <time.h>

static sw_harness *with_so(const char *file)
{
    sw_log_set_level(SW_LOG_OFF);
    setenv("SW_PASSWORD_FAST", "1", 1);
    sw_harness *h = sw_harness_new((const swp_plugin *[]){NULL});
    assert_non_null(h);
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/%s", SW_TEST_PLUGIN_DIR, file);
    if (sw_registry_load_so(h->reg, path, &h->d.host, err, sizeof err) != 0) fail_msg("%s refused: %s", file, err);
    return h;
}

/* Calls a tool through the dispatcher and returns its text (static buffer) with the status. */
static const char *call(sw_harness *h, const char *tool, const char *args, const char *want_status)
{
    static char text[512];
    sw_dispatch_result r;
    assert_int_equal(sw_harness_call(h, tool, args, &r), 0);
    snprintf(text, sizeof text, "%s", r.text);
    if (strcmp(r.status, want_status) != 0) fail_msg("%s: status %s, want %s: %s", tool, r.status, want_status, text);
    sw_dispatch_result_fini(&r);
    return text;
}

/* Polls `seen` until its text contains `want` (20 s at most: a condition, not a sleep). */
static void await_seen(sw_harness *h, const char *want)
{
    int64_t until = sw_time_mono_ns() + 20000000000LL;
    const char *t = "";
    while (sw_time_mono_ns() < until) {
        t = call(h, "seen", "{}", "ok");
        if (strstr(t, want)) return;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("seen never said \"%s\" (last: %s)", want, t);
}

static void test_plugin_with_the_first_shorter_sw_tool_loads_and_runs(void **state)
{
    (void)state;
    sw_harness *h = with_so("old_tool.so");
    const sw_reg_plugin *rp = sw_registry_find(h->reg, "test.old-tool");
    assert_non_null(rp);
    assert_int_equal(rp->ntools, 3); /* stepped with the plugin's 48-byte elements, not the host's */
    assert_string_equal(rp->tools[1].def->name, "second");
    assert_string_equal(rp->tools[1].def->usage, "[/second <word>]");
    assert_null(rp->tools[1].def->run); /* the host's copy is zero past the old layout */
    assert_true(sizeof(swp_tool) > SW_TOOL_V1_SIZE);
    assert_int_equal(sw_harness_enable(h, "test.old-tool", -1), 0);
    assert_string_equal(call(h, "first", "{}", "ok"), "first ran");
    assert_string_equal(call(h, "second", "{\"word\":\"hi\"}", "ok"), "second: hi");
    assert_string_equal(call(h, "second", "plain", "ok"), "second: plain");
    assert_string_equal(call(h, "mood", "{}", "ok"), "calm");
    sw_harness_free(h);
}

static void expect_refusal_naming(const char *file, const char *a, const char *b)
{
    sw_registry *r = sw_registry_new();
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/%s", SW_TEST_PLUGIN_DIR, file);
    assert_int_equal(sw_registry_load_so(r, path, NULL, err, sizeof err), -1);
    if (!strstr(err, a) || !strstr(err, b)) fail_msg("%s: \"%s\" does not name \"%s\" and \"%s\"", file, err, a, b);
    assert_int_equal(r->n, 0);
    sw_registry_free(r);
}

static void test_larger_descriptor_or_tool_is_refused_naming_both_sizes(void **state)
{
    (void)state;
    char theirs[64], ours[64];
    snprintf(theirs, sizeof theirs, "descriptor size %zu", sizeof(swp_plugin) + 4 * sizeof(void *));
    snprintf(ours, sizeof ours, "this server's swp_plugin is %zu", sizeof(swp_plugin));
    expect_refusal_naming("big_size.so", theirs, ours);
    snprintf(theirs, sizeof theirs, "swp_tool size %zu", sizeof(swp_tool) + sizeof(void *));
    snprintf(ours, sizeof ours, "this server's is %zu", sizeof(swp_tool));
    expect_refusal_naming("big_tool.so", theirs, ours);
}

/* Every tool needs an entry point: its own run, or the plugin's old execute_tool fallback. */
static void test_tool_without_run_is_refused(void **state)
{
    (void)state;
    static const swp_tool tools[] = {{.name = "t", .description = "A tool.", .parameters = "{\"type\":\"object\"}"},
                                    SWP_TOOL_END};
    static const swp_plugin p = {SWP_PLUGIN_INIT, .id = "test.no-run", .name = "No run", .version = "1.0.0",
                                .tools = tools};
    sw_registry *r = sw_registry_new();
    char err[512] = "";
    assert_int_equal(sw_registry_add(r, &p, "builtin", NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "tool t has no run function"));
    sw_registry_free(r);
}

static void test_init_state_reaches_every_ctx(void **state)
{
    (void)state;
    sw_harness *h = with_so("patient.so");
    assert_int_equal(sw_harness_enable(h, "test.patient", -1), 0);
    assert_non_null(strstr(call(h, "seen", "{}", "ok"), "state=ok running=0"));
    assert_string_equal(call(h, "deadline", "{}", "ok"), "deadline=set remaining_ok=1");
    sw_harness_free(h); /* shutdown frees the state (LeakSanitizer checks it under ASan) */
}

/* A tool that waits past its timeout on the pool: the dispatcher answers timeout, sets the
 * call's cancel flag, the tool sees it and returns; HTTP then refuses with SWP_E_TIMEDOUT. */
static void test_timeout_sets_the_cancel_flag(void **state)
{
    (void)state;
    sw_harness *h = with_so("patient.so");
    assert_int_equal(sw_harness_enable(h, "test.patient", -1), 0);
    assert_non_null(strstr(call(h, "spin", "{\"max_ms\":60000}", "timeout"), "timed out"));
    await_seen(h, "running=0 cancelled=1 finished=0");
    assert_non_null(strstr(call(h, "seen", "{}", "ok"), "http=-7")); /* SWP_E_TIMEDOUT */
    sw_harness_free(h);
}

static void on_timeout(void *arg, const sw_dispatch_result *res)
{
    (void)res;
    __atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
}

/* The same for a call run on the caller's thread: the watchdog sets the flag at the deadline. */
static void test_inline_watchdog_sets_the_cancel_flag(void **state)
{
    (void)state;
    sw_harness *h = with_so("patient.so");
    assert_int_equal(sw_harness_enable(h, "test.patient", -1), 0);
    int reported = 0;
    sw_call c = {.tenant_id = h->tenant.id, .tenant_slug = "test", .room_id = "r", .caller_id = h->ai.id,
                 .initiator_id = h->alice.id, .tool = "spin", .args = "{\"max_ms\":60000}", .args_len = 16,
                 .on_timeout = on_timeout, .on_timeout_arg = &reported};
    sw_dispatch_result r;
    assert_int_equal(sw_dispatch(&h->d, &c, &r), 0); /* returns once the tool returned */
    assert_string_equal(r.status, "timeout");
    assert_true(r.reported && reported);
    sw_dispatch_result_fini(&r);
    assert_non_null(strstr(call(h, "seen", "{}", "ok"), "running=0 cancelled=1 finished=0 http=-7"));
    sw_harness_free(h);
}

typedef struct {
    sw_harness *h;
    int stop;
    sw_dispatch_result r;
} stop_arg;

static void *run_linger(void *arg)
{
    stop_arg *a = arg;
    sw_call c = {.tenant_id = a->h->tenant.id, .room_id = "r", .caller_id = a->h->ai.id,
                 .initiator_id = a->h->alice.id, .tool = "linger", .args = "{\"max_ms\":60000}", .args_len = 16,
                 .cancel = &a->stop};
    sw_dispatch(&a->h->d, &c, &a->r);
    return NULL;
}

/* The caller's own flag (an AI turn's Stop) reaches the running tool; HTTP says cancelled. */
static void test_callers_stop_flag_reaches_the_tool(void **state)
{
    (void)state;
    sw_harness *h = with_so("patient.so");
    assert_int_equal(sw_harness_enable(h, "test.patient", -1), 0);
    stop_arg a = {.h = h};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_linger, &a), 0);
    await_seen(h, "running=1");
    __atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    assert_string_equal(a.r.text, "cancelled");
    sw_dispatch_result_fini(&a.r);
    assert_non_null(strstr(call(h, "seen", "{}", "ok"), "running=0 cancelled=1 finished=0 http=-9"));
    sw_harness_free(h);
}

/* Storage and HTTP refuse once the call's deadline has passed, without connecting. */
static void test_services_refuse_after_the_deadline(void **state)
{
    (void)state;
    sw_harness *h = with_so("patient.so");
    const sw_reg_plugin *rp = sw_registry_find(h->reg, "test.patient");
    sw_call c = {.tenant_id = h->tenant.id, .room_id = "r", .caller_id = h->ai.id, .initiator_id = h->alice.id};
    sw_call_ctx *cc = sw_call_ctx_new(&h->d, rp, &c, SWP_PERM_EXTERNAL_HTTP);
    sw_call_ctx_set_args(cc, "{}", 2, NULL);
    const char *v = NULL;
    assert_int_equal(swp_kv_set(&cc->pub, "k", "v"), SWP_OK); /* no deadline: fine */
    assert_int_equal(swp_remaining_ms(&cc->pub), -1);
    cc->deadline_ns = sw_time_mono_ns() - 1;
    assert_int_equal(swp_remaining_ms(&cc->pub), 0);
    swp_http_request req = {.url = "http://example.invalid/"};
    swp_http_response resp;
    assert_int_equal(swp_http_fetch(&cc->pub, &req, &resp), SWP_E_TIMEDOUT);
    assert_int_equal(swp_kv_get(&cc->pub, "k", &v), SWP_E_TIMEDOUT);
    assert_int_equal(swp_kv_set(&cc->pub, "k", "w"), SWP_E_TIMEDOUT);
    sw_call_ctx_free(cc);
    sw_harness_free(h);
}

/* Feature services come by name and version; the core host table no longer carries notes, and
 * no ctx carries a bearer token. */
static void test_feature_services_by_name_and_version(void **state)
{
    (void)state;
    sw_harness *h = with_so("patient.so");
    const sw_reg_plugin *rp = sw_registry_find(h->reg, "test.patient");
    sw_call c = {.tenant_id = h->tenant.id, .caller_id = h->ai.id, .initiator_id = h->alice.id};
    sw_call_ctx *cc = sw_call_ctx_new(&h->d, rp, &c, -1);
    const swp_notes_api *notes = swp_service(&cc->pub, SWP_NOTES_SERVICE, SWP_NOTES_API_VERSION);
    assert_non_null(notes);
    assert_true(notes->struct_size >= offsetof(swp_notes_api, update) + sizeof notes->update);
    assert_non_null(notes->find);
    assert_null(swp_service(&cc->pub, "notes", 2));
    assert_null(swp_service(&cc->pub, "tasks", 1));
    assert_null(swp_service(&cc->pub, NULL, 1));
    for (int i = 0; i < 4; i++) assert_null(h->d.host.reserved_notes[i]);
    assert_null(cc->pub.reserved0);
    sw_call_ctx_free(cc);
    sw_harness_free(h);
}

/* ---- token exchange ---- */

static int mint(swp_ctx *ctx, swp_result *out)
{
    int64_t ttl = 0;
    swp_arg_int(ctx, "ttl_s", &ttl);
    const char *token = NULL;
    int rc = swp_token_exchange(ctx, swp_arg_string(ctx, "audience"), (int)ttl, &token);
    return rc == SWP_OK ? swp_result_text(out, token) : swp_result_error(out, swp_printf(ctx, "refused %d", rc));
}

#define MINT_SCHEMA "{\"type\":\"object\",\"properties\":{\"audience\":{\"type\":\"string\"},\"ttl_s\":{\"type\":\"integer\"}}}"
static const swp_tool declared_tools[] = {{.name = "mint", .description = "Mint.", .parameters = MINT_SCHEMA, .run = mint},
                                         SWP_TOOL_END};
static const swp_tool undeclared_tools[] = {{.name = "mint2", .description = "Mint.", .parameters = MINT_SCHEMA, .run = mint},
                                           SWP_TOOL_END};
static const swp_plugin declared = {SWP_PLUGIN_INIT, .id = "test.declared", .name = "Declared", .version = "1.0.0",
                                   .tools = declared_tools, .permissions = SWP_PERM_TOKEN_EXCHANGE};
static const swp_plugin undeclared = {SWP_PLUGIN_INIT, .id = "test.undeclared", .name = "Undeclared",
                                     .version = "1.0.0", .tools = undeclared_tools};

static void test_token_exchange_only_for_a_plugin_that_declared_it(void **state)
{
    (void)state;
    sw_log_set_level(SW_LOG_OFF);
    sw_harness *h = sw_harness_new((const swp_plugin *[]){&declared, &undeclared, NULL});
    assert_non_null(h);
    assert_int_equal(sw_harness_enable(h, "test.declared", -1), 0);
    assert_int_equal(sw_harness_enable(h, "test.undeclared", -1), 0);
    const char *tok = call(h, "mint", "{\"audience\":\"crm.example\",\"ttl_s\":100000}", "ok");
    json_t *claims = NULL;
    assert_int_equal(sw_jwt_verify(h->token_key, sizeof h->token_key, tok, strlen(tok), sw_time_now_ms() / 1000,
                                   &claims), SW_JWT_OK);
    assert_string_equal(json_string_value(json_object_get(claims, "aud")), "crm.example");
    assert_string_equal(json_string_value(json_object_get(claims, "tid")), h->tenant.id);
    assert_string_equal(json_string_value(json_object_get(claims, "sub")), h->ai.id);
    assert_string_equal(json_string_value(json_object_get(claims, "azp")), "test.declared");
    json_int_t life = json_integer_value(json_object_get(claims, "exp")) - json_integer_value(json_object_get(claims, "iat"));
    assert_true(life > 0 && life <= 300); /* asked for 100000 s: at most five minutes */
    json_decref(claims);
    assert_string_equal(call(h, "mint", "{\"audience\":\"two audiences\"}", "error"), "refused -4");
    assert_string_equal(call(h, "mint2", "{\"audience\":\"crm.example\"}", "error"), "refused -3");
    assert_int_equal(sw_harness_enable(h, "test.declared", 0), 0); /* declared, not granted */
    assert_string_equal(call(h, "mint", "{\"audience\":\"crm.example\"}", "error"), "refused -3");
    sw_harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_with_the_first_shorter_sw_tool_loads_and_runs),
        cmocka_unit_test(test_larger_descriptor_or_tool_is_refused_naming_both_sizes),
        cmocka_unit_test(test_tool_without_run_is_refused),
        cmocka_unit_test(test_init_state_reaches_every_ctx),
        cmocka_unit_test(test_timeout_sets_the_cancel_flag),
        cmocka_unit_test(test_inline_watchdog_sets_the_cancel_flag),
        cmocka_unit_test(test_callers_stop_flag_reaches_the_tool),
        cmocka_unit_test(test_services_refuse_after_the_deadline),
        cmocka_unit_test(test_feature_services_by_name_and_version),
        cmocka_unit_test(test_token_exchange_only_for_a_plugin_that_declared_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
