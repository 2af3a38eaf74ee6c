/* sw_app: the application object — every long-lived component of one server process, created
 * in dependency order and closed in reverse. Shared by `scaiwave serve` and the CLI commands,
 * passed explicitly to whoever needs it (there is no global instance). */
#ifndef SW_APP_H
#define SW_APP_H

#include "ai/sw_approvals.h"
#include "ai/sw_turn.h"
#include "auth/sw_login.h"
#include "auth/sw_tokgen.h"
#include "core/sw_config.h"
#include "core/sw_metrics.h"
#include "core/sw_netpolicy.h"
#include "core/sw_pool.h"
#include "core/sw_secretbox.h"
#include "events/sw_bus.h"
#include "plugins/sw_audit.h"
#include "plugins/sw_dispatch.h"
#include "plugins/sw_plugin_state.h"
#include "plugins/sw_registry.h"
#include "rooms/sw_rooms.h"
#include "store/sw_db.h"

#include <stdint.h>

typedef struct sw_app {
    sw_config cfg;
    sw_db *db;
    sw_registry *reg;
    sw_plugin_states *states;
    sw_audit *audit;
    sw_pool *tool_pool;
    sw_metrics *metrics;
    sw_dispatcher disp;
    sw_bus *bus;
    sw_pool *turn_pool; /* slash commands (and later AI turns): they wait on tool calls */
    sw_rooms rooms;
    sw_ai *ai;
    sw_approvals *approvals; /* human-in-the-loop approval of AI tool calls */
    sw_netpolicy *netpolicy; /* where tenants' outbound HTTP may go (cfg.outbound_allow) */
    sw_login *login;   /* password sign-in: verifier threads and guessing limits */
    sw_tokgen *tokgen; /* token generations (revocation), remembered */
    uint8_t jwt_key[32];
    sw_secretbox *secrets; /* <data-dir>/secret.key: seals secrets at rest (set on app->db) */
    struct sw_mcp_serve *mcp_serve; /* the tenant's tools for MCP clients at /v1/mcp */
    int draining; /* set when shutdown begins */
} sw_app;

/* Creates the data dir, opens and migrates the store, loads the JWT key (creating it, 0600, on
 * first start), the plugin registry (built-ins + plugin dir), and starts the workers.
 * Returns 0, or -1 with a message in err. */
int sw_app_open(sw_app *app, const sw_config *cfg, char *err, size_t errlen);
void sw_app_close(sw_app *app);

/* Seals every stored secret (plugin secret settings, AI api keys) that is clear or sealed with
 * an older key, in one transaction (sw_app_open does it at every start). *unreadable: values no
 * key of app->secrets opens (kept as they are). 0, or -1 with a message in err. */
int sw_app_seal_secrets(sw_app *app, int *changed, int *unreadable, char *err, size_t errlen);
/* `scaiwave secret rotate`: a new secret key; every stored secret resealed with it in one
 * transaction while the old key is kept ("<key>.new" until the commit, see sw_secretbox.h).
 * For a stopped server's data dir. 0, or -1 with a message in err (the old key stays). */
int sw_app_rotate_secret_key(sw_app *app, int *changed, int *unreadable, char *err, size_t errlen);

/* Issues a token for a participant: {"sub","tid","roles","gen","iat","exp"} (gen: its current
 * token generation). malloc'd; NULL when the participant's generation cannot be read. */
char *sw_app_issue_token(sw_app *app, const char *tenant_id, const char *participant_id,
                         const char *roles_csv, int ttl_seconds);
/* 1 when the store answers a query (readiness), else 0. */
int sw_app_store_answers(sw_app *app);

/* First start on an empty store: creates tenant "default" and admin "admin". When an admin
 * exists and <data-dir>/admin.token is missing or no longer valid, writes a fresh token there
 * (0600). Returns 0 and sets *wrote when a token file was written. Only `serve` calls it, so it
 * also starts what a serving process runs in the background: approval recovery and expiry. */
int sw_app_bootstrap(sw_app *app, int *wrote, char *err, size_t errlen);

#endif
