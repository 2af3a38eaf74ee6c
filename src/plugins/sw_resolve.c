/* sw_resolve: the one tool resolver (see sw_resolve.h). */
#include "plugins/sw_resolve.h"
#include "core/sw_text.h"

#include <string.h>

int sw_resolve_usable(const sw_plugin_tenant_state *st, const sw_resolve_filter *f)
{
    if (!st->enabled) return 0;
    if (!f) return 1;
    const char *id = st->rp->p->id;
    if (f->only_plugin && strcmp(f->only_plugin, id) != 0) return -1;
    if (f->visible && !f->visible(f->visible_arg, id)) return -1;
    return 1;
}

/* The usable tool name nearest to name, closer than f->max_distance. */
static void suggest(const sw_tenant_plugins *tp, const char *name, const sw_resolve_filter *f, sw_resolved *out)
{
    size_t best = f ? f->max_distance : 0;
    for (int i = 0; best > 0 && i < tp->n; i++) {
        const sw_plugin_tenant_state *st = &tp->items[i];
        if (sw_resolve_usable(st, f) != 1) continue;
        for (int k = 0; k < st->rp->ntools; k++) {
            const swp_tool *t = st->rp->tools[k].def;
            if (f->commands && !t->usage) continue;
            size_t d = sw_edit_distance(name, t->name);
            if (d < best) {
                best = d;
                out->suggestion = t->name;
                out->suggestion_distance = d;
            }
        }
    }
}

sw_resolve_status sw_resolve_tool(sw_tenant_plugins *tp, const char *name, const sw_resolve_filter *f,
                                  sw_resolved *out)
{
    memset(out, 0, sizeof *out);
    out->snapshot = tp;
    out->status = SW_RESOLVE_UNKNOWN;
    const char *n = name ? name : "";
    for (int i = 0; i < tp->n; i++) {
        const sw_plugin_tenant_state *st = &tp->items[i];
        const sw_reg_tool *t = sw_registry_tool(st->rp, n);
        if (!t) continue;
        int u = sw_resolve_usable(st, f);
        if (u == 1) {
            out->status = SW_RESOLVE_OK;
            out->state = st;
            out->tool = t;
            return out->status;
        }
        if (!out->state) { /* the first plugin that has it says why it cannot run */
            out->status = u == 0 ? SW_RESOLVE_DISABLED : SW_RESOLVE_HIDDEN;
            out->state = st;
            out->tool = t;
        }
    }
    if (out->status == SW_RESOLVE_UNKNOWN) suggest(tp, n, f, out);
    return out->status;
}
