/* test_slash: the slash-command parser (src/plugins/sw_slash.c) in isolation.
 *
 * sw_slash_split: what is a command and what is not — names, spacing, the 64-character limit,
 * "/ x", "//", non-ASCII text. sw_slash_args: the arguments object built for a tool registered
 * with sw_registry_add — the built-in greeter (positional words in usage order, key=value,
 * quotes with escapes, a JSON object, errors) and a small test plugin whose tools have integer,
 * number, boolean and string parameters (typed conversion, surplus words, fallbacks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugins/sw_registry.h"
#include "plugins/sw_slash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const swp_plugin sw_greeter_plugin;

/* ---- a test plugin with typed parameters ---- */

static int ok_exec(swp_ctx *ctx, const char *tool, const char *args, swp_result *out)
{
    (void)ctx;
    (void)tool;
    (void)args;
    return swp_result_text(out, "ok");
}

static const swp_tool typed_tools[] = {
    {
        .name = "typed",
        .description = "Integer, boolean, number and string parameters.",
        .usage = "[/typed <count> <flag> [ratio] [label]]",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"label\":{\"type\":\"string\"},"
                      "\"ratio\":{\"type\":\"number\"},"
                      "\"flag\":{\"type\":\"boolean\"},"
                      "\"count\":{\"type\":\"integer\"}},"
                      "\"required\":[\"count\"]}",
    },
    {
        /* the string comes first: surplus words after the integer still join the string */
        .name = "mixed",
        .description = "A string then an integer.",
        .usage = "[/mixed <text> <n>]",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"text\":{\"type\":\"string\"},\"n\":{\"type\":\"integer\"}}}",
    },
    {
        /* no string parameter: surplus words have nowhere to go */
        .name = "nums",
        .description = "Two integers.",
        .usage = "[/nums <a> <b>]",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"integer\"}}}",
    },
    {
        /* no usage: positional words follow the schema's property order */
        .name = "nousage",
        .description = "No usage string.",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"first\":{\"type\":\"string\"},\"second\":{\"type\":\"integer\"}}}",
    },
    {
        /* usage placeholders the schema does not declare are skipped; a type array counts by its
         * first type */
        .name = "weird",
        .description = "Usage names that are not parameters.",
        .usage = "[/weird <bogus> <opt> [more] <word>]",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"word\":{\"type\":\"string\"},\"opt\":{\"type\":[\"integer\",\"null\"]}}}",
    },
    SWP_TOOL_END,
};

static const swp_plugin typed_plugin = {
    SWP_PLUGIN_INIT,
    .id = "test.typed",
    .name = "Typed",
    .version = "1.0.0",
    .description = "Typed parameters for the slash parser tests.",
    .tools = typed_tools,
    .execute_tool = ok_exec,
};

static sw_registry *reg;

static int setup(void **state)
{
    (void)state;
    char err[256] = "";
    reg = sw_registry_new();
    if (!reg) return -1;
    if (sw_registry_add(reg, &sw_greeter_plugin, "builtin", NULL, err, sizeof err) != 0) {
        fprintf(stderr, "greeter refused: %s\n", err);
        return -1;
    }
    if (sw_registry_add(reg, &typed_plugin, "builtin", NULL, err, sizeof err) != 0) {
        fprintf(stderr, "test plugin refused: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sw_registry_free(reg);
    return 0;
}

static const sw_reg_tool *tool(const char *plugin_id, const char *name)
{
    const sw_reg_plugin *rp = sw_registry_find(reg, plugin_id);
    assert_non_null(rp);
    const sw_reg_tool *rt = sw_registry_tool(rp, name);
    assert_non_null(rt);
    return rt;
}

#define GREET() tool("scaiwave.greeter", "greet")
#define TYPED(name) tool("test.typed", name)

/* ---- sw_slash_split ---- */

/* Expects body to be a command named want_name whose rest is body + rest_off. */
static void expect_split(const char *body, const char *want_name, size_t rest_off)
{
    char name[72];
    memset(name, 'X', sizeof name);
    const char *rest = NULL;
    if (sw_slash_split(body, name, sizeof name, &rest) != 1) fail_msg("\"%s\" is not a command", body);
    assert_string_equal(name, want_name);
    assert_non_null(rest);
    assert_ptr_equal(rest, body + rest_off);
}

static void expect_not_command(const char *body)
{
    char name[72] = "untouched";
    const char *rest = "untouched";
    if (sw_slash_split(body, name, sizeof name, &rest) != 0) fail_msg("\"%s\" taken as command \"%s\"", body, name);
}

static void test_split_non_commands(void **state)
{
    (void)state;
    char name[72];
    const char *rest = NULL;
    assert_int_equal(sw_slash_split(NULL, name, sizeof name, &rest), 0);
    expect_not_command("");
    expect_not_command("hello");
    expect_not_command("hello /greet de");
    expect_not_command("greet de");
    expect_not_command("\\/greet");
    expect_not_command("\n/greet"); /* only blanks and tabs may come before the slash */
    expect_not_command("/");
    expect_not_command("/ x");
    expect_not_command("/ greet");
    expect_not_command("//");
    expect_not_command("//greet");
    expect_not_command("/greet!");
    expect_not_command("/greet/x");
    expect_not_command("/greet.de");
    expect_not_command("/gr\"eet");
    expect_not_command("/=x");
    expect_not_command("/{\"a\":1}");
}

static void test_split_names(void **state)
{
    (void)state;
    expect_split("/greet", "greet", 6);
    expect_split("/help", "help", 5);
    expect_split("/Greet_1-x", "Greet_1-x", 10);
    expect_split("/9", "9", 2);
    expect_split("/-", "-", 2);
    expect_split("/_", "_", 2);
    expect_split("/greet de Alice", "greet", 7);
    expect_split("/greet {\"language\":\"nl\"}", "greet", 7);
}

static void test_split_spacing(void **state)
{
    (void)state;
    expect_split("  /greet de", "greet", 9);
    expect_split("\t/greet de", "greet", 8);
    expect_split(" \t /greet", "greet", 9);
    expect_split("/greet    de  Alice ", "greet", 10);
    expect_split("/greet\tde", "greet", 7);
    expect_split("/greet\nde", "greet", 7);
    expect_split("/greet \r\n\t de", "greet", 11);
    expect_split("/greet   ", "greet", 9); /* rest is the empty string at the end */
    char name[72];
    const char *rest = NULL;
    assert_int_equal(sw_slash_split("/greet   ", name, sizeof name, &rest), 1);
    assert_string_equal(rest, "");
}

static void test_split_name_limit(void **state)
{
    (void)state;
    char body[80], want[72];
    memset(want, 'a', 64);
    want[64] = 0;
    snprintf(body, sizeof body, "/%s", want);
    expect_split(body, want, 65);
    snprintf(body, sizeof body, "/%s de", want);
    expect_split(body, want, 66);
    snprintf(body, sizeof body, "/%sa", want); /* 65 characters */
    expect_not_command(body);
    snprintf(body, sizeof body, "/%sa de", want);
    expect_not_command(body);

    /* a name that does not fit the caller's buffer is not taken (nor written past it) */
    char small[8];
    memset(small, 'Z', sizeof small);
    const char *rest = NULL;
    assert_int_equal(sw_slash_split("/abcdefgh", small, sizeof small, &rest), 0);
    assert_int_equal(sw_slash_split("/abcdefg x", small, sizeof small, &rest), 1);
    assert_string_equal(small, "abcdefg");
    assert_string_equal(rest, "x");
}

static void test_split_unicode(void **state)
{
    (void)state;
    expect_not_command("/grüße");
    expect_not_command("/日本語");
    expect_not_command("/greet\xc2\xa0" "de"); /* NO-BREAK SPACE is not a separator */
    expect_not_command("／greet"); /* FULLWIDTH SOLIDUS */
    expect_not_command("\xe2\x80\x83/greet"); /* EM SPACE before the slash */
    expect_split("/greet ünïcödé 日本", "greet", 7);
    expect_split("/greet ja 山田", "greet", 7);
    expect_not_command("/\xff\xfe");
}

/* ---- sw_slash_args ---- */

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j) fail_msg("bad expected JSON %s: %s", text, je.text);
    return j;
}

static void expect_args(const sw_reg_tool *rt, const char *rest, const char *want_json)
{
    char err[256] = "";
    json_t *got = sw_slash_args(rt, rest, err, sizeof err);
    if (!got) fail_msg("sw_slash_args(\"%s\") failed: %s", rest, err);
    json_t *want = parse(want_json);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        fprintf(stderr, "rest: %s\n got: %s\nwant: %s\n", rest, g, w);
        free(g);
        free(w);
        json_decref(got);
        json_decref(want);
        fail_msg("arguments differ for \"%s\"", rest);
    }
    json_decref(got);
    json_decref(want);
}

static void expect_args_error(const sw_reg_tool *rt, const char *rest, const char *needle)
{
    char err[256] = "";
    json_t *got = sw_slash_args(rt, rest, err, sizeof err);
    if (got) {
        char *g = json_dumps(got, JSON_COMPACT);
        fprintf(stderr, "rest: %s\n got: %s\n", rest, g);
        free(g);
        json_decref(got);
        fail_msg("sw_slash_args(\"%s\") should fail", rest);
    }
    if (!strstr(err, needle)) fail_msg("error \"%s\" for \"%s\" does not mention \"%s\"", err, rest, needle);
}

static void test_usage_params_of_greeter(void **state)
{
    (void)state;
    const sw_reg_tool *rt = GREET();
    assert_non_null(rt->usage_params);
    assert_string_equal(rt->usage_params[0], "language");
    assert_string_equal(rt->usage_params[1], "name");
    assert_null(rt->usage_params[2]);
}

static void test_args_positional(void **state)
{
    (void)state;
    const sw_reg_tool *rt = GREET();
    expect_args(rt, "", "{}");
    expect_args(rt, "   ", "{}");
    expect_args(rt, "ja", "{\"language\":\"ja\"}");
    expect_args(rt, "de Alice", "{\"language\":\"de\",\"name\":\"Alice\"}");
    expect_args(rt, "  de \t Alice  ", "{\"language\":\"de\",\"name\":\"Alice\"}");
    expect_args(rt, "de\nAlice", "{\"language\":\"de\",\"name\":\"Alice\"}");
    expect_args(rt, "ja 山田", "{\"language\":\"ja\",\"name\":\"山田\"}");
    /* strings stay strings, even when they look like numbers */
    expect_args(rt, "42 true", "{\"language\":\"42\",\"name\":\"true\"}");
}

static void test_args_key_value(void **state)
{
    (void)state;
    const sw_reg_tool *rt = GREET();
    expect_args(rt, "language=fr", "{\"language\":\"fr\"}");
    expect_args(rt, "language=fr name=Jean", "{\"language\":\"fr\",\"name\":\"Jean\"}");
    expect_args(rt, "name=Jean language=fr", "{\"language\":\"fr\",\"name\":\"Jean\"}");
    expect_args(rt, "language=fr name=\"Jean Luc\"", "{\"language\":\"fr\",\"name\":\"Jean Luc\"}");
    expect_args(rt, "\"name=Jean Luc\" language=fr", "{\"language\":\"fr\",\"name\":\"Jean Luc\"}");
    expect_args(rt, "language=", "{\"language\":\"\"}");
    expect_args(rt, "language=a=b", "{\"language\":\"a=b\"}");
    /* a named parameter and a positional word for the other one */
    expect_args(rt, "name=Bob de", "{\"language\":\"de\",\"name\":\"Bob\"}");
    /* an unknown key is an ordinary word; so is a word starting with '=' */
    expect_args(rt, "de x=y", "{\"language\":\"de\",\"name\":\"x=y\"}");
    expect_args(rt, "=de", "{\"language\":\"=de\"}");
}

/* Positional words fill the parameters that were not given by name: "/greet language=fr Jean"
 * greets Jean in French (it must not overwrite the language the user named with "Jean"). */
static void test_args_positional_after_named(void **state)
{
    (void)state;
    const sw_reg_tool *rt = GREET();
    expect_args(rt, "language=fr Jean", "{\"language\":\"fr\",\"name\":\"Jean\"}");
    expect_args(rt, "language=fr Jean Luc", "{\"language\":\"fr\",\"name\":\"Jean Luc\"}");
}

static void test_args_quotes(void **state)
{
    (void)state;
    const sw_reg_tool *rt = GREET();
    expect_args(rt, "de \"Jean Luc\"", "{\"language\":\"de\",\"name\":\"Jean Luc\"}");
    expect_args(rt, "\"de\" \"  spaced  \"", "{\"language\":\"de\",\"name\":\"  spaced  \"}");
    expect_args(rt, "de \"\"", "{\"language\":\"de\",\"name\":\"\"}");
    /* escapes inside quotes: \" and \\ ; any other backslash stays */
    expect_args(rt, "de \"Jean \\\"JJ\\\" Luc\"", "{\"language\":\"de\",\"name\":\"Jean \\\"JJ\\\" Luc\"}");
    expect_args(rt, "de \"back\\\\slash\"", "{\"language\":\"de\",\"name\":\"back\\\\slash\"}");
    expect_args(rt, "de \"a\\nb\"", "{\"language\":\"de\",\"name\":\"a\\\\nb\"}");
    /* outside quotes a backslash is literal */
    expect_args(rt, "de a\\b", "{\"language\":\"de\",\"name\":\"a\\\\b\"}");
    /* quotes in the middle of a word group its parts */
    expect_args(rt, "de a\"b c\"d", "{\"language\":\"de\",\"name\":\"ab cd\"}");
    expect_args(rt, "de \"日本 語\"", "{\"language\":\"de\",\"name\":\"日本 語\"}");
}

static void test_args_unbalanced_quote(void **state)
{
    (void)state;
    const sw_reg_tool *rt = GREET();
    expect_args_error(rt, "de \"Jean Luc", "unbalanced");
    expect_args_error(rt, "\"", "unbalanced");
    expect_args_error(rt, "de \"Jean \\\"", "unbalanced"); /* the escaped quote does not close */
    expect_args_error(rt, "name=\"Jean", "unbalanced");
}

static void test_args_json_object(void **state)
{
    (void)state;
    const sw_reg_tool *rt = GREET();
    expect_args(rt, "{\"language\":\"nl\"}", "{\"language\":\"nl\"}");
    expect_args(rt, "  {\"language\":\"nl\", \"name\": \"Jan Piet\"}  ", "{\"language\":\"nl\",\"name\":\"Jan Piet\"}");
    expect_args(rt, "{}", "{}");
    /* the object is passed as given; the dispatcher's schema validation judges it */
    expect_args(rt, "{\"language\":5,\"extra\":[1,2]}", "{\"language\":5,\"extra\":[1,2]}");
    expect_args_error(rt, "{\"language\":", "do not parse");
    expect_args_error(rt, "{\"language\":\"nl\"} trailing", "do not parse");
    expect_args_error(rt, "{\"a\":1,\"a\":2}", "do not parse");
    expect_args_error(rt, "{language:nl}", "do not parse");
    /* only an object counts as JSON arguments: an array is a word */
    expect_args(rt, "[1,2]", "{\"language\":\"[1,2]\"}");
}

static void test_args_surplus_words_join_last_string(void **state)
{
    (void)state;
    const sw_reg_tool *rt = GREET();
    expect_args(rt, "de Alice and Bob", "{\"language\":\"de\",\"name\":\"Alice and Bob\"}");
    expect_args(rt, "de   Alice    and   Bob  ", "{\"language\":\"de\",\"name\":\"Alice and Bob\"}");
    expect_args(rt, "de \"Jean Luc\" \"and  co\"", "{\"language\":\"de\",\"name\":\"Jean Luc and  co\"}");

    /* the word limit: 64 words are taken (62 of them join the name), a 65th is an error */
    char rest[1024] = "de Alice";
    char want[1200] = "{\"language\":\"de\",\"name\":\"Alice";
    for (int i = 0; i < 62; i++) {
        char w[16];
        snprintf(w, sizeof w, " w%d", i);
        strcat(rest, w);
        strcat(want, w);
    }
    strcat(want, "\"}");
    expect_args(rt, rest, want);
    strcat(rest, " one-too-many");
    expect_args_error(rt, rest, "too many words");
}

static void test_args_typed_conversion(void **state)
{
    (void)state;
    const sw_reg_tool *rt = TYPED("typed");
    assert_string_equal(rt->usage_params[0], "count");
    assert_string_equal(rt->usage_params[1], "flag");
    assert_string_equal(rt->usage_params[2], "ratio");
    assert_string_equal(rt->usage_params[3], "label");
    assert_null(rt->usage_params[4]);

    expect_args(rt, "5", "{\"count\":5}");
    expect_args(rt, "5 true 2.5 hi", "{\"count\":5,\"flag\":true,\"ratio\":2.5,\"label\":\"hi\"}");
    expect_args(rt, "-3 false", "{\"count\":-3,\"flag\":false}");
    expect_args(rt, "0 TRUE", "{\"count\":0,\"flag\":true}");
    expect_args(rt, "0 False", "{\"count\":0,\"flag\":false}");
    expect_args(rt, "1 yes", "{\"count\":1,\"flag\":true}");
    expect_args(rt, "1 no", "{\"count\":1,\"flag\":false}");
    expect_args(rt, "1 1", "{\"count\":1,\"flag\":true}");
    expect_args(rt, "1 0", "{\"count\":1,\"flag\":false}");
    expect_args(rt, "9223372036854775807 1 1e3", "{\"count\":9223372036854775807,\"flag\":true,\"ratio\":1000.0}");
    expect_args(rt, "-9223372036854775808", "{\"count\":-9223372036854775808}");
    expect_args(rt, "7 true -0.25", "{\"count\":7,\"flag\":true,\"ratio\":-0.25}");
    /* key=value words are converted the same way */
    expect_args(rt, "count=7 flag=false ratio=3", "{\"count\":7,\"flag\":false,\"ratio\":3.0}");
    expect_args(rt, "flag=yes count=\"12\"", "{\"count\":12,\"flag\":true}");
}

static void test_args_typed_leaves_bad_words_as_strings(void **state)
{
    (void)state;
    const sw_reg_tool *rt = TYPED("typed");
    /* a word that is not of the parameter's type stays a string for the validator to reject */
    expect_args(rt, "x maybe", "{\"count\":\"x\",\"flag\":\"maybe\"}");
    expect_args(rt, "5x", "{\"count\":\"5x\"}");
    expect_args(rt, "1.5", "{\"count\":\"1.5\"}");
    expect_args(rt, "1e3", "{\"count\":\"1e3\"}");
    expect_args(rt, "\"\"", "{\"count\":\"\"}");
    expect_args(rt, "99999999999999999999", "{\"count\":\"99999999999999999999\"}");
    expect_args(rt, "-99999999999999999999", "{\"count\":\"-99999999999999999999\"}");
    expect_args(rt, "1 2", "{\"count\":1,\"flag\":\"2\"}");
    expect_args(rt, "1 true abc", "{\"count\":1,\"flag\":true,\"ratio\":\"abc\"}");
    expect_args(rt, "1 true 2.5x", "{\"count\":1,\"flag\":true,\"ratio\":\"2.5x\"}");
    expect_args(rt, "count=seven", "{\"count\":\"seven\"}");
}

/* A number word that strtod reads as NaN or infinity is not a JSON number: it must stay the
 * string the user typed (for the validator to reject), not vanish from the arguments. */
static void test_args_non_finite_numbers_stay_strings(void **state)
{
    (void)state;
    const sw_reg_tool *rt = TYPED("typed");
    expect_args(rt, "1 true nan", "{\"count\":1,\"flag\":true,\"ratio\":\"nan\"}");
    expect_args(rt, "1 true inf", "{\"count\":1,\"flag\":true,\"ratio\":\"inf\"}");
    expect_args(rt, "1 true 1e999", "{\"count\":1,\"flag\":true,\"ratio\":\"1e999\"}");
    expect_args(rt, "count=1 ratio=-infinity", "{\"count\":1,\"ratio\":\"-infinity\"}");
}

static void test_args_surplus_with_typed_params(void **state)
{
    (void)state;
    /* the last string parameter takes the surplus words */
    expect_args(TYPED("typed"), "1 true 2.0 a b c", "{\"count\":1,\"flag\":true,\"ratio\":2.0,\"label\":\"a b c\"}");
    /* ... also when a non-string parameter came after it */
    expect_args(TYPED("mixed"), "hi 5 there all", "{\"text\":\"hi there all\",\"n\":5}");
    expect_args(TYPED("mixed"), "\"hi you\" 5", "{\"text\":\"hi you\",\"n\":5}");
    /* no string parameter to join: an error naming the word */
    expect_args(TYPED("nums"), "1 2", "{\"a\":1,\"b\":2}");
    expect_args_error(TYPED("nums"), "1 2 3", "3");
    expect_args_error(TYPED("nums"), "1 2 extra", "extra");
    expect_args_error(TYPED("nums"), "1 2 extra", "too many words");
}

static void test_args_without_usage_follow_schema_order(void **state)
{
    (void)state;
    const sw_reg_tool *rt = TYPED("nousage");
    assert_string_equal(rt->usage_params[0], "first");
    assert_string_equal(rt->usage_params[1], "second");
    expect_args(rt, "a 2", "{\"first\":\"a\",\"second\":2}");
    expect_args(rt, "second=3 first=x", "{\"first\":\"x\",\"second\":3}");
}

static void test_args_usage_names_not_in_schema(void **state)
{
    (void)state;
    const sw_reg_tool *rt = TYPED("weird");
    assert_string_equal(rt->usage_params[0], "opt");
    assert_string_equal(rt->usage_params[1], "word");
    assert_null(rt->usage_params[2]);
    /* a type array converts by its first type */
    expect_args(rt, "12 hello", "{\"opt\":12,\"word\":\"hello\"}");
    expect_args(rt, "x hello there", "{\"opt\":\"x\",\"word\":\"hello there\"}");
    expect_args(rt, "bogus=1 word=w", "{\"word\":\"w\",\"opt\":\"bogus=1\"}");
}

static void test_args_error_buffer_is_bounded(void **state)
{
    (void)state;
    /* a tiny error buffer is filled safely and NUL-terminated */
    char err[8];
    memset(err, 'Q', sizeof err);
    assert_null(sw_slash_args(GREET(), "de \"open", err, sizeof err));
    assert_non_null(memchr(err, 0, sizeof err));
    char long_word[200];
    memset(long_word, 'w', sizeof long_word - 1);
    long_word[sizeof long_word - 1] = 0;
    char rest[260];
    snprintf(rest, sizeof rest, "1 2 %s", long_word);
    char err2[256] = "";
    assert_null(sw_slash_args(TYPED("nums"), rest, err2, sizeof err2));
    assert_true(strlen(err2) < 120); /* the offending word is quoted, but cut short */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_non_commands),
        cmocka_unit_test(test_split_names),
        cmocka_unit_test(test_split_spacing),
        cmocka_unit_test(test_split_name_limit),
        cmocka_unit_test(test_split_unicode),
        cmocka_unit_test(test_usage_params_of_greeter),
        cmocka_unit_test(test_args_positional),
        cmocka_unit_test(test_args_key_value),
        cmocka_unit_test(test_args_positional_after_named),
        cmocka_unit_test(test_args_quotes),
        cmocka_unit_test(test_args_unbalanced_quote),
        cmocka_unit_test(test_args_json_object),
        cmocka_unit_test(test_args_surplus_words_join_last_string),
        cmocka_unit_test(test_args_typed_conversion),
        cmocka_unit_test(test_args_typed_leaves_bad_words_as_strings),
        cmocka_unit_test(test_args_non_finite_numbers_stay_strings),
        cmocka_unit_test(test_args_surplus_with_typed_params),
        cmocka_unit_test(test_args_without_usage_follow_schema_order),
        cmocka_unit_test(test_args_usage_names_not_in_schema),
        cmocka_unit_test(test_args_error_buffer_is_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
