/* sw_mcp_internal: what the manager's files share (sw_mcp_manager.c: the servers and the API;
 * sw_mcp_config.c: registrations; sw_mcp_life.c: a session's life; sw_mcp_mount.c: the plugin
 * and its calls; sw_mcp_result.c: results into text). Not for other layers. */
#ifndef SW_MCP_INTERNAL_H
#define SW_MCP_INTERNAL_H

#include "core/sw_secretbox.h"
#include "mcp/sw_mcp_client.h"
#include "mcp/sw_mcp_manager.h"
#include "plugins/sw_registry.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#define SW_MCP_CRASH_LIMIT 3
#define SW_MCP_CRASH_WINDOW_MS (10 * 60 * 1000)

/* A connected client, shared by the calls in flight (refs) and the life thread. */
typedef struct sw_mcp_sess {
    int refs;
    int closing;               /* set before the client is closed: calls in flight give up */
    sw_mcp_client *client;
} sw_mcp_sess;

typedef struct sw_mcp_srv sw_mcp_srv;

/* One server's plugin, built from one tools/list: held by the server (while ready) and by
 * every snapshot that lists it. */
typedef struct sw_mcp_mount {
    int refs;
    sw_mcp_srv *srv;           /* a reference */
    swp_plugin plugin;
    swp_tool *tools;           /* ended by {0}; strings owned below */
    json_t *strings;           /* keeps every string of plugin and tools alive */
    sw_reg_plugin rp;
} sw_mcp_mount;

struct sw_mcp_srv {
    int refs;
    sw_mcp_manager *m;
    char tenant_id[40];
    char id[48];
    char plugin_id[56];        /* "mcp.<id>" */
    int transport;             /* SW_MCP_STDIO / SW_MCP_HTTP */
    pthread_mutex_t mu;        /* guards everything below */
    pthread_cond_t cv;
    json_t *config;            /* the stored registration (secret values sealed) */
    int enabled;               /* the admin's switch */
    int crash_disabled;        /* 3 crashes in 10 minutes */
    int64_t crashes[SW_MCP_CRASH_LIMIT]; /* when the last ones happened (ms, 0 none), newest first */
    char status[16];
    char reason[300];
    json_t *tools_view;        /* [{name, available, reason?}] */
    sw_mcp_sess *sess;         /* the live session (a reference), or NULL */
    sw_mcp_mount *mount;       /* the live plugin (a reference), or NULL */
    int restart, stop, tools_changed, closed; /* what the life thread is asked / told */
    char closed_why[200];
    int thread_started;
    pthread_t thread;
    char created_at[40], updated_at[40];
};

/* sw_mcp_manager.c */
sw_db *sw_mcp_m_db(sw_mcp_manager *m);
const struct sw_netpolicy *sw_mcp_m_netpolicy(sw_mcp_manager *m);
const char *sw_mcp_m_data_dir(sw_mcp_manager *m);
const char *sw_mcp_m_stdio_allow(sw_mcp_manager *m);
void sw_mcp_m_changed(sw_mcp_manager *m, const char *tenant_id); /* the tenant's plugins changed */
void sw_mcp_srv_release(sw_mcp_srv *s);
void sw_mcp_sess_release(sw_mcp_sess *s);
sw_mcp_sess *sw_mcp_srv_session(sw_mcp_srv *s); /* the live session with a reference, or NULL */

/* sw_mcp_config.c */
/* Validates a POST body (patch NULL) or a PATCH over the stored config (cur) into a new stored
 * config (secret values sealed); *transport, *enabled in/out. NULL with *op set. */
json_t *sw_mcp_config_build(const json_t *body, const json_t *cur, const char *stdio_allow, const sw_secretbox *sb,
                            int *transport, int *enabled, sw_mcp_op *op);
/* The client's configuration from a stored config (secrets opened into *keep, which the caller
 * frees with sw_mcp_config_wipe after connecting). */
typedef struct sw_mcp_cfg_hold {
    sw_mcp_config cfg;
    const char **args;
    sw_mcp_kv *env, *headers;
    char **plain;              /* opened secret values */
    size_t nplain;
    char cwd[1200];
    char log_name[160];
} sw_mcp_cfg_hold;
int sw_mcp_config_open(const json_t *config, int transport, const char *stdio_allow, const sw_secretbox *sb,
                       sw_mcp_cfg_hold *h, char *err, size_t errlen);
void sw_mcp_config_wipe(sw_mcp_cfg_hold *h);
int sw_mcp_config_int(const json_t *config, const char *key, int def);
/* The public view fields of a config (env/headers masked) into view. */
void sw_mcp_config_view(const json_t *config, json_t *view);

/* sw_mcp_life.c */
int sw_mcp_life_start(sw_mcp_srv *s);  /* starts the life thread */
void sw_mcp_life_poke(sw_mcp_srv *s);  /* restart the session (PATCH, reconnect) */
void sw_mcp_life_ask_stop(sw_mcp_srv *s); /* tells the thread to stop, returns at once */
void sw_mcp_life_end(sw_mcp_srv *s, const char *status); /* stops and joins the thread */

/* sw_mcp_mount.c */
/* Builds the plugin from tools/list's array; *view gets [{name, available, reason?}]. NULL when
 * out of memory or nothing can be mounted (err says why). */
sw_mcp_mount *sw_mcp_mount_build(sw_mcp_srv *s, const json_t *server_info, const json_t *tools, json_t **view,
                                 char *err, size_t errlen);
void sw_mcp_mount_release(sw_mcp_mount *mt);

/* sw_mcp_result.c */
/* tools/call's result into malloc'd text, cut to max_bytes (UTF-8 safe) with a note; *is_error. */
char *sw_mcp_result_text(const json_t *result, const char *tool, size_t max_bytes, int *is_error);
/* An error result's text for a failed request (status, JSON-RPC error object or err). */
char *sw_mcp_error_text(const char *tool, const char *server, sw_mcp_status st, const json_t *rpc_error,
                        const char *err, int timeout_ms);

#endif
