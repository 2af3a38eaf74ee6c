/* test_registry: load-time validation of plugins — ABI, size, id, semver, tool names, schemas,
 * duplicates — through the descriptor path and the real shared-object loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugins/sw_registry.h"

#include <string.h>

static int ok_exec(swp_ctx *ctx, const char *tool, const char *args, swp_result *out)
{
    (void)ctx; (void)tool; (void)args;
    return swp_result_text(out, "ok");
}

static const swp_tool good_tools[] = {
    {.name = "ping", .description = "Ping.", .parameters = "{\"type\":\"object\",\"properties\":{}}"},
    SWP_TOOL_END,
};

#define GOOD_PLUGIN(ident)                                                                          \
    {SWP_PLUGIN_INIT, .id = ident, .name = "T", .version = "1.2.3", .description = "d",             \
     .tools = good_tools, .execute_tool = ok_exec}

static void expect_refused(const swp_plugin *p, const char *needle)
{
    sw_registry *r = sw_registry_new();
    char err[512] = "";
    assert_int_equal(sw_registry_add(r, p, "builtin", NULL, err, sizeof err), -1);
    if (!strstr(err, needle)) fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
    assert_int_equal(r->n, 0);
    sw_registry_free(r);
}

static void test_good_plugin_loads(void **state)
{
    (void)state;
    static const swp_plugin p = GOOD_PLUGIN("acme.good");
    sw_registry *r = sw_registry_new();
    char err[256];
    assert_int_equal(sw_registry_add(r, &p, "builtin", NULL, err, sizeof err), 0);
    assert_non_null(sw_registry_find(r, "acme.good"));
    assert_non_null(sw_registry_tool(sw_registry_find(r, "acme.good"), "ping"));
    sw_registry_free(r);
}

static void test_bad_abi_version(void **state)
{
    (void)state;
    swp_plugin p = GOOD_PLUGIN("acme.abi");
    p.abi_version = 99;
    expect_refused(&p, "ABI version 99");
}

static void test_wrong_struct_size(void **state)
{
    (void)state;
    swp_plugin p = GOOD_PLUGIN("acme.size");
    p.struct_size = 12;
    expect_refused(&p, "descriptor size 12");
    p.struct_size = sizeof(swp_plugin) + 64;
    expect_refused(&p, "descriptor size");
}

static void test_invalid_ids(void **state)
{
    (void)state;
    const char *bad[] = {"greeter", "Acme.Echo", "acme..x", "acme.x.y", ".x", "acme.", "a b.c", "acme.ech/o", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        swp_plugin p = GOOD_PLUGIN(bad[i]);
        expect_refused(&p, "invalid id");
    }
    assert_true(sw_plugin_id_valid("scaiwave.greeter"));
    assert_true(sw_plugin_id_valid("bigco.sso-2"));
}

static void test_semver(void **state)
{
    (void)state;
    assert_true(sw_semver_valid("1.0.0"));
    assert_true(sw_semver_valid("10.20.30-rc.1+build.5"));
    assert_false(sw_semver_valid("1.0"));
    assert_false(sw_semver_valid("01.0.0"));
    assert_false(sw_semver_valid("1.0.0-"));
    assert_false(sw_semver_valid("v1.0.0"));
    swp_plugin p = GOOD_PLUGIN("acme.ver");
    p.version = "1.0";
    expect_refused(&p, "semver");
}

static void test_bad_tool_name_and_schema(void **state)
{
    (void)state;
    static const swp_tool bad_name[] = {{.name = "has space", .description = "x", .parameters = "{\"type\":\"object\"}"}, SWP_TOOL_END};
    swp_plugin p = GOOD_PLUGIN("acme.tools");
    p.tools = bad_name;
    expect_refused(&p, "invalid tool name");

    static const swp_tool bad_json[] = {{.name = "t", .description = "x", .parameters = "{\"type\":"}, SWP_TOOL_END};
    p.tools = bad_json;
    expect_refused(&p, "not JSON");

    static const swp_tool not_object[] = {{.name = "t", .description = "x", .parameters = "{\"type\":\"string\"}"}, SWP_TOOL_END};
    p.tools = not_object;
    expect_refused(&p, "object schema");

    static const swp_tool bad_schema[] = {{.name = "t", .description = "x",
        .parameters = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"strnig\"}}}"}, SWP_TOOL_END};
    p.tools = bad_schema;
    expect_refused(&p, "invalid parameters schema");

    static const swp_tool twice[] = {{.name = "t", .description = "x", .parameters = "{\"type\":\"object\"}"},
                                    {.name = "t", .description = "y", .parameters = "{\"type\":\"object\"}"}, SWP_TOOL_END};
    p.tools = twice;
    expect_refused(&p, "declared twice");
}

static void test_duplicate_id_refuses_second(void **state)
{
    (void)state;
    static const swp_plugin a = GOOD_PLUGIN("acme.dup");
    static const swp_plugin b = GOOD_PLUGIN("acme.dup");
    sw_registry *r = sw_registry_new();
    char err[256];
    assert_int_equal(sw_registry_add(r, &a, "builtin", NULL, err, sizeof err), 0);
    assert_int_equal(sw_registry_add(r, &b, "builtin", NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "duplicate"));
    assert_int_equal(r->n, 1);
    assert_ptr_equal(sw_registry_find(r, "acme.dup")->p, &a);
    sw_registry_free(r);
}

static void test_missing_so_and_symbol(void **state)
{
    (void)state;
    sw_registry *r = sw_registry_new();
    char err[512];
    assert_int_equal(sw_registry_load_so(r, "/nonexistent/plugin.so", NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot load"));
    /* libm is a shared object without our entry symbol */
    assert_int_equal(sw_registry_load_so(r, "libm.so.6", NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "swp_plugin_entry"));
    assert_int_equal(r->n, 0);
    sw_registry_free(r);
}

static void test_usage_params_order(void **state)
{
    (void)state;
    static const swp_tool t[] = {{.name = "greet", .description = "x", .usage = "[/greet <language> [name]]",
        .parameters = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                      "\"language\":{\"type\":\"string\"}},\"required\":[\"language\"]}"}, SWP_TOOL_END};
    swp_plugin p = GOOD_PLUGIN("acme.usage");
    p.tools = t;
    sw_registry *r = sw_registry_new();
    char err[256];
    assert_int_equal(sw_registry_add(r, &p, "builtin", NULL, err, sizeof err), 0);
    const sw_reg_tool *rt = sw_registry_tool(sw_registry_find(r, "acme.usage"), "greet");
    assert_string_equal(rt->usage_params[0], "language");
    assert_string_equal(rt->usage_params[1], "name");
    assert_null(rt->usage_params[2]);
    assert_string_equal(rt->first_required, "language");
    sw_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_plugin_loads),
        cmocka_unit_test(test_bad_abi_version),
        cmocka_unit_test(test_wrong_struct_size),
        cmocka_unit_test(test_invalid_ids),
        cmocka_unit_test(test_semver),
        cmocka_unit_test(test_bad_tool_name_and_schema),
        cmocka_unit_test(test_duplicate_id_refuses_second),
        cmocka_unit_test(test_missing_so_and_symbol),
        cmocka_unit_test(test_usage_params_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
