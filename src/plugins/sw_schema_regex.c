/* sw_schema_regex: the regular expressions of JSON-Schema `pattern` and `patternProperties`,
 * through PCRE2 (Debian's libpcre2-8). A pattern is compiled once, when its schema is
 * compiled (JIT when available); every match runs under a match limit, a depth limit and a
 * heap limit, so a hostile pattern (catastrophic backtracking) fails the match with -1 instead
 * of stalling a call. ECMA-262 flavour as far as PCRE2 agrees: UTF mode, "$" only at the very
 * end, \uXXXX escapes, \s/\S with ECMA's Unicode white space, \p{Letter}-style property names,
 * no \C (the offset of a syntax error is in the pattern after that rewrite). The match context
 * is created once and only read afterwards; each thread has its own match block
 * (thread-specific, freed when the thread ends), so matches are thread-safe and allocate
 * nothing after a thread's first. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "plugins/sw_schema_core.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SREGEX_MATCH_LIMIT 200000u /* backtracking steps per match */
#define SREGEX_DEPTH_LIMIT 2000u   /* nested backtracking frames */
#define SREGEX_HEAP_LIMIT 4096u    /* KiB of heap per match */

struct sw_sregex {
    pcre2_code *code;
};

static pcre2_match_context *g_mctx; /* the limits; read-only once made */
static pthread_key_t g_md_key;      /* each thread's match block */
static int g_md_key_ok;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void md_free(void *md)
{
    pcre2_match_data_free(md);
}

static void mctx_init(void)
{
    g_md_key_ok = pthread_key_create(&g_md_key, md_free) == 0;
    g_mctx = pcre2_match_context_create(NULL);
    if (!g_mctx) return;
    pcre2_set_match_limit(g_mctx, SREGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(g_mctx, SREGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(g_mctx, SREGEX_HEAP_LIMIT);
}

/* ECMA-262 \s (and \S) is Unicode white space plus line terminators; PCRE2's, without UCP,
 * is ASCII. The class spelled out, in PCRE2_ALT_BSUX syntax (\xHH, \uHHHH). */
#define ECMA_WS                                                                                    \
    " \\t\\n\\x0b\\f\\r\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"

/* ECMA-262 spells Unicode properties \p{Letter}, \p{General_Category=Letter}, \p{gc=L},
 * \p{Script=Greek}; PCRE2 10.42 takes \p{L} and \p{Greek}. Long General_Category names and
 * the "name=" forms are mapped; anything else goes through unchanged. */
static const struct {
    const char *ecma, *pcre;
} gc_names[] = {
    {"Letter", "L"},
    {"Cased_Letter", "L&"},
    {"Uppercase_Letter", "Lu"},
    {"Lowercase_Letter", "Ll"},
    {"Titlecase_Letter", "Lt"},
    {"Modifier_Letter", "Lm"},
    {"Other_Letter", "Lo"},
    {"Mark", "M"},
    {"Nonspacing_Mark", "Mn"},
    {"Spacing_Mark", "Mc"},
    {"Enclosing_Mark", "Me"},
    {"Number", "N"},
    {"Decimal_Number", "Nd"},
    {"digit", "Nd"},
    {"Letter_Number", "Nl"},
    {"Other_Number", "No"},
    {"Punctuation", "P"},
    {"Connector_Punctuation", "Pc"},
    {"Dash_Punctuation", "Pd"},
    {"Open_Punctuation", "Ps"},
    {"Close_Punctuation", "Pe"},
    {"Initial_Punctuation", "Pi"},
    {"Final_Punctuation", "Pf"},
    {"Other_Punctuation", "Po"},
    {"Symbol", "S"},
    {"Math_Symbol", "Sm"},
    {"Currency_Symbol", "Sc"},
    {"Modifier_Symbol", "Sk"},
    {"Other_Symbol", "So"},
    {"Separator", "Z"},
    {"Space_Separator", "Zs"},
    {"Line_Separator", "Zl"},
    {"Paragraph_Separator", "Zp"},
    {"Other", "C"},
    {"Control", "Cc"},
    {"Format", "Cf"},
    {"Surrogate", "Cs"},
    {"Private_Use", "Co"},
    {"Unassigned", "Cn"},
};

/* Writes the PCRE2 spelling of property name nm (nl bytes) to o; returns the bytes written
 * (never more than nl). */
static size_t map_property(const char *nm, size_t nl, char *o)
{
    static const char *const prefixes[] = {
        "General_Category=", "gc=", "Script_Extensions=", "scx=", "Script=", "sc="};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t pl = strlen(prefixes[i]);
        if (nl > pl && !memcmp(nm, prefixes[i], pl)) {
            nm += pl;
            nl -= pl;
            break;
        }
    }
    for (size_t i = 0; i < sizeof gc_names / sizeof *gc_names; i++) {
        size_t el = strlen(gc_names[i].ecma);
        if (el == nl && !memcmp(nm, gc_names[i].ecma, nl)) {
            size_t ol = strlen(gc_names[i].pcre);
            memcpy(o, gc_names[i].pcre, ol);
            return ol;
        }
    }
    memcpy(o, nm, nl);
    return nl;
}

/* Rewrites \s and \S (outside character classes; \s also inside them) into the ECMA class and
 * maps \p{...}/\P{...} names. Everything else is passed through. Returns a malloc'd copy
 * (length in *outlen) or NULL. */
static char *ecma_translate(const char *pat, size_t len, size_t *outlen)
{
    const size_t wl = sizeof ECMA_WS - 1;
    size_t cap = len + 1, n = 0;
    for (size_t i = 0; i + 1 < len; i++)
        if (pat[i] == '\\') cap += wl + 3, i++;
    char *o = malloc(cap);
    if (!o) return NULL;
    int in_class = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = pat[i];
        if (ch == '\\' && i + 1 < len) {
            char nx = pat[i + 1];
            const char *close = NULL;
            if ((nx == 'p' || nx == 'P') && i + 2 < len && pat[i + 2] == '{')
                close = memchr(pat + i + 3, '}', len - i - 3);
            if (close) {
                size_t nl = (size_t)(close - (pat + i + 3));
                o[n++] = ch;
                o[n++] = nx;
                o[n++] = '{';
                n += map_property(pat + i + 3, nl, o + n);
                o[n++] = '}';
                i += 3 + nl; /* now at the '}' */
                continue;
            }
            if (nx == 's' || (nx == 'S' && !in_class)) {
                if (!in_class) o[n++] = '[';
                if (nx == 'S') o[n++] = '^';
                memcpy(o + n, ECMA_WS, wl);
                n += wl;
                if (!in_class) o[n++] = ']';
            } else {
                o[n++] = ch;
                o[n++] = nx;
            }
            i++;
            continue;
        }
        if (ch == '[' && !in_class) {
            in_class = 1;
        } else if (ch == ']' && in_class) {
            in_class = 0;
        }
        o[n++] = ch;
    }
    o[n] = '\0';
    *outlen = n;
    return o;
}

sw_sregex *sw_sregex_compile(const char *pat, size_t len, char *why, size_t whylen)
{
    pthread_once(&g_once, mctx_init);
    if (!g_mctx) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    size_t tl = 0;
    char *tp = ecma_translate(pat, len, &tl);
    if (!tp) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    int ec = 0;
    PCRE2_SIZE eo = 0;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)tp, tl,
                      PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX | PCRE2_NEVER_BACKSLASH_C,
                      &ec, &eo, NULL);
    free(tp);
    if (!code) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(ec, msg, sizeof msg) < 0) strcpy((char *)msg, "error");
        snprintf(why, whylen, "invalid regular expression at offset %zu: %s", (size_t)eo,
                 (const char *)msg);
        return NULL;
    }
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* interpreted when JIT is unavailable */
    sw_sregex *re = malloc(sizeof *re);
    if (!re) {
        pcre2_code_free(code);
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    re->code = code;
    return re;
}

int sw_sregex_match(const sw_sregex *re, const char *s, size_t len)
{
    if (!g_md_key_ok) return -2;
    pcre2_match_data *md = pthread_getspecific(g_md_key);
    if (!md) {
        md = pcre2_match_data_create(1, NULL);
        if (!md) return -2;
        if (pthread_setspecific(g_md_key, md)) {
            pcre2_match_data_free(md);
            return -2;
        }
    }
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, md, g_mctx);
    if (rc >= 0) return 1;
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        return -1;
    return -2;
}

void sw_sregex_free(sw_sregex *re)
{
    if (!re) return;
    pcre2_code_free(re->code);
    free(re);
}
