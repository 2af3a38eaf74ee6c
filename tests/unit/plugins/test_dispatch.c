/* test_dispatch: the dispatcher end to end with the greeter and test plugins: argument parsing
 * and validation, disabled plugins, permission checks in the dispatcher and in host services,
 * timeouts that do not block other calls, tool-name conflicts, audit rows, tenant-scoped kv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin_harness.h"
#include "core/sw_netpolicy.h"

#include <pthread.h>
#include <time.h>

extern const swp_plugin sw_greeter_plugin;

/* ---- test plugins ---- */
static pthread_mutex_t slow_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_cv = PTHREAD_COND_INITIALIZER;
static int slow_release;

static int slow_exec(swp_ctx *ctx, const char *tool, const char *args, swp_result *out)
{
    (void)args;
    if (!strcmp(tool, "hang")) { /* waits until the test releases it (after its timeout) */
        pthread_mutex_lock(&slow_mu);
        while (!slow_release) pthread_cond_wait(&slow_cv, &slow_mu);
        pthread_mutex_unlock(&slow_mu);
        return swp_result_text(out, swp_strdup(ctx, "finally"));
    }
    return swp_result_text(out, "quick");
}

static const swp_tool slow_tools[] = {
    {.name = "hang", .description = "Hangs.", .parameters = "{\"type\":\"object\"}", .timeout_ms = 100},
    {.name = "quick", .description = "Quick.", .parameters = "{\"type\":\"object\"}"},
    SWP_TOOL_END,
};
static const swp_plugin slow_plugin = {SWP_PLUGIN_INIT, .id = "test.slow", .name = "Slow", .version = "1.0.0",
                                      .tools = slow_tools, .execute_tool = slow_exec};

static int net_exec(swp_ctx *ctx, const char *tool, const char *args, swp_result *out)
{
    (void)args;
    if (!strcmp(tool, "fetch")) {
        swp_http_request req = {.url = "http://127.0.0.1:9/", .timeout_ms = 2000};
        swp_http_response resp;
        int rc = swp_http_fetch(ctx, &req, &resp);
        return swp_result_text(out, swp_printf(ctx, "rc=%d %s", rc, swp_strerror(rc)));
    }
    if (!strcmp(tool, "remember")) {
        const char *v = swp_arg_string(ctx, "value");
        if (v) swp_kv_set(ctx, "k", v);
        const char *got = NULL;
        int rc = swp_kv_get(ctx, "k", &got);
        return swp_result_text(out, rc == SWP_OK ? got : "(nothing)");
    }
    if (!strcmp(tool, "login")) return swp_result_text(out, "logged in");
    return swp_result_error(out, "unknown tool\nFallback suggestions: none");
}

static const swp_tool net_tools[] = {
    {.name = "fetch", .description = "Fetches.", .parameters = "{\"type\":\"object\"}"},
    {.name = "remember", .description = "Stores a value.",
     .parameters = "{\"type\":\"object\",\"properties\":{\"value\":{\"type\":\"string\",\"maxLength\":20}}}"},
    {.name = "login", .description = "Uses a secret.", .permissions_required = SWP_PERM_READ_USERS,
     .parameters = "{\"type\":\"object\",\"properties\":{\"user\":{\"type\":\"string\"},"
                   "\"password\":{\"type\":\"string\",\"x-secret\":true}},\"required\":[\"user\"]}"},
    SWP_TOOL_END,
};
static const swp_plugin net_plugin = {SWP_PLUGIN_INIT, .id = "test.net", .name = "Net", .version = "1.0.0",
                                     .permissions = SWP_PERM_EXTERNAL_HTTP | SWP_PERM_READ_USERS,
                                     .tools = net_tools, .execute_tool = net_exec};

/* a plugin whose tool name clashes with the greeter's */
static const swp_tool clash_tools[] = {{.name = "greet", .description = "Other greet.", .parameters = "{\"type\":\"object\"}"}, SWP_TOOL_END};
static const swp_plugin clash_plugin = {SWP_PLUGIN_INIT, .id = "test.clash", .name = "Clash", .version = "0.1.0",
                                       .tools = clash_tools, .execute_tool = slow_exec};

static int setup(void **state)
{
    *state = sw_harness_new((const swp_plugin *[]){&sw_greeter_plugin, &slow_plugin, &net_plugin, &clash_plugin, NULL});
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    sw_harness_free(*state);
    return 0;
}

static void call_expect(sw_harness *h, const char *tool, const char *args, const char *status,
                        int is_error, const char *needle)
{
    sw_dispatch_result r;
    assert_int_equal(sw_harness_call(h, tool, args, &r), 0);
    if (strcmp(r.status, status) != 0 || r.is_error != is_error || (needle && !strstr(r.text, needle)))
        fail_msg("%s %s → status %s is_error %d text \"%s\"; wanted %s/%d containing \"%s\"", tool,
                 args ? args : "(null)", r.status, r.is_error, r.text, status, is_error, needle ? needle : "");
    sw_dispatch_result_fini(&r);
}

static void test_greeter_through_dispatcher(void **state)
{
    sw_harness *h = *state;
    call_expect(h, "greet", "{\"language\":\"de\"}", "denied", 1, "disabled");
    assert_int_equal(sw_harness_enable(h, "scaiwave.greeter", -1), 0);
    call_expect(h, "greet", "{\"language\":\"de\",\"name\":\"Alice\"}", "ok", 0, "Hallo, Alice!");
    call_expect(h, "greet", "{\"language\":\"xx\"}", "ok", 0, "Hello, world!");
    call_expect(h, "greet", "{\"language\":\"ja\"}", "ok", 0, "こんにちは、worldさん!");
    call_expect(h, "greet", "fr", "ok", 0, "Bonjour, world!");
    call_expect(h, "greet", "\"nl\"", "ok", 0, "Hallo, world!");
    call_expect(h, "greet", "{\"name\":5}", "error", 1, "Fallback suggestions:");
    call_expect(h, "greet", "{\"name\":5}", "error", 1, "language");
    call_expect(h, "greet", "{\"language\":\"de\",\"name\":5}", "error", 1, "name: expected string");
    call_expect(h, "greet", "[1,2]", "error", 1, "expected a JSON object");
    call_expect(h, "greet", "{\"language\":", "error", 1, "Fallback suggestions:");
    call_expect(h, "gret", "{}", "error", 1, "did you mean greet");
    call_expect(h, "", "{}", "error", 1, "Unknown tool");
    assert_int_equal(sw_harness_disable(h, "scaiwave.greeter"), 0);
    call_expect(h, "greet", "{\"language\":\"de\"}", "denied", 1, "Fallback suggestions:");
}

static void test_disabled_call_is_audited_denied(void **state)
{
    sw_harness *h = *state;
    call_expect(h, "greet", "{\"language\":\"de\"}", "denied", 1, NULL);
    char *next = NULL;
    json_t *rows = sw_audit_list(h->audit, h->tenant.id, "scaiwave.greeter", "greet", "denied", NULL, 200, &next);
    assert_non_null(rows);
    assert_true(json_array_size(rows) >= 1);
    json_t *row = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(row, "status")), "denied");
    assert_string_equal(json_string_value(json_object_get(row, "caller_id")), h->ai.id);
    json_decref(rows);
    free(next);
}

typedef struct {
    sw_harness *h;
    sw_dispatch_result r;
} call_arg;

static void *call_hang(void *p)
{
    call_arg *a = p;
    sw_harness_call(a->h, "hang", "{}", &a->r);
    return NULL;
}

static void test_timeout_does_not_block_other_calls(void **state)
{
    sw_harness *h = *state;
    assert_int_equal(sw_harness_enable(h, "test.slow", -1), 0);
    assert_int_equal(sw_harness_enable(h, "scaiwave.greeter", -1), 0);
    slow_release = 0;
    call_arg a = {.h = h};
    pthread_t t;
    pthread_create(&t, NULL, call_hang, &a);
    /* While "hang" is stuck in its worker, other calls keep flowing. */
    for (int i = 0; i < 50; i++) call_expect(h, "greet", "{\"language\":\"fr\"}", "ok", 0, "Bonjour");
    pthread_join(t, NULL);
    assert_string_equal(a.r.status, "timeout");
    assert_true(a.r.is_error);
    assert_non_null(strstr(a.r.text, "timed out after 100 ms"));
    assert_non_null(strstr(a.r.text, "Fallback suggestions:"));
    sw_dispatch_result_fini(&a.r);
    call_expect(h, "quick", "{}", "ok", 0, "quick");
    /* let the stuck worker finish; its late result is discarded and freed by the job */
    pthread_mutex_lock(&slow_mu);
    slow_release = 1;
    pthread_cond_broadcast(&slow_cv);
    pthread_mutex_unlock(&slow_mu);
    char *next = NULL;
    json_t *rows = sw_audit_list(h->audit, h->tenant.id, "test.slow", "hang", "timeout", NULL, 10, &next);
    assert_int_equal(json_array_size(rows), 1);
    json_decref(rows);
    free(next);
}

/* A call run on the caller's thread (sw_call.on_timeout): the watchdog answers at the deadline
 * while the tool is still stuck, and the call returns that same answer, marked reported, once
 * the tool lets go; a quick tool answers normally and the watchdog stays silent. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    char status[16];
    char text[200];
} timeout_seen;

static void on_timeout(void *arg, const sw_dispatch_result *res)
{
    timeout_seen *s = arg;
    pthread_mutex_lock(&s->mu);
    s->calls++;
    snprintf(s->status, sizeof s->status, "%s", res->status);
    snprintf(s->text, sizeof s->text, "%s", res->text);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

typedef struct {
    sw_harness *h;
    timeout_seen *seen;
    const char *tool;
    sw_dispatch_result r;
} inline_arg;

static void *call_inline(void *p)
{
    inline_arg *a = p;
    sw_call call = {.tenant_id = a->h->tenant.id, .tenant_slug = "test", .room_id = "r",
                    .caller_id = a->h->ai.id, .initiator_id = a->h->alice.id, .tool = a->tool,
                    .args = "{}", .args_len = 2, .on_timeout = on_timeout, .on_timeout_arg = a->seen};
    sw_dispatch(&a->h->d, &call, &a->r);
    return NULL;
}

static void test_inline_call_keeps_its_timeout(void **state)
{
    sw_harness *h = *state;
    assert_int_equal(sw_harness_enable(h, "test.slow", -1), 0);
    timeout_seen seen = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

    inline_arg q = {.h = h, .seen = &seen, .tool = "quick"};
    call_inline(&q);
    assert_string_equal(q.r.status, "ok");
    assert_string_equal(q.r.text, "quick");
    assert_int_equal(q.r.reported, 0);
    sw_dispatch_result_fini(&q.r);

    slow_release = 0;
    inline_arg a = {.h = h, .seen = &seen, .tool = "hang"};
    pthread_t t;
    pthread_create(&t, NULL, call_inline, &a);
    pthread_mutex_lock(&seen.mu); /* the answer comes while the tool is still stuck */
    while (seen.calls == 0) pthread_cond_wait(&seen.cv, &seen.mu);
    pthread_mutex_unlock(&seen.mu);
    assert_string_equal(seen.status, "timeout");
    assert_non_null(strstr(seen.text, "timed out after 100 ms"));
    assert_int_equal(slow_release, 0);
    pthread_mutex_lock(&slow_mu);
    slow_release = 1;
    pthread_cond_broadcast(&slow_cv);
    pthread_mutex_unlock(&slow_mu);
    pthread_join(t, NULL);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(a.r.reported, 1);
    assert_string_equal(a.r.status, "timeout"); /* the late "finally" is discarded */
    assert_null(strstr(a.r.text, "finally"));
    sw_dispatch_result_fini(&a.r);
    char *next = NULL;
    json_t *rows = sw_audit_list(h->audit, h->tenant.id, "test.slow", "hang", "timeout", NULL, 10, &next);
    assert_int_equal(json_array_size(rows), 1); /* audited once, at the deadline */
    json_decref(rows);
    free(next);
}

static void test_http_service_needs_external_http(void **state)
{
    sw_harness *h = *state;
    /* enabled without EXTERNAL_HTTP: the service refuses */
    assert_int_equal(sw_harness_enable(h, "test.net", SWP_PERM_READ_USERS), 0);
    call_expect(h, "fetch", "{}", "ok", 0, "rc=-3 permission not granted");
    /* granted, but 127.0.0.1 is loopback: the outbound policy refuses it, nothing is sent */
    assert_int_equal(sw_harness_enable(h, "test.net", SWP_PERM_EXTERNAL_HTTP | SWP_PERM_READ_USERS), 0);
    call_expect(h, "fetch", "{}", "ok", 0, "rc=-3 permission not granted");
    /* allowed by the operator: the request is made (and fails to connect to the discard port) */
    char err[256];
    sw_netpolicy *p = sw_netpolicy_new("127.0.0.1", err, sizeof err);
    assert_non_null(p);
    h->d.netpolicy = p;
    call_expect(h, "fetch", "{}", "ok", 0, "rc=-8");
    h->d.netpolicy = NULL;
    sw_netpolicy_free(p);
}

static void test_tool_permission_checked_by_dispatcher(void **state)
{
    sw_harness *h = *state;
    assert_int_equal(sw_harness_enable(h, "test.net", SWP_PERM_EXTERNAL_HTTP), 0);
    call_expect(h, "login", "{\"user\":\"a\",\"password\":\"hunter2\"}", "denied", 1, "READ_USERS");
    assert_int_equal(sw_harness_enable(h, "test.net", -1), 0);
    call_expect(h, "login", "{\"user\":\"a\",\"password\":\"hunter2\"}", "ok", 0, "logged in");
    /* the secret argument is redacted in the audit log */
    char *next = NULL;
    json_t *rows = sw_audit_list(h->audit, h->tenant.id, "test.net", "login", NULL, NULL, 10, &next);
    assert_true(json_array_size(rows) >= 2);
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *args = json_object_get(json_array_get(rows, i), "args_redacted");
        assert_string_equal(json_string_value(json_object_get(args, "password")), "***");
        assert_string_equal(json_string_value(json_object_get(args, "user")), "a");
    }
    json_decref(rows);
    free(next);
}

static void test_kv_is_tenant_scoped(void **state)
{
    sw_harness *h = *state;
    assert_int_equal(sw_harness_enable(h, "test.net", -1), 0);
    call_expect(h, "remember", "{\"value\":\"tenant-one\"}", "ok", 0, "tenant-one");
    call_expect(h, "remember", "{\"value\":\"" "012345678901234567890" "\"}", "error", 1, "maxLength");
    /* another tenant sees nothing */
    sw_tenant other;
    sw_tenant_create(h->db, "other", "Other", &other);
    sw_plugin_states_enable(h->states, other.id, "test.net", net_plugin.permissions, NULL, NULL);
    sw_call call = {.tenant_id = other.id, .tool = "remember", .args = "{}", .args_len = 2};
    sw_dispatch_result r;
    sw_dispatch(&h->d, &call, &r);
    assert_string_equal(r.text, "(nothing)");
    sw_dispatch_result_fini(&r);
    call_expect(h, "remember", "{}", "ok", 0, "tenant-one");
}

static void test_tool_name_conflict(void **state)
{
    sw_harness *h = *state;
    assert_int_equal(sw_harness_enable(h, "scaiwave.greeter", -1), 0);
    char tool[72], other[72];
    assert_int_equal(sw_plugin_states_enable(h->states, h->tenant.id, "test.clash", 0, tool, other), -2);
    assert_string_equal(tool, "greet");
    assert_string_equal(other, "scaiwave.greeter");
    assert_int_equal(sw_harness_disable(h, "scaiwave.greeter"), 0);
    assert_int_equal(sw_harness_enable(h, "test.clash", -1), 0);
    call_expect(h, "greet", "{}", "ok", 0, "quick"); /* now greet is test.clash's */
    assert_int_equal(sw_harness_disable(h, "test.clash"), 0);
}

int main(void)
{
    setenv("SW_PASSWORD_FAST", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_greeter_through_dispatcher, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disabled_call_is_audited_denied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_does_not_block_other_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inline_call_keeps_its_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_service_needs_external_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tool_permission_checked_by_dispatcher, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kv_is_tenant_scoped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tool_name_conflict, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
