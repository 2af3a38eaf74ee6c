/* sw_schema_value: JSON values as JSON-Schema compares them: numbers by value in any mix of
 * integer and real (1 == 1.0; exact integer/real comparison), multipleOf with a tolerance for
 * decimal fractions, equality for enum/const, and the duplicate search of uniqueItems (pairwise
 * up to 16 items, hashed and sorted beyond). Pure functions, no global state. */
#include "plugins/sw_schema_core.h"

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
int sw_schema_num_cmp(const json_t *a, const json_t *b)
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
int sw_schema_is_multiple(const json_t *a, const json_t *m)
{
    json_int_t ia, im;
    if (num_as_int(a, &ia) && num_as_int(m, &im) && im > 0) return ia % im == 0;
    double q = json_number_value(a) / json_number_value(m);
    double aq = q < 0 ? -q : q;
    if (!(aq - aq == 0)) {
        /* the quotient overflowed: an integral a is still a multiple of 1/k (0.5, 0.25, ...) */
        double k = 1.0 / json_number_value(m);
        return is_integral(json_number_value(a)) && is_integral(k);
    }
    if (aq >= TWO52) return 1;
    double f = q - (double)(long long)q;
    if (f > 0.5) f -= 1;
    if (f < -0.5) f += 1;
    if (f < 0) f = -f;
    double tol = aq * 1e-15;
    return f <= (tol > 1e-9 ? tol : 1e-9);
}

const char *sw_schema_num_text(char *buf, size_t len, const json_t *v)
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
int sw_schema_equal(const json_t *a, const json_t *b, int depth)
{
    if (a == b) return 1;
    if (json_is_number(a) && json_is_number(b)) return sw_schema_num_cmp(a, b) == 0;
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
            int r = sw_schema_equal(json_array_get(a, i), json_array_get(b, i), depth + 1);
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
            int r = sw_schema_equal(av, bv, depth + 1);
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

int sw_schema_find_dup(const json_t *v, size_t *di, size_t *dj)
{
    size_t n = json_array_size(v);
    if (n < 2) return 0;
    if (n <= UNIQUE_PAIRWISE) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                int r = sw_schema_equal(json_array_get(v, i), json_array_get(v, j), 0);
                if (r < 0) return -1;
                if (r) {
                    *di = i, *dj = j;
                    return 1;
                }
            }
        return 0;
    }
    hent *h = malloc(n * sizeof *h);
    if (!h) return -2;
    for (size_t i = 0; i < n; i++) {
        h[i].i = i;
        if (j_hash(json_array_get(v, i), 0, &h[i].h)) {
            free(h);
            return -1;
        }
    }
    qsort(h, n, sizeof *h, hent_cmp);
    int found = 0;
    for (size_t a = 0, b; a < n && !found; a = b) {
        for (b = a + 1; b < n && h[b].h == h[a].h; b++)
            ;
        for (size_t x = a; x < b && !found; x++)
            for (size_t y = x + 1; y < b && !found; y++) {
                int r = sw_schema_equal(json_array_get(v, h[x].i), json_array_get(v, h[y].i), 0);
                if (r < 0) {
                    free(h);
                    return -1;
                }
                if (r) found = 1, *di = h[x].i, *dj = h[y].i;
            }
    }
    free(h);
    return found;
}
