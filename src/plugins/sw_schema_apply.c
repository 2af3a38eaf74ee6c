/* sw_schema_apply: the per-call validator (sw_schema_run): a jansson instance against a
 * compiled schema (draft-07 or 2020-12 semantics), on every tool call. The compiled schema is
 * only read (thread-safe for concurrent runs); error text is built only on failure; recursion
 * is bounded by SW_SCHEMA_MAX_DEPTH and total work by SW_SCHEMA_MAX_STEPS. Keeps, only when
 * the schema has unevaluatedProperties/unevaluatedItems, the "evaluated" annotations of each
 * instance location (ev), and, only when it has a dynamic $dynamicRef, the dynamic scope. The
 * object keywords (properties, patternProperties, additionalProperties, propertyNames,
 * dependencies) are in sw_schema_props.c. */
#include "plugins/sw_schema.h"
#include "plugins/sw_schema_apply.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- failures ---------------------------------------------------------------------------- */

int sw_vfail(vctx *c, const seg *path, const char *fmt, ...)
{
    if (!c->err || c->quiet) return V_FAIL;
    va_list ap;
    va_start(ap, fmt);
    sw_schema_emit(c->err, c->errlen, path, fmt, ap);
    va_end(ap);
    return V_FAIL;
}

int sw_vfatal(vctx *c, const seg *path, const char *fmt, ...)
{
    if (!c->err) return V_FATAL;
    va_list ap;
    va_start(ap, fmt);
    sw_schema_emit(c->err, c->errlen, path, fmt, ap);
    va_end(ap);
    return V_FATAL;
}

/* ---- evaluated-annotation sets ----------------------------------------------------------- */

void sw_ev_key(ev *e, const char *k, size_t kl)
{
    if (!e || e->all) return;
    if (!e->keys && !(e->keys = json_object())) return;
    json_object_setn_new_nocheck(e->keys, k, kl, json_true());
}

void sw_ev_item(ev *e, size_t i, size_t n)
{
    if (!e || e->all || i >= n) return;
    if (!e->items) {
        e->items = calloc(n, 1);
        if (!e->items) return;
        e->n = n;
    }
    if (i < e->n) e->items[i] = 1;
}

static void ev_merge(ev *dst, const ev *src)
{
    if (!dst || dst->all) return;
    if (src->all) {
        dst->all = 1;
        return;
    }
    if (src->keys) {
        if (!dst->keys) dst->keys = json_object();
        if (dst->keys) json_object_update(dst->keys, src->keys);
    }
    for (size_t i = 0; src->items && i < src->n; i++)
        if (src->items[i]) sw_ev_item(dst, i, src->n);
}

static void ev_done(ev *e)
{
    json_decref(e->keys);
    free(e->items);
    memset(e, 0, sizeof *e);
}

/* ---- scalar keywords --------------------------------------------------------------------- */

static int v_type(vctx *c, const json_t *kv, const json_t *v, const seg *path)
{
    int mask = 0;
    if (json_is_string(kv)) {
        mask = type_bit(kv);
    } else if (json_is_array(kv)) {
        for (size_t i = 0; i < json_array_size(kv); i++) {
            int b = type_bit(json_array_get(kv, i));
            if (!b) return sw_vfatal(c, path, "invalid schema: bad \"type\"");
            mask |= b;
        }
        if (!json_array_size(kv)) return sw_vfail(c, path, "no type is allowed here");
    }
    if (!mask) return sw_vfatal(c, path, "invalid schema: bad \"type\"");
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
    return sw_vfail(c, path, "expected %s, got %s", want, sw_schema_type_name(v));
}

static int v_enum(vctx *c, const json_t *kv, const json_t *v, const seg *path)
{
    for (size_t i = 0; i < json_array_size(kv); i++) {
        int r = sw_schema_equal(json_array_get(kv, i), v, 0);
        if (r < 0) return sw_vfatal(c, path, "value nested too deeply to compare with enum");
        if (r) return V_OK;
    }
    return sw_vfail(c, path, "value not in enum");
}

enum { N_MIN, N_MAX, N_XMIN, N_XMAX };

static int v_bound(vctx *c, int which, const json_t *kv, const json_t *v, const seg *path)
{
    static const char *const what[] = {"less than the minimum", "greater than the maximum",
                                       "not greater than the exclusive minimum",
                                       "not less than the exclusive maximum"};
    if (!json_is_number(kv)) return sw_vfatal(c, path, "invalid schema: bound is not a number");
    int d = sw_schema_num_cmp(v, kv), bad;
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
    return sw_vfail(c, path, "%s is %s %s", sw_schema_num_text(a, sizeof a, v), what[which],
                    sw_schema_num_text(b, sizeof b, kv));
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
    if (lim < 0) return sw_vfatal(c, path, "invalid schema: bad \"%s\"", kw);
    if (is_min ? have >= lim : have <= lim) return V_OK;
    return sw_vfail(c, path, "%s %lld is %s than %s %lld", unit, have, is_min ? "less" : "greater",
                    kw, lim);
}

/* Whether the run's regex matches have used up SW_SCHEMA_REGEX_BUDGET_MS (checked at the first
 * match, which starts the clock, and then every 16th). */
static int regex_over_budget(vctx *c)
{
    unsigned long k = c->nregex++;
    if (k == 0) {
        clock_gettime(CLOCK_MONOTONIC, &c->regex_t0);
        return 0;
    }
    if (k % 16) return 0;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    long long ms = (long long)(t.tv_sec - c->regex_t0.tv_sec) * 1000 +
                   (t.tv_nsec - c->regex_t0.tv_nsec) / 1000000;
    return ms > SW_SCHEMA_REGEX_BUDGET_MS;
}

int sw_v_regex(vctx *c, const sw_sregex *re, const char *s, size_t n, const json_t *pat,
               const seg *path)
{
    if (regex_over_budget(c)) {
        sw_vfatal(c, path, "regular expressions took over %d ms in this validation (%lu matches)",
                  SW_SCHEMA_REGEX_BUDGET_MS, c->nregex - 1);
        return -1;
    }
    int m = sw_sregex_match(re, s, n);
    if (m >= 0) return m;
    char q[120] = "a patternProperties pattern";
    if (pat) {
        char t[100];
        snprintf(q, sizeof q, "pattern \"%s\"", sw_schema_quote_j(t, sizeof t, pat));
    }
    if (m == -1)
        sw_vfatal(c, path, "%s exceeded the regex match limit", q);
    else
        sw_vfatal(c, path, "%s: regex engine error", q);
    return -1;
}

static int v_pattern(vctx *c, const json_t *kv, const json_t *v, const seg *path)
{
    const srx *x = sw_pmap_get(&c->s->regex, kv);
    if (!x || x->n != 1) return sw_vfatal(c, path, "invalid schema: bad \"pattern\"");
    int m = sw_v_regex(c, x->re[0], json_string_value(v), json_string_length(v), kv, path);
    if (m < 0) return V_FATAL;
    if (m) return V_OK;
    if (!c->err || c->quiet) return V_FAIL;
    char q[120];
    return sw_vfail(c, path, "string does not match pattern \"%s\"",
                    sw_schema_quote_j(q, sizeof q, kv));
}

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
                r = sw_vfatal(c, path, "invalid schema: bad \"multipleOf\"");
            else if (!sw_schema_is_multiple(v, kv))
                r = c->err && !c->quiet ? sw_vfail(c, path, "%s is not a multiple of %s",
                                                   sw_schema_num_text(a, sizeof a, v),
                                                   sw_schema_num_text(b, sizeof b, kv))
                                        : V_FAIL;
        }
    } else if (KW("minLength") || KW("maxLength")) {
        if (vt == JSON_STRING)
            r = v_count(c, k, kv, utf8_len(v), k[1] == 'i', "string length", path);
    } else if (KW("minItems") || KW("maxItems")) {
        if (vt == JSON_ARRAY)
            r = v_count(c, k, kv, (long long)json_array_size(v), k[1] == 'i', "array length", path);
    } else if (KW("minProperties") || KW("maxProperties")) {
        if (vt == JSON_OBJECT)
            r = v_count(c, k, kv, (long long)json_object_size(v), k[1] == 'i', "object size", path);
    }
    return r;
}

/* ---- arrays ------------------------------------------------------------------------------ */

static int v_tuple(vctx *c, const json_t *items, const json_t *v, const seg *path, int depth, ev *e)
{
    size_t n = json_array_size(v), m = json_array_size(items);
    for (size_t i = 0; i < n && i < m; i++) {
        seg sg = {path, NULL, i, SEG_INDEX};
        int r = sw_v_node(c, json_array_get(items, i), json_array_get(v, i), &sg, depth + 1, NULL);
        if (r) return r;
        sw_ev_item(e, i, n);
    }
    return V_OK;
}

/* items (schema form) from index `from` on; also draft-07 additionalItems. */
static int v_items_from(vctx *c, const json_t *sch, size_t from, const json_t *v, const seg *path,
                        int depth, ev *e)
{
    size_t n = json_array_size(v);
    if (!json_is_true(sch))
        for (size_t i = from; i < n; i++) {
            seg sg = {path, NULL, i, SEG_INDEX};
            int r = sw_v_node(c, sch, json_array_get(v, i), &sg, depth + 1, NULL);
            if (r) return r;
        }
    if (e) e->all = 1;
    return V_OK;
}

static int v_items(vctx *c, const json_t *s, const json_t *kv, const json_t *v, const seg *path,
                   int depth, ev *e)
{
    if (json_is_array(kv)) return v_tuple(c, kv, v, path, depth, e); /* 2020-12 lax: prefixItems */
    size_t from = 0;
    if (c->d2020) from = json_array_size(json_object_get(s, "prefixItems"));
    return v_items_from(c, kv, from, v, path, depth, e);
}

static int v_additional_items(vctx *c, const json_t *s, const json_t *kv, const json_t *v,
                              const seg *path, int depth, ev *e)
{
    const json_t *items = json_object_get(s, "items");
    if (!json_is_array(items)) return V_OK; /* only meaningful after the array form */
    return v_items_from(c, kv, json_array_size(items), v, path, depth, e);
}

static int v_contains(vctx *c, const json_t *s, const json_t *kv, const json_t *v, const seg *path,
                      int depth, ev *e)
{
    long long minc = 1, maxc = -1;
    if (c->d2020) {
        const json_t *mn = json_object_get(s, "minContains"),
                     *mx = json_object_get(s, "maxContains");
        if (mn) minc = sw_schema_count_value(mn);
        if (mx) maxc = sw_schema_count_value(mx);
        if (minc < 0 || (mx && maxc < 0))
            return sw_vfatal(c, path, "invalid schema: bad minContains/maxContains");
    }
    size_t n = json_array_size(v), hits = 0;
    int need_all = c->d2020; /* maxContains and the annotation see every item */
    for (size_t i = 0; i < n; i++) {
        seg sg = {path, NULL, i, SEG_INDEX};
        c->quiet++;
        int r = sw_v_node(c, kv, json_array_get(v, i), &sg, depth + 1, NULL);
        c->quiet--;
        if (r == V_FATAL) return r;
        if (r == V_OK) {
            hits++;
            sw_ev_item(e, i, n);
            if (!need_all) break;
        }
    }
    if ((long long)hits < minc) {
        if (minc == 1) return sw_vfail(c, path, "no array item matches \"contains\"");
        return sw_vfail(c, path, "%zu array items match \"contains\", fewer than minContains %lld",
                        hits, minc);
    }
    if (maxc >= 0 && (long long)hits > maxc)
        return sw_vfail(c, path, "%zu array items match \"contains\", more than maxContains %lld",
                        hits, maxc);
    return V_OK;
}

static int v_unique(vctx *c, const json_t *v, const seg *path)
{
    size_t di = 0, dj = 0;
    int r = sw_schema_find_dup(v, &di, &dj);
    if (r == -1) return sw_vfatal(c, path, "array items nested too deeply to compare");
    if (r == -2) return sw_vfatal(c, path, "out of memory checking uniqueItems");
    if (!r) return V_OK;
    return sw_vfail(c, path, "array items [%zu] and [%zu] are equal (uniqueItems)", di, dj);
}

/* ---- applicators ------------------------------------------------------------------------- */

static int v_combine(vctx *c, const char *kw, const json_t *kv, const json_t *v, const seg *path,
                     int depth, ev *e)
{
    size_t n = json_array_size(kv);
    if (!json_is_array(kv) || !n) return sw_vfatal(c, path, "invalid schema: bad \"%s\"", kw);
    if (kw[1] == 'l') { /* allOf: the first failing branch's message is the answer */
        for (size_t i = 0; i < n; i++) {
            int r = sw_v_node(c, json_array_get(kv, i), v, path, depth + 1, e);
            if (r) return r;
        }
        return V_OK;
    }
    size_t hits = 0, first = 0, second = 0;
    ev keep = {0};
    c->quiet++;
    for (size_t i = 0; i < n; i++) {
        ev t = {0};
        int r = sw_v_node(c, json_array_get(kv, i), v, path, depth + 1, e ? &t : NULL);
        if (r == V_FATAL) {
            ev_done(&t);
            ev_done(&keep);
            c->quiet--;
            return r;
        }
        if (r == V_OK) {
            if (!hits++)
                first = i;
            else
                second = i;
            ev_merge(&keep, &t);
        }
        ev_done(&t);
        /* anyOf: one is enough (unless annotations are collected); oneOf: two are too many */
        if (kw[0] == 'a' ? hits && !e : hits > 1) break;
    }
    c->quiet--;
    if (hits == 1 || (kw[0] == 'a' && hits)) ev_merge(e, &keep);
    ev_done(&keep);
    if (kw[0] == 'a')
        return hits ? V_OK : sw_vfail(c, path, "value does not match any schema in anyOf");
    if (hits == 1) return V_OK;
    if (!hits) return sw_vfail(c, path, "value matches no schema in oneOf");
    return sw_vfail(c, path, "value matches more than one schema in oneOf ([%zu] and [%zu])", first,
                    second);
}

static int v_not(vctx *c, const json_t *kv, const json_t *v, const seg *path, int depth)
{
    c->quiet++;
    int r = sw_v_node(c, kv, v, path, depth + 1, NULL);
    c->quiet--;
    if (r == V_FATAL) return r;
    return r == V_OK ? sw_vfail(c, path, "value must not match the \"not\" schema") : V_OK;
}

static int v_if(vctx *c, const json_t *s, const json_t *kv, const json_t *v, const seg *path,
                int depth, ev *e)
{
    ev t = {0};
    c->quiet++;
    int r = sw_v_node(c, kv, v, path, depth + 1, e ? &t : NULL);
    c->quiet--;
    if (r == V_FATAL) {
        ev_done(&t);
        return r;
    }
    if (r == V_OK) ev_merge(e, &t);
    ev_done(&t);
    const json_t *next = json_object_get(s, r == V_OK ? "then" : "else");
    return next ? sw_v_node(c, next, v, path, depth + 1, e) : V_OK;
}

static int dyn_push(vctx *c, const sres *r)
{
    if (c->ndyn && c->dyn[c->ndyn - 1] == r) return 0;
    if (c->ndyn == DYN_MAX) return 0; /* the depth bound stops the run soon anyway */
    c->dyn[c->ndyn++] = r;
    return 1;
}

/* $ref (and $dynamicRef: the outermost resource in the dynamic scope with the anchor wins). */
static int v_ref(vctx *c, const json_t *ref, const json_t *v, const seg *path, int depth, ev *e)
{
    const sref *sr = sw_pmap_get(&c->s->refs, ref);
    if (!sr) {
        char q[200];
        return sw_vfatal(c, path, "invalid schema: unresolvable $ref \"%s\"",
                         json_is_string(ref) ? sw_schema_quote_j(q, sizeof q, ref)
                                             : "(not a string)");
    }
    const json_t *t = sr->target;
    const sres *res = sr->res;
    for (int i = 0; sr->dyn && i < c->ndyn; i++) {
        const sres *d = c->dyn[i];
        size_t j = 0;
        while (j < d->ndyn && strcmp(d->dyn[j].name, sr->dyn))
            j++;
        if (j < d->ndyn) {
            t = d->dyn[j].node;
            res = d;
            break;
        }
    }
    int pushed = c->s->has_dynamic ? dyn_push(c, res) : 0;
    int r = sw_v_node(c, t, v, path, depth + 1, e);
    if (pushed) c->ndyn--;
    return r;
}

/* One keyword of a schema object applied to v: V_OK/V_FAIL/V_FATAL, or V_REF for a draft-07
 * "$ref" (which replaces its siblings). */
static int v_keyword(vctx *c, const json_t *s, const char *k, size_t kl, const json_t *kv,
                     const json_t *v, int vt, const seg *path, int depth, ev *e)
{
    int r = V_OK;
    switch (k[0]) {
    case '$':
        if (KW("$ref"))
            r = c->d2020 ? v_ref(c, kv, v, path, depth, e) : V_REF;
        else if ((KW("$dynamicRef") || KW("$recursiveRef")) && c->d2020)
            r = v_ref(c, kv, v, path, depth, e);
        break;
    case 'a':
        if (KW("additionalProperties")) {
            if (vt == JSON_OBJECT) r = sw_v_additional(c, s, kv, v, path, depth, e);
        } else if (KW("allOf") || KW("anyOf")) {
            r = v_combine(c, k, kv, v, path, depth, e);
        } else if (KW("additionalItems")) {
            if (vt == JSON_ARRAY) r = v_additional_items(c, s, kv, v, path, depth, e);
        }
        break;
    case 'c':
        if (KW("const")) {
            int eq = sw_schema_equal(kv, v, 0);
            if (eq < 0)
                r = sw_vfatal(c, path, "value nested too deeply to compare with const");
            else if (!eq)
                r = sw_vfail(c, path, "value does not equal const");
        } else if (KW("contains")) {
            if (vt == JSON_ARRAY) r = v_contains(c, s, kv, v, path, depth, e);
        }
        break;
    case 'd':
        /* "dependencies" in 2020-12 only when compiled non-strict (compatibility) */
        if (vt == JSON_OBJECT && (KW("dependencies") || (c->d2020 && (KW("dependentRequired") ||
                                                                      KW("dependentSchemas")))))
            r = sw_v_dependencies(c, kv, v, path, depth, e);
        break;
    case 'e':
        if (KW("enum")) {
            r = v_enum(c, kv, v, path);
        } else if (KW("exclusiveMinimum")) {
            if (json_is_number(v)) r = v_bound(c, N_XMIN, kv, v, path);
        } else if (KW("exclusiveMaximum")) {
            if (json_is_number(v)) r = v_bound(c, N_XMAX, kv, v, path);
        }
        break;
    case 'i':
        if (KW("items")) {
            if (vt == JSON_ARRAY) r = v_items(c, s, kv, v, path, depth, e);
        } else if (KW("if")) {
            r = v_if(c, s, kv, v, path, depth, e);
        }
        break;
    case 'm':
        r = v_m_keyword(c, k, kl, kv, v, vt, path);
        break;
    case 'n':
        if (KW("not")) r = v_not(c, kv, v, path, depth);
        break;
    case 'o':
        if (KW("oneOf")) r = v_combine(c, k, kv, v, path, depth, e);
        break;
    case 'p':
        if (KW("properties")) {
            if (vt == JSON_OBJECT) r = sw_v_properties(c, kv, v, path, depth, e);
        } else if (KW("pattern")) {
            if (vt == JSON_STRING) r = v_pattern(c, kv, v, path);
        } else if (KW("patternProperties")) {
            if (vt == JSON_OBJECT) r = sw_v_pattern_props(c, kv, v, path, depth, e);
        } else if (KW("propertyNames")) {
            if (vt == JSON_OBJECT) r = sw_v_property_names(c, kv, v, path, depth);
        } else if (KW("prefixItems")) {
            if (vt == JSON_ARRAY && c->d2020) r = v_tuple(c, kv, v, path, depth, e);
        }
        break;
    case 'r':
        if (KW("required") && vt == JSON_OBJECT) r = sw_v_required(c, kv, v, path);
        break;
    case 't':
        if (KW("type")) r = v_type(c, kv, v, path);
        break;
    case 'u':
        if (KW("uniqueItems") && json_is_true(kv) && vt == JSON_ARRAY) r = v_unique(c, v, path);
        break;
    default:
        break;
    }
    return r;
}

static int v_keywords(vctx *c, const json_t *s, const json_t *v, const seg *path, int depth, ev *e)
{
    const char *k;
    size_t kl;
    json_t *kv;
    int vt = json_typeof(v);
    json_object_keylen_foreach((json_t *)s, k, kl, kv)
    {
        int r = v_keyword(c, s, k, kl, kv, v, vt, path, depth, e);
        if (r == V_OK) continue;
        if (r == V_REF) return v_ref(c, kv, v, path, depth, e);
        /* draft-07: siblings of "$ref" do not count; rare, so only looked for here */
        const json_t *ref = c->d2020 ? NULL : json_object_get(s, "$ref");
        return ref ? v_ref(c, ref, v, path, depth, e) : r;
    }
    return V_OK;
}

/* unevaluatedProperties / unevaluatedItems of s, after its other keywords filled `mine`. */
static int v_unevaluated(vctx *c, const json_t *kv, const json_t *v, const seg *path, int depth,
                         const ev *mine)
{
    if (mine->all) return V_OK;
    if (json_is_object(v)) {
        const char *k;
        size_t kl;
        json_t *x;
        json_object_keylen_foreach((json_t *)v, k, kl, x)
        {
            if (mine->keys && json_object_getn(mine->keys, k, kl)) continue;
            if (json_is_false(kv)) {
                if (!c->err || c->quiet) return V_FAIL;
                char q[160];
                return sw_vfail(c, path, "unexpected property \"%s\" (unevaluatedProperties)",
                                sw_schema_quote_n(q, sizeof q, k, kl));
            }
            seg sg = {path, k, 0, SEG_KEY};
            int r = sw_v_node(c, kv, x, &sg, depth + 1, NULL);
            if (r) return r;
        }
        return V_OK;
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        if (mine->items && i < mine->n && mine->items[i]) continue;
        seg sg = {path, NULL, i, SEG_INDEX};
        if (json_is_false(kv)) return sw_vfail(c, &sg, "unexpected array item (unevaluatedItems)");
        int r = sw_v_node(c, kv, json_array_get(v, i), &sg, depth + 1, NULL);
        if (r) return r;
    }
    return V_OK;
}

int sw_v_node(vctx *c, const json_t *s, const json_t *v, const seg *path, int depth, ev *e)
{
    if (depth > SW_SCHEMA_MAX_DEPTH)
        return sw_vfatal(c, path, "nested deeper than %d levels (instance or $ref recursion)",
                         SW_SCHEMA_MAX_DEPTH);
    if (--c->steps < 0)
        return sw_vfatal(c, path, "schema too costly to evaluate (over %ld steps)",
                         (long)SW_SCHEMA_MAX_STEPS);
    if (!json_is_object(s)) {
        if (json_is_true(s)) return V_OK;
        if (json_is_false(s)) return sw_vfail(c, path, "no value is allowed here");
        return sw_vfatal(c, path, "invalid schema: not an object or boolean");
    }
    int pushed = 0;
    if (c->s->has_dynamic) {
        const sres *res = sw_pmap_get(&c->s->roots, s);
        if (res) pushed = dyn_push(c, res);
    }
    const json_t *un = NULL;
    if (c->s->has_uneval) {
        if (json_is_object(v))
            un = json_object_get(s, "unevaluatedProperties");
        else if (json_is_array(v))
            un = json_object_get(s, "unevaluatedItems");
    }
    int r;
    if (!un) {
        r = v_keywords(c, s, v, path, depth, e);
    } else {
        ev mine = {0};
        r = v_keywords(c, s, v, path, depth, &mine);
        if (r == V_OK) r = v_unevaluated(c, un, v, path, depth, &mine);
        if (r == V_OK && e) e->all = 1;
        ev_done(&mine);
    }
    if (pushed) c->ndyn--;
    return r;
}

int sw_schema_run(const sw_schema *s, const json_t *instance, char *err, size_t errlen)
{
    vctx c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.err = errlen ? err : NULL;
    c.errlen = errlen;
    c.steps = SW_SCHEMA_MAX_STEPS;
    if (c.err) err[0] = '\0';
    if (!s || !instance) {
        if (c.err) snprintf(err, errlen, "(root): %s", s ? "no value" : "no schema");
        return -1;
    }
    c.d2020 = s->draft == SW_SCHEMA_DRAFT2020;
    int r = sw_v_node(&c, s->json, instance, NULL, 0, NULL);
    if (r == V_OK) {
        if (c.err) err[0] = '\0';
        return 0;
    }
    if (c.err && !err[0]) snprintf(err, errlen, "(root): invalid");
    return -1;
}
