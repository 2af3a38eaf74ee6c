/* sw_mcp_server_repo: mcp_servers rows — a tenant's registered MCP servers (transport, the
 * registration's JSON with its env and header values sealed, enabled, timestamps) — always
 * within one tenant, except the start-up listing of every tenant's servers and the store-wide
 * resealing of their secrets. Deleting a server also deletes the state and storage of its plugin
 * mcp.<id>. */
#ifndef SW_MCP_SERVER_REPO_H
#define SW_MCP_SERVER_REPO_H

#include "store/sw_db.h"
#include "store/sw_reseal.h"

typedef struct sw_mcp_server_row {
    const char *tenant_id;
    const char *id;
    const char *transport; /* "stdio" | "http" */
    const char *config;    /* JSON object text (secret values sealed) */
    int enabled;
    const char *created_at, *updated_at; /* RFC 3339 (set by insert/update) */
} sw_mcp_server_row;

/* The strings are valid during the call only. */
typedef void (*sw_mcp_server_row_fn)(void *arg, const sw_mcp_server_row *row);

/* Every row of the tenant (tenant_id NULL: of every tenant), by tenant then id.
 * SW_REPO_OK or SW_REPO_ERROR. */
int sw_mcp_server_repo_each(sw_db *db, const char *tenant_id, sw_mcp_server_row_fn fn, void *arg);
/* One row: SW_REPO_OK (fn called), SW_REPO_NOT_FOUND or SW_REPO_ERROR. */
int sw_mcp_server_repo_get(sw_db *db, const char *tenant_id, const char *id, sw_mcp_server_row_fn fn, void *arg);
/* A new row (created_at = updated_at = now): SW_REPO_OK, SW_REPO_CONFLICT (the id is taken in
 * the tenant) or SW_REPO_ERROR. */
int sw_mcp_server_repo_insert(sw_db *db, const char *tenant_id, const sw_mcp_server_row *row);
/* Rewrites config and enabled (updated_at = now): SW_REPO_OK, _NOT_FOUND or _ERROR. */
int sw_mcp_server_repo_update(sw_db *db, const char *tenant_id, const sw_mcp_server_row *row);
/* Deletes the row with plugin_id's plugin_states and plugin_kv rows, in one transaction:
 * SW_REPO_OK, _NOT_FOUND or _ERROR. */
int sw_mcp_server_repo_delete(sw_db *db, const char *tenant_id, const char *id, const char *plugin_id);
/* Rewrites config of every row for which fn (keys: tenant_id, id) returns a new text
 * (sw_reseal.h), inside the caller's transaction. *changed counts the rows written. */
int sw_mcp_server_repo_reseal(sw_db *db, sw_reseal_fn fn, void *arg, int *changed);

#endif
