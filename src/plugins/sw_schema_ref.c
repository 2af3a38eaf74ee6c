/* sw_schema_ref: the references of a schema being compiled: schema resources ("$id" and the
 * base URIs they set), anchors ("$anchor", "$dynamicAnchor", draft-07 "$id": "#name"), and
 * "$ref"/"$dynamicRef" resolution to a subschema of the same document (a JSON pointer or an
 * anchor after RFC 3986 resolution against the base; anything else is a remote ref, refused),
 * then the check that no in-place loop ($ref, allOf/anyOf/oneOf, not) can recurse forever.
 * Compile-time only; the results are read-only tables of the compiled schema. */
#include "plugins/sw_schema.h"
#include "plugins/sw_schema_core.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sres *sw_cc_resource(cc *c, const char *uri, size_t uri_len, const json_t *node)
{
    sres *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->uri = strndup(uri, uri_len);
    if (!r->uri || sw_pmap_put(&c->s->roots, node, r)) {
        free(r->uri);
        free(r);
        return NULL;
    }
    r->root = node;
    sres **tail = &c->s->res;
    while (*tail)
        tail = &(*tail)->next;
    *tail = r;
    if (!json_object_get(c->resmap, r->uri))
        json_object_set_new(c->resmap, r->uri, json_integer((json_int_t)(intptr_t)r));
    return r;
}

static sres *find_resource(cc *c, const char *uri)
{
    const json_t *v = json_object_get(c->resmap, uri);
    return v ? (sres *)(intptr_t)json_integer_value(v) : NULL;
}

static int add_anchor(cc *c, const char *base, const char *name, size_t nl, const json_t *node,
                      sres *r, const seg *path)
{
    char key[URI_MAX];
    size_t bl = strlen(base);
    if (bl + 1 + nl >= sizeof key || memchr(name, '\0', nl))
        return sw_cc_fail(c, path, "anchor too long or not text");
    memcpy(key, base, bl);
    key[bl] = '#';
    memcpy(key + bl + 1, name, nl);
    key[bl + 1 + nl] = '\0';
    if (json_object_get(c->anchors, key)) return 0; /* the first one wins */
    if (c->nanc == c->capanc) {
        size_t ncap = c->capanc ? c->capanc * 2 : 8;
        sanc *na = realloc(c->anc, ncap * sizeof *na);
        if (!na) return sw_cc_fail(c, path, "out of memory");
        c->anc = na;
        c->capanc = ncap;
    }
    c->anc[c->nanc].node = node;
    c->anc[c->nanc].res = r;
    if (json_object_set_new(c->anchors, key, json_integer((json_int_t)c->nanc)))
        return sw_cc_fail(c, path, "out of memory");
    c->nanc++;
    return 0;
}

sres *sw_cc_id(cc *c, const json_t *node, const json_t *id, sres *r, const seg *path)
{
    if (!json_is_string(id)) {
        sw_cc_fail(c, path, "must be a string");
        return NULL;
    }
    const char *v = json_string_value(id);
    size_t vl = json_string_length(id);
    if (!c->d2020 && vl && v[0] == '#') { /* draft-07 location-independent identifier */
        if (add_anchor(c, r->uri, v + 1, vl - 1, node, r, path)) return NULL;
        return r;
    }
    char abs[URI_MAX];
    if (sw_uri_resolve(r->uri, v, vl, abs, sizeof abs)) {
        sw_cc_fail(c, path, "$id too long or not a URI");
        return NULL;
    }
    size_t dl = sw_uri_nofrag(abs);
    sres *nr = sw_cc_resource(c, abs, dl, node);
    if (!nr) {
        sw_cc_fail(c, path, "out of memory");
        return NULL;
    }
    if (abs[dl] == '#' && abs[dl + 1] &&
        add_anchor(c, nr->uri, abs + dl + 1, strlen(abs + dl + 1), node, nr, path))
        return NULL;
    return nr;
}

static int add_dyn(cc *c, sres *r, const char *name, const json_t *node, const seg *path)
{
    if (r->ndyn == r->capdyn) {
        size_t ncap = r->capdyn ? r->capdyn * 2 : 4;
        sdyn *nd = realloc(r->dyn, ncap * sizeof *nd);
        if (!nd) return sw_cc_fail(c, path, "out of memory");
        r->dyn = nd;
        r->capdyn = ncap;
    }
    r->dyn[r->ndyn].name = name;
    r->dyn[r->ndyn].node = node;
    r->ndyn++;
    return 0;
}

static int anchor_name_ok(const char *s, size_t n)
{
    if (!n) return 0;
    unsigned char ch = (unsigned char)s[0];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_')) return 0;
    for (size_t i = 1; i < n; i++) {
        ch = (unsigned char)s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

int sw_cc_anchor(cc *c, const json_t *node, const json_t *name, sres *r, int dynamic,
                 const seg *path)
{
    if (!json_is_string(name) || !anchor_name_ok(json_string_value(name), json_string_length(name)))
        return sw_cc_fail(c, path,
                          "must be a name (a letter or \"_\", then letters, digits, "
                          "\"-\", \"_\" or \".\")");
    if (add_anchor(c, r->uri, json_string_value(name), json_string_length(name), node, r, path))
        return -1;
    return dynamic ? add_dyn(c, r, json_string_value(name), node, path) : 0;
}

int sw_cc_recursive_anchor(cc *c, const json_t *node, sres *r, const seg *path)
{
    if (r->root != node) return 0; /* only a resource root's counts */
    return add_dyn(c, r, "", node, path);
}

int sw_cc_pending(cc *c, const json_t *ref, sres *r, int dynamic, const json_t *node,
                  const seg *path)
{
    if (c->npend == c->cappend) {
        size_t ncap = c->cappend ? c->cappend * 2 : 16;
        spending *np = realloc(c->pend, ncap * sizeof *np);
        if (!np) return sw_cc_fail(c, path, "out of memory");
        c->pend = np;
        c->cappend = ncap;
    }
    c->pend[c->npend].ref = ref;
    c->pend[c->npend].base = r;
    c->pend[c->npend].dynamic = dynamic;
    c->pend[c->npend].node = node;
    c->npend++;
    return 0;
}

/* Resolves one pending reference into the refs table (walking a pointer target not walked). */
static int resolve_one(cc *c, const spending *p)
{
    char q[200], abs[URI_MAX];
    const char *kw = p->dynamic == 2 ? "$recursiveRef" : p->dynamic ? "$dynamicRef" : "$ref";
    seg kp = {NULL, kw, 0, SEG_KEY};
    sw_schema_quote_j(q, sizeof q, p->ref);
    if (sw_uri_resolve(p->base->uri, json_string_value(p->ref), json_string_length(p->ref), abs,
                       sizeof abs))
        return sw_cc_fail(c, &kp, "unsupported $ref \"%s\" (longer than %d bytes)", q, URI_MAX);
    size_t dl = sw_uri_nofrag(abs);
    char doc[URI_MAX];
    memcpy(doc, abs, dl);
    doc[dl] = '\0';
    sres *res = find_resource(c, doc);
    if (!res)
        return sw_cc_fail(c, &kp,
                          "unsupported non-local $ref \"%s\" (only refs inside this schema)", q);
    const char *frag = abs + dl;
    size_t fl = strlen(frag);
    const json_t *t = NULL;
    const char *dyn = NULL;
    if (fl <= 1) {
        t = res->root;
    } else if (frag[1] == '/') {
        int why;
        t = sw_schema_resolve_frag(res->root, frag, fl, &why);
        if (!t && why == REF_LONG)
            return sw_cc_fail(c, &kp, "unsupported $ref \"%s\" (longer than %d bytes)", q, REF_MAX);
    } else {
        const json_t *ix = json_object_get(c->anchors, abs);
        if (ix) {
            const sanc *a = &c->anc[json_integer_value(ix)];
            t = a->node;
            res = a->res;
            const json_t *da = json_object_get(t, "$dynamicAnchor");
            if (p->dynamic && json_is_string(da) && !strcmp(json_string_value(da), frag + 1))
                dyn = json_string_value(da);
        }
    }
    if (p->dynamic == 2 && json_is_true(json_object_get(t, "$recursiveAnchor")))
        dyn = ""; /* 2019-09: the outermost resource with "$recursiveAnchor": true */
    if (!t) return sw_cc_fail(c, &kp, "unresolvable $ref \"%s\"", q);
    if (!json_is_object(t) && !json_is_boolean(t))
        return sw_cc_fail(c, &kp, "$ref \"%s\" does not point to a schema", q);
    sref *sr = malloc(sizeof *sr);
    if (!sr || sw_pmap_put(&c->s->refs, p->ref, sr)) {
        free(sr);
        return sw_cc_fail(c, &kp, "out of memory");
    }
    sr->target = t;
    sr->res = res;
    sr->dyn = dyn;
    if (dyn) c->s->has_dynamic = 1;
    if (json_is_object(t) && !sw_pmap_get(&c->seen, t)) {
        seg rp = {NULL, json_string_value(p->ref), 0, SEG_REF};
        return sw_cc_walk(c, t, res, &rp, 0);
    }
    return 0;
}

enum { WHITE = 0, GRAY = 1, BLACK = 2 };

static const json_t *ref_target(cc *c, const json_t *ref)
{
    const sref *sr = ref ? sw_pmap_get(&c->s->refs, ref) : NULL;
    return sr ? sr->target : NULL;
}

/* Looks for a cycle through "$ref"/"$dynamicRef", allOf/anyOf/oneOf and not: the edges along
 * which validation stays at the same instance value. Such a cycle would never terminate. */
static int c_cycles(cc *c, pmap *color, const json_t *s, const json_t *via, int depth)
{
    char q[200];
    if (!json_is_object(s)) return 0;
    uintptr_t col = (uintptr_t)sw_pmap_get(color, s);
    if (col == BLACK) return 0;
    if (col == GRAY) {
        if (!via) return sw_cc_fail(c, NULL, "schema contains itself");
        seg rp = {NULL, "$ref", 0, SEG_KEY};
        return sw_cc_fail(c, &rp, "cyclic $ref \"%s\" (loops without descending into the instance)",
                          sw_schema_quote_j(q, sizeof q, via));
    }
    if (depth > SW_SCHEMA_MAX_DEPTH)
        return sw_cc_fail(c, NULL, "$ref/allOf/anyOf/oneOf/not chain deeper than %d levels",
                          SW_SCHEMA_MAX_DEPTH);
    if (sw_pmap_put(color, s, (void *)(uintptr_t)GRAY)) return sw_cc_fail(c, NULL, "out of memory");
    int r = 0;
    const json_t *ref = json_object_get(s, "$ref");
    if (ref) r = c_cycles(c, color, ref_target(c, ref), ref, depth + 1);
    if (!r && (c->d2020 || !ref)) {
        const json_t *dref = c->d2020 ? json_object_get(s, "$dynamicRef") : NULL;
        if (dref) r = c_cycles(c, color, ref_target(c, dref), dref, depth + 1);
        const json_t *rref = c->d2020 && !r ? json_object_get(s, "$recursiveRef") : NULL;
        if (rref) r = c_cycles(c, color, ref_target(c, rref), rref, depth + 1);
        static const char *const kws[] = {"allOf", "anyOf", "oneOf"};
        for (size_t k = 0; k < 3 && !r; k++) {
            const json_t *a = json_object_get(s, kws[k]);
            for (size_t i = 0; i < json_array_size(a) && !r; i++)
                r = c_cycles(c, color, json_array_get(a, i), via, depth + 1);
        }
        if (!r) r = c_cycles(c, color, json_object_get(s, "not"), via, depth + 1);
    }
    if (!r && sw_pmap_put(color, s, (void *)(uintptr_t)BLACK))
        return sw_cc_fail(c, NULL, "out of memory");
    return r;
}

int sw_cc_link(cc *c)
{
    for (size_t i = 0; i < c->npend; i++) { /* resolving may walk targets and add more */
        spending p = c->pend[i];
        if (resolve_one(c, &p)) return -1;
    }
    pmap color = {NULL, 0, 0};
    int r = 0;
    for (size_t i = 0; !r && i < c->seen.cap; i++) {
        const json_t *s = c->seen.v[i].key;
        if (s && !sw_pmap_get(&color, s)) r = c_cycles(c, &color, s, NULL, 0);
    }
    sw_pmap_free(&color);
    return r;
}

void sw_cc_free(cc *c)
{
    sw_pmap_free(&c->seen);
    free(c->pend);
    free(c->anc);
    json_decref(c->anchors);
    json_decref(c->resmap);
}
