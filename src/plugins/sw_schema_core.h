/* sw_schema_core: what the schema compiler (sw_schema_compile.c, sw_schema_ref.c) and the
 * per-call validator (sw_schema_apply.c, sw_schema_props.c) share, private to them: the
 * limits, paths and the messages built from them, type names and bits, non-negative counts,
 * JSON pointers and pointer maps (sw_schema.c), values (sw_schema_value.c), URI references
 * (sw_schema_uri.c), regular expressions (sw_schema_regex.c), and the compiled form itself
 * (resources, resolved refs, compiled regexes) with the compiler's state. Not part of any
 * public API: only the sw_schema*.c files include it. */
#ifndef SW_SCHEMA_CORE_H
#define SW_SCHEMA_CORE_H

#include <jansson.h>
#include "plugins/sw_schema.h"
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#define SW_SCHEMA_MAX_DEPTH 64         /* nested schema applications, $ref hops included */
#define SW_SCHEMA_MAX_STEPS (1L << 20) /* schema applications per sw_schema_validate call */
#define REF_MAX 1024                   /* longest percent-decoded $ref fragment, in bytes */

#if defined(__GNUC__) || defined(__clang__)
#define SW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SW_PRINTF(f, a)
#endif

#define TWO63 9223372036854775808.0
#define TWO52 4503599627370496.0

/* ---- paths and messages (sw_schema.c) ---------------------------------------------------- */

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

void sw_schema_sb_puts(sbuf *b, const char *s);
/* Printable, escaped, possibly shortened copies of a name for a message. */
const char *sw_schema_quote_n(char *dst, size_t dlen, const char *s, size_t n);
const char *sw_schema_quote_j(char *dst, size_t dlen, const json_t *str);
/* "<path>: <message>" into err (errlen > 0). */
void sw_schema_emit(char *err, size_t errlen, const seg *path, const char *fmt, va_list ap);
const char *sw_schema_type_name(const json_t *v);
/* A non-negative integer keyword value (minLength: 2, also 2.0); -1 when it is not one. */
long long sw_schema_count_value(const json_t *v);

/* ---- local $ref resolution (sw_schema.c) ------------------------------------------------- */

enum { REF_OK, REF_REMOTE, REF_ANCHOR, REF_BAD, REF_LONG };

/* Resolves "#" or "#/json/pointer" (URI-fragment percent-encoding, then ~0 ~1 escapes)
 * against root. NULL when it does not resolve, with the reason in *why. No allocation. */
const json_t *sw_schema_resolve_ref(const json_t *root, const json_t *ref, int *why);
/* The same for a fragment given as text (r[0] == '#', len bytes). */
const json_t *sw_schema_resolve_frag(const json_t *root, const char *r, size_t len, int *why);

/* ---- numbers and types (inline: the validator's hot path) -------------------------------- */

/* jansson reals are always finite (it refuses NaN, infinities and overflowing literals). */
static inline int is_integral(double d)
{
    double a = d < 0 ? -d : d;
    if (!(a - a == 0)) return 0; /* not finite */
    if (a >= TWO52) return 1;
    return (double)(long long)d == d;
}

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
static inline int type_bit(const json_t *name)
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

static inline int type_matches(int mask, const json_t *v)
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

/* ---- values (sw_schema_value.c) --------------------------------------------------------- */

int sw_schema_num_cmp(const json_t *a, const json_t *b);     /* -1, 0, 1 by value */
int sw_schema_is_multiple(const json_t *a, const json_t *m); /* m > 0 */
const char *sw_schema_num_text(char *buf, size_t len, const json_t *v);
/* 1 equal (numbers by value), 0 different, -1 nested deeper than SW_SCHEMA_MAX_DEPTH. */
int sw_schema_equal(const json_t *a, const json_t *b, int depth);
/* uniqueItems: 1 with the first equal pair in *i < *j, 0 none, -1 too deep, -2 no memory. */
int sw_schema_find_dup(const json_t *arr, size_t *i, size_t *j);

/* ---- URI references (sw_schema_uri.c) --------------------------------------------------- */

#define URI_MAX 2048 /* longest base URI or resolved reference, in bytes */

/* RFC 3986 section 5.2: `ref` (reflen bytes) resolved against `base` (absolute, or "" for a
 * document without one) into out. 0, or -1 when the result would not fit or ref has a NUL. */
int sw_uri_resolve(const char *base, const char *ref, size_t reflen, char *out, size_t outlen);
/* Length of the part before '#' (the whole string when there is none). */
size_t sw_uri_nofrag(const char *uri);

/* ---- regular expressions (sw_schema_regex.c) ------------------------------------------- */

typedef struct sw_sregex sw_sregex;

/* Compiles an ECMA-262 style pattern (len bytes, UTF-8). NULL with the reason in why. */
sw_sregex *sw_sregex_compile(const char *pat, size_t len, char *why, size_t whylen);
/* 1 match (anywhere in s), 0 no match, -1 a match limit was hit, -2 out of memory or another
 * engine error. Thread-safe: each thread has its own match block (created on first use, freed
 * when the thread ends). */
int sw_sregex_match(const sw_sregex *re, const char *s, size_t len);
void sw_sregex_free(sw_sregex *re);

/* ---- pointer maps (sw_schema.c) --------------------------------------------------------- */

/* Open addressing from a pointer (a jansson value of the compiled schema) to a pointer. */
typedef struct {
    const void *key;
    void *val;
} pment;
typedef struct {
    pment *v;
    size_t cap, n;
} pmap;
void *sw_pmap_get(const pmap *m, const void *key);
int sw_pmap_put(pmap *m, const void *key, void *val); /* 0, or -1 out of memory */
void sw_pmap_free(pmap *m);

/* ---- the compiled form (sw_schema_compile.c and sw_schema_ref.c build it, sw_schema_apply.c
 * runs it) ------------------------------------------------------------------------------- */

typedef struct sdyn {
    const char *name; /* a $dynamicAnchor of the resource */
    const json_t *node;
} sdyn;

/* A schema resource: the document root, or a subschema with "$id". */
typedef struct sres {
    char *uri; /* absolute URI without fragment ("" for a document without $id) */
    const json_t *root;
    sdyn *dyn;
    size_t ndyn, capdyn;
    struct sres *next;
} sres;

/* A "$ref" or "$dynamicRef", resolved at compile time. */
typedef struct sref {
    const json_t *target;
    const sres *res; /* the resource the target lives in */
    const char *dyn; /* $dynamicRef whose target has the same $dynamicAnchor: the name */
} sref;

struct sw_schema {
    json_t *json; /* our copy of the schema: every pointer below points into it */
    int draft;    /* SW_SCHEMA_DRAFT7 or SW_SCHEMA_DRAFT2020 */
    unsigned flags;
    pmap refs;       /* the "$ref"/"$dynamicRef" string value -> sref */
    pmap regex;      /* the "pattern" string -> sw_sregex; a patternProperties object -> a
                      * sw_sregex *[] in the object's iteration order */
    pmap roots;      /* resource root schema -> sres */
    sres *res;       /* every resource (the document's first) */
    int has_dynamic; /* some $dynamicRef is dynamic: the run keeps the dynamic scope */
    int has_uneval;  /* unevaluatedProperties/unevaluatedItems appear: annotations kept */
};

/* Resolves every $ref of s (collected by the compiler into refs with their base resource),
 * walks pointer targets not reached otherwise, and refuses in-place cycles. 0 or -1. */
typedef struct spending {
    const json_t *ref; /* the string */
    sres *base;
    int dynamic;        /* $dynamicRef */
    const json_t *node; /* the schema object holding it */
} spending;

/* Compiler state, shared by sw_schema_compile.c (the walk and keyword checks) and
 * sw_schema_ref.c (resources, anchors, $ref resolution, cycles). */
typedef struct sanc {
    const json_t *node;
    sres *res;
} sanc;

typedef struct cc {
    sw_schema *s;
    char *err; /* NULL when no message is wanted */
    size_t errlen;
    int d2020, strict;
    pmap seen;      /* walked schema objects */
    spending *pend; /* $refs still to resolve */
    size_t npend, cappend;
    json_t *anchors; /* "uri#name" -> index into anc */
    sanc *anc;
    size_t nanc, capanc;
    json_t *resmap; /* uri -> index into resv */
    sres **resv;
    size_t nres, capres;
} cc;

int sw_cc_fail(cc *c, const seg *path, const char *fmt, ...) SW_PRINTF(3, 4);
/* Walks one schema (and everything under it) in resource r (sw_schema_compile.c). */
int sw_cc_walk(cc *c, const json_t *s, sres *r, const seg *path, int depth);
/* A new resource for uri (uri_len bytes) rooted at node; NULL when out of memory. */
sres *sw_cc_resource(cc *c, const char *uri, size_t uri_len, const json_t *node);
/* "$id" of node in resource r: the resource the node's keywords use (r itself or a new one);
 * NULL with a message on error. */
sres *sw_cc_id(cc *c, const json_t *node, const json_t *id, sres *r, const seg *path);
/* Registers "$anchor"/"$dynamicAnchor" name of node in r. 0 or -1 with a message. */
int sw_cc_anchor(cc *c, const json_t *node, const json_t *name, sres *r, int dynamic,
                 const seg *path);
/* "$recursiveAnchor": true (2019-09): a dynamic anchor with the empty name. */
int sw_cc_recursive_anchor(cc *c, const json_t *node, sres *r, const seg *path);
/* dynamic: 0 "$ref", 1 "$dynamicRef", 2 "$recursiveRef" */
int sw_cc_pending(cc *c, const json_t *ref, sres *r, int dynamic, const json_t *node,
                  const seg *path);
/* Resolves every pending $ref, walking targets not yet walked, then refuses in-place cycles
 * (sw_schema_ref.c). 0 or -1 with a message. */
int sw_cc_link(cc *c);
void sw_cc_free(cc *c);

/* One compiled regex set: a pattern (n == 1) or a patternProperties object's keys. */
typedef struct srx {
    size_t n;
    sw_sregex *re[];
} srx;

#endif
