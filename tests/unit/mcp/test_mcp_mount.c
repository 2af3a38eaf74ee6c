/* Unit tests for the mounted-server pieces that need no child process: sw_mcp_result (tools/call
 * answers into result text: placeholders, structuredContent, isError with Fallback suggestions,
 * the UTF-8-safe cut with its note, failed requests) and sw_mcp_config (a registration validated
 * into its stored form with env/header values sealed, PATCH semantics, the view's masks, the
 * operator's allow-list, opening the secrets again for the client). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/sw_secretbox.h"
#include "mcp/sw_mcp_internal.h"

static char *text_of(const char *json, size_t max, int *is_error)
{
    json_t *r = json_loads(json, 0, NULL);
    assert_non_null(r);
    char *t = sw_mcp_result_text(r, "tool", max, is_error);
    json_decref(r);
    assert_non_null(t);
    return t;
}

static void test_text_and_placeholders(void **state)
{
    (void)state;
    int e = 1;
    char *t = text_of("{\"content\":[{\"type\":\"text\",\"text\":\"Here:\"},"
                      "{\"type\":\"image\",\"data\":\"iVBORw0KGgo=\",\"mimeType\":\"image/png\"},"
                      "{\"type\":\"audio\",\"data\":\"AAAA\",\"mimeType\":\"audio/wav\"},"
                      "{\"type\":\"resource\",\"resource\":{\"uri\":\"file:///a.bin\",\"blob\":\"AAAA\"}},"
                      "{\"type\":\"resource_link\",\"uri\":\"file:///b\",\"mimeType\":\"text/plain\"},"
                      "{\"type\":\"hologram\"}]}",
                      0, &e);
    assert_int_equal(e, 0);
    assert_string_equal(t, "Here:\n[image: image/png]\n[audio: audio/wav]\n[resource: file:///a.bin (unknown type)]\n"
                           "[resource link: file:///b (text/plain)]\n[hologram content]");
    assert_null(strstr(t, "iVBOR")); /* no base64 in the conversation */
    free(t);
    t = text_of("{\"content\":[{\"type\":\"resource\",\"resource\":{\"uri\":\"mem:x\",\"mimeType\":\"text/plain\","
                "\"text\":\"inside\"}}]}", 0, &e);
    assert_string_equal(t, "[resource: mem:x (text/plain)]\ninside");
    free(t);
}

static void test_structured_content_when_there_is_no_text(void **state)
{
    (void)state;
    int e;
    char *t = text_of("{\"content\":[],\"structuredContent\":{\"temperature\":21.5}}", 0, &e);
    assert_string_equal(t, "{\"temperature\":21.5}");
    free(t);
    /* with text beside it, the text is the answer (servers send both, the text being the rendering) */
    t = text_of("{\"content\":[{\"type\":\"text\",\"text\":\"21.5 C\"}],\"structuredContent\":{\"t\":21.5}}", 0, &e);
    assert_string_equal(t, "21.5 C");
    free(t);
}

static void test_is_error_ends_with_fallback_suggestions(void **state)
{
    (void)state;
    int e = 0;
    char *t = text_of("{\"isError\":true,\"content\":[{\"type\":\"text\",\"text\":\"no such city\"}]}", 0, &e);
    assert_int_equal(e, 1);
    assert_true(strncmp(t, "no such city\n", 13) == 0);
    const char *f = strstr(t, "Fallback suggestions:");
    assert_non_null(f);
    assert_null(strchr(f, '\n'));
    free(t);
}

static void test_a_long_result_is_cut_at_a_character_boundary_with_a_note(void **state)
{
    (void)state;
    /* "é" is two bytes: a cut at 301 bytes would split one */
    char msg[2000] = "{\"content\":[{\"type\":\"text\",\"text\":\"x";
    for (int i = 0; i < 400; i++) strcat(msg, "\xc3\xa9");
    strcat(msg, "\"}]}");
    int e;
    char *t = text_of(msg, 300, &e);
    const char *note = strstr(t, "\n[result cut: the MCP server answered 801 bytes, more than this server's "
                                 "max_result_bytes of 300]");
    assert_non_null(note);
    size_t kept = (size_t)(note - t);
    assert_int_equal(kept, 299); /* "x" + 149 whole characters */
    assert_true(((unsigned char)t[kept - 1] & 0xC0) == 0x80 && (unsigned char)t[kept - 2] == 0xc3);
    free(t);
    t = text_of("{\"content\":[{\"type\":\"text\",\"text\":\"short\"}]}", 300, &e);
    assert_string_equal(t, "short");
    free(t);
}

static void test_failed_requests_are_error_texts(void **state)
{
    (void)state;
    json_t *rpc = json_pack("{s:i, s:s}", "code", -32602, "message", "bad city");
    char *t = sw_mcp_error_text("weather", "srv", SW_MCP_RPC_ERROR, rpc, NULL, 1000);
    assert_non_null(strstr(t, "error -32602: bad city"));
    assert_non_null(strstr(t, "\nFallback suggestions:"));
    free(t);
    json_decref(rpc);
    t = sw_mcp_error_text("weather", "srv", SW_MCP_TIMEOUT, NULL, NULL, 1500);
    assert_non_null(strstr(t, "timed out after 1500 ms"));
    assert_non_null(strstr(t, "cancelled"));
    free(t);
    t = sw_mcp_error_text("weather", "srv", SW_MCP_CLOSED, NULL, "the child was killed by signal 9", 1500);
    assert_non_null(strstr(t, "killed by signal 9"));
    assert_non_null(strstr(t, "Fallback suggestions:"));
    free(t);
}

/* ---- registrations ---- */

static sw_secretbox *box(void)
{
    uint8_t key[SW_SECRETBOX_KEY_BYTES];
    memset(key, 7, sizeof key);
    sw_secretbox *sb = sw_secretbox_new(key);
    assert_non_null(sb);
    return sb;
}

static json_t *build(const char *body, const json_t *cur, const char *allow, const sw_secretbox *sb, int *transport,
                     sw_mcp_op *op)
{
    json_t *b = json_loads(body, 0, NULL);
    assert_non_null(b);
    int enabled = 1;
    memset(op, 0, sizeof *op);
    json_t *cfg = sw_mcp_config_build(b, cur, allow, sb, transport, &enabled, op);
    json_decref(b);
    return cfg;
}

static void refused(const char *body, const char *allow, sw_err e, const char *field)
{
    sw_mcp_op op;
    int tr = SW_MCP_STDIO;
    json_t *cfg = build(body, NULL, allow, NULL, &tr, &op);
    if (cfg) fail_msg("accepted: %s", body);
    assert_int_equal(op.err, e);
    assert_string_equal(op.field, field);
}

static void test_bad_registrations_name_the_field(void **state)
{
    (void)state;
    refused("{\"transport\":\"pigeon\"}", "node", SW_ERR_VALIDATION, "transport");
    refused("{\"transport\":\"stdio\"}", "node", SW_ERR_VALIDATION, "command");
    refused("{\"transport\":\"stdio\",\"command\":\"node\",\"url\":\"http://x/\"}", "node", SW_ERR_VALIDATION, "url");
    refused("{\"transport\":\"stdio\",\"command\":\"node\",\"args\":[\"a\",2]}", "node", SW_ERR_VALIDATION, "args");
    refused("{\"transport\":\"stdio\",\"command\":\"node\",\"env\":{\"A=B\":\"x\"}}", "node", SW_ERR_VALIDATION, "env.A=B");
    refused("{\"transport\":\"stdio\",\"command\":\"node\",\"timeout_ms\":99}", "node", SW_ERR_VALIDATION, "timeout_ms");
    refused("{\"transport\":\"stdio\",\"command\":\"node\",\"timeout_ms\":9000,\"max_timeout_ms\":8000}", "node",
            SW_ERR_VALIDATION, "max_timeout_ms");
    refused("{\"transport\":\"stdio\",\"command\":\"node\",\"colour\":\"red\"}", "node", SW_ERR_VALIDATION, "colour");
    refused("{\"transport\":\"http\",\"url\":\"file:///etc/passwd\"}", "", SW_ERR_VALIDATION, "url");
    refused("{\"transport\":\"http\",\"url\":\"http://h/\",\"headers\":{\"X\":\"a\\nb\"}}", "", SW_ERR_VALIDATION,
            "headers.X");
    /* the operator's allow-list: by name, by path, nothing by default */
    refused("{\"transport\":\"stdio\",\"command\":\"sh\"}", "", SW_ERR_FORBIDDEN, "command");
    refused("{\"transport\":\"stdio\",\"command\":\"sh\"}", "node, npx", SW_ERR_FORBIDDEN, "command");
    refused("{\"transport\":\"stdio\",\"command\":\"/bin/sh\"}", "node", SW_ERR_FORBIDDEN, "command");
    sw_mcp_op op;
    int tr = SW_MCP_STDIO;
    json_t *cfg = build("{\"transport\":\"stdio\",\"command\":\"sh\"}", NULL, "node,sh", NULL, &tr, &op);
    assert_non_null(cfg);
    json_decref(cfg);
    cfg = build("{\"transport\":\"stdio\",\"command\":\"sh\"}", NULL, "/bin/sh", NULL, &tr, &op);
    assert_non_null(cfg); /* the name resolves to the allowed path */
    json_decref(cfg);
}

static void test_secrets_are_sealed_masked_patched_and_opened(void **state)
{
    (void)state;
    sw_secretbox *sb = box();
    sw_mcp_op op;
    int tr = SW_MCP_STDIO;
    json_t *cfg = build("{\"transport\":\"stdio\",\"command\":\"node\",\"args\":[\"s.js\"],"
                        "\"env\":{\"TOKEN\":\"hunter2\",\"EMPTY\":\"\"}}",
                        NULL, "node", sb, &tr, &op);
    assert_non_null(cfg);
    char *stored = json_dumps(cfg, JSON_COMPACT);
    assert_null(strstr(stored, "hunter2"));
    free(stored);
    assert_true(sw_secretbox_is_sealed(json_string_value(json_object_get(json_object_get(cfg, "env"), "TOKEN"))));
    json_t *view = json_object();
    sw_mcp_config_view(cfg, view);
    json_t *want = json_loads("{\"TOKEN\":\"********\",\"EMPTY\":\"\"}", 0, NULL);
    assert_true(json_equal(json_object_get(view, "env"), want));
    json_decref(want);
    assert_int_equal(json_integer_value(json_object_get(view, "timeout_ms")), 30000);
    json_decref(view);
    /* PATCH: the mask keeps, null removes, a string sets; id and transport are fixed */
    json_t *next = build("{\"env\":{\"TOKEN\":\"********\",\"EMPTY\":null,\"NEW\":\"v2\"},\"timeout_ms\":5000}", cfg,
                         "node", sb, &tr, &op);
    assert_non_null(next);
    assert_null(json_object_get(json_object_get(next, "env"), "EMPTY"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(next, "env"), "TOKEN")),
                        json_string_value(json_object_get(json_object_get(cfg, "env"), "TOKEN")));
    assert_null(build("{\"transport\":\"http\"}", cfg, "node", sb, &tr, &op));
    assert_string_equal(op.field, "transport");
    assert_null(build("{\"id\":\"other\"}", cfg, "node", sb, &tr, &op));
    assert_string_equal(op.field, "id");
    /* opened again for the client: plain values, only while connecting */
    sw_mcp_cfg_hold h;
    char err[200];
    assert_int_equal(sw_mcp_config_open(next, SW_MCP_STDIO, "node", sb, &h, err, sizeof err), 0);
    assert_string_equal(h.cfg.command, "node");
    assert_string_equal(h.cfg.args[0], "s.js");
    assert_null(h.cfg.args[1]);
    assert_int_equal(h.cfg.nenv, 2);
    int seen = 0;
    for (size_t i = 0; i < h.cfg.nenv; i++) {
        if (!strcmp(h.cfg.env[i].key, "TOKEN")) seen += !strcmp(h.cfg.env[i].value, "hunter2");
        if (!strcmp(h.cfg.env[i].key, "NEW")) seen += !strcmp(h.cfg.env[i].value, "v2");
    }
    assert_int_equal(seen, 2);
    sw_mcp_config_wipe(&h);
    /* a command the operator no longer allows does not open */
    assert_int_equal(sw_mcp_config_open(next, SW_MCP_STDIO, "npx", sb, &h, err, sizeof err), -1);
    assert_non_null(strstr(err, "--mcp-stdio-allow"));
    sw_mcp_config_wipe(&h);
    json_decref(next);
    json_decref(cfg);
    sw_secretbox_free(sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_and_placeholders),
        cmocka_unit_test(test_structured_content_when_there_is_no_text),
        cmocka_unit_test(test_is_error_ends_with_fallback_suggestions),
        cmocka_unit_test(test_a_long_result_is_cut_at_a_character_boundary_with_a_note),
        cmocka_unit_test(test_failed_requests_are_error_texts),
        cmocka_unit_test(test_bad_registrations_name_the_field),
        cmocka_unit_test(test_secrets_are_sealed_masked_patched_and_opened),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
