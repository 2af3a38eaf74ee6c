/* test_acme_echo: the example third-party plugin, loaded from its .so by the server's real
 * loader (sw_registry_load_so), then called directly and through the dispatcher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin_harness.h"

static sw_harness *load(void)
{
    sw_harness *h = sw_harness_new((const swp_plugin *[]){NULL}); /* no built-ins */
    assert_non_null(h);
    char err[512];
    if (sw_registry_load_so(h->reg, SW_PLUGIN_DIR "/acme_echo.so", &h->d.host, err, sizeof err) != 0)
        fail_msg("loader refused acme_echo.so: %s", err);
    return h;
}

static void test_loads_with_manifest(void **state)
{
    (void)state;
    sw_harness *h = load();
    const sw_reg_plugin *rp = sw_registry_find(h->reg, "acme.echo");
    assert_non_null(rp);
    assert_string_equal(rp->source, "shared_object");
    assert_string_equal(rp->p->version, "0.1.0");
    assert_non_null(sw_registry_tool(rp, "echo"));
    sw_harness_free(h);
}

static void test_direct_call(void **state)
{
    (void)state;
    sw_harness *h = load();
    const swp_plugin *p = sw_registry_find(h->reg, "acme.echo")->p;
    swp_result out;
    assert_int_equal(sw_harness_execute(h, p, "echo", "{\"text\":\"hi there\",\"upper\":true}", &out), SWP_OK);
    assert_string_equal(out.text, "HI THERE");
    assert_int_equal(sw_harness_execute(h, p, "nope", "{}", &out), SWP_OK);
    assert_true(out.is_error);
    assert_non_null(strstr(out.text, "Fallback suggestions:"));
    const char *ctx_text = NULL;
    assert_int_equal(p->get_system_context(sw_harness_ctx(h), &ctx_text), SWP_OK);
    assert_non_null(strstr(ctx_text, "echo"));
    sw_harness_free(h);
}

static void test_through_dispatcher_with_settings(void **state)
{
    (void)state;
    sw_harness *h = load();
    assert_int_equal(sw_harness_enable(h, "acme.echo", -1), 0);
    json_t *settings = json_pack("{s:s}", "prefix", "echo: ");
    assert_int_equal(sw_plugin_states_configure(h->states, h->tenant.id, "acme.echo", settings, NULL), 0);
    json_decref(settings);
    sw_dispatch_result r;
    sw_harness_call(h, "echo", "{\"text\":\"abc\"}", &r);
    assert_string_equal(r.status, "ok");
    assert_string_equal(r.text, "echo: abc");
    sw_dispatch_result_fini(&r);
    sw_harness_call(h, "echo", "{\"text\":\"abc\",\"extra\":1}", &r); /* additionalProperties:false */
    assert_string_equal(r.status, "error");
    assert_non_null(strstr(r.text, "Fallback suggestions:"));
    sw_dispatch_result_fini(&r);
    sw_harness_free(h);
}

int main(void)
{
    setenv("SW_PASSWORD_FAST", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_with_manifest),
        cmocka_unit_test(test_direct_call),
        cmocka_unit_test(test_through_dispatcher_with_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
