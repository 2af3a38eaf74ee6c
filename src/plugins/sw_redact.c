/* sw_redact: the one redaction of tool arguments (see sw_redact.h). */
#include "plugins/sw_redact.h"

#include <string.h>

static int has_secrets(const sw_reg_tool *rt)
{
    return rt && json_array_size(rt->secret_fields) > 0;
}

json_t *sw_redact_args(const sw_reg_tool *rt, const json_t *parsed, const char *raw, size_t rawlen)
{
    json_t *own = NULL;
    if (!json_is_object(parsed) && raw) { /* stored or raw text may still be an object */
        own = json_loadb(raw, rawlen, 0, NULL);
        parsed = own;
    }
    if (json_is_object(parsed)) {
        json_t *copy = json_deep_copy(parsed);
        json_decref(own);
        if (!copy || !has_secrets(rt)) return copy;
        size_t i;
        json_t *f;
        json_array_foreach(rt->secret_fields, i, f) {
            const char *k = json_string_value(f);
            if (k && json_object_get(copy, k)) json_object_set_new(copy, k, json_string(SW_REDACT_MASK));
        }
        return copy;
    }
    json_decref(own);
    if (has_secrets(rt)) return json_string(SW_REDACT_MASK);
    size_t n = rawlen > 1024 ? 1024 : rawlen;
    while (n < rawlen && n > 0 && ((unsigned char)raw[n] & 0xC0) == 0x80) n--; /* whole characters */
    json_t *txt = json_stringn(raw ? raw : "", raw ? n : 0);
    return txt ? txt : json_string("<non-UTF-8 arguments>");
}

json_t *sw_redact_args_text(const sw_registry *reg, const char *plugin_id, const char *tool, const char *text)
{
    const sw_reg_plugin *rp = reg && plugin_id ? sw_registry_find(reg, plugin_id) : NULL;
    const sw_reg_tool *rt = rp && tool ? sw_registry_tool(rp, tool) : NULL;
    return sw_redact_args(rt, NULL, text ? text : "", text ? strlen(text) : 0);
}
