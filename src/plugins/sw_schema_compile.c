/* sw_schema_compile: turns a JSON schema into the compiled form (sw_schema_compile,
 * sw_schema_free): picks the draft from "$schema", walks every subschema once checking each
 * keyword's value (in strict mode also refusing unknown keywords and those of the other
 * draft), registers "$id" resources and anchors, compiles the regular expressions and collects
 * the $refs that sw_schema_ref.c resolves. No global state. */
#include "plugins/sw_schema.h"
#include "plugins/sw_schema_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    K_UNKNOWN,
    K_TYPE,
    K_SCHEMAMAP,
    K_PATPROPS,
    K_SCHEMA,
    K_ITEMS,
    K_SCHEMAS,
    K_REQUIRED,
    K_DEPREQ,
    K_DEPS,
    K_ENUM,
    K_ANY,
    K_NUMBER,
    K_MULTIPLE,
    K_COUNT,
    K_BOOL,
    K_STRING,
    K_REF,
    K_DYNREF,
    K_ID,
    K_ANCHOR,
    K_DYNANCHOR,
    K_PATTERN,
    K_OBJECT,
    K_UNEVAL,
    K_RECREF,
    K_RECANCHOR
};

#define D7 1
#define D2020 2
#define DB (D7 | D2020)
#define DC 4 /* draft-07 keywords that non-strict 2020-12 also honours (compatibility) */

static const struct {
    const char *name;
    int kind, drafts;
} keywords[] = {
    {"type", K_TYPE, DB},
    {"properties", K_SCHEMAMAP, DB},
    {"patternProperties", K_PATPROPS, DB},
    {"additionalProperties", K_SCHEMA, DB},
    {"propertyNames", K_SCHEMA, DB},
    {"required", K_REQUIRED, DB},
    {"dependencies", K_DEPS, D7 | DC},
    {"dependentRequired", K_DEPREQ, D2020},
    {"dependentSchemas", K_SCHEMAMAP, D2020},
    {"minProperties", K_COUNT, DB},
    {"maxProperties", K_COUNT, DB},
    {"items", K_ITEMS, DB},
    {"additionalItems", K_SCHEMA, D7 | DC},
    {"prefixItems", K_SCHEMAS, D2020},
    {"contains", K_SCHEMA, DB},
    {"minContains", K_COUNT, D2020},
    {"maxContains", K_COUNT, D2020},
    {"minItems", K_COUNT, DB},
    {"maxItems", K_COUNT, DB},
    {"uniqueItems", K_BOOL, DB},
    {"unevaluatedItems", K_UNEVAL, D2020},
    {"unevaluatedProperties", K_UNEVAL, D2020},
    {"enum", K_ENUM, DB},
    {"const", K_ANY, DB},
    {"minimum", K_NUMBER, DB},
    {"maximum", K_NUMBER, DB},
    {"exclusiveMinimum", K_NUMBER, DB},
    {"exclusiveMaximum", K_NUMBER, DB},
    {"multipleOf", K_MULTIPLE, DB},
    {"minLength", K_COUNT, DB},
    {"maxLength", K_COUNT, DB},
    {"pattern", K_PATTERN, DB},
    {"allOf", K_SCHEMAS, DB},
    {"anyOf", K_SCHEMAS, DB},
    {"oneOf", K_SCHEMAS, DB},
    {"not", K_SCHEMA, DB},
    {"if", K_SCHEMA, DB},
    {"then", K_SCHEMA, DB},
    {"else", K_SCHEMA, DB},
    {"$ref", K_REF, DB},
    {"$dynamicRef", K_DYNREF, D2020},
    {"definitions", K_SCHEMAMAP, D7 | DC},
    {"$defs", K_SCHEMAMAP, DB}, /* the 2019-09 spelling, long accepted in draft-07 schemas too */
    {"$id", K_ID, DB},
    {"$anchor", K_ANCHOR, D2020},
    {"$dynamicAnchor", K_DYNANCHOR, D2020},
    {"$recursiveRef", K_RECREF, D2020}, /* 2019-09's spelling of the dynamic reference */
    {"$recursiveAnchor", K_RECANCHOR, D2020},
    /* annotations: accepted, type-checked, no effect on validation */
    {"$schema", K_STRING, DB},
    {"$comment", K_STRING, DB},
    {"$vocabulary", K_OBJECT, D2020},
    {"title", K_STRING, DB},
    {"description", K_STRING, DB},
    {"format", K_STRING, DB},
    {"contentMediaType", K_STRING, DB},
    {"contentEncoding", K_STRING, DB},
    {"contentSchema", K_SCHEMA, D2020},
    {"default", K_ANY, DB},
    {"examples", K_ANY, DB},
    {"readOnly", K_BOOL, DB},
    {"writeOnly", K_BOOL, DB},
    {"deprecated", K_BOOL, D2020},
    {"x-secret", K_BOOL, DB},
};

static int keyword_kind(const char *k, int draft_bit)
{
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (!strcmp(k, keywords[i].name))
            return keywords[i].drafts & draft_bit ? keywords[i].kind : K_UNKNOWN;
    if (!strncmp(k, "x-", 2)) return K_ANY; /* vendor extension annotations */
    return K_UNKNOWN;
}

int sw_cc_fail(cc *c, const seg *path, const char *fmt, ...)
{
    if (!c->err) return -1;
    va_list ap;
    va_start(ap, fmt);
    sw_schema_emit(c->err, c->errlen, path, fmt, ap);
    va_end(ap);
    return -1;
}

static int c_type(cc *c, const json_t *kv, const seg *kp)
{
    char q[160];
    if (json_is_string(kv)) {
        if (!type_bit(kv))
            return sw_cc_fail(c, kp, "unknown type \"%s\"", sw_schema_quote_j(q, sizeof q, kv));
        return 0;
    }
    if (!json_is_array(kv))
        return sw_cc_fail(c, kp, "must be a type name or an array of type names");
    int seen = 0;
    for (size_t i = 0; i < json_array_size(kv); i++) {
        const json_t *t = json_array_get(kv, i);
        if (!json_is_string(t))
            return sw_cc_fail(c, kp, "must be a type name or an array of type names");
        int b = type_bit(t);
        if (!b) return sw_cc_fail(c, kp, "unknown type \"%s\"", sw_schema_quote_j(q, sizeof q, t));
        if (seen & b)
            return sw_cc_fail(c, kp, "duplicate type \"%s\"", sw_schema_quote_j(q, sizeof q, t));
        seen |= b;
    }
    return 0;
}

static int string_array(const json_t *kv)
{
    if (!json_is_array(kv)) return 0;
    for (size_t i = 0; i < json_array_size(kv); i++)
        if (!json_is_string(json_array_get(kv, i))) return 0;
    return 1;
}

/* Compiles the regexes of a pattern (one string) or of a patternProperties object's keys. */
static int c_regex(cc *c, const json_t *kv, const seg *kp)
{
    size_t n = json_is_string(kv) ? 1 : json_object_size(kv);
    srx *x = calloc(1, sizeof *x + (n ? n : 1) * sizeof x->re[0]);
    if (!x || sw_pmap_put(&c->s->regex, kv, x)) {
        free(x);
        return sw_cc_fail(c, kp, "out of memory");
    }
    char why[200];
    if (json_is_string(kv)) {
        x->re[0] =
            sw_sregex_compile(json_string_value(kv), json_string_length(kv), why, sizeof why);
        if (!x->re[0]) return sw_cc_fail(c, kp, "%s", why);
        x->n = 1;
        return 0;
    }
    const char *k;
    size_t kl;
    json_t *sub;
    json_object_keylen_foreach((json_t *)kv, k, kl, sub)
    {
        seg np = {kp, k, 0, SEG_KEY};
        x->re[x->n] = sw_sregex_compile(k, kl, why, sizeof why);
        if (!x->re[x->n]) return sw_cc_fail(c, &np, "%s", why);
        x->n++;
    }
    return 0;
}

static int c_schemamap(cc *c, const json_t *kv, sres *r, const seg *kp, int depth)
{
    if (!json_is_object(kv)) return sw_cc_fail(c, kp, "must be an object of schemas");
    const char *name;
    json_t *sub;
    json_object_foreach((json_t *)kv, name, sub)
    {
        seg np = {kp, name, 0, SEG_KEY};
        if (sw_cc_walk(c, sub, r, &np, depth + 1)) return -1;
    }
    return 0;
}

static int c_schemas(cc *c, const json_t *kv, sres *r, const seg *kp, int depth)
{
    if (!json_is_array(kv) || !json_array_size(kv))
        return sw_cc_fail(c, kp, "must be a non-empty array of schemas");
    for (size_t i = 0; i < json_array_size(kv); i++) {
        seg ip = {kp, NULL, i, SEG_INDEX};
        if (sw_cc_walk(c, json_array_get(kv, i), r, &ip, depth + 1)) return -1;
    }
    return 0;
}

/* dependencies (draft-07): each value a list of property names or a schema. */
static int c_deps(cc *c, const json_t *kv, sres *r, const seg *kp, int depth, int names_only)
{
    if (!json_is_object(kv))
        return sw_cc_fail(c, kp,
                          names_only ? "must be an object of string arrays"
                                     : "must be an object of schemas or string arrays");
    const char *name;
    json_t *sub;
    json_object_foreach((json_t *)kv, name, sub)
    {
        seg np = {kp, name, 0, SEG_KEY};
        if (json_is_array(sub)) {
            if (!string_array(sub)) return sw_cc_fail(c, &np, "must be an array of strings");
        } else if (names_only) {
            return sw_cc_fail(c, &np, "must be an array of strings");
        } else if (sw_cc_walk(c, sub, r, &np, depth + 1)) {
            return -1;
        }
    }
    return 0;
}

/* One keyword of a schema object; 0 or -1 with a message. */
static int c_keyword(cc *c, const json_t *s, const char *k, const json_t *kv, sres *r,
                     const seg *kp, int depth)
{
    switch (keyword_kind(k, c->d2020 ? (c->strict ? D2020 : D2020 | DC) : D7)) {
    case K_UNKNOWN:
        return c->strict ? sw_cc_fail(c, kp, "unsupported keyword") : 0;
    case K_TYPE:
        return c_type(c, kv, kp);
    case K_SCHEMAMAP:
        return c_schemamap(c, kv, r, kp, depth);
    case K_PATPROPS:
        if (c_schemamap(c, kv, r, kp, depth)) return -1;
        return c_regex(c, kv, kp);
    case K_UNEVAL:
        c->s->has_uneval = 1;
        return sw_cc_walk(c, kv, r, kp, depth + 1);
    case K_SCHEMA:
        return sw_cc_walk(c, kv, r, kp, depth + 1);
    case K_ITEMS:
        if (!json_is_array(kv)) return sw_cc_walk(c, kv, r, kp, depth + 1);
        if (c->d2020 && c->strict)
            return sw_cc_fail(c, kp, "must be a schema (the array form is prefixItems in 2020-12)");
        for (size_t i = 0; i < json_array_size(kv); i++) {
            seg ip = {kp, NULL, i, SEG_INDEX};
            if (sw_cc_walk(c, json_array_get(kv, i), r, &ip, depth + 1)) return -1;
        }
        return 0;
    case K_SCHEMAS:
        return c_schemas(c, kv, r, kp, depth);
    case K_REQUIRED:
        return string_array(kv) ? 0 : sw_cc_fail(c, kp, "must be an array of strings");
    case K_DEPREQ:
        return c_deps(c, kv, r, kp, depth, 1);
    case K_DEPS:
        return c_deps(c, kv, r, kp, depth, 0);
    case K_ENUM:
        return json_is_array(kv) ? 0 : sw_cc_fail(c, kp, "must be an array");
    case K_NUMBER:
        return json_is_number(kv) ? 0 : sw_cc_fail(c, kp, "must be a number");
    case K_MULTIPLE:
        if (!json_is_number(kv) || json_number_value(kv) <= 0)
            return sw_cc_fail(c, kp, "must be a number greater than 0");
        return 0;
    case K_COUNT:
        return sw_schema_count_value(kv) >= 0 ? 0
                                              : sw_cc_fail(c, kp, "must be a non-negative integer");
    case K_BOOL:
        return json_is_boolean(kv) ? 0 : sw_cc_fail(c, kp, "must be a boolean");
    case K_STRING:
        return json_is_string(kv) ? 0 : sw_cc_fail(c, kp, "must be a string");
    case K_OBJECT:
        return json_is_object(kv) ? 0 : sw_cc_fail(c, kp, "must be an object");
    case K_PATTERN:
        if (!json_is_string(kv)) return sw_cc_fail(c, kp, "must be a string");
        return c_regex(c, kv, kp);
    case K_REF:
    case K_DYNREF:
        if (!json_is_string(kv)) return sw_cc_fail(c, kp, "must be a string");
        return sw_cc_pending(c, kv, r, !strcmp(k, "$dynamicRef"), s, kp);
    case K_RECREF:
        if (!json_is_string(kv)) return sw_cc_fail(c, kp, "must be a string");
        return sw_cc_pending(c, kv, r, 2, s, kp);
    case K_RECANCHOR:
        if (!json_is_boolean(kv)) return sw_cc_fail(c, kp, "must be a boolean");
        return json_is_true(kv) ? sw_cc_recursive_anchor(c, s, r, kp) : 0;
    case K_ANCHOR:
    case K_DYNANCHOR:
        return sw_cc_anchor(c, s, kv, r, k[1] == 'd', kp);
    default:
        return 0; /* K_ANY, K_ID (handled before the keywords) */
    }
}

int sw_cc_walk(cc *c, const json_t *s, sres *r, const seg *path, int depth)
{
    if (depth > SW_SCHEMA_MAX_DEPTH)
        return sw_cc_fail(c, path, "schema nested deeper than %d levels", SW_SCHEMA_MAX_DEPTH);
    if (json_is_boolean(s)) return 0;
    if (!json_is_object(s))
        return sw_cc_fail(c, path, "expected a schema (object or boolean), got %s",
                          sw_schema_type_name(s));
    if (sw_pmap_get(&c->seen, s)) return 0;
    if (sw_pmap_put(&c->seen, s, r)) return sw_cc_fail(c, path, "out of memory");
    const json_t *id = json_object_get(s, "$id");
    /* draft-07: the siblings of "$ref" are ignored, "$id" included */
    if (id && s != c->s->json && (c->d2020 || !json_object_get(s, "$ref"))) {
        seg ip = {path, "$id", 0, SEG_KEY};
        r = sw_cc_id(c, s, id, r, &ip);
        if (!r) return -1;
    }
    const char *k;
    size_t kl;
    json_t *kv;
    json_object_keylen_foreach((json_t *)s, k, kl, kv)
    {
        seg kp = {path, k, 0, SEG_KEY};
        if (strlen(k) != kl) {
            if (c->strict) return sw_cc_fail(c, &kp, "unsupported keyword (NUL byte in its name)");
            continue;
        }
        if (c_keyword(c, s, k, kv, r, &kp, depth)) return -1;
    }
    return 0;
}

/* The draft a "$schema" URI names: 7, 2020, or 0 when unknown. */
static int draft_of(const char *uri)
{
    if (strstr(uri, "json-schema.org/draft-07/") || strstr(uri, "json-schema.org/draft-06/") ||
        strstr(uri, "json-schema.org/draft-04/"))
        return SW_SCHEMA_DRAFT7;
    if (strstr(uri, "json-schema.org/draft/2020-12/") ||
        strstr(uri, "json-schema.org/draft/2019-09/"))
        return SW_SCHEMA_DRAFT2020;
    return 0;
}

static int pick_draft(cc *c, const json_t *root, int def)
{
    const json_t *sv = json_is_object(root) ? json_object_get(root, "$schema") : NULL;
    int d = def == SW_SCHEMA_DRAFT2020 ? SW_SCHEMA_DRAFT2020 : SW_SCHEMA_DRAFT7;
    if (json_is_string(sv)) {
        int named = draft_of(json_string_value(sv));
        if (named) return named;
        if (c->strict) {
            char q[200];
            seg sp = {NULL, "$schema", 0, SEG_KEY};
            sw_cc_fail(c, &sp, "unsupported $schema \"%s\" (draft-07 or 2020-12)",
                       sw_schema_quote_j(q, sizeof q, sv));
            return 0;
        }
    }
    return d;
}

/* The document resource: its URI is the root's "$id" (resolved against nothing). */
static sres *root_resource(cc *c)
{
    const json_t *root = c->s->json;
    const json_t *id = json_is_object(root) ? json_object_get(root, "$id") : NULL;
    if (id && (c->d2020 || !json_object_get(root, "$ref"))) {
        sres *doc = sw_cc_resource(c, "", 0, root);
        if (!doc) return NULL;
        seg ip = {NULL, "$id", 0, SEG_KEY};
        return sw_cc_id(c, root, id, doc, &ip);
    }
    return sw_cc_resource(c, "", 0, root);
}

sw_schema *sw_schema_compile(const json_t *schema, int default_draft, unsigned flags, char *err,
                             size_t errlen)
{
    cc c;
    memset(&c, 0, sizeof c);
    c.err = errlen ? err : NULL;
    c.errlen = errlen;
    c.strict = (flags & SW_SCHEMA_STRICT) != 0;
    if (c.err) err[0] = '\0';
    if (!schema) {
        sw_cc_fail(&c, NULL, "no schema");
        return NULL;
    }
    sw_schema *s = calloc(1, sizeof *s);
    if (!s) {
        sw_cc_fail(&c, NULL, "out of memory");
        return NULL;
    }
    c.s = s;
    s->flags = flags;
    s->draft = pick_draft(&c, schema, default_draft);
    s->json = json_deep_copy(schema);
    c.anchors = json_object();
    c.resmap = json_object();
    int r = -1;
    if (!s->draft) {
        /* message already set */
    } else if (!s->json || !c.anchors || !c.resmap) {
        sw_cc_fail(&c, NULL, "out of memory");
    } else {
        c.d2020 = s->draft == SW_SCHEMA_DRAFT2020;
        sres *doc = root_resource(&c);
        if (doc) r = sw_cc_walk(&c, s->json, doc, NULL, 0);
        if (!r) r = sw_cc_link(&c);
    }
    sw_cc_free(&c);
    if (r) {
        sw_schema_free(s);
        return NULL;
    }
    return s;
}

int sw_schema_draft(const sw_schema *s)
{
    return s ? s->draft : 0;
}

void sw_schema_free(sw_schema *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->regex.cap; i++) {
        srx *x = s->regex.v[i].val;
        if (!s->regex.v[i].key || !x) continue;
        for (size_t j = 0; j < x->n; j++)
            sw_sregex_free(x->re[j]);
        free(x);
    }
    for (size_t i = 0; i < s->refs.cap; i++)
        if (s->refs.v[i].key) free(s->refs.v[i].val);
    sw_pmap_free(&s->regex);
    sw_pmap_free(&s->refs);
    sw_pmap_free(&s->roots);
    for (sres *r = s->res, *nx; r; r = nx) {
        nx = r->next;
        free(r->uri);
        free(r->dyn);
        free(r);
    }
    json_decref(s->json);
    free(s);
}
