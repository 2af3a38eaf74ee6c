/* sw_plugin_state_repo: plugin_states rows (one per tenant and plugin: enabled, granted
 * permissions, settings and tool policies as JSON text), always within one tenant except for
 * the store-wide resealing of secret settings. */
#ifndef SW_PLUGIN_STATE_REPO_H
#define SW_PLUGIN_STATE_REPO_H

#include "store/sw_db.h"
#include "store/sw_reseal.h"

#include <stdint.h>

typedef struct sw_plugin_state_row {
    const char *plugin_id;
    int enabled;
    uint32_t granted;
    const char *settings;      /* JSON object text (secret values sealed), or NULL */
    const char *tool_policies; /* JSON object text, or NULL */
} sw_plugin_state_row;

/* Calls fn for each of the tenant's rows (the strings are valid during the call only).
 * SW_REPO_OK or SW_REPO_ERROR. */
typedef void (*sw_plugin_state_row_fn)(void *arg, const sw_plugin_state_row *row);
int sw_plugin_state_repo_each(sw_db *db, const char *tenant_id, sw_plugin_state_row_fn fn, void *arg);

/* Inserts or replaces the tenant's row for row->plugin_id. SW_REPO_OK or SW_REPO_ERROR. */
int sw_plugin_state_repo_put(sw_db *db, const char *tenant_id, const sw_plugin_state_row *row);

/* Rewrites the settings of every row of every tenant for which fn (keys: tenant_id, plugin_id;
 * value: the settings text) returns a new text (sw_reseal.h). Run it inside the caller's
 * transaction. SW_REPO_OK or SW_REPO_ERROR; *changed counts the rows written. */
int sw_plugin_state_repo_reseal(sw_db *db, sw_reseal_fn fn, void *arg, int *changed);

#endif
