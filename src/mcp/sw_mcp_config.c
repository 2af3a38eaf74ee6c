/* sw_mcp_config: an MCP server's registration — the admin's JSON validated (admin_api.md) into
 * the stored form (env and header values sealed with the store's secret box), opened again into
 * the client's configuration when a session starts, and shown as the view (secrets masked). */
#include "core/sw_secretbox.h"
#include "mcp/sw_mcp_internal.h"
#include "plugins/sw_setting_secret.h"

#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS 64
#define MAX_KV 64
#define MAX_STR 4096
#define CHILD_PATH "/usr/local/bin:/usr/bin:/bin"

static int fail(sw_mcp_op *op, sw_err e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(sw_mcp_op *op, sw_err e, const char *field, const char *fmt, ...)
{
    op->err = e;
    snprintf(op->field, sizeof op->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(op->msg, sizeof op->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int sw_mcp_config_int(const json_t *config, const char *key, int def)
{
    const json_t *v = json_object_get(config, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

/* The absolute path a command runs as: itself when it has a '/', else the first executable of
 * that name in PATH (the child's clean PATH, then the server's). 0, or -1 when none. */
static int resolve_command(const char *cmd, char *out, size_t len)
{
    char buf[PATH_MAX];
    if (strchr(cmd, '/')) {
        if (!realpath(cmd, buf)) return -1;
        snprintf(out, len, "%s", buf);
        return 0;
    }
    const char *paths[2] = {CHILD_PATH, getenv("PATH")};
    for (int p = 0; p < 2; p++) {
        const char *s = paths[p];
        while (s && *s) {
            const char *e = strchr(s, ':');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            char cand[PATH_MAX];
            if (n > 0 && n < 3000 && snprintf(cand, sizeof cand, "%.*s/%s", (int)n, s, cmd) < (int)sizeof cand &&
                access(cand, X_OK) == 0 && realpath(cand, buf)) {
                snprintf(out, len, "%s", buf);
                return 0;
            }
            s = e ? e + 1 : NULL;
        }
    }
    return -1;
}

/* 1 when the operator's allow-list (comma-separated names or paths) lets cmd run. */
static int command_allowed(const char *allow, const char *cmd)
{
    char want[PATH_MAX];
    int have = resolve_command(cmd, want, sizeof want) == 0;
    const char *s = allow ? allow : "";
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        while (n && (*s == ' ')) s++, n--;
        while (n && s[n - 1] == ' ') n--;
        char entry[PATH_MAX], got[PATH_MAX];
        if (n > 0 && n < sizeof entry) {
            snprintf(entry, sizeof entry, "%.*s", (int)n, s);
            if (strcmp(entry, cmd) == 0) return 1;
            if (have && resolve_command(entry, got, sizeof got) == 0 && strcmp(got, want) == 0) return 1;
        }
        if (!e) break;
        s = e + 1;
    }
    return 0;
}

static int env_key_valid(const char *k)
{
    if (!k[0] || strlen(k) > 128 || !((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z') || k[0] == '_'))
        return 0;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

static int header_key_valid(const char *k)
{
    if (!k[0] || strlen(k) > 128) return 0;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_'))
            return 0;
    return 1;
}

static int str_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 && *s != '\t') return 0;
    return 1;
}

/* Applies a secret map patch (string sets sealed, null removes, the mask keeps) onto dst. */
static int kv_patch(json_t *dst, const json_t *patch, const char *field, int headers, const sw_secretbox *sb,
                    sw_mcp_op *op)
{
    if (!json_is_object(patch)) return fail(op, SW_ERR_VALIDATION, field, "%s: expected an object of strings", field);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)patch, k, v) {
        char f[200];
        snprintf(f, sizeof f, "%s.%.128s", field, k);
        if (!(headers ? header_key_valid(k) : env_key_valid(k)))
            return fail(op, SW_ERR_VALIDATION, f, "%s: not a valid %s name", f, headers ? "header" : "variable");
        if (json_is_null(v)) {
            json_object_del(dst, k);
            continue;
        }
        if (!json_is_string(v) || json_string_length(v) > MAX_STR || !str_ok(json_string_value(v)))
            return fail(op, SW_ERR_VALIDATION, f, "%s: expected a string of at most %d bytes without control "
                        "characters, or null to remove it", f, MAX_STR);
        const char *val = json_string_value(v);
        if (strcmp(val, SW_SECRET_MASK) == 0) {
            if (!json_object_get(dst, k)) json_object_set_new(dst, k, json_string(""));
            continue;
        }
        char *sealed = (*val && sb) ? sw_secretbox_seal(sb, val) : NULL;
        json_object_set_new(dst, k, json_string(sealed ? sealed : val));
        free(sealed);
    }
    if (json_object_size(dst) > MAX_KV) return fail(op, SW_ERR_VALIDATION, field, "%s: at most %d entries", field, MAX_KV);
    return 0;
}

static int int_field(const json_t *body, json_t *cfg, const char *key, int lo, int hi, sw_mcp_op *op)
{
    const json_t *v = json_object_get(body, key);
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return fail(op, SW_ERR_VALIDATION, key, "%s: expected an integer from %d to %d", key, lo, hi);
    json_object_set(cfg, key, (json_t *)v);
    return 0;
}

static const char *const known[] = {"id", "transport", "command", "args", "env", "url", "headers", "timeout_ms",
                                    "max_timeout_ms", "max_result_bytes", "enabled", NULL};

/* The transport's own fields of body into cfg; the other transport's are refused. */
static int transport_fields(const json_t *body, json_t *cfg, int transport, const char *allow,
                            const sw_secretbox *sb, sw_mcp_op *op)
{
    const char *mine[2][3] = {{"command", "args", "env"}, {"url", "headers", NULL}};
    const char *other[2][3] = {{"url", "headers", NULL}, {"command", "args", "env"}};
    for (int i = 0; i < 3; i++) {
        const json_t *v = other[transport][i] ? json_object_get(body, other[transport][i]) : NULL;
        if (v && !json_is_null(v))
            return fail(op, SW_ERR_VALIDATION, other[transport][i], "%s: not used by %s servers",
                        other[transport][i], transport == SW_MCP_STDIO ? "stdio" : "http");
    }
    (void)mine;
    if (transport == SW_MCP_STDIO) {
        const json_t *c = json_object_get(body, "command");
        if (c) {
            const char *cmd = json_string_value(c);
            if (!cmd || !*cmd || json_string_length(c) > 1024 || !str_ok(cmd))
                return fail(op, SW_ERR_VALIDATION, "command", "command: expected a non-empty string of at most 1024 bytes");
            if (!command_allowed(allow, cmd))
                return fail(op, SW_ERR_FORBIDDEN, "command",
                            "command \"%.200s\" is not allowed on this server: the operator allows stdio MCP server "
                            "commands with --mcp-stdio-allow (SCAIWAVE_MCP_STDIO_ALLOW)", cmd);
            json_object_set(cfg, "command", (json_t *)c);
        }
        if (!json_string_value(json_object_get(cfg, "command")))
            return fail(op, SW_ERR_VALIDATION, "command", "command: required for stdio servers");
        const json_t *a = json_object_get(body, "args");
        if (a) {
            if (!json_is_array(a) || json_array_size(a) > MAX_ARGS)
                return fail(op, SW_ERR_VALIDATION, "args", "args: expected an array of at most %d strings", MAX_ARGS);
            size_t i;
            json_t *x;
            json_array_foreach(a, i, x) if (!json_is_string(x) || json_string_length(x) > MAX_STR ||
                                            strlen(json_string_value(x)) != json_string_length(x))
                return fail(op, SW_ERR_VALIDATION, "args", "args[%zu]: expected a string of at most %d bytes", i, MAX_STR);
            json_object_set(cfg, "args", (json_t *)a);
        }
        const json_t *e = json_object_get(body, "env");
        if (e && kv_patch(json_object_get(cfg, "env"), e, "env", 0, sb, op) != 0) return -1;
    } else {
        const json_t *u = json_object_get(body, "url");
        if (u) {
            const char *url = json_string_value(u);
            if (!url || json_string_length(u) > 2048 || !str_ok(url) ||
                (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) || strlen(url) < 9)
                return fail(op, SW_ERR_VALIDATION, "url", "url: expected an http:// or https:// URL of at most 2048 bytes");
            json_object_set(cfg, "url", (json_t *)u);
        }
        if (!json_string_value(json_object_get(cfg, "url")))
            return fail(op, SW_ERR_VALIDATION, "url", "url: required for http servers");
        const json_t *h = json_object_get(body, "headers");
        if (h && kv_patch(json_object_get(cfg, "headers"), h, "headers", 1, sb, op) != 0) return -1;
    }
    return 0;
}

json_t *sw_mcp_config_build(const json_t *body, const json_t *cur, const char *stdio_allow, const sw_secretbox *sb,
                            int *transport, int *enabled, sw_mcp_op *op)
{
    if (!json_is_object(body)) {
        fail(op, SW_ERR_VALIDATION, "", "expected a JSON object");
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        int ok = 0;
        for (int i = 0; known[i]; i++) ok |= strcmp(known[i], k) == 0;
        if (!ok || (cur && (strcmp(k, "id") == 0 || strcmp(k, "transport") == 0))) {
            fail(op, SW_ERR_VALIDATION, k, ok ? "%.60s: cannot be changed (delete and register again)"
                                              : "%.60s: unknown field", k);
            return NULL;
        }
    }
    if (!cur) {
        const char *t = json_string_value(json_object_get(body, "transport"));
        if (!t || (strcmp(t, "stdio") != 0 && strcmp(t, "http") != 0)) {
            fail(op, SW_ERR_VALIDATION, "transport", "transport: expected \"stdio\" or \"http\"");
            return NULL;
        }
        *transport = strcmp(t, "stdio") == 0 ? SW_MCP_STDIO : SW_MCP_HTTP;
    }
    json_t *cfg = cur ? json_deep_copy(cur)
                      : json_pack("{s:o, s:o, s:i, s:i, s:i}", "env", json_object(), "headers", json_object(),
                                  "timeout_ms", 30000, "max_timeout_ms", 300000, "max_result_bytes", 262144);
    if (!cfg) {
        fail(op, SW_ERR_INTERNAL, "", "out of memory");
        return NULL;
    }
    if (!json_object_get(cfg, "env")) json_object_set_new(cfg, "env", json_object());
    if (!json_object_get(cfg, "headers")) json_object_set_new(cfg, "headers", json_object());
    const json_t *en = json_object_get(body, "enabled");
    if (en && !json_is_boolean(en)) {
        fail(op, SW_ERR_VALIDATION, "enabled", "enabled: expected true or false");
        goto bad;
    }
    if (en) *enabled = json_is_true(en);
    if (transport_fields(body, cfg, *transport, stdio_allow, sb, op) != 0 ||
        int_field(body, cfg, "timeout_ms", 100, 3600000, op) != 0 ||
        int_field(body, cfg, "max_timeout_ms", 100, 3600000, op) != 0 ||
        int_field(body, cfg, "max_result_bytes", 256, 16 << 20, op) != 0)
        goto bad;
    if (sw_mcp_config_int(cfg, "max_timeout_ms", 0) < sw_mcp_config_int(cfg, "timeout_ms", 0)) {
        fail(op, SW_ERR_VALIDATION, json_object_get(body, "max_timeout_ms") ? "max_timeout_ms" : "timeout_ms",
             "max_timeout_ms must be at least timeout_ms");
        goto bad;
    }
    return cfg;
bad:
    json_decref(cfg);
    return NULL;
}

static json_t *masked(const json_t *obj)
{
    json_t *o = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) json_object_set_new(o, k, json_string(json_string_length(v) ? SW_SECRET_MASK : ""));
    return o;
}

void sw_mcp_config_view(const json_t *config, json_t *view)
{
    json_t *c = json_object_get(config, "command"), *a = json_object_get(config, "args"), *u = json_object_get(config, "url");
    json_object_set_new(view, "command", c ? json_incref(c) : json_null());
    json_object_set_new(view, "args", a ? json_incref(a) : json_array());
    json_object_set_new(view, "env", masked(json_object_get(config, "env")));
    json_object_set_new(view, "url", u ? json_incref(u) : json_null());
    json_object_set_new(view, "headers", masked(json_object_get(config, "headers")));
    json_object_set_new(view, "timeout_ms", json_integer(sw_mcp_config_int(config, "timeout_ms", 30000)));
    json_object_set_new(view, "max_timeout_ms", json_integer(sw_mcp_config_int(config, "max_timeout_ms", 300000)));
    json_object_set_new(view, "max_result_bytes", json_integer(sw_mcp_config_int(config, "max_result_bytes", 262144)));
}

/* Opens a map of sealed values into kvs (plain values kept in h->plain). */
static int open_kv(const json_t *obj, const sw_secretbox *sb, sw_mcp_kv **out, size_t *n, sw_mcp_cfg_hold *h,
                   char *err, size_t errlen)
{
    size_t cnt = json_object_size(obj);
    *out = calloc(cnt + 1, sizeof **out);
    if (!*out) return -1;
    *n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        char *plain = NULL;
        const char *stored = json_string_value(v) ? json_string_value(v) : "";
        int r = sb ? sw_secretbox_open(sb, stored, &plain) : SW_SECRET_CLEAR;
        if (!sb) plain = strdup(stored);
        if (r == SW_SECRET_UNREADABLE || !plain) {
            snprintf(err, errlen, "the stored value of %.100s cannot be decrypted with this server's secret key; set it again", k);
            return -1;
        }
        h->plain[h->nplain++] = plain;
        (*out)[*n].key = k;
        (*out)[(*n)++].value = plain;
    }
    return 0;
}

int sw_mcp_config_open(const json_t *config, int transport, const char *stdio_allow, const sw_secretbox *sb,
                       sw_mcp_cfg_hold *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    const char *cmd = json_string_value(json_object_get(config, "command"));
    if (transport == SW_MCP_STDIO && (!cmd || !command_allowed(stdio_allow, cmd))) {
        /* the operator may have narrowed --mcp-stdio-allow since the registration */
        snprintf(err, errlen, "command \"%.100s\" is not allowed on this server (--mcp-stdio-allow)", cmd ? cmd : "");
        return -1;
    }
    h->plain = calloc(2 * MAX_KV + 2, sizeof *h->plain);
    if (!h->plain) return -1;
    sw_mcp_config *c = &h->cfg;
    c->transport = (sw_mcp_transport_kind)transport;
    if (transport == SW_MCP_STDIO) {
        c->command = json_string_value(json_object_get(config, "command"));
        const json_t *a = json_object_get(config, "args");
        h->args = calloc(json_array_size(a) + 1, sizeof *h->args);
        if (!h->args) return -1;
        for (size_t i = 0; i < json_array_size(a); i++) h->args[i] = json_string_value(json_array_get(a, i));
        c->args = h->args;
        if (open_kv(json_object_get(config, "env"), sb, &h->env, &c->nenv, h, err, errlen) != 0) return -1;
        c->env = h->env;
    } else {
        c->url = json_string_value(json_object_get(config, "url"));
        if (open_kv(json_object_get(config, "headers"), sb, &h->headers, &c->nheaders, h, err, errlen) != 0) return -1;
        c->headers = h->headers;
    }
    return 0;
}

void sw_mcp_config_wipe(sw_mcp_cfg_hold *h)
{
    for (size_t i = 0; i < h->nplain; i++) {
        sodium_memzero(h->plain[i], strlen(h->plain[i]));
        free(h->plain[i]);
    }
    free(h->plain);
    free(h->args);
    free(h->env);
    free(h->headers);
    memset(h, 0, sizeof *h);
}
