/* sw_schema_apply: the validator's private vocabulary, shared by sw_schema_apply.c (the node
 * walk, scalar, array and in-place keywords) and sw_schema_props.c (the object keywords): the
 * run context, verdicts, the evaluated-annotation sets and the entry points between the two.
 * Only those two files include it. */
#ifndef SW_SCHEMA_APPLY_H
#define SW_SCHEMA_APPLY_H

#include "plugins/sw_schema_core.h"

#include <time.h>

/* FATAL: a limit hit or a broken schema, never inverted by not/anyOf/oneOf; REF: a draft-07
 * "$ref" met (v_keyword only). */
enum { V_OK = 0, V_FAIL = 1, V_FATAL = 2, V_REF = 3 };

#define DYN_MAX (SW_SCHEMA_MAX_DEPTH + 8) /* dynamic scope entries */
/* All the regex matches of one run together may take this long: each match is bounded by
 * PCRE2's limits, and this bounds how many slow ones (many keys x patternProperties) add up. */
#define SW_SCHEMA_REGEX_BUDGET_MS 100

typedef struct {
    const sw_schema *s;
    char *err; /* NULL when the caller wants no message */
    size_t errlen;
    int quiet; /* > 0 inside anyOf/oneOf/not/if/contains branches: failures are not the answer */
    int d2020;
    long steps;
    unsigned long nregex;     /* regex matches so far */
    struct timespec regex_t0; /* when the first one started */
    const sres *dyn[DYN_MAX]; /* the dynamic scope, outermost first */
    int ndyn;
} vctx;

/* What the keywords applied at one instance location evaluated (for unevaluated*): property
 * names of an object, item indexes of an array, or everything. */
typedef struct {
    json_t *keys;
    unsigned char *items;
    size_t n;
    int all;
} ev;

void sw_ev_key(ev *e, const char *k, size_t kl); /* e may be NULL: not collecting */
void sw_ev_item(ev *e, size_t i, size_t n);

int sw_vfail(vctx *c, const seg *path, const char *fmt, ...) SW_PRINTF(3, 4);
int sw_vfatal(vctx *c, const seg *path, const char *fmt, ...) SW_PRINTF(3, 4);
/* 1 match, 0 none, -1 (V_FATAL reported) a limit or an engine error. */
int sw_v_regex(vctx *c, const sw_sregex *re, const char *s, size_t n, const json_t *pat,
               const seg *path);

int sw_v_node(vctx *c, const json_t *s, const json_t *v, const seg *path, int depth, ev *e);

/* sw_schema_props.c: object instances only */
int sw_v_properties(vctx *c, const json_t *props, const json_t *v, const seg *path, int depth,
                    ev *e);
int sw_v_pattern_props(vctx *c, const json_t *pp, const json_t *v, const seg *path, int depth,
                       ev *e);
int sw_v_additional(vctx *c, const json_t *s, const json_t *ap, const json_t *v, const seg *path,
                    int depth, ev *e);
int sw_v_property_names(vctx *c, const json_t *pn, const json_t *v, const seg *path, int depth);
int sw_v_dependencies(vctx *c, const json_t *deps, const json_t *v, const seg *path, int depth,
                      ev *e);
int sw_v_required(vctx *c, const json_t *req, const json_t *v, const seg *path);

/* Keyword test: the key's length rules out most names before any byte compare. */
#define KW(lit) (kl == sizeof(lit) - 1 && !memcmp(k, lit, sizeof(lit) - 1))

#endif
