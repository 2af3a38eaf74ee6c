/* test_greeter_plugin: scaiwave.greeter in isolation, mirroring the seed's
 * tests/unit/test_greeter_plugin.py, plus the behaviours the seed describes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin_harness.h"

extern const swp_plugin sw_greeter_plugin;

static int setup(void **state)
{
    setenv("SW_PASSWORD_FAST", "1", 1);
    *state = sw_harness_new((const swp_plugin *[]){&sw_greeter_plugin, NULL});
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    sw_harness_free(*state);
    return 0;
}

/* The seed's test, in C. */
static void test_greet_returns_english_by_default(void **state)
{
    sw_harness *h = *state;
    swp_result out;
    assert_int_equal(sw_harness_execute(h, &sw_greeter_plugin, "greet", "{\"language\":\"en\"}", &out), SWP_OK);
    assert_non_null(strstr(out.text, "Hello"));
}

static void expect_greeting(sw_harness *h, const char *args, const char *want)
{
    swp_result out;
    assert_int_equal(sw_harness_execute(h, &sw_greeter_plugin, "greet", args, &out), SWP_OK);
    assert_false(out.is_error);
    assert_string_equal(out.text, want);
}

static void test_languages(void **state)
{
    sw_harness *h = *state;
    expect_greeting(h, "{\"language\":\"de\",\"name\":\"Alice\"}", "Hallo, Alice!");
    expect_greeting(h, "{\"language\":\"nl\",\"name\":\"Bob\"}", "Hallo, Bob!");
    expect_greeting(h, "{\"language\":\"fr\"}", "Bonjour, world!");
    expect_greeting(h, "{\"language\":\"ja\"}", "こんにちは、worldさん!");
    expect_greeting(h, "{\"language\":\"DE\",\"name\":\"  Carol  \"}", "Hallo, Carol!");
}

static void test_unknown_language_is_english(void **state)
{
    expect_greeting(*state, "{\"language\":\"xx\"}", "Hello, world!");
}

static void test_non_json_args_are_the_language(void **state)
{
    expect_greeting(*state, "de", "Hallo, world!");
    expect_greeting(*state, "  ja ", "こんにちは、worldさん!");
}

/* Each tool has its own run function, so the plugin never sees a tool it did not declare: the
 * host answers an unknown name (an error result with a fallback hint). */
static void test_unknown_tool_is_answered_by_the_host(void **state)
{
    sw_harness *h = *state;
    swp_result out;
    assert_int_equal(sw_harness_execute(h, &sw_greeter_plugin, "wave", "{}", &out), SWP_OK);
    assert_true(out.is_error);
    assert_non_null(strstr(out.text, "Fallback suggestions:"));
}

static void test_no_system_context(void **state)
{
    sw_harness *h = *state;
    swp_result out;
    sw_harness_execute(h, &sw_greeter_plugin, "greet", "{\"language\":\"en\"}", &out);
    const char *text = "unset";
    assert_int_equal(sw_greeter_plugin.get_system_context(sw_harness_ctx(h), &text), SWP_OK);
    assert_null(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greet_returns_english_by_default),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_unknown_language_is_english),
        cmocka_unit_test(test_non_json_args_are_the_language),
        cmocka_unit_test(test_unknown_tool_is_answered_by_the_host),
        cmocka_unit_test(test_no_system_context),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
