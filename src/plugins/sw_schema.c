/* sw_schema: the vocabulary the schema compiler and the validator share (sw_schema_core.h):
 * the path of a failure rendered as "a.b[2]", escaped names in messages, type names, counts,
 * JSON-pointer fragments ("#/a/b", percent- and ~-decoded) and pointer-keyed maps. The public
 * API is plugins/sw_schema.h. Pure functions, no global state. */
#include "plugins/sw_schema.h"
#include "plugins/sw_schema_core.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- paths and messages ------------------------------------------------------------------ */

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (!b->len) return;
    size_t room = b->len - 1 - b->pos;
    if (n > room) n = room;
    memcpy(b->p + b->pos, s, n);
    b->pos += n;
    b->p[b->pos] = '\0';
}

void sw_schema_sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_vprintf(sbuf *b, const char *fmt, va_list ap)
{
    if (!b->len) return;
    size_t room = b->len - b->pos;
    int n = vsnprintf(b->p + b->pos, room, fmt, ap);
    if (n < 0) {
        b->p[b->pos] = '\0';
        return;
    }
    b->pos += (size_t)n < room ? (size_t)n : room - 1;
}

/* Copies `s` (n bytes) into dst as printable text: quotes, backslashes and control bytes are
 * escaped, long names are cut with "...". Names come from schemas and model output. */
const char *sw_schema_quote_n(char *dst, size_t dlen, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char tmp[6];
        size_t tl = 0;
        if (ch == '"' || ch == '\\') {
            tmp[tl++] = '\\';
            tmp[tl++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            tmp[tl++] = '\\';
            tmp[tl++] = 'x';
            tmp[tl++] = hex[ch >> 4];
            tmp[tl++] = hex[ch & 15];
        } else {
            tmp[tl++] = (char)ch;
        }
        if (o + tl + 4 > dlen) {
            memcpy(dst + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(dst + o, tmp, tl);
        o += tl;
    }
    dst[o] = '\0';
    return dst;
}

static const char *quote(char *dst, size_t dlen, const char *s)
{
    return sw_schema_quote_n(dst, dlen, s, strlen(s));
}

const char *sw_schema_quote_j(char *dst, size_t dlen, const json_t *str)
{
    return sw_schema_quote_n(dst, dlen, json_string_value(str), json_string_length(str));
}

/* A property name can be written bare after "." when it has no path syntax in it. */
static int key_is_plain(const char *k)
{
    if (!*k) return 0;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '.' || *p == '[' || *p == ']' || *p == '"' ||
            *p == '\\')
            return 0;
    return 1;
}

/* Renders "a.b", "items[2]", "[0].x", `a["odd key"]`, or "(root)". Long paths keep their
 * first PATH_HEAD and last PATH_TAIL segments around a "...". */
#define PATH_HEAD 4
#define PATH_TAIL 8
static void sb_path(sbuf *b, const seg *p)
{
    const seg *v[PATH_HEAD + PATH_TAIL]; /* kept segments, leaf first */
    size_t total = 0, n = 0;
    for (const seg *s = p; s; s = s->up)
        total++;
    if (!total) {
        sw_schema_sb_puts(b, "(root)");
        return;
    }
    size_t i = 0;
    for (const seg *s = p; s; s = s->up, i++)
        if (i < PATH_TAIL || total - 1 - i < PATH_HEAD) v[n++] = s;
    int first = 1;
    for (size_t k = n; k-- > 0;) {
        const seg *s = v[k];
        char q[200];
        if (k == PATH_TAIL - 1 && total > n) sw_schema_sb_puts(b, "...");
        if (s->kind == SEG_INDEX) {
            char t[32];
            snprintf(t, sizeof t, "[%zu]", s->index);
            sw_schema_sb_puts(b, t);
        } else if (s->kind == SEG_REF) {
            sw_schema_sb_puts(b, quote(q, sizeof q, s->key));
        } else if (key_is_plain(s->key)) {
            if (!first && !(k == PATH_TAIL - 1 && total > n)) sw_schema_sb_puts(b, ".");
            sw_schema_sb_puts(b, s->key);
        } else {
            sw_schema_sb_puts(b, "[\"");
            sw_schema_sb_puts(b, quote(q, sizeof q, s->key));
            sw_schema_sb_puts(b, "\"]");
        }
        first = 0;
    }
}

void sw_schema_emit(char *err, size_t errlen, const seg *path, const char *fmt, va_list ap)
{
    sbuf b = {err, errlen, 0};
    err[0] = '\0';
    sb_path(&b, path);
    sw_schema_sb_puts(&b, ": ");
    sb_vprintf(&b, fmt, ap);
}

const char *sw_schema_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "value";
}

/* A non-negative integer keyword value (minLength: 2, also 2.0); -1 when it is not one. */
long long sw_schema_count_value(const json_t *v)
{
    if (json_is_integer(v)) return json_integer_value(v) < 0 ? -1 : json_integer_value(v);
    if (!json_is_real(v)) return -1;
    double d = json_real_value(v);
    if (!is_integral(d) || d < 0) return -1;
    return d >= TWO63 ? (long long)(TWO63 - 1024) : (long long)d;
}

/* ---- local $ref resolution --------------------------------------------------------------- */

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Resolves "#" or "#/json/pointer" (URI-fragment percent-encoding, then ~0 ~1 escapes)
 * against root. NULL when it does not resolve, with the reason in *why. No allocation. */
const json_t *sw_schema_resolve_ref(const json_t *root, const json_t *ref, int *why)
{
    const char *r = json_string_value(ref);
    if (!r) {
        *why = REF_BAD;
        return NULL;
    }
    return sw_schema_resolve_frag(root, r, json_string_length(ref), why);
}

const json_t *sw_schema_resolve_frag(const json_t *root, const char *r, size_t len, int *why)
{
    char buf[REF_MAX];
    size_t n = 0;
    *why = REF_OK;
    if (len == 0 || r[0] != '#') {
        *why = REF_REMOTE;
        return NULL;
    }
    if (len == 1) return root;
    for (size_t i = 1; i < len; i++) {
        unsigned char ch = (unsigned char)r[i];
        if (ch == '%') {
            int hi = i + 2 < len ? hexval((unsigned char)r[i + 1]) : -1;
            int lo = hi >= 0 ? hexval((unsigned char)r[i + 2]) : -1;
            if (lo < 0) {
                *why = REF_BAD;
                return NULL;
            }
            ch = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        if (n == sizeof buf) {
            *why = REF_LONG;
            return NULL;
        }
        buf[n++] = (char)ch;
    }
    if (buf[0] != '/') {
        *why = REF_ANCHOR;
        return NULL;
    }
    const json_t *cur = root;
    size_t i = 1;
    for (;;) {
        size_t j = i, w = i;
        while (j < n && buf[j] != '/')
            j++;
        for (size_t k = i; k < j; k++) {
            if (buf[k] != '~') {
                buf[w++] = buf[k];
            } else if (k + 1 < j && (buf[k + 1] == '0' || buf[k + 1] == '1')) {
                buf[w++] = buf[k + 1] == '0' ? '~' : '/';
                k++;
            } else {
                *why = REF_BAD;
                return NULL;
            }
        }
        const char *tok = buf + i;
        size_t tl = w - i;
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, tok, tl);
        } else if (json_is_array(cur)) {
            size_t idx = 0;
            int ok = tl > 0 && (tl == 1 || tok[0] != '0');
            for (size_t k = 0; ok && k < tl; k++) {
                if (tok[k] < '0' || tok[k] > '9' || idx > (SIZE_MAX - 9) / 10)
                    ok = 0;
                else
                    idx = idx * 10 + (size_t)(tok[k] - '0');
            }
            cur = ok ? json_array_get(cur, idx) : NULL;
        } else {
            cur = NULL;
        }
        if (!cur) {
            *why = REF_BAD;
            return NULL;
        }
        if (j >= n) return cur;
        i = j + 1;
    }
}

/* ---- pointer maps ------------------------------------------------------------------------ */

static size_t pm_slot(const pmap *m, const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 29) & (m->cap - 1);
}

void *sw_pmap_get(const pmap *m, const void *key)
{
    if (!m->cap) return NULL;
    for (size_t i = pm_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->v[i].key == key) return m->v[i].val;
        if (!m->v[i].key) return NULL;
    }
}

int sw_pmap_put(pmap *m, const void *key, void *val)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 16;
        pment *nv = calloc(ncap, sizeof *nv);
        if (!nv) return -1;
        pmap old = *m;
        m->v = nv;
        m->cap = ncap;
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.v[i].key) continue;
            size_t j = pm_slot(m, old.v[i].key);
            while (m->v[j].key)
                j = (j + 1) & (ncap - 1);
            m->v[j] = old.v[i];
        }
        free(old.v);
    }
    size_t i = pm_slot(m, key);
    for (; m->v[i].key; i = (i + 1) & (m->cap - 1))
        if (m->v[i].key == key) {
            m->v[i].val = val;
            return 0;
        }
    m->v[i].key = key;
    m->v[i].val = val;
    m->n++;
    return 0;
}

void sw_pmap_free(pmap *m)
{
    free(m->v);
    m->v = NULL;
    m->cap = m->n = 0;
}
