/* test_loader: the real shared-object loader on a directory of plugins, most of them broken:
 * each bad one is refused (bad ABI version, wrong or newer struct size, a newer swp_tool, invalid
 * id, invalid schema, duplicate id, reserved namespace) and the good ones load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sw_log.h"
#include "plugins/sw_registry.h"

#include <stdio.h>
#include <string.h>

static void test_load_dir_refuses_bad_plugins(void **state)
{
    (void)state;
    sw_log_set_level(SW_LOG_OFF);
    sw_registry *r = sw_registry_new();
    int loaded = sw_registry_load_dir(r, SW_TEST_PLUGIN_DIR, NULL);
    /* acme_echo.so, the approval tests' recorder.so, services.so, secretive.so, vault.so,
     * argecho.so (the argument tests), the ABI tests' old_tool.so, patient.so, exchange.so, and
     * conformance.so (the MCP conformance tools) */
    assert_int_equal(loaded, 10);
    assert_int_equal(r->n, 10);
    assert_non_null(sw_registry_find(r, "test.argecho"));
    assert_non_null(sw_registry_find(r, "test.old-tool"));
    assert_non_null(sw_registry_find(r, "test.patient"));
    assert_non_null(sw_registry_find(r, "test.exchange"));
    assert_null(sw_registry_find(r, "test.big-size"));
    assert_null(sw_registry_find(r, "test.big-tool"));
    assert_non_null(sw_registry_find(r, "test.secretive"));
    assert_non_null(sw_registry_find(r, "test.vault"));
    assert_non_null(sw_registry_find(r, "test.services"));
    assert_non_null(sw_registry_find(r, "test.recorder"));
    const sw_reg_plugin *echo = sw_registry_find(r, "acme.echo");
    assert_non_null(echo);
    assert_string_equal(echo->p->version, "0.1.0"); /* the real one, not dup_echo's 9.9.9 */
    assert_null(sw_registry_find(r, "test.bad-abi"));
    assert_null(sw_registry_find(r, "test.bad-size"));
    assert_null(sw_registry_find(r, "test.bad-schema"));
    assert_null(sw_registry_find(r, "scaiwave.fake"));
    sw_registry_free(r);
}

static void expect_refusal(const char *file, const char *needle)
{
    sw_registry *r = sw_registry_new();
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/%s", SW_TEST_PLUGIN_DIR, file);
    assert_int_equal(sw_registry_load_so(r, path, NULL, err, sizeof err), -1);
    if (!strstr(err, needle)) fail_msg("%s: \"%s\" does not mention \"%s\"", file, err, needle);
    sw_registry_free(r);
}

static void test_each_refusal_says_why(void **state)
{
    (void)state;
    expect_refusal("bad_abi.so", "ABI version 999");
    expect_refusal("bad_size.so", "descriptor size 24");
    expect_refusal("big_size.so", "built against a newer plugin.h");
    expect_refusal("big_tool.so", "swp_tool size");
    expect_refusal("bad_id.so", "invalid id");
    expect_refusal("bad_schema.so", "invalid parameters schema");
    expect_refusal("reserved_ns.so", "reserved");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_dir_refuses_bad_plugins),
        cmocka_unit_test(test_each_refusal_says_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
