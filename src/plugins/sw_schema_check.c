/* sw_schema_check: the one-shot forms for callers that hold only JSON (sw_schema_check:
 * compile strict draft-07 and drop it; sw_schema_validate: compile non-strict, run, drop) and
 * the scan for secret argument fields (sw_schema_secret_fields), run once when a plugin
 * registers. Pure functions, no global state. */
#include "plugins/sw_schema.h"
#include "plugins/sw_schema_core.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- one-shot forms ---------------------------------------------------------------------- */

int sw_schema_check(const json_t *schema, char *err, size_t errlen)
{
    sw_schema *s = sw_schema_compile(schema, SW_SCHEMA_DRAFT7, SW_SCHEMA_STRICT, err, errlen);
    if (!s) return -1;
    sw_schema_free(s);
    return 0;
}

int sw_schema_validate(const json_t *schema, const json_t *instance, char *err, size_t errlen)
{
    if (!schema || !instance) {
        if (errlen) snprintf(err, errlen, "(root): %s", schema ? "no value" : "no schema");
        return -1;
    }
    sw_schema *s = sw_schema_compile(schema, SW_SCHEMA_DRAFT7, 0, err, errlen);
    if (!s) return -1;
    int r = sw_schema_run(s, instance, err, errlen);
    sw_schema_free(s);
    return r;
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
