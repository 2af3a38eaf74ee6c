/* sw_mcp_result: an MCP tools/call answer into a ScaiWave tool result's text — text content and
 * structuredContent as text, images/audio/resources as a short placeholder naming the type,
 * isError and failed requests as error results ending in a "Fallback suggestions:" line (the
 * convention of native tools), and a result over the server's max_result_bytes cut at a UTF-8
 * boundary with a note saying so. */
#include "mcp/sw_mcp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (!b->p && b->cap == (size_t)-1) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            free(b->p);
            b->p = NULL;
            b->cap = (size_t)-1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void sep(buf *b)
{
    if (b->n) puts_(b, "\n");
}

/* One content block. */
static void content_item(buf *b, const json_t *c)
{
    const char *type = json_string_value(json_object_get(c, "type"));
    const char *mime = json_string_value(json_object_get(c, "mimeType"));
    char ph[400];
    if (type && strcmp(type, "text") == 0) {
        const json_t *t = json_object_get(c, "text");
        sep(b);
        if (json_is_string(t)) put(b, json_string_value(t), json_string_length(t));
        return;
    }
    if (type && (strcmp(type, "image") == 0 || strcmp(type, "audio") == 0)) {
        snprintf(ph, sizeof ph, "[%s: %.100s]", type, mime ? mime : "unknown type");
    } else if (type && strcmp(type, "resource") == 0) {
        const json_t *r = json_object_get(c, "resource");
        const char *uri = json_string_value(json_object_get(r, "uri"));
        const char *rm = json_string_value(json_object_get(r, "mimeType"));
        const json_t *txt = json_object_get(r, "text");
        if (json_is_string(txt)) {
            snprintf(ph, sizeof ph, "[resource: %.200s (%.60s)]\n", uri ? uri : "", rm ? rm : "text");
            sep(b);
            puts_(b, ph);
            put(b, json_string_value(txt), json_string_length(txt));
            return;
        }
        snprintf(ph, sizeof ph, "[resource: %.200s (%.60s)]", uri ? uri : "", rm ? rm : "unknown type");
    } else if (type && strcmp(type, "resource_link") == 0) {
        const char *uri = json_string_value(json_object_get(c, "uri"));
        snprintf(ph, sizeof ph, "[resource link: %.200s (%.60s)]", uri ? uri : "", mime ? mime : "unknown type");
    } else {
        snprintf(ph, sizeof ph, "[%.60s content]", type ? type : "unknown");
    }
    sep(b);
    puts_(b, ph);
}

/* The longest prefix of s not over max bytes that ends at a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k;
}

static char *finish(buf *b, size_t max_bytes, const char *tail)
{
    if (!b->p) puts_(b, "");
    if (!b->p) return NULL;
    size_t total = b->n;
    if (max_bytes && total > max_bytes) {
        b->n = utf8_cut(b->p, b->n, max_bytes);
        b->p[b->n] = 0;
        char note[200];
        snprintf(note, sizeof note, "\n[result cut: the MCP server answered %zu bytes, more than this server's "
                 "max_result_bytes of %zu]", total, max_bytes);
        puts_(b, note);
    }
    if (tail) puts_(b, tail);
    return b->p;
}

char *sw_mcp_result_text(const json_t *result, const char *tool, size_t max_bytes, int *is_error)
{
    buf b = {0};
    *is_error = json_is_true(json_object_get(result, "isError"));
    const json_t *content = json_object_get(result, "content");
    size_t i;
    json_t *c;
    int texts = 0;
    json_array_foreach(content, i, c) {
        content_item(&b, c);
        texts += json_is_string(json_object_get(c, "text"));
    }
    const json_t *sc = json_object_get(result, "structuredContent");
    if (sc && !texts) {
        char *d = json_dumps(sc, JSON_COMPACT | JSON_ENCODE_ANY);
        if (d) {
            sep(&b);
            puts_(&b, d);
            free(d);
        }
    }
    char tail[300];
    if (*is_error)
        snprintf(tail, sizeof tail, "\nFallback suggestions: check the arguments of %.64s and try once more, or "
                 "answer without this tool.", tool);
    return finish(&b, max_bytes, *is_error ? tail : NULL);
}

char *sw_mcp_error_text(const char *tool, const char *server, sw_mcp_status st, const json_t *rpc_error,
                        const char *err, int timeout_ms)
{
    char *out = NULL;
    int n = -1;
    switch (st) {
    case SW_MCP_RPC_ERROR: {
        const char *msg = json_string_value(json_object_get(rpc_error, "message"));
        n = asprintf(&out, "Tool %s failed: the MCP server %s answered with error %lld: %.500s.\n"
                     "Fallback suggestions: check the arguments and try once more, or answer without this tool.",
                     tool, server, (long long)json_integer_value(json_object_get(rpc_error, "code")),
                     msg ? msg : "(no message)");
        break;
    }
    case SW_MCP_TIMEOUT:
        n = asprintf(&out, "Tool %s timed out after %d ms without an answer from the MCP server %s (the request "
                     "was cancelled).\nFallback suggestions: try again with a smaller request, or answer "
                     "without this tool.", tool, timeout_ms, server);
        break;
    case SW_MCP_CANCELLED:
        n = asprintf(&out, "Tool %s was stopped before the MCP server %s answered (the request was cancelled).\n"
                     "Fallback suggestions: ask the person whether to run it again.", tool, server);
        break;
    case SW_MCP_CLOSED:
        n = asprintf(&out, "Tool %s failed: the MCP server %s went away during the call (%.200s); it is being "
                     "restarted.\nFallback suggestions: try again in a few seconds, or answer without this tool.",
                     tool, server, err && *err ? err : "connection closed");
        break;
    case SW_MCP_TOO_BIG:
        n = asprintf(&out, "Tool %s failed: the MCP server %s sent an answer larger than this server accepts.\n"
                     "Fallback suggestions: ask for less (a narrower request), or answer without this tool.",
                     tool, server);
        break;
    default:
        n = asprintf(&out, "Tool %s failed: the MCP server %s could not be asked (%.200s).\n"
                     "Fallback suggestions: try again once, then answer without this tool.",
                     tool, server, err && *err ? err : "I/O error");
        break;
    }
    return n < 0 ? NULL : out;
}
