/* sw_schema: owns the draft-7 subset JSON-Schema checker (sw_schema_check), the validator that
 * runs on every tool call (sw_schema_validate) and the scan for secret argument fields
 * (sw_schema_secret_fields). Pure functions over caller-owned jansson values: no global mutable
 * state (thread-safe for concurrent readers), no allocation on the validation success path
 * (uniqueItems on arrays longer than 16 allocates one scratch array), error text built only on
 * failure, recursion bounded by SW_SCHEMA_MAX_DEPTH and total work by SW_SCHEMA_MAX_STEPS. */
#include "plugins/sw_schema.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SW_SCHEMA_MAX_DEPTH 64         /* nested schema applications, $ref hops included */
#define SW_SCHEMA_MAX_STEPS (1L << 20) /* schema applications per sw_schema_validate call */
#define REF_MAX 1024                   /* longest percent-decoded $ref fragment, in bytes */
#define UNIQUE_PAIRWISE 16             /* uniqueItems: longer arrays are hashed, then sorted */

#if defined(__GNUC__) || defined(__clang__)
#define SW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SW_PRINTF(f, a)
#endif

/* ---- paths and messages ------------------------------------------------------------------ */

/* One step of the path from the root to the value (or schema) being looked at; frames live on
 * the C stack of the recursion, so a path costs nothing until a message is rendered. */
enum { SEG_KEY, SEG_INDEX, SEG_REF };
typedef struct seg {
    const struct seg *up;
    const char *key; /* SEG_KEY: property or keyword name; SEG_REF: the $ref text */
    size_t index;    /* SEG_INDEX */
    int kind;
} seg;

typedef struct {
    char *p;
    size_t len, pos; /* pos < len whenever len > 0; p[pos] is always NUL */
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (!b->len) return;
    size_t room = b->len - 1 - b->pos;
    if (n > room) n = room;
    memcpy(b->p + b->pos, s, n);
    b->pos += n;
    b->p[b->pos] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
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
static const char *quote_n(char *dst, size_t dlen, const char *s, size_t n)
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
    return quote_n(dst, dlen, s, strlen(s));
}

static const char *quote_j(char *dst, size_t dlen, const json_t *str)
{
    return quote_n(dst, dlen, json_string_value(str), json_string_length(str));
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
        sb_puts(b, "(root)");
        return;
    }
    size_t i = 0;
    for (const seg *s = p; s; s = s->up, i++)
        if (i < PATH_TAIL || total - 1 - i < PATH_HEAD) v[n++] = s;
    int first = 1;
    for (size_t k = n; k-- > 0;) {
        const seg *s = v[k];
        char q[200];
        if (k == PATH_TAIL - 1 && total > n) sb_puts(b, "...");
        if (s->kind == SEG_INDEX) {
            char t[32];
            snprintf(t, sizeof t, "[%zu]", s->index);
            sb_puts(b, t);
        } else if (s->kind == SEG_REF) {
            sb_puts(b, quote(q, sizeof q, s->key));
        } else if (key_is_plain(s->key)) {
            if (!first && !(k == PATH_TAIL - 1 && total > n)) sb_puts(b, ".");
            sb_puts(b, s->key);
        } else {
            sb_puts(b, "[\"");
            sb_puts(b, quote(q, sizeof q, s->key));
            sb_puts(b, "\"]");
        }
        first = 0;
    }
}

static void emit(char *err, size_t errlen, const seg *path, const char *fmt, va_list ap)
{
    sbuf b = {err, errlen, 0};
    err[0] = '\0';
    sb_path(&b, path);
    sb_puts(&b, ": ");
    sb_vprintf(&b, fmt, ap);
}

static const char *type_name(const json_t *v)
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

/* ---- numbers ----------------------------------------------------------------------------- */

#define TWO63 9223372036854775808.0
#define TWO52 4503599627370496.0

/* jansson reals are always finite (it refuses NaN, infinities and overflowing literals). */
static int is_integral(double d)
{
    double a = d < 0 ? -d : d;
    if (!(a - a == 0)) return 0; /* not finite */
    if (a >= TWO52) return 1;
    return (double)(long long)d == d;
}

/* Exact comparison of an integer with a real: -1, 0 or 1. */
static int cmp_int_real(json_int_t i, double r)
{
    if (r >= TWO63) return -1;
    if (r < -TWO63) return 1;
    long long t = (long long)r; /* truncates toward zero; in range by the tests above */
    if (i < t) return -1;
    if (i > t) return 1;
    double frac = r - (double)t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* Numeric comparison of two JSON numbers (integer or real, in any mix): -1, 0 or 1. */
static int num_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a)) {
        json_int_t x = json_integer_value(a);
        if (json_is_integer(b)) {
            json_int_t y = json_integer_value(b);
            return (x > y) - (x < y);
        }
        return cmp_int_real(x, json_real_value(b));
    }
    double x = json_real_value(a);
    if (json_is_integer(b)) return -cmp_int_real(json_integer_value(b), x);
    double y = json_real_value(b);
    return (x > y) - (x < y);
}

/* The value of an integral JSON number as int64, when it is one and fits. */
static int num_as_int(const json_t *v, json_int_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    double d = json_real_value(v);
    if (!is_integral(d) || d >= TWO63 || d < -TWO63) return 0;
    *out = (json_int_t)d;
    return 1;
}

/* a is a multiple of m (m > 0). Exact on integral operands; otherwise the quotient's distance
 * to the nearest integer is compared with a small tolerance (multipleOf 0.01 and friends). */
static int is_multiple(const json_t *a, const json_t *m)
{
    json_int_t ia, im;
    if (num_as_int(a, &ia) && num_as_int(m, &im) && im > 0) return ia % im == 0;
    double q = json_number_value(a) / json_number_value(m);
    double aq = q < 0 ? -q : q;
    if (!(aq - aq == 0)) return 0; /* quotient overflowed: not a multiple we can vouch for */
    if (aq >= TWO52) return 1;
    double f = q - (double)(long long)q;
    if (f > 0.5) f -= 1;
    if (f < -0.5) f += 1;
    if (f < 0) f = -f;
    double tol = aq * 1e-15;
    return f <= (tol > 1e-9 ? tol : 1e-9);
}

static const char *num_text(char *buf, size_t len, const json_t *v)
{
    if (json_is_integer(v)) {
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else {
        double d = json_real_value(v);
        snprintf(buf, len, "%.15g", d);
        if (strtod(buf, NULL) != d) snprintf(buf, len, "%.17g", d);
    }
    return buf;
}

/* A non-negative integer keyword value (minLength: 2, also 2.0); -1 when it is not one. */
static long long count_value(const json_t *v)
{
    if (json_is_integer(v)) return json_integer_value(v) < 0 ? -1 : json_integer_value(v);
    if (!json_is_real(v)) return -1;
    double d = json_real_value(v);
    if (!is_integral(d) || d < 0) return -1;
    return d >= TWO63 ? (long long)(TWO63 - 1024) : (long long)d;
}

/* ---- JSON equality with numeric semantics (1 == 1.0), and a matching hash ---------------- */

/* 1 equal, 0 different, -1 nested deeper than SW_SCHEMA_MAX_DEPTH. */
static int j_eq(const json_t *a, const json_t *b, int depth)
{
    if (a == b) return 1;
    if (json_is_number(a) && json_is_number(b)) return num_cmp(a, b) == 0;
    if (json_typeof(a) != json_typeof(b)) return 0;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b)) return 0;
        if (n && depth >= SW_SCHEMA_MAX_DEPTH) return -1;
        for (size_t i = 0; i < n; i++) {
            int r = j_eq(json_array_get(a, i), json_array_get(b, i), depth + 1);
            if (r != 1) return r;
        }
        return 1;
    }
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b)) return 0;
        if (json_object_size(a) && depth >= SW_SCHEMA_MAX_DEPTH) return -1;
        const char *k;
        size_t kl;
        json_t *av;
        json_object_keylen_foreach((json_t *)a, k, kl, av)
        {
            const json_t *bv = json_object_getn(b, k, kl);
            if (!bv) return 0;
            int r = j_eq(av, bv, depth + 1);
            if (r != 1) return r;
        }
        return 1;
    }
    default:
        return 1; /* true, false, null: same type is same value */
    }
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t bytes_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return mix64(h ^ n);
}

/* A hash consistent with j_eq (equal values hash equal); -1 when nested too deeply. */
static int j_hash(const json_t *v, int depth, uint64_t *out)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        *out = mix64((uint64_t)json_integer_value(v));
        return 0;
    case JSON_REAL: {
        double d = json_real_value(v);
        if (is_integral(d) && d < TWO63 && d >= -TWO63) {
            *out = mix64((uint64_t)(long long)d);
        } else {
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            *out = mix64(bits ^ 0x5bd1e9955bd1e995ULL);
        }
        return 0;
    }
    case JSON_STRING:
        *out = bytes_hash(json_string_value(v), json_string_length(v));
        return 0;
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (n && depth >= SW_SCHEMA_MAX_DEPTH) return -1;
        uint64_t h = 0xa11a7ULL;
        for (size_t i = 0; i < n; i++) {
            uint64_t e;
            if (j_hash(json_array_get(v, i), depth + 1, &e)) return -1;
            h = mix64(h ^ e) + i;
        }
        *out = mix64(h ^ n);
        return 0;
    }
    case JSON_OBJECT: {
        if (json_object_size(v) && depth >= SW_SCHEMA_MAX_DEPTH) return -1;
        uint64_t sum = 0x0b1ec7ULL; /* order-independent: sum of per-member hashes */
        const char *k;
        size_t kl;
        json_t *m;
        json_object_keylen_foreach((json_t *)v, k, kl, m)
        {
            uint64_t e;
            if (j_hash(m, depth + 1, &e)) return -1;
            sum += mix64(bytes_hash(k, kl) ^ mix64(e + 0x9e3779b97f4a7c15ULL));
        }
        *out = mix64(sum ^ json_object_size(v));
        return 0;
    }
    case JSON_TRUE:
        *out = 0x7777ULL;
        return 0;
    case JSON_FALSE:
        *out = 0x8888ULL;
        return 0;
    default:
        *out = 0x9999ULL;
        return 0;
    }
}

/* ---- local $ref resolution --------------------------------------------------------------- */

enum { REF_OK, REF_REMOTE, REF_ANCHOR, REF_BAD, REF_LONG };

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Resolves "#" or "#/json/pointer" (URI-fragment percent-encoding, then ~0 ~1 escapes)
 * against root. NULL when it does not resolve, with the reason in *why. No allocation. */
static const json_t *resolve_ref(const json_t *root, const json_t *ref, int *why)
{
    char buf[REF_MAX];
    const char *r = json_string_value(ref);
    size_t len = json_string_length(ref), n = 0;
    *why = REF_OK;
    if (!r) {
        *why = REF_BAD;
        return NULL;
    }
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

/* ---- types ------------------------------------------------------------------------------- */

enum {
    T_NULL = 1,
    T_BOOLEAN = 2,
    T_OBJECT = 4,
    T_ARRAY = 8,
    T_STRING = 16,
    T_INTEGER = 32,
    T_NUMBER = 64
};

/* The bit for a type name given as a JSON string; 0 when it is not one of the seven. */
static int type_bit(const json_t *name)
{
    const char *s = json_string_value(name);
    if (!s) return 0;
    int bit = 0;
    switch (s[0]) {
    case 'a':
        bit = strcmp(s, "array") ? 0 : T_ARRAY;
        break;
    case 'b':
        bit = strcmp(s, "boolean") ? 0 : T_BOOLEAN;
        break;
    case 'i':
        bit = strcmp(s, "integer") ? 0 : T_INTEGER;
        break;
    case 'n':
        bit = !strcmp(s, "number") ? T_NUMBER : !strcmp(s, "null") ? T_NULL : 0;
        break;
    case 'o':
        bit = strcmp(s, "object") ? 0 : T_OBJECT;
        break;
    case 's':
        bit = strcmp(s, "string") ? 0 : T_STRING;
        break;
    default:
        return 0;
    }
    return bit && strlen(s) == json_string_length(name) ? bit : 0;
}

static int type_matches(int mask, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return mask & T_OBJECT;
    case JSON_ARRAY:
        return mask & T_ARRAY;
    case JSON_STRING:
        return mask & T_STRING;
    case JSON_INTEGER:
        return mask & (T_INTEGER | T_NUMBER);
    case JSON_REAL:
        return (mask & T_NUMBER) || ((mask & T_INTEGER) && is_integral(json_real_value(v)));
    case JSON_TRUE:
    case JSON_FALSE:
        return mask & T_BOOLEAN;
    case JSON_NULL:
        return mask & T_NULL;
    }
    return 0;
}

/* ---- validation -------------------------------------------------------------------------- */

enum { V_OK = 0, V_FAIL = 1, V_FATAL = 2 }; /* FATAL: limit hit or broken schema; never inverted */

typedef struct {
    const json_t *root;
    char *err; /* NULL when the caller wants no message */
    size_t errlen;
    int quiet; /* > 0 inside anyOf/oneOf/not branches: failures there are not the answer */
    long steps;
} vctx;

static int vfail(vctx *c, const seg *path, const char *fmt, ...) SW_PRINTF(3, 4);
static int vfail(vctx *c, const seg *path, const char *fmt, ...)
{
    if (!c->err || c->quiet) return V_FAIL;
    va_list ap;
    va_start(ap, fmt);
    emit(c->err, c->errlen, path, fmt, ap);
    va_end(ap);
    return V_FAIL;
}

static int vfatal(vctx *c, const seg *path, const char *fmt, ...) SW_PRINTF(3, 4);
static int vfatal(vctx *c, const seg *path, const char *fmt, ...)
{
    if (!c->err) return V_FATAL;
    va_list ap;
    va_start(ap, fmt);
    emit(c->err, c->errlen, path, fmt, ap);
    va_end(ap);
    return V_FATAL;
}

static int v_node(vctx *c, const json_t *s, const json_t *v, const seg *path, int depth);

static int v_type(vctx *c, const json_t *kv, const json_t *v, const seg *path)
{
    int mask = 0;
    if (json_is_string(kv)) {
        mask = type_bit(kv);
    } else if (json_is_array(kv)) {
        for (size_t i = 0; i < json_array_size(kv); i++) {
            int b = type_bit(json_array_get(kv, i));
            if (!b) return vfatal(c, path, "invalid schema: bad \"type\"");
            mask |= b;
        }
        if (!json_array_size(kv)) return vfail(c, path, "no type is allowed here");
    }
    if (!mask) return vfatal(c, path, "invalid schema: bad \"type\"");
    if (type_matches(mask, v)) return V_OK;
    if (!c->err || c->quiet) return V_FAIL;
    char want[160];
    sbuf b = {want, sizeof want, 0};
    want[0] = '\0';
    if (json_is_string(kv)) {
        sb_puts(&b, json_string_value(kv));
    } else {
        for (size_t i = 0; i < json_array_size(kv); i++) {
            if (i) sb_puts(&b, " or ");
            sb_puts(&b, json_string_value(json_array_get(kv, i)));
        }
    }
    return vfail(c, path, "expected %s, got %s", want, type_name(v));
}

static int v_properties(vctx *c, const json_t *props, const json_t *v, const seg *path, int depth)
{
    const char *k;
    size_t kl;
    json_t *x;
    if (!json_is_object(props)) return vfatal(c, path, "invalid schema: bad \"properties\"");
    /* Walk the smaller side; look each name up in the other. */
    if (json_object_size(v) < json_object_size(props)) {
        json_object_keylen_foreach((json_t *)v, k, kl, x)
        {
            const json_t *ps = json_object_getn(props, k, kl);
            if (!ps) continue;
            seg sg = {path, k, 0, SEG_KEY};
            int r = v_node(c, ps, x, &sg, depth + 1);
            if (r) return r;
        }
    } else {
        json_object_keylen_foreach((json_t *)props, k, kl, x)
        {
            const json_t *iv = json_object_getn(v, k, kl);
            if (!iv) continue;
            seg sg = {path, k, 0, SEG_KEY};
            int r = v_node(c, x, iv, &sg, depth + 1);
            if (r) return r;
        }
    }
    return V_OK;
}

static int v_additional(vctx *c, const json_t *s, const json_t *ap, const json_t *v,
                        const seg *path, int depth)
{
    if (json_is_true(ap)) return V_OK;
    const json_t *props = json_object_get(s, "properties");
    if (!json_is_object(props)) props = NULL;
    const char *k;
    size_t kl;
    json_t *x;
    json_object_keylen_foreach((json_t *)v, k, kl, x)
    {
        if (props && json_object_getn(props, k, kl)) continue;
        if (json_is_false(ap)) {
            if (!c->err || c->quiet) return V_FAIL;
            char q[160];
            return vfail(c, path, "unexpected property \"%s\"", quote_n(q, sizeof q, k, kl));
        }
        seg sg = {path, k, 0, SEG_KEY};
        int r = v_node(c, ap, x, &sg, depth + 1);
        if (r) return r;
    }
    return V_OK;
}

static int v_required(vctx *c, const json_t *req, const json_t *v, const seg *path)
{
    if (!json_is_array(req)) return vfatal(c, path, "invalid schema: bad \"required\"");
    for (size_t i = 0; i < json_array_size(req); i++) {
        const json_t *name = json_array_get(req, i);
        if (!json_is_string(name)) return vfatal(c, path, "invalid schema: bad \"required\"");
        if (json_object_getn(v, json_string_value(name), json_string_length(name))) continue;
        if (!c->err || c->quiet) return V_FAIL;
        char q[160];
        return vfail(c, path, "missing required property \"%s\"", quote_j(q, sizeof q, name));
    }
    return V_OK;
}

static int v_items(vctx *c, const json_t *items, const json_t *v, const seg *path, int depth)
{
    size_t n = json_array_size(v);
    if (json_is_array(items)) {
        size_t m = json_array_size(items);
        for (size_t i = 0; i < n && i < m; i++) {
            seg sg = {path, NULL, i, SEG_INDEX};
            int r = v_node(c, json_array_get(items, i), json_array_get(v, i), &sg, depth + 1);
            if (r) return r;
        }
        return V_OK;
    }
    if (json_is_true(items)) return V_OK;
    for (size_t i = 0; i < n; i++) {
        seg sg = {path, NULL, i, SEG_INDEX};
        int r = v_node(c, items, json_array_get(v, i), &sg, depth + 1);
        if (r) return r;
    }
    return V_OK;
}

typedef struct {
    uint64_t h;
    size_t i;
} hent;

static int hent_cmp(const void *a, const void *b)
{
    const hent *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int v_unique(vctx *c, const json_t *v, const seg *path)
{
    size_t n = json_array_size(v), di = 0, dj = 0;
    int found = 0;
    if (n < 2) return V_OK;
    if (n <= UNIQUE_PAIRWISE) {
        for (size_t i = 0; i < n && !found; i++)
            for (size_t j = i + 1; j < n && !found; j++) {
                int r = j_eq(json_array_get(v, i), json_array_get(v, j), 0);
                if (r < 0) return vfatal(c, path, "array items nested too deeply to compare");
                if (r) found = 1, di = i, dj = j;
            }
    } else {
        hent *h = malloc(n * sizeof *h);
        if (!h) return vfatal(c, path, "out of memory checking uniqueItems");
        for (size_t i = 0; i < n; i++) {
            h[i].i = i;
            if (j_hash(json_array_get(v, i), 0, &h[i].h)) {
                free(h);
                return vfatal(c, path, "array items nested too deeply to compare");
            }
        }
        qsort(h, n, sizeof *h, hent_cmp);
        for (size_t a = 0, b; a < n && !found; a = b) {
            for (b = a + 1; b < n && h[b].h == h[a].h; b++)
                ;
            for (size_t x = a; x < b && !found; x++)
                for (size_t y = x + 1; y < b && !found; y++) {
                    int r = j_eq(json_array_get(v, h[x].i), json_array_get(v, h[y].i), 0);
                    if (r < 0) {
                        free(h);
                        return vfatal(c, path, "array items nested too deeply to compare");
                    }
                    if (r) found = 1, di = h[x].i, dj = h[y].i;
                }
        }
        free(h);
    }
    if (!found) return V_OK;
    return vfail(c, path, "array items [%zu] and [%zu] are equal (uniqueItems)", di, dj);
}

static int v_enum(vctx *c, const json_t *kv, const json_t *v, const seg *path)
{
    if (!json_is_array(kv)) return vfatal(c, path, "invalid schema: bad \"enum\"");
    for (size_t i = 0; i < json_array_size(kv); i++) {
        int r = j_eq(json_array_get(kv, i), v, 0);
        if (r < 0) return vfatal(c, path, "value nested too deeply to compare with enum");
        if (r) return V_OK;
    }
    return vfail(c, path, "value not in enum");
}

enum { N_MIN, N_MAX, N_XMIN, N_XMAX };

static int v_bound(vctx *c, int which, const json_t *kv, const json_t *v, const seg *path)
{
    static const char *const what[] = {"less than the minimum", "greater than the maximum",
                                       "not greater than the exclusive minimum",
                                       "not less than the exclusive maximum"};
    if (!json_is_number(kv)) return vfatal(c, path, "invalid schema: bound is not a number");
    int d = num_cmp(v, kv), bad;
    switch (which) {
    case N_MIN:
        bad = d < 0;
        break;
    case N_MAX:
        bad = d > 0;
        break;
    case N_XMIN:
        bad = d <= 0;
        break;
    default:
        bad = d >= 0;
        break;
    }
    if (!bad) return V_OK;
    if (!c->err || c->quiet) return V_FAIL;
    char a[40], b[40];
    return vfail(c, path, "%s is %s %s", num_text(a, sizeof a, v), what[which],
                 num_text(b, sizeof b, kv));
}

/* Counts code points of UTF-8 text (jansson strings are valid UTF-8). */
static long long utf8_len(const json_t *s)
{
    const unsigned char *p = (const unsigned char *)json_string_value(s);
    size_t n = json_string_length(s);
    long long cps = 0;
    for (size_t i = 0; i < n; i++)
        cps += (p[i] & 0xC0) != 0x80;
    return cps;
}

static int v_count(vctx *c, const char *kw, const json_t *kv, long long have, int is_min,
                   const char *unit, const seg *path)
{
    long long lim = count_value(kv);
    if (lim < 0) return vfatal(c, path, "invalid schema: bad \"%s\"", kw);
    if (is_min ? have >= lim : have <= lim) return V_OK;
    return vfail(c, path, "%s %lld is %s than %s %lld", unit, have, is_min ? "less" : "greater", kw,
                 lim);
}

static int v_combine(vctx *c, const char *kw, const json_t *kv, const json_t *v, const seg *path,
                     int depth)
{
    size_t n = json_array_size(kv);
    if (!json_is_array(kv) || !n) return vfatal(c, path, "invalid schema: bad \"%s\"", kw);
    if (kw[1] == 'l') { /* allOf: the first failing branch's message is the answer */
        for (size_t i = 0; i < n; i++) {
            int r = v_node(c, json_array_get(kv, i), v, path, depth + 1);
            if (r) return r;
        }
        return V_OK;
    }
    size_t hits = 0, first = 0, second = 0;
    c->quiet++;
    for (size_t i = 0; i < n; i++) {
        int r = v_node(c, json_array_get(kv, i), v, path, depth + 1);
        if (r == V_FATAL) {
            c->quiet--;
            return r;
        }
        if (r == V_OK) {
            if (!hits++)
                first = i;
            else
                second = i;
            if (kw[0] == 'a' || hits > 1) break; /* anyOf: one is enough; oneOf: two too many */
        }
    }
    c->quiet--;
    if (kw[0] == 'a')
        return hits ? V_OK : vfail(c, path, "value does not match any schema in anyOf");
    if (hits == 1) return V_OK;
    if (!hits) return vfail(c, path, "value matches no schema in oneOf");
    return vfail(c, path, "value matches more than one schema in oneOf ([%zu] and [%zu])", first,
                 second);
}

static int v_not(vctx *c, const json_t *kv, const json_t *v, const seg *path, int depth)
{
    c->quiet++;
    int r = v_node(c, kv, v, path, depth + 1);
    c->quiet--;
    if (r == V_FATAL) return r;
    return r == V_OK ? vfail(c, path, "value must not match the \"not\" schema") : V_OK;
}

/* Applies schema s to instance v. Keywords are evaluated in the schema's key order; the first
 * failure is the answer. A "$ref" replaces its sibling keywords (draft 7): when one is met, or
 * when a sibling failed and the schema has one, evaluation continues at the target. */
/* Keyword test in v_node: the key's length rules out most names before any byte compare. */
#define KW(lit) (kl == sizeof(lit) - 1 && !memcmp(k, lit, sizeof(lit) - 1))

static int v_node(vctx *c, const json_t *s, const json_t *v, const seg *path, int depth)
{
    const char *k;
    size_t kl;
    json_t *kv;
    int r;
again:
    if (depth > SW_SCHEMA_MAX_DEPTH)
        return vfatal(c, path, "nested deeper than %d levels (instance or $ref recursion)",
                      SW_SCHEMA_MAX_DEPTH);
    if (--c->steps < 0)
        return vfatal(c, path, "schema too costly to evaluate (over %ld steps)",
                      (long)SW_SCHEMA_MAX_STEPS);
    if (!json_is_object(s)) {
        if (json_is_true(s)) return V_OK;
        if (json_is_false(s)) return vfail(c, path, "no value is allowed here");
        return vfatal(c, path, "invalid schema: not an object or boolean");
    }
    int vt = json_typeof(v);
    json_object_keylen_foreach((json_t *)s, k, kl, kv)
    {
        r = V_OK;
        switch (k[0]) {
        case '$':
            if (KW("$ref")) goto follow;
            break;
        case 'a':
            if (KW("additionalProperties")) {
                if (vt == JSON_OBJECT) r = v_additional(c, s, kv, v, path, depth);
            } else if (KW("allOf") || KW("anyOf")) {
                r = v_combine(c, k, kv, v, path, depth);
            } else if (KW("additionalItems")) {
                r = vfatal(c, path, "unsupported keyword \"%s\"", k);
            }
            break;
        case 'c':
            if (KW("const")) {
                int e = j_eq(kv, v, 0);
                if (e < 0)
                    r = vfatal(c, path, "value nested too deeply to compare with const");
                else if (!e)
                    r = vfail(c, path, "value does not equal const");
            } else if (KW("contains")) {
                r = vfatal(c, path, "unsupported keyword \"%s\"", k);
            }
            break;
        case 'e':
            if (KW("enum")) {
                r = v_enum(c, kv, v, path);
            } else if (KW("exclusiveMinimum")) {
                if (json_is_number(v)) r = v_bound(c, N_XMIN, kv, v, path);
            } else if (KW("exclusiveMaximum")) {
                if (json_is_number(v)) r = v_bound(c, N_XMAX, kv, v, path);
            } else if (KW("else")) {
                r = vfatal(c, path, "unsupported keyword \"%s\"", k);
            }
            break;
        case 'i':
            if (KW("items")) {
                if (vt == JSON_ARRAY) r = v_items(c, kv, v, path, depth);
            } else if (KW("if")) {
                r = vfatal(c, path, "unsupported keyword \"%s\"", k);
            }
            break;
        case 'm':
            if (KW("minimum")) {
                if (json_is_number(v)) r = v_bound(c, N_MIN, kv, v, path);
            } else if (KW("maximum")) {
                if (json_is_number(v)) r = v_bound(c, N_MAX, kv, v, path);
            } else if (KW("multipleOf")) {
                if (json_is_number(v)) {
                    char a[40], b[40];
                    if (!json_is_number(kv) || json_number_value(kv) <= 0)
                        r = vfatal(c, path, "invalid schema: bad \"multipleOf\"");
                    else if (!is_multiple(v, kv))
                        r = c->err && !c->quiet
                                ? vfail(c, path, "%s is not a multiple of %s",
                                        num_text(a, sizeof a, v), num_text(b, sizeof b, kv))
                                : V_FAIL;
                }
            } else if (KW("minLength") || KW("maxLength")) {
                if (vt == JSON_STRING)
                    r = v_count(c, k, kv, utf8_len(v), k[1] == 'i', "string length", path);
            } else if (KW("minItems") || KW("maxItems")) {
                if (vt == JSON_ARRAY)
                    r = v_count(c, k, kv, (long long)json_array_size(v), k[1] == 'i',
                                "array length", path);
            } else if (KW("minProperties") || KW("maxProperties")) {
                if (vt == JSON_OBJECT)
                    r = v_count(c, k, kv, (long long)json_object_size(v), k[1] == 'i',
                                "object size", path);
            }
            break;
        case 'n':
            if (KW("not")) r = v_not(c, kv, v, path, depth);
            break;
        case 'o':
            if (KW("oneOf")) r = v_combine(c, k, kv, v, path, depth);
            break;
        case 'p':
            if (KW("properties")) {
                if (vt == JSON_OBJECT) r = v_properties(c, kv, v, path, depth);
            } else if (KW("pattern") || KW("patternProperties") || KW("propertyNames")) {
                r = vfatal(c, path, "unsupported keyword \"%s\"", k);
            }
            break;
        case 'r':
            if (KW("required") && vt == JSON_OBJECT) r = v_required(c, kv, v, path);
            break;
        case 't':
            if (KW("type"))
                r = v_type(c, kv, v, path);
            else if (KW("then"))
                r = vfatal(c, path, "unsupported keyword \"%s\"", k);
            break;
        case 'u':
            if (KW("uniqueItems")) {
                if (!json_is_boolean(kv))
                    r = vfatal(c, path, "invalid schema: bad \"uniqueItems\"");
                else if (json_is_true(kv) && vt == JSON_ARRAY)
                    r = v_unique(c, v, path);
            }
            break;
        case 'd':
            if (KW("dependencies")) r = vfatal(c, path, "unsupported keyword \"%s\"", k);
            break;
        default:
            break;
        }
        if (r != V_OK) {
            /* Siblings of "$ref" do not count (draft 7): rare, so only looked for here. */
            if (json_object_get(s, "$ref")) goto follow;
            return r;
        }
    }
    return V_OK;

follow : {
    const json_t *ref = json_object_get(s, "$ref");
    int why;
    const json_t *t = resolve_ref(c->root, ref, &why);
    if (!t) {
        char q[200];
        return vfatal(c, path, "invalid schema: unresolvable $ref \"%s\"",
                      json_is_string(ref) ? quote_j(q, sizeof q, ref) : "(not a string)");
    }
    s = t;
    depth++;
    goto again;
}
}

int sw_schema_validate(const json_t *schema, const json_t *instance, char *err, size_t errlen)
{
    vctx c = {schema, errlen ? err : NULL, errlen, 0, SW_SCHEMA_MAX_STEPS};
    if (c.err) err[0] = '\0';
    if (!schema || !instance) {
        if (c.err) snprintf(err, errlen, "(root): %s", schema ? "no value" : "no schema");
        return -1;
    }
    int r = v_node(&c, schema, instance, NULL, 0);
    if (r == V_OK) {
        if (c.err) err[0] = '\0';
        return 0;
    }
    if (c.err && !err[0]) snprintf(err, errlen, "(root): invalid");
    return -1;
}

/* ---- schema check ------------------------------------------------------------------------ */

enum { WHITE = 0, GRAY = 1, BLACK = 2 };

typedef struct {
    const json_t *key;
    int color;
} pent;

/* Open-addressing set of schema nodes already checked (and their DFS colour). */
typedef struct {
    pent *v;
    size_t cap, n;
} pset;

static size_t p_slot(const pset *s, const json_t *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 29) & (s->cap - 1);
}

static pent *pset_find(const pset *s, const json_t *p)
{
    if (!s->cap) return NULL;
    for (size_t i = p_slot(s, p);; i = (i + 1) & (s->cap - 1)) {
        if (s->v[i].key == p) return &s->v[i];
        if (!s->v[i].key) return NULL;
    }
}

/* 1 added, 0 already there, -1 out of memory. */
static int pset_add(pset *s, const json_t *p)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        pent *nv = calloc(ncap, sizeof *nv);
        if (!nv) return -1;
        pset old = *s;
        s->v = nv;
        s->cap = ncap;
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.v[i].key) continue;
            size_t j = p_slot(s, old.v[i].key);
            while (s->v[j].key)
                j = (j + 1) & (ncap - 1);
            s->v[j] = old.v[i];
        }
        free(old.v);
    }
    size_t i = p_slot(s, p);
    for (; s->v[i].key; i = (i + 1) & (s->cap - 1))
        if (s->v[i].key == p) return 0;
    s->v[i].key = p;
    s->v[i].color = WHITE;
    s->n++;
    return 1;
}

typedef struct {
    const json_t *target, *ref;
} qent;

typedef struct {
    const json_t *root;
    char *err;
    size_t errlen;
    pset set;
    qent *q; /* $ref targets still to check as schemas */
    size_t qn, qcap;
} cctx;

static int cfail(cctx *c, const seg *path, const char *fmt, ...) SW_PRINTF(3, 4);
static int cfail(cctx *c, const seg *path, const char *fmt, ...)
{
    if (!c->err) return -1;
    va_list ap;
    va_start(ap, fmt);
    emit(c->err, c->errlen, path, fmt, ap);
    va_end(ap);
    return -1;
}

enum {
    K_UNSUPPORTED,
    K_TYPE,
    K_PROPERTIES,
    K_ADDPROPS,
    K_REQUIRED,
    K_ITEMS,
    K_ENUM,
    K_ANY,
    K_NUMBER,
    K_MULTIPLE,
    K_COUNT,
    K_BOOL,
    K_SCHEMAS,
    K_SCHEMA,
    K_REF,
    K_DEFS,
    K_STRING
};

static const struct {
    const char *name;
    int kind;
} keywords[] = {
    {"type", K_TYPE},
    {"properties", K_PROPERTIES},
    {"additionalProperties", K_ADDPROPS},
    {"required", K_REQUIRED},
    {"items", K_ITEMS},
    {"enum", K_ENUM},
    {"const", K_ANY},
    {"minimum", K_NUMBER},
    {"maximum", K_NUMBER},
    {"exclusiveMinimum", K_NUMBER},
    {"exclusiveMaximum", K_NUMBER},
    {"multipleOf", K_MULTIPLE},
    {"minLength", K_COUNT},
    {"maxLength", K_COUNT},
    {"minItems", K_COUNT},
    {"maxItems", K_COUNT},
    {"minProperties", K_COUNT},
    {"maxProperties", K_COUNT},
    {"uniqueItems", K_BOOL},
    {"allOf", K_SCHEMAS},
    {"anyOf", K_SCHEMAS},
    {"oneOf", K_SCHEMAS},
    {"not", K_SCHEMA},
    {"$ref", K_REF},
    {"definitions", K_DEFS},
    {"$defs", K_DEFS},
    /* annotations: accepted, type-checked, no effect on validation */
    {"title", K_STRING},
    {"description", K_STRING},
    {"$comment", K_STRING},
    {"$schema", K_STRING},
    {"$id", K_STRING},
    {"format", K_STRING},
    {"contentMediaType", K_STRING},
    {"contentEncoding", K_STRING},
    {"default", K_ANY},
    {"examples", K_ANY},
    {"readOnly", K_BOOL},
    {"writeOnly", K_BOOL},
    {"x-secret", K_BOOL},
};

static int keyword_kind(const char *k)
{
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (!strcmp(k, keywords[i].name)) return keywords[i].kind;
    if (!strncmp(k, "x-", 2)) return K_ANY; /* vendor extension annotations */
    return K_UNSUPPORTED;
}

static int c_node(cctx *c, const json_t *s, const seg *path, int depth);

static int c_type(cctx *c, const json_t *kv, const seg *kp)
{
    char q[160];
    if (json_is_string(kv)) {
        if (!type_bit(kv)) return cfail(c, kp, "unknown type \"%s\"", quote_j(q, sizeof q, kv));
        return 0;
    }
    if (!json_is_array(kv)) return cfail(c, kp, "must be a type name or an array of type names");
    int seen = 0;
    for (size_t i = 0; i < json_array_size(kv); i++) {
        const json_t *t = json_array_get(kv, i);
        if (!json_is_string(t))
            return cfail(c, kp, "must be a type name or an array of type names");
        int b = type_bit(t);
        if (!b) return cfail(c, kp, "unknown type \"%s\"", quote_j(q, sizeof q, t));
        if (seen & b) return cfail(c, kp, "duplicate type \"%s\"", quote_j(q, sizeof q, t));
        seen |= b;
    }
    return 0;
}

static int c_ref(cctx *c, const json_t *kv, const seg *kp)
{
    char q[200];
    int why;
    if (!json_is_string(kv)) return cfail(c, kp, "must be a string");
    const json_t *t = resolve_ref(c->root, kv, &why);
    quote_j(q, sizeof q, kv);
    switch (why) {
    case REF_REMOTE:
        return cfail(c, kp, "unsupported non-local $ref \"%s\" (only \"#/...\" in this schema)", q);
    case REF_ANCHOR:
        return cfail(c, kp, "unsupported $ref \"%s\" (only \"#\" and \"#/json/pointer\")", q);
    case REF_LONG:
        return cfail(c, kp, "unsupported $ref \"%s\" (longer than %d bytes)", q, REF_MAX);
    case REF_BAD:
        return cfail(c, kp, "unresolvable $ref \"%s\"", q);
    default:
        break;
    }
    if (!json_is_object(t) && !json_is_boolean(t))
        return cfail(c, kp, "$ref \"%s\" does not point to a schema", q);
    if (json_is_boolean(t) || pset_find(&c->set, t)) return 0;
    if (c->qn == c->qcap) {
        size_t ncap = c->qcap ? c->qcap * 2 : 16;
        qent *nq = realloc(c->q, ncap * sizeof *nq);
        if (!nq) return cfail(c, kp, "out of memory");
        c->q = nq;
        c->qcap = ncap;
    }
    c->q[c->qn].target = t;
    c->q[c->qn].ref = kv;
    c->qn++;
    return 0;
}

static int c_node(cctx *c, const json_t *s, const seg *path, int depth)
{
    if (depth > SW_SCHEMA_MAX_DEPTH)
        return cfail(c, path, "schema nested deeper than %d levels", SW_SCHEMA_MAX_DEPTH);
    if (json_is_boolean(s)) return 0;
    if (!json_is_object(s))
        return cfail(c, path, "expected a schema (object or boolean), got %s", type_name(s));
    int added = pset_add(&c->set, s);
    if (added < 0) return cfail(c, path, "out of memory");
    if (!added) return 0;

    const char *k;
    size_t kl;
    json_t *kv;
    json_object_keylen_foreach((json_t *)s, k, kl, kv)
    {
        seg kp = {path, k, 0, SEG_KEY};
        int r = 0;
        if (strlen(k) != kl) return cfail(c, &kp, "unsupported keyword (NUL byte in its name)");
        switch (keyword_kind(k)) {
        case K_UNSUPPORTED:
            return cfail(c, &kp, "unsupported keyword");
        case K_TYPE:
            r = c_type(c, kv, &kp);
            break;
        case K_PROPERTIES:
        case K_DEFS: {
            if (!json_is_object(kv)) return cfail(c, &kp, "must be an object of schemas");
            const char *name;
            json_t *sub;
            json_object_foreach(kv, name, sub)
            {
                seg np = {&kp, name, 0, SEG_KEY};
                if ((r = c_node(c, sub, &np, depth + 1))) return r;
            }
            break;
        }
        case K_ADDPROPS:
        case K_SCHEMA:
            r = c_node(c, kv, &kp, depth + 1);
            break;
        case K_ITEMS:
            if (!json_is_array(kv)) {
                r = c_node(c, kv, &kp, depth + 1);
                break;
            }
            for (size_t i = 0; i < json_array_size(kv) && !r; i++) {
                seg ip = {&kp, NULL, i, SEG_INDEX};
                r = c_node(c, json_array_get(kv, i), &ip, depth + 1);
            }
            break;
        case K_SCHEMAS:
            if (!json_is_array(kv) || !json_array_size(kv))
                return cfail(c, &kp, "must be a non-empty array of schemas");
            for (size_t i = 0; i < json_array_size(kv) && !r; i++) {
                seg ip = {&kp, NULL, i, SEG_INDEX};
                r = c_node(c, json_array_get(kv, i), &ip, depth + 1);
            }
            break;
        case K_REQUIRED:
            if (!json_is_array(kv)) return cfail(c, &kp, "must be an array of strings");
            for (size_t i = 0; i < json_array_size(kv); i++)
                if (!json_is_string(json_array_get(kv, i)))
                    return cfail(c, &kp, "must be an array of strings");
            break;
        case K_ENUM:
            if (!json_is_array(kv)) return cfail(c, &kp, "must be an array");
            break;
        case K_NUMBER:
            if (!json_is_number(kv)) return cfail(c, &kp, "must be a number");
            break;
        case K_MULTIPLE:
            if (!json_is_number(kv) || json_number_value(kv) <= 0)
                return cfail(c, &kp, "must be a number greater than 0");
            break;
        case K_COUNT:
            if (count_value(kv) < 0) return cfail(c, &kp, "must be a non-negative integer");
            break;
        case K_BOOL:
            if (!json_is_boolean(kv)) return cfail(c, &kp, "must be a boolean");
            break;
        case K_STRING:
            if (!json_is_string(kv)) return cfail(c, &kp, "must be a string");
            break;
        case K_REF:
            r = c_ref(c, kv, &kp);
            break;
        default:
            break; /* K_ANY */
        }
        if (r) return r;
    }
    return 0;
}

/* Looks for a cycle through "$ref", allOf/anyOf/oneOf and not: the edges along which
 * validation stays at the same instance value. Such a cycle would never terminate. */
static int c_cycles(cctx *c, const json_t *s, const json_t *via, int depth)
{
    char q[200];
    if (!json_is_object(s)) return 0;
    pent *e = pset_find(&c->set, s);
    if (!e || e->color == BLACK) return 0;
    if (e->color == GRAY) {
        if (!via) return cfail(c, NULL, "schema contains itself");
        seg rp = {NULL, "$ref", 0, SEG_KEY};
        return cfail(c, &rp, "cyclic $ref \"%s\" (loops without descending into the instance)",
                     quote_j(q, sizeof q, via));
    }
    if (depth > SW_SCHEMA_MAX_DEPTH)
        return cfail(c, NULL, "$ref/allOf/anyOf/oneOf/not chain deeper than %d levels",
                     SW_SCHEMA_MAX_DEPTH);
    e->color = GRAY;
    int r = 0, why;
    const json_t *ref = json_object_get(s, "$ref");
    if (ref) {
        const json_t *t = resolve_ref(c->root, ref, &why);
        if (t) r = c_cycles(c, t, ref, depth + 1);
    } else {
        static const char *const kws[] = {"allOf", "anyOf", "oneOf"};
        for (size_t k = 0; k < 3 && !r; k++) {
            const json_t *a = json_object_get(s, kws[k]);
            for (size_t i = 0; i < json_array_size(a) && !r; i++)
                r = c_cycles(c, json_array_get(a, i), via, depth + 1);
        }
        if (!r) r = c_cycles(c, json_object_get(s, "not"), via, depth + 1);
    }
    pset_find(&c->set, s)->color = BLACK; /* the set does not grow in this pass */
    return r;
}

int sw_schema_check(const json_t *schema, char *err, size_t errlen)
{
    cctx c = {schema, errlen ? err : NULL, errlen, {NULL, 0, 0}, NULL, 0, 0};
    if (c.err) err[0] = '\0';
    if (!schema) return cfail(&c, NULL, "no schema");
    int r = c_node(&c, schema, NULL, 0);
    while (!r && c.qn) {
        qent e = c.q[--c.qn];
        if (pset_find(&c.set, e.target)) continue;
        seg rp = {NULL, json_string_value(e.ref), 0, SEG_REF};
        r = c_node(&c, e.target, &rp, 0);
    }
    for (size_t i = 0; !r && i < c.set.cap; i++)
        if (c.set.v[i].key && c.set.v[i].color == WHITE) r = c_cycles(&c, c.set.v[i].key, NULL, 0);
    free(c.set.v);
    free(c.q);
    return r ? -1 : 0;
}

/* ---- secret fields ----------------------------------------------------------------------- */

/* Follows a chain of local "$ref"s (bounded); returns the last schema reached. */
static const json_t *deref(const json_t *root, const json_t *s)
{
    for (int hops = 0; hops < SW_SCHEMA_MAX_DEPTH && json_is_object(s); hops++) {
        const json_t *ref = json_object_get(s, "$ref");
        int why;
        const json_t *t = ref ? resolve_ref(root, ref, &why) : NULL;
        if (!t) break;
        s = t;
    }
    return s;
}

static int marks_secret(const json_t *s)
{
    const char *fmt = json_string_value(json_object_get(s, "format"));
    return json_is_true(json_object_get(s, "x-secret")) ||
           json_is_true(json_object_get(s, "writeOnly")) || (fmt && !strcmp(fmt, "password"));
}

int sw_schema_secret_fields(const json_t *schema, json_t *out)
{
    if (!schema || !json_is_array(out)) return 0;
    const json_t *props = json_object_get(deref(schema, schema), "properties");
    if (!json_is_object(props)) return 0;
    int added = 0;
    const char *k;
    size_t kl;
    json_t *ps;
    json_object_keylen_foreach((json_t *)props, k, kl, ps)
    {
        if (!json_is_object(ps)) continue;
        if (!marks_secret(ps) && !marks_secret(deref(schema, ps))) continue;
        int dup = 0;
        for (size_t i = 0; i < json_array_size(out) && !dup; i++) {
            const json_t *e = json_array_get(out, i);
            dup = json_is_string(e) && json_string_length(e) == kl &&
                  !memcmp(json_string_value(e), k, kl);
        }
        if (dup) continue;
        if (json_array_append_new(out, json_stringn(k, kl)) == 0) added++;
    }
    return added;
}
