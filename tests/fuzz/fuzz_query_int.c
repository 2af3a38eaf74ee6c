/* fuzz_query_int: libFuzzer target for the query-string integers and cursors of src/http:
 * sw_parse_int (behind sw_req_int — limit, since, timeout — and the numeric cursors: the note
 * search offset, the events page's `from`) and sw_id_valid (the id cursors of listings).
 *
 * Input: byte 0 picks the range (limit 1..200, since 0..INT64_MAX, a signed full range, the
 * search offset 0..100000), the rest is the argument as MHD hands it over (a C string). Oracle,
 * restated independently: accepted exactly when the text is an optional '-' and decimal digits
 * whose value (compared as digit strings, so overflow cannot hide) lies in the range; the value
 * printed back equals the text without leading zeros; nothing is written on refusal. Run:
 *   ./fuzz_query_int -max_total_time=60 corpus/fuzz_query_int */
#include "core/sw_id.h"
#include "http/sw_http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compares two non-negative decimal digit strings without leading zeros. */
static int cmp_digits(const char *a, size_t al, const char *b, size_t bl)
{
    if (al != bl) return al < bl ? -1 : 1;
    int c = memcmp(a, b, al);
    return c < 0 ? -1 : c > 0;
}

/* Whether s is an integer from lo to hi, by digit strings; *canon gets its canonical form. */
static int expect_ok(const char *s, long long lo, long long hi, char *canon, size_t cap)
{
    int neg = s[0] == '-';
    const char *d = s + neg;
    if (!*d) return 0;
    for (const char *p = d; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    while (d[0] == '0' && d[1]) d++;
    size_t dl = strlen(d);
    if (dl + 2 > cap) return 0; /* far too long to be in any range */
    int zero = strcmp(d, "0") == 0;
    snprintf(canon, cap, "%s%s", neg && !zero ? "-" : "", d);
    char los[32], his[32];
    snprintf(los, sizeof los, "%lld", lo);
    snprintf(his, sizeof his, "%lld", hi);
    /* v >= lo and v <= hi with v = (neg ? -d : d) */
    int v_neg = neg && !zero;
    /* v <= hi */
    if (his[0] == '-') {
        if (!v_neg || cmp_digits(d, dl, his + 1, strlen(his + 1)) < 0) return 0;
    } else if (!v_neg && cmp_digits(d, dl, his, strlen(his)) > 0) {
        return 0;
    }
    /* v >= lo */
    if (los[0] == '-') {
        if (v_neg && cmp_digits(d, dl, los + 1, strlen(los + 1)) > 0) return 0;
    } else if (v_neg || cmp_digits(d, dl, los, strlen(los)) < 0) {
        return 0;
    }
    return 1;
}

/* sw_id_valid, restated: 36 characters, lowercase hex with dashes at 8, 13, 18, 23. */
static int expect_id(const char *s)
{
    if (strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (s[i] == '-')) return 0;
        if (!dash && !strchr("0123456789abcdef", s[i])) return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long long ranges[][2] = {
        {1, 200}, {0, INT64_MAX}, {INT64_MIN, INT64_MAX}, {0, 100000}, {0, 120000}};
    if (size < 1 || size > 512) return 0;
    const long long *r = ranges[data[0] % (sizeof ranges / sizeof ranges[0])];
    char *s = malloc(size);
    if (!s) return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;

    long long v = 12345;
    int got = sw_parse_int(s, r[0], r[1], &v) == 0;
    char canon[600], back[32];
    int want = expect_ok(s, r[0], r[1], canon, sizeof canon);
    if (got != want) __builtin_trap();
    if (got) {
        snprintf(back, sizeof back, "%lld", v);
        if (strcmp(back, canon) != 0 || v < r[0] || v > r[1]) __builtin_trap();
    } else if (v != 12345) {
        __builtin_trap(); /* refused but wrote */
    }
    if (sw_id_valid(s) != expect_id(s)) __builtin_trap();
    free(s);
    return 0;
}
