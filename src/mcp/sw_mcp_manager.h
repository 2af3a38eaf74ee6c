/* sw_mcp_manager: a tenant's MCP servers mounted as plugins mcp.<id>. Owns the registrations
 * (validated, stored through sw_mcp_server_repo with their secrets sealed), one client session
 * per (tenant, server) kept in the background by its own thread (connect, tools/list, refresh on
 * list_changed, restart with backoff, disabled after 3 crashes in 10 minutes), and the plugin
 * source (sw_plugin_source) that puts each ready server's tools in its tenant's plugin snapshot.
 * Tool calls reach the session through the normal dispatcher (sw_mcp_mount.c). */
#ifndef SW_MCP_MANAGER_H
#define SW_MCP_MANAGER_H

#include "core/sw_error.h"
#include "plugins/sw_plugin_state.h"
#include "store/sw_db.h"

#include <jansson.h>

struct sw_netpolicy;

typedef struct sw_mcp_manager sw_mcp_manager;

typedef struct sw_mcp_manager_opts {
    sw_db *db;
    sw_plugin_states *states;
    const struct sw_netpolicy *netpolicy; /* for http servers (NULL: the default rules) */
    const char *stdio_allow;              /* --mcp-stdio-allow: commands tenant admins may run */
    const char *data_dir;                 /* stdio children run in <data_dir>/mcp/<tenant>/<id> */
} sw_mcp_manager_opts;

/* Creates the manager and installs it as the plugin states' source. NULL when out of memory. */
sw_mcp_manager *sw_mcp_manager_new(const sw_mcp_manager_opts *o);
/* Loads every tenant's registrations and starts their sessions in the background. 0 or -1. */
int sw_mcp_manager_start(sw_mcp_manager *m);
/* Ends every session (stdio children and their process groups gone); status "stopped". */
void sw_mcp_manager_stop(sw_mcp_manager *m);
void sw_mcp_manager_free(sw_mcp_manager *m);

/* What an admin operation answers: OK, or an error kind with a message and (validation) a field. */
typedef struct sw_mcp_op {
    sw_err err;        /* (sw_err)-1: OK */
    char field[64];    /* SW_ERR_VALIDATION: the field, "" else */
    char msg[300];
} sw_mcp_op;

/* The admin API (admin_api.md): each returns the view (a new reference) or NULL with *op set. */
json_t *sw_mcp_manager_list(sw_mcp_manager *m, const char *tenant_id);
json_t *sw_mcp_manager_get(sw_mcp_manager *m, const char *tenant_id, const char *id, sw_mcp_op *op);
json_t *sw_mcp_manager_create(sw_mcp_manager *m, const char *tenant_id, const json_t *body, sw_mcp_op *op);
json_t *sw_mcp_manager_update(sw_mcp_manager *m, const char *tenant_id, const char *id, const json_t *patch,
                              sw_mcp_op *op);
/* 0, or -1 with *op set. When it returns the server's child process group is gone. */
int sw_mcp_manager_delete(sw_mcp_manager *m, const char *tenant_id, const char *id, sw_mcp_op *op);
json_t *sw_mcp_manager_reconnect(sw_mcp_manager *m, const char *tenant_id, const char *id, sw_mcp_op *op);

/* For a plugin listing: when plugin_id is a mounted server of the tenant, its server id and
 * status into the buffers (64 and 16 bytes) and 1; else 0. */
int sw_mcp_manager_plugin_info(sw_mcp_manager *m, const char *tenant_id, const char *plugin_id, char *server_id,
                               char *status);

/* Seals every env and header value stored clear or with an older key (inside the caller's
 * transaction; see sw_app_seal_secrets). 0 or -1. */
int sw_mcp_servers_seal_all(sw_db *db, int *changed, int *unreadable);

#endif
