/* test_schema: unit tests for sw_schema (src/plugins/sw_schema*.c): every supported keyword,
 * error messages that name the failing path, sw_schema_check refusing bad schemas, bounded
 * recursion and work on hostile input, and sw_schema_secret_fields. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "plugins/sw_schema.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v) fail_msg("bad JSON in test: %s (%s)", text, je.text);
    return v;
}

/* Validates after asserting that the schema passes sw_schema_check. */
static int run(const char *schema, const char *inst, char *err, size_t errlen)
{
    json_t *s = J(schema), *v = J(inst);
    char cerr[256];
    if (sw_schema_check(s, cerr, sizeof cerr) != 0)
        fail_msg("schema refused: %s: %s", schema, cerr);
    int r = sw_schema_validate(s, v, err, errlen);
    json_decref(s);
    json_decref(v);
    return r;
}

#define OK(schema, inst)                                                                           \
    do {                                                                                           \
        char e_[256];                                                                              \
        if (run(schema, inst, e_, sizeof e_) != 0)                                                 \
            fail_msg("expected valid: %s against %s: %s", inst, schema, e_);                       \
        assert_string_equal(e_, "");                                                               \
    } while (0)

/* msg NULL: any message; otherwise the exact message. */
#define BAD(schema, inst, msg)                                                                     \
    do {                                                                                           \
        char e_[256];                                                                              \
        if (run(schema, inst, e_, sizeof e_) == 0)                                                 \
            fail_msg("expected invalid: %s against %s", inst, schema);                             \
        assert_true(e_[0] != '\0');                                                                \
        if ((msg) != NULL) assert_string_equal(e_, (const char *)(msg));                           \
    } while (0)

/* sw_schema_check must refuse, with a message containing `part`. */
static void refused(const char *schema, const char *part)
{
    json_t *s = J(schema);
    char err[256];
    if (sw_schema_check(s, err, sizeof err) == 0) fail_msg("schema accepted: %s", schema);
    if (!strstr(err, part)) fail_msg("schema %s: message \"%s\" lacks \"%s\"", schema, err, part);
    json_decref(s);
}

static void accepted(const char *schema)
{
    json_t *s = J(schema);
    char err[256];
    if (sw_schema_check(s, err, sizeof err) != 0) fail_msg("schema refused: %s: %s", schema, err);
    assert_string_equal(err, "");
    json_decref(s);
}

#define GREETER                                                                                    \
    "{\"type\":\"object\",\"properties\":{\"language\":{\"type\":\"string\",\"description\":"      \
    "\"Language code\"},\"name\":{\"type\":\"string\",\"description\":\"Whom to greet\"}},"        \
    "\"required\":[\"language\"]}"

/* ---- keywords ----------------------------------------------------------------------------- */

static void test_type(void **state)
{
    (void)state;
    OK("{\"type\":\"string\"}", "\"x\"");
    OK("{\"type\":\"object\"}", "{}");
    OK("{\"type\":\"array\"}", "[]");
    OK("{\"type\":\"boolean\"}", "false");
    OK("{\"type\":\"null\"}", "null");
    OK("{\"type\":\"integer\"}", "3");
    OK("{\"type\":\"integer\"}", "1.0");
    OK("{\"type\":\"integer\"}", "-0.0");
    OK("{\"type\":\"integer\"}", "1e300");
    OK("{\"type\":\"number\"}", "3");
    OK("{\"type\":\"number\"}", "3.5");
    OK("{\"type\":[\"string\",\"null\"]}", "null");
    BAD("{\"type\":\"integer\"}", "1.5", "(root): expected integer, got number");
    BAD("{\"type\":\"string\"}", "1", "(root): expected string, got integer");
    BAD("{\"type\":\"boolean\"}", "0", "(root): expected boolean, got integer");
    BAD("{\"type\":\"null\"}", "false", "(root): expected null, got boolean");
    BAD("{\"type\":\"object\"}", "[]", "(root): expected object, got array");
    BAD("{\"type\":\"array\"}", "{}", "(root): expected array, got object");
    BAD("{\"type\":\"number\"}", "\"1\"", "(root): expected number, got string");
    BAD("{\"type\":[\"string\",\"null\"]}", "2", "(root): expected string or null, got integer");
}

static void test_properties_required_additional(void **state)
{
    (void)state;
    OK(GREETER, "{\"language\":\"de\",\"name\":\"Alice\"}");
    OK(GREETER, "{\"language\":\"de\",\"extra\":1}");
    BAD(GREETER, "{\"name\":\"Alice\"}", "(root): missing required property \"language\"");
    BAD(GREETER, "{\"language\":\"de\",\"name\":5}", "name: expected string, got integer");
    BAD(GREETER, "[]", "(root): expected object, got array");
    /* properties/required/additionalProperties only look at objects */
    OK("{\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}", "12");

    const char *closed = "{\"properties\":{\"a\":{}},\"additionalProperties\":false}";
    OK(closed, "{\"a\":1}");
    BAD(closed, "{\"a\":1,\"b\":2}", "(root): unexpected property \"b\"");
    const char *typed =
        "{\"properties\":{\"a\":{}},\"additionalProperties\":{\"type\":\"integer\"}}";
    OK(typed, "{\"a\":\"x\",\"b\":2}");
    BAD(typed, "{\"a\":\"x\",\"b\":\"y\"}", "b: expected integer, got string");
    OK("{\"additionalProperties\":{\"type\":\"string\"}}", "{\"x\":\"1\"}");
    BAD("{\"additionalProperties\":false}", "{\"x\":1}", "(root): unexpected property \"x\"");

    /* nested paths */
    const char *nested = "{\"properties\":{\"a\":{\"properties\":{\"b\":{\"enum\":[1,2]}}}}}";
    BAD(nested, "{\"a\":{\"b\":3}}", "a.b: value not in enum");
    BAD("{\"properties\":{\"a\":{\"required\":[\"x\"]}}}", "{\"a\":{}}",
        "a: missing required property \"x\"");
    /* names with path syntax or control bytes are quoted and escaped */
    BAD("{\"properties\":{\"a.b\":{\"type\":\"string\"}}}", "{\"a.b\":1}",
        "[\"a.b\"]: expected string, got integer");
    BAD("{\"additionalProperties\":false}", "{\"x\\ny\":1}",
        "(root): unexpected property \"x\\x0ay\"");
    BAD("{\"additionalProperties\":false}", "{\"say \\\"hi\\\"\":1}",
        "(root): unexpected property \"say \\\"hi\\\"\"");
    {
        /* long names are cut, and the message always fits the buffer */
        char big[600], msg[256];
        snprintf(big, sizeof big, "{\"%0500d\":1}", 7);
        json_t *s = J("{\"additionalProperties\":false}"), *v = J(big);
        assert_int_equal(sw_schema_validate(s, v, msg, sizeof msg), -1);
        assert_non_null(strstr(msg, "...\""));
        assert_true(strlen(msg) < sizeof msg);
        json_decref(s);
        json_decref(v);
    }

    OK("{\"minProperties\":1,\"maxProperties\":2}", "{\"a\":1}");
    BAD("{\"minProperties\":1}", "{}", "(root): object size 0 is less than minProperties 1");
    BAD("{\"maxProperties\":1}", "{\"a\":1,\"b\":2}",
        "(root): object size 2 is greater than maxProperties 1");
}

static void test_items(void **state)
{
    (void)state;
    const char *s = "{\"properties\":{\"items\":{\"items\":{\"type\":\"integer\"}}}}";
    OK(s, "{\"items\":[1,2,3.0]}");
    BAD(s, "{\"items\":[1,2,\"3\"]}", "items[2]: expected integer, got string");
    BAD("{\"items\":{\"required\":[\"id\"]}}", "[{\"id\":1},{}]",
        "[1]: missing required property \"id\"");
    /* positional items; extra items are allowed (additionalItems is not supported) */
    const char *tuple = "{\"items\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}";
    OK(tuple, "[\"a\",1,{},null]");
    OK(tuple, "[\"a\"]");
    BAD(tuple, "[\"a\",\"b\"]", "[1]: expected integer, got string");
    BAD("{\"items\":false}", "[1]", "[0]: no value is allowed here");
    OK("{\"items\":false}", "[]");

    OK("{\"minItems\":1,\"maxItems\":2}", "[1]");
    BAD("{\"minItems\":1}", "[]", "(root): array length 0 is less than minItems 1");
    BAD("{\"maxItems\":2}", "[1,2,3]", "(root): array length 3 is greater than maxItems 2");
    OK("{\"maxItems\":2.0}", "[1,2]");
}

static void test_unique_items(void **state)
{
    (void)state;
    const char *u = "{\"uniqueItems\":true}";
    OK(u, "[1,2,\"1\",[1],{\"a\":1},{\"a\":2},true,false,null]");
    BAD(u, "[1,2,1.0]", "(root): array items [0] and [2] are equal (uniqueItems)");
    BAD(u, "[{\"a\":1,\"b\":[1]},{\"b\":[1.0],\"a\":1}]", NULL);
    OK(u, "[[1,2],[2,1]]");
    OK("{\"uniqueItems\":false}", "[1,1]");
    OK(u, "\"not an array\"");

    /* the long-array path: hashed, then compared within equal hashes */
    char buf[4096];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "[");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s{\"k\":%d,\"v\":[%d.5]}", i ? "," : "", i,
                              i);
    snprintf(buf + n, sizeof buf - n, "]");
    OK(u, buf);
    OK(u, "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,true,false,null,\"a\",[],{},0.5]");
    BAD(u, "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,true,false,null,[],{},null]", NULL);
    n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "[");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%d,", i * 3);
    snprintf(buf + n, sizeof buf - n, "\"x\",{\"a\":[0]},{\"a\":[0.0]}]");
    BAD(u, buf, "(root): array items [41] and [42] are equal (uniqueItems)");
    n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "[");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%d", i ? "," : "", i);
    snprintf(buf + n, sizeof buf - n, ",7.0]");
    BAD(u, buf, "(root): array items [7] and [40] are equal (uniqueItems)");
}

static void test_enum_const(void **state)
{
    (void)state;
    const char *e = "{\"enum\":[\"de\",\"en\",1,null,{\"a\":[1,2]}]}";
    OK(e, "\"de\"");
    OK(e, "1.0");
    OK(e, "null");
    OK(e, "{\"a\":[1.0,2]}");
    BAD(e, "\"fr\"", "(root): value not in enum");
    BAD(e, "{\"a\":[2,1]}", "(root): value not in enum");
    BAD(e, "{\"a\":[1,2],\"b\":1}", NULL);
    BAD(e, "true", NULL);
    OK("{\"const\":1.0}", "1");
    OK("{\"const\":1}", "1.0");
    OK("{\"const\":{\"x\":[false]}}", "{\"x\":[false]}");
    BAD("{\"const\":1}", "1.5", "(root): value does not equal const");
    BAD("{\"const\":false}", "0", NULL);
    BAD("{\"const\":null}", "false", NULL);
    BAD("{\"properties\":{\"a\":{\"const\":\"x\"}}}", "{\"a\":\"y\"}",
        "a: value does not equal const");
    /* numbers beyond 2^53 compare exactly: 2^53 + 1 is not the real 2^53 */
    BAD("{\"const\":9007199254740993}", "9007199254740992.0", NULL);
    OK("{\"const\":9007199254740992}", "9007199254740992.0");
}

static void test_numbers(void **state)
{
    (void)state;
    OK("{\"minimum\":1,\"maximum\":3}", "1");
    OK("{\"minimum\":1,\"maximum\":3}", "3.0");
    OK("{\"minimum\":1}", "\"not a number\"");
    BAD("{\"minimum\":1}", "0.5", "(root): 0.5 is less than the minimum 1");
    BAD("{\"maximum\":3}", "4", "(root): 4 is greater than the maximum 3");
    BAD("{\"maximum\":3.5}", "3.6", "(root): 3.6 is greater than the maximum 3.5");
    OK("{\"exclusiveMinimum\":1}", "1.1");
    BAD("{\"exclusiveMinimum\":1}", "1.0", "(root): 1 is not greater than the exclusive minimum 1");
    OK("{\"exclusiveMaximum\":3}", "2");
    BAD("{\"exclusiveMaximum\":3}", "3", "(root): 3 is not less than the exclusive maximum 3");
    /* exact integer/real comparison beyond 2^53 */
    BAD("{\"maximum\":9007199254740992.0}", "9007199254740993", NULL);
    OK("{\"maximum\":9223372036854775807}", "9223372036854775807");
    BAD("{\"maximum\":9223372036854775807}", "1e19", NULL);
    OK("{\"minimum\":-9223372036854775808}", "-9223372036854775808");

    OK("{\"multipleOf\":3}", "9");
    OK("{\"multipleOf\":3}", "-9.0");
    BAD("{\"multipleOf\":3}", "10", "(root): 10 is not a multiple of 3");
    OK("{\"multipleOf\":0.01}", "19.99");
    OK("{\"multipleOf\":0.0001}", "0.0075");
    BAD("{\"multipleOf\":0.0001}", "0.00751", NULL);
    BAD("{\"multipleOf\":1.5}", "4", NULL);
    OK("{\"multipleOf\":1.5}", "4.5");
    BAD("{\"type\":\"integer\",\"multipleOf\":0.123456789}", "1e308", NULL);
    OK("{\"multipleOf\":1}", "-9223372036854775808");
}

static void test_strings(void **state)
{
    (void)state;
    OK("{\"minLength\":3,\"maxLength\":3}", "\"abc\"");
    /* code points, not bytes: "äöü" is 6 bytes, 3 code points; the emoji is 4 bytes */
    OK("{\"maxLength\":3}", "\"\\u00e4\\u00f6\\u00fc\"");
    OK("{\"maxLength\":1,\"minLength\":1}", "\"\\ud83d\\ude00\"");
    BAD("{\"minLength\":2}", "\"\\ud83d\\ude00\"",
        "(root): string length 1 is less than minLength 2");
    BAD("{\"maxLength\":2}", "\"abc\"", "(root): string length 3 is greater than maxLength 2");
    OK("{\"minLength\":2.0}", "\"ab\"");
    OK("{\"maxLength\":0}", "5");
    /* annotations are accepted and ignored */
    OK("{\"type\":\"string\",\"format\":\"email\",\"title\":\"t\",\"description\":\"d\","
       "\"default\":\"x\",\"examples\":[\"a\"],\"$comment\":\"c\",\"x-secret\":true,"
       "\"readOnly\":false,\"writeOnly\":true,\"x-ui\":{\"widget\":\"text\"}}",
       "\"not an email\"");
}

static void test_combinators(void **state)
{
    (void)state;
    const char *all = "{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}";
    OK(all, "3");
    BAD(all, "1", "(root): 1 is less than the minimum 2");
    BAD(all, "\"a\"", "(root): expected integer, got string");

    const char *any = "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}";
    OK(any, "\"a\"");
    OK(any, "null");
    BAD(any, "1", "(root): value does not match any schema in anyOf");
    BAD("{\"properties\":{\"a\":{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":5}]}}}", "{\"a\":1}",
        "a: value does not match any schema in anyOf");

    const char *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}";
    OK(one, "1");
    OK(one, "2.5");
    BAD(one, "3", "(root): value matches more than one schema in oneOf ([0] and [1])");
    BAD(one, "1.5", "(root): value matches no schema in oneOf");

    OK("{\"not\":{\"type\":\"string\"}}", "1");
    BAD("{\"not\":{\"type\":\"string\"}}", "\"a\"",
        "(root): value must not match the \"not\" schema");
    OK("{\"not\":{\"not\":{\"type\":\"string\"}}}", "\"a\"");
    /* a failure deep inside allOf keeps its own path */
    BAD("{\"allOf\":[{\"properties\":{\"a\":{\"type\":\"string\"}}}]}", "{\"a\":1}",
        "a: expected string, got integer");
}

static void test_boolean_schemas(void **state)
{
    (void)state;
    OK("true", "{\"anything\":[1]}");
    BAD("false", "1", "(root): no value is allowed here");
    OK("{\"properties\":{\"a\":true,\"b\":false}}", "{\"a\":1}");
    BAD("{\"properties\":{\"a\":true,\"b\":false}}", "{\"b\":1}", "b: no value is allowed here");
    OK("{\"not\":false}", "1");
    OK("{}", "[[[]]]");
}

static void test_refs(void **state)
{
    (void)state;
    const char *tree = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                       "\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}},"
                       "\"additionalProperties\":false}";
    OK(tree, "{\"name\":\"a\",\"children\":[{\"name\":\"b\",\"children\":[{\"name\":\"c\"}]}]}");
    BAD(tree, "{\"children\":[{\"children\":[{\"name\":1}]}]}",
        "children[0].children[0].name: expected string, got integer");

    const char *defs = "{\"definitions\":{\"lang\":{\"enum\":[\"de\",\"en\"]},"
                       "\"alias\":{\"$ref\":\"#/definitions/lang\"}},"
                       "\"properties\":{\"l\":{\"$ref\":\"#/definitions/alias\"},"
                       "\"m\":{\"$ref\":\"#/properties/l\"}}}";
    OK(defs, "{\"l\":\"de\",\"m\":\"en\"}");
    BAD(defs, "{\"m\":\"fr\"}", "m: value not in enum");
    /* $defs (2019-09 spelling, emitted by common generators) works like definitions */
    OK("{\"$defs\":{\"n\":{\"type\":\"integer\"}},\"items\":{\"$ref\":\"#/$defs/n\"}}", "[1,2]");
    BAD("{\"$defs\":{\"n\":{\"type\":\"integer\"}},\"items\":{\"$ref\":\"#/$defs/n\"}}",
        "[1,\"x\"]", "[1]: expected integer, got string");
    /* pointer escapes: ~0 is "~", ~1 is "/", and the fragment is percent-decoded */
    const char *esc =
        "{\"definitions\":{\"a~b\":{\"type\":\"integer\"},\"c/d\":{\"type\":\"string\"},"
        "\"e%f\":{\"type\":\"null\"}},\"properties\":{"
        "\"x\":{\"$ref\":\"#/definitions/a~0b\"},\"y\":{\"$ref\":\"#/definitions/c~1d\"},"
        "\"z\":{\"$ref\":\"#/definitions/e%25f\"}}}";
    OK(esc, "{\"x\":1,\"y\":\"s\",\"z\":null}");
    BAD(esc, "{\"x\":\"1\"}", "x: expected integer, got string");
    BAD(esc, "{\"y\":1}", "y: expected string, got integer");
    BAD(esc, "{\"z\":1}", "z: expected null, got integer");
    /* into arrays */
    OK("{\"items\":[{\"type\":\"integer\"},{\"$ref\":\"#/items/0\"}]}", "[1,2]");
    BAD("{\"items\":[{\"type\":\"integer\"},{\"$ref\":\"#/items/0\"}]}", "[1,\"2\"]", NULL);
    /* draft 7: siblings of $ref are ignored */
    const char *sib = "{\"definitions\":{\"arr\":{\"type\":\"array\"}},"
                      "\"properties\":{\"a\":{\"maxItems\":1,\"$ref\":\"#/definitions/arr\"}}}";
    OK(sib, "{\"a\":[1,2,3]}");
    BAD(sib, "{\"a\":\"x\"}", "a: expected array, got string");
    /* $ref to boolean schemas */
    OK("{\"$ref\":\"#/definitions/t\",\"definitions\":{\"t\":true}}", "1");
    BAD("{\"$ref\":\"#/definitions/f\",\"definitions\":{\"f\":false}}", "1", NULL);
    /* a property literally named $ref is a property */
    OK("{\"properties\":{\"$ref\":{\"type\":\"string\"}}}", "{\"$ref\":\"a\"}");
    BAD("{\"properties\":{\"$ref\":{\"type\":\"string\"}}}", "{\"$ref\":2}", NULL);
}

/* ---- sw_schema_check ------------------------------------------------------------------------ */

static void test_check_accepts(void **state)
{
    (void)state;
    accepted(GREETER);
    accepted("true");
    accepted("false");
    accepted("{}");
    accepted("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"$id\":\"urn:x\","
             "\"type\":[\"integer\",\"null\"],\"minimum\":0,\"multipleOf\":0.5}");
    accepted("{\"properties\":{\"next\":{\"$ref\":\"#\"}}}");
    accepted("{\"definitions\":{\"a\":{\"items\":{\"$ref\":\"#/definitions/a\"}}},"
             "\"$ref\":\"#/definitions/a\"}");
    /* a $ref target reached only through the pointer is checked as a schema, and named by it */
    refused("{\"default\":{\"type\":\"strin\"},\"not\":{\"$ref\":\"#/default\"}}",
            "#/default.type: unknown type \"strin\"");
    char longref[1200] = "{\"$ref\":\"#/";
    size_t lr = strlen(longref);
    memset(longref + lr, 'a', 1100);
    strcpy(longref + lr + 1100, "\"}");
    refused(longref, "unsupported $ref");
    refused("{\"definitions\":{\"a\":{\"properties\":{\"x\":{\"type\":\"strin\"}}}},"
            "\"not\":{\"$ref\":\"#/definitions/a/properties/x\"}}",
            "unknown type \"strin\"");
}

static void test_check_refuses(void **state)
{
    (void)state;
    char err[256];
    json_t *s = J("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"strin\"}}}");
    assert_int_equal(sw_schema_check(s, err, sizeof err), -1);
    assert_string_equal(err, "properties.name.type: unknown type \"strin\"");
    json_decref(s);

    refused("{\"type\":\"text\"}", "type: unknown type \"text\"");
    refused("{\"type\":[\"string\",\"strin\"]}", "unknown type \"strin\"");
    refused("{\"type\":[\"string\",\"string\"]}", "duplicate type");
    refused("{\"type\":5}", "type: must be a type name");
    refused("{\"properties\":[]}", "properties: must be an object of schemas");
    refused("{\"properties\":{\"a\":5}}", "properties.a: expected a schema");
    refused("{\"required\":\"a\"}", "required: must be an array of strings");
    refused("{\"required\":[\"a\",1]}", "required: must be an array of strings");
    refused("{\"additionalProperties\":\"no\"}", "additionalProperties: expected a schema");
    refused("{\"items\":[1]}", "items[0]: expected a schema");
    refused("{\"enum\":\"a\"}", "enum: must be an array");
    refused("{\"minimum\":\"1\"}", "minimum: must be a number");
    refused("{\"multipleOf\":0}", "multipleOf: must be a number greater than 0");
    refused("{\"multipleOf\":-2}", "multipleOf: must be a number greater than 0");
    refused("{\"minLength\":-1}", "minLength: must be a non-negative integer");
    refused("{\"maxItems\":1.5}", "maxItems: must be a non-negative integer");
    refused("{\"uniqueItems\":1}", "uniqueItems: must be a boolean");
    refused("{\"allOf\":[]}", "allOf: must be a non-empty array of schemas");
    refused("{\"anyOf\":{}}", "anyOf: must be a non-empty array of schemas");
    refused("{\"oneOf\":[{},3]}", "oneOf[1]: expected a schema");
    refused("{\"not\":[]}", "not: expected a schema");
    refused("{\"definitions\":{\"a\":{\"type\":\"x\"}}}", "definitions.a.type: unknown type");
    refused("{\"description\":5}", "description: must be a string");
    refused("{\"x-secret\":\"yes\"}", "x-secret: must be a boolean");
    refused("5", "(root): expected a schema (object or boolean), got integer");
    refused("{\"allOf\":[{\"properties\":{\"a\":{\"minimum\":[]}}}]}",
            "allOf[0].properties.a.minimum: must be a number");

    /* strict (native plugins): unknown keywords (typos) and keywords of the other draft */
    static const char *const unsupported[] = {
        "{\"requried\":[\"a\"]}",
        "{\"nullable\":true}",
        "{\"unevaluatedProperties\":false}", /* 2020-12 only; the default draft is 07 */
        "{\"prefixItems\":[{}]}",
        "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"dependencies\":{}}",
    };
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
        refused(unsupported[i], "unsupported keyword");
    refused("{\"properties\":{\"a\":{\"type\":\"string\",\"patern\":\"x\"}}}",
            "properties.a.patern: unsupported keyword");
    refused("{\"$schema\":\"http://example.com/my-meta\"}", "unsupported $schema");

    /* $ref: must stay inside the schema and resolve to a schema */
    refused("{\"$ref\":\"http://json-schema.org/draft-07/schema#\"}", "unsupported non-local $ref");
    refused("{\"$ref\":\"other.json#/a\"}", "unsupported non-local $ref");
    refused("{\"$ref\":\"#foo\"}", "unresolvable $ref \"#foo\"");
    refused("{\"$ref\":\"#/definitions/missing\"}",
            "$ref: unresolvable $ref \"#/definitions/missing\"");
    refused("{\"items\":[{}],\"not\":{\"$ref\":\"#/items/1\"}}", "unresolvable $ref");
    refused("{\"items\":[{}],\"not\":{\"$ref\":\"#/items/01\"}}", "unresolvable $ref");
    refused("{\"$ref\":\"#/definitions/a~2\",\"definitions\":{}}", "unresolvable $ref");
    refused("{\"$ref\":\"#/definitions/%zz\",\"definitions\":{}}", "unresolvable $ref");
    refused("{\"$ref\":5}", "$ref: must be a string");
    refused("{\"required\":[\"a\"],\"not\":{\"$ref\":\"#/required\"}}",
            "does not point to a schema");
}

static void test_check_ref_cycles(void **state)
{
    (void)state;
    static const char *const cyclic[] = {
        "{\"$ref\":\"#\"}",
        "{\"allOf\":[{\"$ref\":\"#\"}]}",
        "{\"properties\":{\"a\":{\"anyOf\":[{\"type\":\"string\"},{\"$ref\":\"#/properties/"
        "a\"}]}}}",
        "{\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},\"b\":{\"not\":{\"$ref\":"
        "\"#/definitions/a\"}}},\"properties\":{\"x\":{\"$ref\":\"#/definitions/a\"}}}",
        "{\"definitions\":{\"a\":{\"oneOf\":[{\"$ref\":\"#/definitions/a\"}]}},"
        "\"$ref\":\"#/definitions/a\"}",
    };
    for (size_t i = 0; i < sizeof cyclic / sizeof *cyclic; i++) {
        refused(cyclic[i], "cyclic $ref");
        /* validate must still terminate, with a failure */
        json_t *s = J(cyclic[i]), *v = J("{\"x\":1,\"a\":1}");
        char err[256];
        assert_int_equal(sw_schema_validate(s, v, err, sizeof err), -1);
        assert_true(err[0] != '\0');
        json_decref(s);
        json_decref(v);
    }
    /* recursion that descends into the instance is fine */
    accepted("{\"items\":{\"$ref\":\"#\"}}");
    accepted("{\"definitions\":{\"a\":{\"allOf\":[{\"$ref\":\"#/definitions/b\"},"
             "{\"$ref\":\"#/definitions/b\"}]},\"b\":{\"type\":\"string\"}},"
             "\"$ref\":\"#/definitions/a\"}");
}

/* ---- hostile input ---------------------------------------------------------------------- */

static json_t *deep_array(int levels)
{
    json_t *v = json_array();
    for (int i = 1; i < levels; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, v);
        v = outer;
    }
    return v;
}

static void test_deep_instance(void **state)
{
    (void)state;
    char err[256];
    json_t *inst = deep_array(10000);
    json_t *rec = J("{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}");
    assert_int_equal(sw_schema_check(rec, err, sizeof err), 0);
    assert_int_equal(sw_schema_validate(rec, inst, err, sizeof err), -1);
    assert_non_null(strstr(err, "nested deeper than 64 levels"));
    assert_string_equal(err,
                        "[0][0][0][0]...[0][0][0][0][0][0][0][0]: nested deeper than 64 levels "
                        "(instance or $ref recursion)");

    /* the limit is a failure, never a pass: "not" does not turn it around */
    json_t *neg = J("{\"not\":{\"$ref\":\"#/definitions/r\"},"
                    "\"definitions\":{\"r\":{\"items\":{\"$ref\":\"#/definitions/r\"}}}}");
    assert_int_equal(sw_schema_check(neg, err, sizeof err), 0);
    assert_int_equal(sw_schema_validate(neg, inst, err, sizeof err), -1);
    assert_non_null(strstr(err, "nested deeper than"));

    /* comparisons are bounded too */
    json_t *en = J("{\"enum\":[[[[1]]]]}");
    assert_int_equal(sw_schema_validate(en, inst, err, sizeof err), -1);
    json_t *un = J("{\"uniqueItems\":true}");
    json_t *pair = json_pack("[OO]", json_array_get(inst, 0), json_array_get(inst, 0));
    json_t *pair2 = json_pack("[Oo]", json_array_get(inst, 0), deep_array(200));
    assert_int_equal(sw_schema_validate(un, pair, err, sizeof err), -1); /* same value twice */
    assert_int_equal(sw_schema_validate(un, pair2, err, sizeof err), -1);
    assert_non_null(strstr(err, "too deeply"));

    /* a schema that does not descend accepts it without walking it */
    json_t *any = J("{\"type\":\"array\"}");
    assert_int_equal(sw_schema_validate(any, inst, err, sizeof err), 0);

    json_decref(inst);
    json_decref(rec);
    json_decref(neg);
    json_decref(en);
    json_decref(un);
    json_decref(pair);
    json_decref(pair2);
    json_decref(any);
}

static void test_deep_schema(void **state)
{
    (void)state;
    char err[256];
    json_t *s = json_object();
    for (int i = 0; i < 10000; i++)
        s = json_pack("{s:[o]}", "allOf", s);
    assert_int_equal(sw_schema_check(s, err, sizeof err), -1);
    assert_non_null(strstr(err, "schema nested deeper than 64 levels"));
    json_t *v = json_integer(1);
    assert_int_equal(sw_schema_validate(s, v, err, sizeof err), -1);
    assert_non_null(strstr(err, "nested deeper than 64"));
    json_decref(s);
    json_decref(v);

    /* 25 levels of anyOf[b, b] would be 2^25 applications: the step budget stops it */
    char buf[8192];
    size_t n =
        (size_t)snprintf(buf, sizeof buf, "{\"$ref\":\"#/definitions/d0\",\"definitions\":{");
    for (int i = 0; i < 25; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "\"d%d\":{\"anyOf\":[{\"$ref\":\"#/definitions/d%d\"},"
                              "{\"$ref\":\"#/definitions/d%d\"}]},",
                              i, i + 1, i + 1);
    snprintf(buf + n, sizeof buf - n, "\"d25\":{\"type\":\"string\"}}}");
    s = J(buf);
    v = json_integer(1);
    assert_int_equal(sw_schema_check(s, err, sizeof err), 0);
    clock_t t0 = clock();
    assert_int_equal(sw_schema_validate(s, v, err, sizeof err), -1);
    assert_non_null(strstr(err, "too costly"));
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
    json_decref(s);
    json_decref(v);
}

static void test_validate_unchecked_schema(void **state)
{
    (void)state;
    /* sw_schema_validate fails closed on schemas sw_schema_check would refuse */
    static const char *const broken[] = {
        "{\"type\":\"strin\"}",
        "{\"type\":7}",
        "{\"properties\":5}",
        "{\"required\":[1]}",
        "{\"minimum\":\"a\"}",
        "{\"multipleOf\":0}",
        "{\"minLength\":-1}",
        "{\"enum\":3}",
        "{\"allOf\":[]}",
        "{\"$ref\":\"#/nowhere\"}",
        "{\"pattern\":\"(x\"}",
        "{\"items\":5}",
        "{\"uniqueItems\":\"yes\"}",
        "{\"$ref\":\"http://x\"}",
        "3",
    };
    static const char *const inst[] = {"\"abc\"", "{\"a\":1}", "[1,2]", "5"};
    for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
        json_t *s = J(broken[i]);
        char err[256];
        assert_int_equal(sw_schema_check(s, err, sizeof err), -1);
        int refused_any = 0;
        for (size_t j = 0; j < sizeof inst / sizeof *inst; j++) {
            json_t *v = J(inst[j]);
            if (sw_schema_validate(s, v, err, sizeof err) != 0) {
                refused_any = 1;
                assert_true(err[0] != '\0');
            }
            json_decref(v);
        }
        if (!refused_any) fail_msg("broken schema accepted everything: %s", broken[i]);
        json_decref(s);
    }
}

static void test_error_buffers(void **state)
{
    (void)state;
    json_t *s = J(GREETER), *bad = J("{\"name\":1}"), *good = J("{\"language\":\"de\"}");
    char err[64];
    /* no buffer: just the verdict */
    assert_int_equal(sw_schema_validate(s, bad, NULL, 0), -1);
    assert_int_equal(sw_schema_validate(s, good, NULL, 0), 0);
    assert_int_equal(sw_schema_check(s, NULL, 0), 0);
    /* truncation keeps a NUL-terminated prefix */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    assert_int_equal(sw_schema_validate(s, bad, tiny, sizeof tiny), -1);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    char one[1] = {'x'};
    assert_int_equal(sw_schema_validate(s, bad, one, 1), -1);
    assert_int_equal(one[0], '\0');
    /* success clears the buffer */
    strcpy(err, "stale");
    assert_int_equal(sw_schema_validate(s, good, err, sizeof err), 0);
    assert_string_equal(err, "");
    /* NULL arguments */
    assert_int_equal(sw_schema_validate(NULL, good, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    assert_int_equal(sw_schema_validate(s, NULL, err, sizeof err), -1);
    assert_int_equal(sw_schema_check(NULL, err, sizeof err), -1);
    json_decref(s);
    json_decref(bad);
    json_decref(good);
}

/* ---- secret fields ------------------------------------------------------------------------ */

static void test_secret_fields(void **state)
{
    (void)state;
    json_t *s = J("{\"type\":\"object\",\"definitions\":{\"pw\":{\"type\":\"string\","
                  "\"format\":\"password\"}},\"properties\":{"
                  "\"user\":{\"type\":\"string\"},"
                  "\"token\":{\"type\":\"string\",\"x-secret\":true},"
                  "\"password\":{\"type\":\"string\",\"format\":\"password\"},"
                  "\"key\":{\"type\":\"string\",\"writeOnly\":true},"
                  "\"pin\":{\"$ref\":\"#/definitions/pw\"},"
                  "\"note\":{\"type\":\"string\",\"x-secret\":false,\"format\":\"email\"},"
                  "\"nested\":{\"properties\":{\"inner\":{\"x-secret\":true}}}}}");
    json_t *out = json_array();
    assert_int_equal(sw_schema_check(s, NULL, 0), 0);
    assert_int_equal(sw_schema_secret_fields(s, out), 4);
    json_t *want = J("[\"token\",\"password\",\"key\",\"pin\"]");
    assert_true(json_equal(out, want));
    /* appending again adds nothing new */
    assert_int_equal(sw_schema_secret_fields(s, out), 0);
    assert_int_equal(json_array_size(out), 4);

    json_t *none = J(GREETER);
    assert_int_equal(sw_schema_secret_fields(none, out), 0);
    json_t *root_ref = J("{\"$ref\":\"#/definitions/args\",\"definitions\":{\"args\":{"
                         "\"properties\":{\"apikey\":{\"x-secret\":true}}}}}");
    assert_int_equal(sw_schema_secret_fields(root_ref, out), 1);
    assert_string_equal(json_string_value(json_array_get(out, 4)), "apikey");
    json_t *b = json_true();
    assert_int_equal(sw_schema_secret_fields(b, out), 0);
    assert_int_equal(sw_schema_secret_fields(NULL, out), 0);
    assert_int_equal(sw_schema_secret_fields(s, NULL), 0);
    json_t *obj = json_object();
    assert_int_equal(sw_schema_secret_fields(s, obj), 0); /* out must be an array */
    json_decref(s);
    json_decref(out);
    json_decref(want);
    json_decref(none);
    json_decref(root_ref);
    json_decref(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type),
        cmocka_unit_test(test_properties_required_additional),
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_unique_items),
        cmocka_unit_test(test_enum_const),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_combinators),
        cmocka_unit_test(test_boolean_schemas),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_check_accepts),
        cmocka_unit_test(test_check_refuses),
        cmocka_unit_test(test_check_ref_cycles),
        cmocka_unit_test(test_deep_instance),
        cmocka_unit_test(test_deep_schema),
        cmocka_unit_test(test_validate_unchecked_schema),
        cmocka_unit_test(test_error_buffers),
        cmocka_unit_test(test_secret_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
