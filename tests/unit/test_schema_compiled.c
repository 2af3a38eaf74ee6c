/* test_schema_compiled: unit tests for the compiled form (sw_schema_compile / sw_schema_run /
 * sw_schema_free): draft choice ($schema, the caller's default), strict and non-strict modes,
 * PCRE2 patterns and their match limits, the keywords beyond the old draft-7 subset with the
 * messages that name the failing path, $id/$anchor/$dynamicRef resolution, refusal of remote
 * refs, a schema as MCP servers publish it, and concurrent runs of one compiled schema. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "plugins/sw_schema.h"

static json_t *J(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v) fail_msg("bad JSON in test: %s (%s)", text, je.text);
    return v;
}

static sw_schema *C(const char *schema, int draft, unsigned flags)
{
    json_t *s = J(schema);
    char err[300];
    sw_schema *c = sw_schema_compile(s, draft, flags, err, sizeof err);
    json_decref(s); /* the compiled form keeps its own copy */
    if (!c) fail_msg("schema refused: %s: %s", schema, err);
    return c;
}

/* Compile refused, with `part` in the message. */
static void refused(const char *schema, int draft, unsigned flags, const char *part)
{
    json_t *s = J(schema);
    char err[300];
    sw_schema *c = sw_schema_compile(s, draft, flags, err, sizeof err);
    json_decref(s);
    if (c) {
        sw_schema_free(c);
        fail_msg("schema accepted: %s", schema);
    }
    if (!strstr(err, part)) fail_msg("message \"%s\" lacks \"%s\" (%s)", err, part, schema);
}

/* Runs instance against c; expects valid (msg NULL) or invalid with exactly msg. */
static void run(const sw_schema *c, const char *instance, const char *msg)
{
    json_t *v = J(instance);
    char err[300];
    int r = sw_schema_run(c, v, err, sizeof err);
    int bare = sw_schema_run(c, v, NULL, 0);
    json_decref(v);
    assert_int_equal(r, bare);
    if (!msg) {
        if (r != 0) fail_msg("%s: expected valid, got: %s", instance, err);
        assert_string_equal(err, "");
    } else {
        if (r == 0) fail_msg("%s: expected invalid (%s)", instance, msg);
        assert_string_equal(err, msg);
    }
}

/* Runs instance against c; expects invalid with `part` in the message. */
static void run_has(const sw_schema *c, const char *instance, const char *part)
{
    json_t *v = J(instance);
    char err[300];
    int r = sw_schema_run(c, v, err, sizeof err);
    json_decref(v);
    if (r == 0) fail_msg("%s: expected invalid (%s)", instance, part);
    if (!strstr(err, part)) fail_msg("message \"%s\" lacks \"%s\"", err, part);
}

static void test_draft_choice(void **state)
{
    (void)state;
    const char *tuple = "{\"prefixItems\":[{\"type\":\"string\"}]}";
    sw_schema *c = C(tuple, SW_SCHEMA_DRAFT2020, 0);
    assert_int_equal(sw_schema_draft(c), SW_SCHEMA_DRAFT2020);
    run(c, "[1]", "[0]: expected string, got integer");
    sw_schema_free(c);
    c = C(tuple, SW_SCHEMA_DRAFT7, 0); /* a 2020-12 keyword means nothing to draft-07 */
    assert_int_equal(sw_schema_draft(c), SW_SCHEMA_DRAFT7);
    run(c, "[1]", NULL);
    sw_schema_free(c);
    /* "$schema" wins over the caller's default */
    c = C("{\"$schema\":\"http://json-schema.org/draft-07/"
          "schema#\",\"items\":[{\"type\":\"string\"}],"
          "\"additionalItems\":false}",
          SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT);
    assert_int_equal(sw_schema_draft(c), SW_SCHEMA_DRAFT7);
    run(c, "[\"a\"]", NULL);
    run(c, "[\"a\",2]", "[1]: no value is allowed here");
    sw_schema_free(c);
    c = C("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"$ref\":\"#/$defs/n\","
          "\"maximum\":3,\"$defs\":{\"n\":{\"type\":\"integer\"}}}",
          SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT);
    assert_int_equal(sw_schema_draft(c), SW_SCHEMA_DRAFT2020);
    run(c, "\"x\"", "(root): expected integer, got string");
    run(c, "4", "(root): 4 is greater than the maximum 3"); /* 2020-12: $ref siblings apply */
    sw_schema_free(c);
}

static void test_strict_modes(void **state)
{
    (void)state;
    const char *typo = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\","
                       "\"nullable\":true}}}";
    refused(typo, SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT, "properties.a.nullable: unsupported keyword");
    sw_schema *c = C(typo, SW_SCHEMA_DRAFT2020, 0); /* MCP: unknown keywords are ignored */
    run(c, "{\"a\":\"x\"}", NULL);
    run(c, "{\"a\":1}", "a: expected string, got integer");
    sw_schema_free(c);
    refused("{\"$schema\":\"urn:my-meta\"}", SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT,
            "unsupported $schema");
    sw_schema_free(C("{\"$schema\":\"urn:my-meta\"}", SW_SCHEMA_DRAFT2020, 0));
    /* malformed values of known keywords are refused in both modes */
    refused("{\"minContains\":-1}", SW_SCHEMA_DRAFT2020, 0,
            "minContains: must be a non-negative integer");
    refused("{\"dependentRequired\":{\"a\":[1]}}", SW_SCHEMA_DRAFT2020, 0,
            "dependentRequired.a: must be an array of strings");
    refused("{\"$anchor\":\"1x\"}", SW_SCHEMA_DRAFT2020, 0, "$anchor: must be a name");
    refused("{\"items\":[{}]}", SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT,
            "the array form is prefixItems");
    refused("{\"if\":5}", SW_SCHEMA_DRAFT7, 0, "if: expected a schema");
    /* non-strict 2020-12 honours draft-07's dependencies/additionalItems/definitions (wild MCP
     * schemas without "$schema" mix them); strict 2020-12 refuses them */
    const char *mixed = "{\"dependencies\":{\"a\":[\"b\"]},\"properties\":{\"t\":"
                        "{\"$ref\":\"#/definitions/t\"}},\"definitions\":{\"t\":{\"items\":"
                        "[{\"type\":\"string\"}],\"additionalItems\":false}}}";
    c = C(mixed, SW_SCHEMA_DRAFT2020, 0);
    run(c, "{\"a\":1,\"b\":2,\"t\":[\"x\"]}", NULL);
    run(c, "{\"a\":1}", "(root): property \"a\" requires property \"b\"");
    run(c, "{\"t\":[\"x\",1]}", "t[1]: no value is allowed here");
    sw_schema_free(c);
    refused(mixed, SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT, "dependencies: unsupported keyword");
}

static void test_patterns(void **state)
{
    (void)state;
    sw_schema *c =
        C("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\","
          "\"pattern\":\"^[a-z]+$\"}},\"patternProperties\":{\"^x-\":{\"type\":\"integer\"}},"
          "\"additionalProperties\":false}",
          SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT);
    run(c, "{\"name\":\"abc\",\"x-n\":1}", NULL);
    run(c, "{\"name\":\"abc\\n\"}",
        "name: string does not match pattern \"^[a-z]+$\""); /* $ = end */
    run(c, "{\"name\":\"ab1\"}", "name: string does not match pattern \"^[a-z]+$\"");
    run(c, "{\"x-n\":\"1\"}", "x-n: expected integer, got string");
    run(c, "{\"y\":1}", "(root): unexpected property \"y\"");
    sw_schema_free(c);
    c = C("{\"pattern\":\"^\\\\u00e9\\\\d$\"}", SW_SCHEMA_DRAFT2020, 0); /* \u escapes, UTF-8 */
    run(c, "\"\\u00e91\"", NULL);
    run(c, "\"e1\"", "(root): string does not match pattern \"^\\\\u00e9\\\\d$\"");
    sw_schema_free(c);
    c = C("{\"propertyNames\":{\"pattern\":\"^[a-z]+$\"}}", SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT);
    run(c, "{\"ok\":1}", NULL);
    run(c, "{\"Bad\":1}", "(root): property name \"Bad\" does not match propertyNames");
    sw_schema_free(c);
    /* \s and \S follow ECMA-262 (Unicode white space), inside classes too; \d stays ASCII */
    c = C("{\"pattern\":\"^\\\\s[\\\\sx]\\\\S\\\\d$\"}", SW_SCHEMA_DRAFT2020, 0);
    run(c, "\"\\u00a0\\u2003a1\"", NULL);
    run(c, "\"\\ufeffxb1\"", NULL);
    run(c,
        "\" x\\u3000"
        "1\"",
        "(root): string does not match pattern \"^\\\\s[\\\\sx]\\\\S\\\\d$\"");
    run(c, "\"  a\\u0661\"", "(root): string does not match pattern \"^\\\\s[\\\\sx]\\\\S\\\\d$\"");
    sw_schema_free(c);
    /* ECMA-262 property names: \p{Letter}, \p{gc=Nd}, \p{Script=Greek} */
    c = C("{\"pattern\":\"^\\\\p{Letter}\\\\p{gc=Nd}\\\\p{Script=Greek}\\\\P{Letter}$\"}",
          SW_SCHEMA_DRAFT2020, 0);
    run(c, "\"\\u00e9\\u0663\\u03b1-\"", NULL);
    run_has(c, "\"e1aa\"", "(root): string does not match pattern");
    sw_schema_free(c);
    refused("{\"pattern\":\"(x\"}", SW_SCHEMA_DRAFT7, 0, "pattern: invalid regular expression");
    refused("{\"patternProperties\":{\"[\":{}}}", SW_SCHEMA_DRAFT7, 0,
            "patternProperties[\"[\"]: invalid regular expression");
}

/* A pattern with catastrophic backtracking hits PCRE2's match limit: the run fails quickly
 * with a clear message, and "not" does not turn the limit into a pass. */
static void test_pattern_limits(void **state)
{
    (void)state;
    char inst[80];
    memset(inst, 0, sizeof inst);
    inst[0] = '"';
    memset(inst + 1, 'a', 60);
    strcpy(inst + 61, "!\"");
    const char *limit = "(root): pattern \"^(a+)+$\" exceeded the regex match limit";
    sw_schema *c = C("{\"pattern\":\"^(a+)+$\"}", SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT);
    run(c, inst, limit);
    run(c, "\"aaaa\"", NULL);
    sw_schema_free(c);
    c = C("{\"not\":{\"pattern\":\"^(a+)+$\"}}", SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT);
    run(c, inst, limit);
    sw_schema_free(c);
    c = C("{\"anyOf\":[{\"pattern\":\"^(a+)+$\"},true]}", SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT);
    run(c, inst, limit);
    sw_schema_free(c);
    char obj[100];
    snprintf(obj, sizeof obj, "{%s:1}", inst);
    c = C("{\"patternProperties\":{\"^(a+)+$\":true},\"additionalProperties\":false}",
          SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT);
    json_t *v = J(obj);
    char err[300];
    assert_int_equal(sw_schema_run(c, v, err, sizeof err), -1);
    assert_non_null(strstr(err, "exceeded the regex match limit"));
    json_decref(v);
    sw_schema_free(c);
}

/* Many matches that each stay just under the per-match limit (2^16 backtracking steps: a
 * quarter millisecond or more) add up: the run's regex budget stops them, long before the
 * seconds 3000 of them would take. Fast matches on many keys are not affected. */
static void test_pattern_budget(void **state)
{
    (void)state;
    sw_schema *c =
        C("{\"patternProperties\":{\"^(a+)+$\":true}}", SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT);
    json_t *slow = json_object(), *fast = json_object();
    for (int i = 0; i < 3000; i++) {
        char key[40];
        snprintf(key, sizeof key, "aaaaaaaaaaaaaaaa!%d", i);
        json_object_set_new(slow, key, json_true());
        snprintf(key, sizeof key, "aaaa!%d", i);
        json_object_set_new(fast, key, json_true());
    }
    char err[300];
    assert_int_equal(sw_schema_run(c, slow, err, sizeof err), -1);
    if (!strstr(err, "regular expressions took over 100 ms in this validation"))
        fail_msg("unexpected message: %s", err);
    assert_int_equal(sw_schema_run(c, fast, err, sizeof err), 0);
    json_decref(slow);
    json_decref(fast);
    sw_schema_free(c);
}

static void test_new_keywords(void **state)
{
    (void)state;
    sw_schema *c =
        C("{\"type\":\"object\",\"properties\":{\"kind\":{\"enum\":[\"a\",\"b\"]}},"
          "\"if\":{\"properties\":{\"kind\":{\"const\":\"a\"}}},"
          "\"then\":{\"required\":[\"x\"]},\"else\":{\"required\":[\"y\"]},"
          "\"dependentRequired\":{\"x\":[\"z\"]},"
          "\"dependentSchemas\":{\"z\":{\"properties\":{\"z\":{\"type\":\"integer\"}}}}}",
          SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT);
    run(c, "{\"kind\":\"a\",\"x\":1,\"z\":2}", NULL);
    run(c, "{\"kind\":\"a\"}", "(root): missing required property \"x\"");
    run(c, "{\"kind\":\"b\"}", "(root): missing required property \"y\"");
    run(c, "{\"kind\":\"a\",\"x\":1}", "(root): property \"x\" requires property \"z\"");
    run(c, "{\"kind\":\"a\",\"x\":1,\"z\":\"2\"}", "z: expected integer, got string");
    sw_schema_free(c);

    c = C("{\"contains\":{\"type\":\"integer\"},\"minContains\":2,\"maxContains\":3}",
          SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT);
    run(c, "[1,\"a\",2]", NULL);
    run(c, "[1,\"a\"]", "(root): 1 array items match \"contains\", fewer than minContains 2");
    run(c, "[1,2,3,4]", "(root): 4 array items match \"contains\", more than maxContains 3");
    sw_schema_free(c);
    c = C("{\"contains\":{\"const\":1}}", SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT);
    run(c, "[2]", "(root): no array item matches \"contains\"");
    sw_schema_free(c);

    c = C("{\"dependencies\":{\"a\":[\"b\"],\"c\":{\"required\":[\"d\"]}}}", SW_SCHEMA_DRAFT7,
          SW_SCHEMA_STRICT);
    run(c, "{\"a\":1,\"b\":1,\"c\":1,\"d\":1}", NULL);
    run(c, "{\"a\":1}", "(root): property \"a\" requires property \"b\"");
    run(c, "{\"c\":1}", "(root): missing required property \"d\"");
    sw_schema_free(c);

    /* unevaluatedProperties sees through allOf/anyOf/$ref; unevaluatedItems past prefixItems */
    c = C("{\"allOf\":[{\"properties\":{\"a\":true}}],\"anyOf\":[{\"properties\":{\"b\":true}},"
          "{\"$ref\":\"#/$defs/c\"}],\"unevaluatedProperties\":false,"
          "\"$defs\":{\"c\":{\"properties\":{\"c\":true}}}}",
          SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT);
    run(c, "{\"a\":1,\"b\":2,\"c\":3}", NULL);
    run(c, "{\"a\":1,\"d\":4}", "(root): unexpected property \"d\" (unevaluatedProperties)");
    sw_schema_free(c);
    c = C("{\"prefixItems\":[{\"type\":\"string\"}],\"unevaluatedItems\":{\"type\":\"integer\"}}",
          SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT);
    run(c, "[\"a\",1,2]", NULL);
    run(c, "[\"a\",1,\"b\"]", "[2]: expected integer, got string");
    sw_schema_free(c);
    /* multipleOf whose quotient overflows a double: integers are multiples of 0.5 */
    c = C("{\"multipleOf\":0.5}", SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT);
    run(c, "1e308", NULL);
    run(c, "2.5", NULL);
    run(c, "2.25", "(root): 2.25 is not a multiple of 0.5");
    sw_schema_free(c);
    /* format is an annotation: no assertion */
    c = C("{\"format\":\"email\"}", SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT);
    run(c, "\"not an email\"", NULL);
    sw_schema_free(c);
}

static void test_references(void **state)
{
    (void)state;
    /* $id changes the base; $anchor names a subschema; draft-07 "$id": "#x" is an anchor */
    sw_schema *c =
        C("{\"$id\":\"http://example.com/root.json\",\"properties\":{\"n\":"
          "{\"$ref\":\"sub/a.json#A\"},\"m\":{\"$ref\":\"http://example.com/sub/a.json\"}},"
          "\"$defs\":{\"a\":{\"$id\":\"sub/a.json\",\"$anchor\":\"A\",\"type\":\"integer\"}}}",
          SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT);
    run(c, "{\"n\":1,\"m\":2}", NULL);
    run(c, "{\"n\":\"s\"}", "n: expected integer, got string");
    run(c, "{\"m\":\"s\"}", "m: expected integer, got string");
    sw_schema_free(c);
    c = C("{\"definitions\":{\"s\":{\"$id\":\"#str\",\"type\":\"string\"}},\"items\":{\"$ref\":\"#"
          "str\"}}",
          SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT);
    run(c, "[\"a\"]", NULL);
    run(c, "[\"a\",1]", "[1]: expected string, got integer");
    sw_schema_free(c);
    /* $dynamicRef: the outermost $dynamicAnchor in the dynamic scope wins */
    c = C("{\"$id\":\"https://example.com/strict\",\"$dynamicAnchor\":\"node\",\"$ref\":\"tree\","
          "\"unevaluatedProperties\":false,\"$defs\":{\"tree\":{\"$id\":\"tree\","
          "\"$dynamicAnchor\":\"node\",\"type\":\"object\",\"properties\":{\"data\":true,"
          "\"children\":{\"type\":\"array\",\"items\":{\"$dynamicRef\":\"#node\"}}}}}}",
          SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT);
    run(c, "{\"children\":[{\"data\":1}]}", NULL);
    run(c, "{\"children\":[{\"daat\":1}]}",
        "children[0]: unexpected property \"daat\" (unevaluatedProperties)");
    sw_schema_free(c);
    /* refs must stay inside the schema */
    refused("{\"$ref\":\"https://example.com/other.json\"}", SW_SCHEMA_DRAFT2020, 0,
            "unsupported non-local $ref");
    refused("{\"$id\":\"http://x/a\",\"$ref\":\"b#/c\"}", SW_SCHEMA_DRAFT2020, 0,
            "unsupported non-local $ref \"b#/c\"");
    refused("{\"$ref\":\"#nope\"}", SW_SCHEMA_DRAFT2020, 0, "unresolvable $ref \"#nope\"");
    refused(
        "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"allOf\":[{\"$ref\":\"#/$defs/a\"}]}},"
        "\"$ref\":\"#/$defs/a\"}",
        SW_SCHEMA_DRAFT2020, 0, "cyclic $ref");
}

/* What MCP servers publish (zod-to-json-schema style), compiled as the mount helper does. */
static void test_mcp_style_schema(void **state)
{
    (void)state;
    sw_schema *c = C(
        "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\","
        "\"properties\":{\"url\":{\"type\":\"string\",\"format\":\"uri\",\"description\":\"URL\"},"
        "\"max_length\":{\"type\":\"integer\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":1000000,"
        "\"default\":5000},\"mode\":{\"anyOf\":[{\"type\":\"string\",\"pattern\":\"^(fast|slow)$\"}"
        ","
        "{\"type\":\"null\"}]}},\"required\":[\"url\"],\"additionalProperties\":false}",
        SW_SCHEMA_DRAFT2020, 0);
    run(c, "{\"url\":\"https://x\",\"max_length\":10,\"mode\":\"fast\"}", NULL);
    run(c, "{\"url\":\"https://x\",\"mode\":\"medium\"}",
        "mode: value does not match any schema in anyOf");
    run(c, "{\"mode\":null}", "(root): missing required property \"url\"");
    run(c, "{\"url\":\"u\",\"max_length\":0}",
        "max_length: 0 is not greater than the exclusive minimum 0");
    sw_schema_free(c);
}

/* Schemas from the wild (tests/unit/schema_wild/README.md): every server-everything tool and
 * a zod 4 schema compile as MCP tools do (2020-12 default, non-strict), and validate. */
static json_t *load_wild(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/unit/schema_wild/%s", SW_SOURCE_DIR, name);
    json_error_t je;
    json_t *v = json_load_file(path, 0, &je);
    if (!v) fail_msg("cannot load %s: %s", path, je.text);
    return v;
}

static void test_wild_schemas(void **state)
{
    (void)state;
    json_t *tools = load_wild("server_everything_tools.json");
    assert_true(json_array_size(tools) >= 10);
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t)
    {
        char err[300];
        sw_schema *c = sw_schema_compile(json_object_get(t, "inputSchema"), SW_SCHEMA_DRAFT2020, 0,
                                         err, sizeof err);
        if (!c) fail_msg("%s: %s", json_string_value(json_object_get(t, "name")), err);
        assert_int_equal(sw_schema_draft(c), SW_SCHEMA_DRAFT7); /* their "$schema" says 07 */
        if (!strcmp(json_string_value(json_object_get(t, "name")), "echo")) {
            run(c, "{\"message\":\"hi\"}", NULL);
            run(c, "{\"message\":5}", "message: expected string, got integer");
        }
        sw_schema_free(c);
    }
    json_decref(tools);

    json_t *zs = load_wild("zod4_tool.json");
    char err[300];
    sw_schema *c = sw_schema_compile(zs, SW_SCHEMA_DRAFT2020, 0, err, sizeof err);
    if (!c) fail_msg("zod4: %s", err);
    sw_schema *strict = sw_schema_compile(zs, SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT, err, sizeof err);
    if (!strict) fail_msg("zod4 strict: %s", err); /* its "$schema" makes it 2020-12 */
    sw_schema_free(strict);
    json_decref(zs);
    run(c,
        "{\"email\":\"a.b@example.org\",\"count\":3,\"mode\":null,\"meta\":{\"x-a\":\"1\"},"
        "\"tree\":{\"name\":\"root\",\"children\":[{\"name\":\"leaf\"}]},\"pair\":[\"a\",1],"
        "\"kind\":{\"type\":\"b\",\"b\":2},\"when\":\"2024-02-29T10:00:00Z\"}",
        NULL);
    run(c, "{\"email\":\".a@example.org\",\"count\":3,\"mode\":\"fast\"}",
        "email: string does not match pattern \"^(?!\\\\.)(?!.*\\\\.\\\\.)([A-Za-z0-9_'+\\\\-\\\\"
        ".]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\\\\-]*\\\\.)+[A-Za-z]{2,}$\"");
    /* 2023 is no leap year; a long pattern is cut with "..." in the message */
    run_has(c,
            "{\"email\":\"a@b.org\",\"count\":3,\"mode\":null,\"when\":\"2023-02-29T10:00:00Z\"}",
            "when: string does not match pattern \"^(?:(?:\\\\d\\\\d[2468][048]|");
    run(c, "{\"email\":\"a@b.org\",\"count\":0,\"mode\":null}",
        "count: 0 is not greater than the exclusive minimum 0");
    run(c, "{\"email\":\"a@b.org\",\"count\":1,\"mode\":null,\"meta\":{\"y\":\"1\"}}",
        "meta: property name \"y\" does not match propertyNames");
    run(c,
        "{\"email\":\"a@b.org\",\"count\":1,\"mode\":null,\"tree\":{\"name\":\"r\","
        "\"children\":[{\"name\":\"Bad\"}]}}",
        "tree.children[0].name: string does not match pattern \"^[a-z][a-z0-9_-]*$\"");
    run(c, "{\"email\":\"a@b.org\",\"count\":1,\"mode\":null,\"pair\":[1,1]}",
        "pair[0]: expected string, got integer");
    run(c, "{\"email\":\"a@b.org\",\"count\":1,\"mode\":null,\"extra\":1}",
        "(root): unexpected property \"extra\"");
    sw_schema_free(c);
}

static void test_null_arguments(void **state)
{
    (void)state;
    char err[100];
    assert_null(sw_schema_compile(NULL, SW_SCHEMA_DRAFT7, 0, err, sizeof err));
    assert_string_equal(err, "(root): no schema");
    assert_null(sw_schema_compile(NULL, SW_SCHEMA_DRAFT7, 0, NULL, 0));
    sw_schema *c = C("true", SW_SCHEMA_DRAFT2020, 0);
    assert_int_equal(sw_schema_run(c, NULL, err, sizeof err), -1);
    assert_int_equal(sw_schema_run(NULL, json_null(), err, sizeof err), -1);
    assert_int_equal(sw_schema_run(c, json_null(), NULL, 0), 0);
    sw_schema_free(c);
    sw_schema_free(NULL);
    assert_int_equal(sw_schema_draft(NULL), 0);
}

/* ---- one compiled schema, many threads ------------------------------------------------ */

typedef struct {
    const sw_schema *c;
    int wrong;
} tjob;

static void *runner(void *arg)
{
    tjob *j = arg;
    json_t *good = J("{\"name\":\"abc\",\"tags\":[\"x\",\"y\"]}");
    json_t *bad = J("{\"name\":\"ABC\",\"tags\":[\"x\",\"x\"]}");
    for (int i = 0; i < 2000; i++) {
        char err[200];
        if (sw_schema_run(j->c, good, err, sizeof err) != 0) j->wrong++;
        if (sw_schema_run(j->c, bad, err, sizeof err) == 0) j->wrong++;
    }
    json_decref(good);
    json_decref(bad);
    return NULL;
}

static void test_concurrent_runs(void **state)
{
    (void)state;
    sw_schema *c =
        C("{\"type\":\"object\",\"properties\":{\"name\":{\"pattern\":\"^[a-z]+$\"},"
          "\"tags\":{\"type\":\"array\",\"uniqueItems\":true}},\"unevaluatedProperties\":false}",
          SW_SCHEMA_DRAFT2020, SW_SCHEMA_STRICT);
    pthread_t th[4];
    tjob jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].c = c;
        jobs[i].wrong = 0;
        assert_int_equal(pthread_create(&th[i], NULL, runner, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].wrong, 0);
    }
    sw_schema_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draft_choice),    cmocka_unit_test(test_strict_modes),
        cmocka_unit_test(test_patterns),        cmocka_unit_test(test_pattern_limits),
        cmocka_unit_test(test_pattern_budget),  cmocka_unit_test(test_new_keywords),
        cmocka_unit_test(test_references),      cmocka_unit_test(test_mcp_style_schema),
        cmocka_unit_test(test_wild_schemas),    cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_concurrent_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
