/* sw_schema_check: the load-time schema checker (sw_schema_check: a tool's `parameters` use
 * only the supported draft-7 subset, correctly, with local $refs that resolve and do not loop)
 * and the scan for secret argument fields (sw_schema_secret_fields), both run once when a
 * plugin registers. Pure functions, no global state. */
#include "plugins/sw_schema.h"
#include "plugins/sw_schema_core.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    sw_schema_emit(c->err, c->errlen, path, fmt, ap);
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
        if (!type_bit(kv)) return cfail(c, kp, "unknown type \"%s\"", sw_schema_quote_j(q, sizeof q, kv));
        return 0;
    }
    if (!json_is_array(kv)) return cfail(c, kp, "must be a type name or an array of type names");
    int seen = 0;
    for (size_t i = 0; i < json_array_size(kv); i++) {
        const json_t *t = json_array_get(kv, i);
        if (!json_is_string(t))
            return cfail(c, kp, "must be a type name or an array of type names");
        int b = type_bit(t);
        if (!b) return cfail(c, kp, "unknown type \"%s\"", sw_schema_quote_j(q, sizeof q, t));
        if (seen & b) return cfail(c, kp, "duplicate type \"%s\"", sw_schema_quote_j(q, sizeof q, t));
        seen |= b;
    }
    return 0;
}

static int c_ref(cctx *c, const json_t *kv, const seg *kp)
{
    char q[200];
    int why;
    if (!json_is_string(kv)) return cfail(c, kp, "must be a string");
    const json_t *t = sw_schema_resolve_ref(c->root, kv, &why);
    sw_schema_quote_j(q, sizeof q, kv);
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
        return cfail(c, path, "expected a schema (object or boolean), got %s", sw_schema_type_name(s));
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
            if (sw_schema_count_value(kv) < 0) return cfail(c, &kp, "must be a non-negative integer");
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
                     sw_schema_quote_j(q, sizeof q, via));
    }
    if (depth > SW_SCHEMA_MAX_DEPTH)
        return cfail(c, NULL, "$ref/allOf/anyOf/oneOf/not chain deeper than %d levels",
                     SW_SCHEMA_MAX_DEPTH);
    e->color = GRAY;
    int r = 0, why;
    const json_t *ref = json_object_get(s, "$ref");
    if (ref) {
        const json_t *t = sw_schema_resolve_ref(c->root, ref, &why);
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
        const json_t *t = ref ? sw_schema_resolve_ref(root, ref, &why) : NULL;
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
