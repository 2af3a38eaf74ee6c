/* fuzz_slash: the slash-command parser — sw_slash_split on any message body, then
 * sw_slash_args for the built-in greeter and for test tools with integer, number, boolean and
 * string parameters (usage order, key=value, quotes, escapes, JSON objects, surplus words).
 * Besides memory errors (ASan/UBSan) it checks the parser's contract:
 *   - split: a command name is 1..64 characters of [A-Za-z0-9_-] that fits the buffer, and
 *     rest points into the body, past the name, at a non-space (or the end);
 *   - args: NULL comes with a non-empty, terminated error; otherwise an object whose keys are
 *     declared parameters (unless JSON arguments were given) with values of the parameter's
 *     type or a string, which serialises. */
#include "plugins/sw_registry.h"
#include "plugins/sw_slash.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const swp_plugin sw_greeter_plugin;

static int ok_exec(swp_ctx *ctx, const char *tool, const char *args, swp_result *out)
{
    (void)ctx;
    (void)tool;
    (void)args;
    return swp_result_text(out, "ok");
}

static const swp_tool fuzz_tools[] = {
    {
        .name = "typed",
        .description = "Integer, boolean, number and string parameters.",
        .usage = "[/typed <count> <flag> [ratio] [label]]",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"count\":{\"type\":\"integer\"},\"flag\":{\"type\":\"boolean\"},"
                      "\"ratio\":{\"type\":\"number\"},\"label\":{\"type\":\"string\"}},"
                      "\"required\":[\"count\"]}",
    },
    {
        .name = "mixed",
        .description = "A string, then an integer and a boolean.",
        .usage = "[/mixed <text> <n> [on]]",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"text\":{\"type\":\"string\"},\"n\":{\"type\":\"integer\"},"
                      "\"on\":{\"type\":[\"boolean\",\"null\"]}}}",
    },
    {
        .name = "nums",
        .description = "Integers only: surplus words are an error.",
        .usage = "[/nums <a> <b>]",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"integer\"}}}",
    },
    {
        .name = "nousage",
        .description = "No usage: schema order.",
        .parameters = "{\"type\":\"object\",\"properties\":{"
                      "\"first\":{\"type\":\"string\"},\"second\":{\"type\":\"number\"}}}",
    },
    {
        .name = "empty",
        .description = "No parameters at all.",
        .usage = "[/empty]",
        .parameters = "{\"type\":\"object\",\"properties\":{}}",
    },
    SWP_TOOL_END,
};

static const swp_plugin fuzz_plugin = {
    SWP_PLUGIN_INIT,
    .id = "fuzz.typed",
    .name = "Fuzz",
    .version = "1.0.0",
    .description = "Typed tools for the slash fuzzer.",
    .tools = fuzz_tools,
    .execute_tool = ok_exec,
};

#define NTOOLS 6
static sw_registry *reg; /* lives for the process (reachable, so not a leak) */
static const sw_reg_tool *tools[NTOOLS];

static void init(void)
{
    char err[256];
    reg = sw_registry_new();
    if (!reg || sw_registry_add(reg, &sw_greeter_plugin, "builtin", NULL, err, sizeof err) != 0 ||
        sw_registry_add(reg, &fuzz_plugin, "builtin", NULL, err, sizeof err) != 0)
        abort();
    const sw_reg_plugin *g = sw_registry_find(reg, "scaiwave.greeter");
    const sw_reg_plugin *f = sw_registry_find(reg, "fuzz.typed");
    tools[0] = sw_registry_tool(g, "greet");
    for (int i = 0; i < NTOOLS - 1; i++) tools[i + 1] = sw_registry_tool(f, fuzz_tools[i].name);
    for (int i = 0; i < NTOOLS; i++)
        if (!tools[i]) abort();
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static void check_split(const char *body, size_t blen, size_t namelen, const char **rest_out)
{
    char name[80];
    memset(name, 0x5a, sizeof name);
    const char *rest = NULL;
    int r = sw_slash_split(body, name, namelen, &rest);
    if (r == 0) {
        for (size_t i = namelen; i < sizeof name; i++)
            if (name[i] != 0x5a) __builtin_trap(); /* nothing written past the buffer */
        *rest_out = NULL;
        return;
    }
    if (r != 1) __builtin_trap();
    size_t n = strlen(name);
    if (n == 0 || n > 64 || n >= namelen) __builtin_trap();
    for (size_t i = 0; i < n; i++)
        if (!name_char(name[i])) __builtin_trap();
    for (size_t i = namelen; i < sizeof name; i++)
        if (name[i] != 0x5a) __builtin_trap();
    if (!rest || rest < body + 1 + n || rest > body + blen) __builtin_trap();
    if (*rest && isspace((unsigned char)*rest)) __builtin_trap();
    /* the name is what follows the slash */
    const char *slash = strchr(body, '/');
    if (!slash || strncmp(slash + 1, name, n) != 0) __builtin_trap();
    *rest_out = rest;
}

static int declared(const sw_reg_tool *rt, const char *key)
{
    return json_object_get(json_object_get(rt->schema, "properties"), key) != NULL;
}

static const char *first_type(const sw_reg_tool *rt, const char *key)
{
    const json_t *t = json_object_get(json_object_get(json_object_get(rt->schema, "properties"), key), "type");
    if (json_is_array(t)) t = json_array_get(t, 0);
    return json_string_value(t);
}

static void check_args(const sw_reg_tool *rt, const char *rest)
{
    char err[200];
    memset(err, 0x5a, sizeof err);
    json_t *a = sw_slash_args(rt, rest, err, sizeof err);
    if (!a) {
        if (!memchr(err, 0, sizeof err) || !err[0]) __builtin_trap();
        return;
    }
    if (!json_is_object(a)) __builtin_trap();
    const char *p = rest;
    while (*p && isspace((unsigned char)*p)) p++;
    if (*p == '{') {
        /* JSON arguments are passed through as parsed */
        json_t *j = json_loads(p, JSON_REJECT_DUPLICATES, NULL);
        if (!j || !json_equal(j, a)) __builtin_trap();
        json_decref(j);
    } else {
        const char *key;
        json_t *v;
        json_object_foreach(a, key, v) {
            if (!declared(rt, key)) __builtin_trap();
            const char *t = first_type(rt, key);
            if (json_is_string(v)) continue; /* any parameter may hold the word as typed */
            if (!t) __builtin_trap();
            if (!strcmp(t, "integer") && !json_is_integer(v)) __builtin_trap();
            if (!strcmp(t, "number") && !json_is_real(v)) __builtin_trap();
            if (!strcmp(t, "boolean") && !json_is_boolean(v)) __builtin_trap();
            if (!strcmp(t, "string")) __builtin_trap();
        }
    }
    char *s = json_dumps(a, JSON_COMPACT);
    if (!s) __builtin_trap();
    free(s);
    json_decref(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        init();
        ready = 1;
    }
    if (size > 16384) return 0;
    /* the body as the server sees it: a C string (it stops at the first NUL) */
    char *body = malloc(size + 1);
    if (!body) return 0;
    memcpy(body, data, size);
    body[size] = 0;
    size_t blen = strlen(body);

    const char *rest = NULL;
    check_split(body, blen, 72, &rest); /* the server's buffer */
    const char *r2 = NULL;
    check_split(body, blen, 1 + (size ? data[size - 1] % 70 : 0), &r2); /* smaller buffers */

    /* arguments: the command's rest when it is one, the whole body otherwise */
    const char *args = rest ? rest : body;
    for (int i = 0; i < NTOOLS; i++) check_args(tools[i], args);
    free(body);
    return 0;
}
