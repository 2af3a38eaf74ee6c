/* test_resolve: the one tool resolver (sw_resolve_tool, sw_resolve_usable) — found, disabled,
 * hidden by a filter, unknown with a "did you mean" (slash commands suggest only commands) — and
 * the dispatcher's use of it: a caller's resolution is taken as it is (no second lookup), and
 * arguments handed over parsed reach the tool as the very same object, never re-serialised. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin_harness.h"
#include "plugins/sw_resolve.h"

extern const swp_plugin sw_greeter_plugin;

/* what the shape tool saw */
static const json_t *seen_args;
static int seen_text_written; /* the arguments' text existed when the tool started */

static int sharp_run(swp_ctx *ctx, swp_result *out)
{
    (void)ctx;
    return swp_result_text(out, "sharp");
}

static int shape_run(swp_ctx *ctx, swp_result *out)
{
    sw_call_ctx *cc = ctx->host_data;
    seen_args = cc->args;
    seen_text_written = cc->args_json != NULL;
    int64_t n = -1;
    if (swp_arg_int(ctx, "n", &n) != SWP_OK) return swp_result_error(out, "no integer n\nFallback suggestions: none");
    const char *o = swp_arg_json(ctx, "o");
    return swp_result_text(out, swp_printf(ctx, "n=%lld o=%s text=%s", (long long)n, o ? o : "-", swp_args_text(ctx)));
}

static const swp_tool shape_tools[] = {
    {.name = "shape", .description = "Tells the shape of its arguments.", .usage = "[/shape <n>]",
     .parameters = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"},\"o\":{\"type\":\"object\"}},"
                   "\"required\":[\"n\"]}",
     .run = shape_run},
    SWP_TOOL_END,
};
static const swp_plugin shape_plugin = {SWP_PLUGIN_INIT, .id = "test.shape", .name = "Shape", .version = "1.0.0",
                                       .tools = shape_tools};
static const swp_tool sharp_tools[] = { /* no usage: a tool, not a slash command */
    {.name = "sharp", .description = "Sharp.", .parameters = "{\"type\":\"object\"}", .run = sharp_run},
    SWP_TOOL_END,
};
static const swp_plugin sharp_plugin = {SWP_PLUGIN_INIT, .id = "test.sharp", .name = "Sharp", .version = "1.0.0",
                                       .tools = sharp_tools};

static int setup(void **state)
{
    sw_harness *h = sw_harness_new((const swp_plugin *[]){&shape_plugin, &sharp_plugin, &sw_greeter_plugin, NULL});
    if (!h) return -1;
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    sw_harness_free(*state);
    return 0;
}

static int hide_shape(void *arg, const char *plugin_id)
{
    (*(int *)arg)++;
    return strcmp(plugin_id, "test.shape") != 0;
}

static void test_resolver_answers_why(void **state)
{
    sw_harness *h = *state;
    assert_int_equal(sw_harness_enable(h, "test.shape", -1), 0);
    assert_int_equal(sw_harness_enable(h, "test.sharp", -1), 0);
    sw_tenant_plugins *tp = sw_plugin_states_get(h->states, h->tenant.id);
    assert_non_null(tp);
    sw_resolved r;
    assert_int_equal(sw_resolve_tool(tp, "shape", NULL, &r), SW_RESOLVE_OK);
    assert_string_equal(r.state->rp->p->id, "test.shape");
    assert_string_equal(r.tool->def->name, "shape");
    assert_ptr_equal(r.snapshot, tp);

    sw_resolve_filter only = {.only_plugin = "test.sharp"};
    assert_int_equal(sw_resolve_tool(tp, "shape", &only, &r), SW_RESOLVE_HIDDEN);
    assert_string_equal(r.state->rp->p->id, "test.shape");
    int asked = 0;
    sw_resolve_filter room = {.visible = hide_shape, .visible_arg = &asked};
    assert_int_equal(sw_resolve_tool(tp, "shape", &room, &r), SW_RESOLVE_HIDDEN);
    assert_true(asked > 0);
    assert_int_equal(sw_resolve_usable(r.state, &room), -1);
    assert_int_equal(sw_resolve_tool(tp, "greet", NULL, &r), SW_RESOLVE_DISABLED); /* never enabled */
    assert_string_equal(r.state->rp->p->id, "scaiwave.greeter");
    assert_int_equal(sw_resolve_usable(r.state, NULL), 0);

    /* did you mean: the nearest usable name closer than max_distance; commands only for slash */
    sw_resolve_filter tools = {.max_distance = 4}, cmds = {.commands = 1, .max_distance = 3}, none = {0};
    assert_int_equal(sw_resolve_tool(tp, "shar", &tools, &r), SW_RESOLVE_UNKNOWN);
    assert_string_equal(r.suggestion, "sharp");
    assert_int_equal(r.suggestion_distance, 1);
    assert_int_equal(sw_resolve_tool(tp, "shar", &cmds, &r), SW_RESOLVE_UNKNOWN);
    assert_string_equal(r.suggestion, "shape");
    assert_int_equal(r.suggestion_distance, 2);
    assert_int_equal(sw_resolve_tool(tp, "shar", &none, &r), SW_RESOLVE_UNKNOWN);
    assert_null(r.suggestion);
    assert_int_equal(sw_resolve_tool(tp, "gree", &tools, &r), SW_RESOLVE_UNKNOWN);
    assert_null(r.suggestion); /* a disabled plugin's tools are never suggested */
    sw_tenant_plugins_release(tp);
}

static void test_dispatcher_takes_the_callers_resolution(void **state)
{
    sw_harness *h = *state;
    assert_int_equal(sw_harness_enable(h, "test.shape", -1), 0);
    sw_tenant_plugins *tp = sw_plugin_states_get(h->states, h->tenant.id);
    sw_resolved r;
    assert_int_equal(sw_resolve_tool(tp, "shape", NULL, &r), SW_RESOLVE_OK);
    /* after the caller resolved it, the tenant disables the plugin: a second lookup would say
     * "disabled"; the one resolution stands (the caller's snapshot), and no filter is asked */
    assert_int_equal(sw_harness_disable(h, "test.shape"), 0);
    int asked = 0;
    sw_call call = {.tenant_id = h->tenant.id, .room_id = "r", .caller_id = h->alice.id,
                    .initiator_id = h->alice.id, .tool = "shape", .args = "{\"n\":3}", .args_len = 7,
                    .resolved = &r, .plugin_visible = hide_shape, .plugin_visible_arg = &asked};
    sw_dispatch_result out;
    assert_int_equal(sw_dispatch(&h->d, &call, &out), 0);
    if (strcmp(out.status, "ok") != 0) fail_msg("status %s: %s", out.status, out.text);
    assert_string_equal(out.text, "n=3 o=- text={\"n\":3}");
    assert_string_equal(out.plugin_id, "test.shape");
    assert_int_equal(asked, 0);
    sw_dispatch_result_fini(&out);
    sw_tenant_plugins_release(tp);
    /* without a resolution the dispatcher resolves itself, and now refuses */
    call.resolved = NULL;
    call.plugin_visible = NULL;
    assert_int_equal(sw_dispatch(&h->d, &call, &out), 0);
    assert_string_equal(out.status, "denied");
    sw_dispatch_result_fini(&out);
}

static void test_parsed_arguments_reach_the_tool_unchanged(void **state)
{
    sw_harness *h = *state;
    assert_int_equal(sw_harness_enable(h, "test.shape", -1), 0);
    json_t *args = json_loads("{\"n\": 9007199254740993, \"o\": {\"k\": [1, {\"x\": true}], \"s\": \"é\"}}", 0, NULL);
    assert_non_null(args);
    sw_call call = {.tenant_id = h->tenant.id, .room_id = "r", .caller_id = h->alice.id,
                    .initiator_id = h->alice.id, .tool = "shape", .args_json = args};
    sw_dispatch_result out;
    seen_args = NULL;
    seen_text_written = 1;
    assert_int_equal(sw_dispatch(&h->d, &call, &out), 0);
    if (strcmp(out.status, "ok") != 0) fail_msg("status %s: %s", out.status, out.text);
    assert_ptr_equal(seen_args, args);        /* the caller's object itself: no parse */
    assert_int_equal(seen_text_written, 0);   /* no text made before the tool asked for it */
    assert_string_equal(out.text, "n=9007199254740993 o={\"k\":[1,{\"x\":true}],\"s\":\"é\"} "
                                  "text={\"n\":9007199254740993,\"o\":{\"k\":[1,{\"x\":true}],\"s\":\"é\"}}");
    sw_dispatch_result_fini(&out);
    json_decref(args);

    /* a parsed value that is not an object is judged as text would be */
    assert_int_equal(sw_harness_enable(h, "scaiwave.greeter", -1), 0);
    json_t *de = json_string("de"), *arr = json_pack("[i]", 1);
    call.tool = "greet";
    call.args_json = de;
    assert_int_equal(sw_dispatch(&h->d, &call, &out), 0);
    assert_string_equal(out.text, "Hallo, world!");
    sw_dispatch_result_fini(&out);
    call.args_json = arr;
    assert_int_equal(sw_dispatch(&h->d, &call, &out), 0);
    assert_string_equal(out.status, "error");
    assert_non_null(strstr(out.text, "expected a JSON object"));
    sw_dispatch_result_fini(&out);
    json_decref(de);
    json_decref(arr);
}

int main(void)
{
    setenv("SW_PASSWORD_FAST", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolver_answers_why, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispatcher_takes_the_callers_resolution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parsed_arguments_reach_the_tool_unchanged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
