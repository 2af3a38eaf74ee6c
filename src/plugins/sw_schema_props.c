/* sw_schema_props: the object keywords of the per-call validator: properties,
 * patternProperties (regexes compiled with the schema), additionalProperties, propertyNames,
 * required, dependencies / dependentRequired / dependentSchemas; each records the property
 * names it evaluated when unevaluatedProperties needs them. */
#include "plugins/sw_schema.h"
#include "plugins/sw_schema_apply.h"

#include <stdio.h>
#include <string.h>

int sw_v_properties(vctx *c, const json_t *props, const json_t *v, const seg *path, int depth,
                    ev *e)
{
    const char *k;
    size_t kl;
    json_t *x;
    if (!json_is_object(props)) return sw_vfatal(c, path, "invalid schema: bad \"properties\"");
    /* Walk the smaller side; look each name up in the other. */
    if (json_object_size(v) < json_object_size(props)) {
        json_object_keylen_foreach((json_t *)v, k, kl, x)
        {
            const json_t *ps = json_object_getn(props, k, kl);
            if (!ps) continue;
            seg sg = {path, k, 0, SEG_KEY};
            int r = sw_v_node(c, ps, x, &sg, depth + 1, NULL);
            if (r) return r;
            sw_ev_key(e, k, kl);
        }
    } else {
        json_object_keylen_foreach((json_t *)props, k, kl, x)
        {
            const json_t *iv = json_object_getn(v, k, kl);
            if (!iv) continue;
            seg sg = {path, k, 0, SEG_KEY};
            int r = sw_v_node(c, x, iv, &sg, depth + 1, NULL);
            if (r) return r;
            sw_ev_key(e, k, kl);
        }
    }
    return V_OK;
}

/* Whether property k matches one of the patternProperties regexes: 1, 0, or -1 (fatal). */
static int pp_any(vctx *c, const json_t *pp, const srx *x, const char *k, size_t kl,
                  const seg *path)
{
    (void)pp;
    for (size_t j = 0; j < x->n; j++) {
        int m = sw_v_regex(c, x->re[j], k, kl, NULL, path);
        if (m) return m;
    }
    return 0;
}

int sw_v_pattern_props(vctx *c, const json_t *pp, const json_t *v, const seg *path, int depth,
                       ev *e)
{
    const srx *x = sw_pmap_get(&c->s->regex, pp);
    if (!x) return sw_vfatal(c, path, "invalid schema: bad \"patternProperties\"");
    const char *k;
    size_t kl;
    json_t *iv;
    json_object_keylen_foreach((json_t *)v, k, kl, iv)
    {
        const char *pk;
        size_t j = 0;
        json_t *sub;
        seg sg = {path, k, 0, SEG_KEY};
        json_object_foreach((json_t *)pp, pk, sub)
        {
            if (j >= x->n) break;
            int m = sw_v_regex(c, x->re[j++], k, kl, NULL, &sg);
            if (m < 0) return V_FATAL;
            if (!m) continue;
            int r = sw_v_node(c, sub, iv, &sg, depth + 1, NULL);
            if (r) return r;
            sw_ev_key(e, k, kl);
        }
    }
    return V_OK;
}

int sw_v_additional(vctx *c, const json_t *s, const json_t *ap, const json_t *v, const seg *path,
                    int depth, ev *e)
{
    const json_t *props = json_object_get(s, "properties");
    if (!json_is_object(props)) props = NULL;
    const json_t *pp = json_object_get(s, "patternProperties");
    const srx *x = json_is_object(pp) ? sw_pmap_get(&c->s->regex, pp) : NULL;
    if (!json_is_true(ap)) {
        const char *k;
        size_t kl;
        json_t *iv;
        json_object_keylen_foreach((json_t *)v, k, kl, iv)
        {
            if (props && json_object_getn(props, k, kl)) continue;
            seg sg = {path, k, 0, SEG_KEY};
            if (x) {
                int m = pp_any(c, pp, x, k, kl, &sg);
                if (m < 0) return V_FATAL;
                if (m) continue;
            }
            if (json_is_false(ap)) {
                if (!c->err || c->quiet) return V_FAIL;
                char q[160];
                return sw_vfail(c, path, "unexpected property \"%s\"",
                                sw_schema_quote_n(q, sizeof q, k, kl));
            }
            int r = sw_v_node(c, ap, iv, &sg, depth + 1, NULL);
            if (r) return r;
        }
    }
    if (e) e->all = 1;
    return V_OK;
}

int sw_v_property_names(vctx *c, const json_t *pn, const json_t *v, const seg *path, int depth)
{
    if (json_is_true(pn)) return V_OK;
    const char *k;
    size_t kl;
    json_t *iv;
    json_object_keylen_foreach((json_t *)v, k, kl, iv)
    {
        json_t *name = json_stringn_nocheck(k, kl);
        if (!name) return sw_vfatal(c, path, "out of memory");
        c->quiet++;
        int r = sw_v_node(c, pn, name, path, depth + 1, NULL);
        c->quiet--;
        json_decref(name);
        if (r == V_FATAL) return r;
        if (r) {
            if (!c->err || c->quiet) return V_FAIL;
            char q[160];
            return sw_vfail(c, path, "property name \"%s\" does not match propertyNames",
                            sw_schema_quote_n(q, sizeof q, k, kl));
        }
    }
    return V_OK;
}

int sw_v_required(vctx *c, const json_t *req, const json_t *v, const seg *path)
{
    if (!json_is_array(req)) return sw_vfatal(c, path, "invalid schema: bad \"required\"");
    for (size_t i = 0; i < json_array_size(req); i++) {
        const json_t *name = json_array_get(req, i);
        if (!json_is_string(name)) return sw_vfatal(c, path, "invalid schema: bad \"required\"");
        if (json_object_getn(v, json_string_value(name), json_string_length(name))) continue;
        if (!c->err || c->quiet) return V_FAIL;
        char q[160];
        return sw_vfail(c, path, "missing required property \"%s\"",
                        sw_schema_quote_j(q, sizeof q, name));
    }
    return V_OK;
}

/* dependencies (draft-07), dependentRequired and dependentSchemas (2020-12): each member
 * applies when the instance has that property: a list of names it then requires, or a schema
 * the whole object must match. */
int sw_v_dependencies(vctx *c, const json_t *deps, const json_t *v, const seg *path, int depth,
                      ev *e)
{
    const char *k;
    size_t kl;
    json_t *d;
    if (!json_is_object(deps)) return sw_vfatal(c, path, "invalid schema: bad dependencies");
    json_object_keylen_foreach((json_t *)deps, k, kl, d)
    {
        if (!json_object_getn(v, k, kl)) continue;
        if (!json_is_array(d)) {
            int r = sw_v_node(c, d, v, path, depth + 1, e);
            if (r) return r;
            continue;
        }
        for (size_t i = 0; i < json_array_size(d); i++) {
            const json_t *name = json_array_get(d, i);
            if (!json_is_string(name))
                return sw_vfatal(c, path, "invalid schema: bad dependencies");
            if (json_object_getn(v, json_string_value(name), json_string_length(name))) continue;
            if (!c->err || c->quiet) return V_FAIL;
            char q[160], q2[160];
            return sw_vfail(c, path, "property \"%s\" requires property \"%s\"",
                            sw_schema_quote_n(q, sizeof q, k, kl),
                            sw_schema_quote_j(q2, sizeof q2, name));
        }
    }
    return V_OK;
}
