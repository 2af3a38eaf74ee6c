/* swp_plugin_state: per-tenant plugin state (enabled, granted permissions, settings, tool
 * policies), stored in plugin_states and cached in memory as immutable, refcounted snapshots
 * per tenant so the dispatcher reads it without touching the store. Writes go to the store
 * first, then replace the snapshot. */
#ifndef SW_PLUGIN_STATE_H
#define SW_PLUGIN_STATE_H

#include "plugins/sw_registry.h"
#include "store/sw_db.h"

#include <jansson.h>
#include <stdint.h>

/* A per-tenant source of extra plugins beside the registry's (MCP servers mounted as plugins):
 * list fills out[0..max) with the tenant's plugins and holds[] with a reference each keeps the
 * plugin alive by; release gives one back when the snapshot holding it goes. Called while a
 * snapshot is loaded (no plugin-state lock held). Set once before any request. */
#define SW_PLUGIN_SOURCE_MAX 64
typedef struct sw_plugin_source {
    int (*list)(void *arg, const char *tenant_id, const sw_reg_plugin **out, void **holds, int max);
    void (*release)(void *arg, void *hold);
    void *arg;
} sw_plugin_source;
typedef struct sw_plugin_tenant_state {
    const sw_reg_plugin *rp;
    int enabled;
    uint32_t granted;
    json_t *settings;      /* object, as stored: secret values sealed (sw_secret_settings.h) */
    json_t *tool_policies; /* object tool -> "ask"|"auto_run_in_dm"|"auto_run_everywhere" */
    void *hold;            /* a plugin of the tenant's source: what keeps rp alive, or NULL */
} sw_plugin_tenant_state;

typedef struct sw_tenant_plugins {
    int refs;
    char tenant_id[40];
    int n;                          /* one entry per registered plugin, registry order, then
                                     * the tenant's own (sw_plugin_source) */
    sw_plugin_tenant_state *items;
    struct sw_plugin_source src; /* who gives back the items' holds */
} sw_tenant_plugins;

typedef struct sw_plugin_states sw_plugin_states;

sw_plugin_states *sw_plugin_states_new(sw_db *db, const sw_registry *reg);
void sw_plugin_states_free(sw_plugin_states *s);

void sw_plugin_states_set_source(sw_plugin_states *s, const sw_plugin_source *src);
/* The tenant's next snapshot is built afresh (its source's plugins changed). */
void sw_plugin_states_invalidate(sw_plugin_states *s, const char *tenant_id);

/* A snapshot for the tenant (loaded from the store on first use). Release it when done.
 * NULL on a store error. */
sw_tenant_plugins *sw_plugin_states_get(sw_plugin_states *s, const char *tenant_id);
void sw_tenant_plugins_release(sw_tenant_plugins *tp);
const sw_plugin_tenant_state *sw_tenant_plugins_find(const sw_tenant_plugins *tp, const char *plugin_id);

/* Enables plugin_id for the tenant with the given grants. Fails with -2 when one of its tools
 * has the same name as a tool of another enabled plugin (names in *conflict_tool /
 * *conflict_plugin, buffers of 72), -1 on a store error. */
int sw_plugin_states_enable(sw_plugin_states *s, const char *tenant_id, const char *plugin_id,
                            uint32_t granted, char *conflict_tool, char *conflict_plugin);
int sw_plugin_states_disable(sw_plugin_states *s, const char *tenant_id, const char *plugin_id);
/* What secret settings read back as; sent back unchanged, it keeps the stored value. */

/* Applies patches to settings and tool_policies (either may be NULL), atomically with respect
 * to other writers: a string value sets the key, null deletes it, SW_SECRET_MASK keeps it. */
int sw_plugin_states_configure(sw_plugin_states *s, const char *tenant_id, const char *plugin_id,
                               const json_t *settings_patch, const json_t *policies_patch);

/* Seals every secret setting of every tenant that is stored clear or with an older key of the
 * store's secret box (sw_db_secretbox): first start after an upgrade, and key rotation. Run it
 * inside the caller's transaction. *changed: rows rewritten; *unreadable: values no key of the
 * box opens (kept as they are). 0, or -1 on a store error. */
int sw_plugin_states_seal_all(sw_plugin_states *s, int *changed, int *unreadable);

#endif
