/* sw_schema_validate: the per-call validator (sw_schema_validate): a jansson instance against
 * a draft-7 subset schema, on every tool call. No global mutable state (thread-safe for
 * concurrent readers), no allocation on the success path (uniqueItems on arrays longer than 16
 * allocates one scratch array), error text built only on failure, recursion bounded by
 * SW_SCHEMA_MAX_DEPTH and total work by SW_SCHEMA_MAX_STEPS. Numbers compare by value
 * (1 == 1.0), with an equality and a hash to match for enum/const/uniqueItems. */
#include "plugins/sw_schema.h"
#include "plugins/sw_schema_core.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNIQUE_PAIRWISE 16 /* uniqueItems: longer arrays are hashed, then sorted */

/* ---- numbers ----------------------------------------------------------------------------- */


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

/* ---- validation -------------------------------------------------------------------------- */

enum { V_OK = 0, V_FAIL = 1, V_FATAL = 2, V_REF = 3 }; /* FATAL: limit hit or broken schema; never inverted;
                                                         * REF: "$ref" met (v_keyword only) */

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
    sw_schema_emit(c->err, c->errlen, path, fmt, ap);
    va_end(ap);
    return V_FAIL;
}

static int vfatal(vctx *c, const seg *path, const char *fmt, ...) SW_PRINTF(3, 4);
static int vfatal(vctx *c, const seg *path, const char *fmt, ...)
{
    if (!c->err) return V_FATAL;
    va_list ap;
    va_start(ap, fmt);
    sw_schema_emit(c->err, c->errlen, path, fmt, ap);
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
        sw_schema_sb_puts(&b, json_string_value(kv));
    } else {
        for (size_t i = 0; i < json_array_size(kv); i++) {
            if (i) sw_schema_sb_puts(&b, " or ");
            sw_schema_sb_puts(&b, json_string_value(json_array_get(kv, i)));
        }
    }
    return vfail(c, path, "expected %s, got %s", want, sw_schema_type_name(v));
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
            return vfail(c, path, "unexpected property \"%s\"", sw_schema_quote_n(q, sizeof q, k, kl));
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
        return vfail(c, path, "missing required property \"%s\"", sw_schema_quote_j(q, sizeof q, name));
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
    long long lim = sw_schema_count_value(kv);
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

/* The "m" keywords: minimum, maximum, multipleOf and the six counts. */
static int v_m_keyword(vctx *c, const char *k, size_t kl, const json_t *kv, const json_t *v, int vt,
                       const seg *path)
{
    int r = V_OK;
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
    return r;
}

/* One keyword of a schema object applied to v: V_OK/V_FAIL/V_FATAL, or V_REF for "$ref". */
static int v_keyword(vctx *c, const json_t *s, const char *k, size_t kl, const json_t *kv, const json_t *v,
                     int vt, const seg *path, int depth)
{
    int r = V_OK;
    switch (k[0]) {
    case '$':
        if (KW("$ref")) r = V_REF;
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
        r = v_m_keyword(c, k, kl, kv, v, vt, path);
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
    return r;
}

static int v_node(vctx *c, const json_t *s, const json_t *v, const seg *path, int depth)
{
    const char *k;
    size_t kl;
    json_t *kv;
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
        int r = v_keyword(c, s, k, kl, kv, v, vt, path, depth);
        if (r == V_REF) goto follow;
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
    const json_t *t = sw_schema_resolve_ref(c->root, ref, &why);
    if (!t) {
        char q[200];
        return vfatal(c, path, "invalid schema: unresolvable $ref \"%s\"",
                      json_is_string(ref) ? sw_schema_quote_j(q, sizeof q, ref) : "(not a string)");
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

