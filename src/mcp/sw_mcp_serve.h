/* sw_mcp_serve: the MCP server side — a tenant's tools for any MCP client at /v1/mcp. Owns the
 * Streamable HTTP message rules without any HTTP library (h_mcp.c is the glue): one POST body
 * in, an HTTP status and a JSON body out; sessions (random ids from libsodium, bound to the
 * tenant and participant that opened them, idle expiry, bounded count); protocol revision
 * negotiation (the newest the official SDK speaks, down to 2025-03-26) and the
 * MCP-Protocol-Version check; batches (2025-03-26 only, bounded); the lifecycle methods
 * (initialize, notifications/initialized, ping, notifications/cancelled). The tools methods
 * live in sw_mcp_serve_tools.c. Thread-safe: requests of many sessions run at once. */
#ifndef SW_MCP_SERVE_H
#define SW_MCP_SERVE_H

#include "mcp/sw_mcp_serve_sessions.h"

#include <jansson.h>
#include <stddef.h>

struct sw_dispatcher;
struct sw_rooms;

/* The revisions served, newest first (NULL-ended); initialize answers with the client's when it
 * is one of these, else with the first. */
extern const char *const SW_MCP_SERVE_PROTOCOLS[];

#define SW_MCP_MAX_BATCH 16      /* messages in one batch, at most */

typedef struct sw_mcp_serve_config {
    struct sw_dispatcher *disp; /* the tools; NULL: no tools at all (fuzzing, unit tests) */
    struct sw_rooms *rooms;     /* tenant slugs for tool calls; may be NULL */
    const char *server_version; /* serverInfo.version */
    int page_size;              /* tools per tools/list page (0: 100) */
    int max_sessions;           /* open sessions, at most; the least recently used goes (0: 10000) */
    int max_sessions_per_caller; /* per tenant + participant (0: 64) */
    int session_idle_s;         /* a session unused this long is gone (0: 3600) */
} sw_mcp_serve_config;

typedef struct sw_mcp_serve sw_mcp_serve;

/* One POST to the endpoint. */
typedef struct sw_mcp_post {
    sw_mcp_caller caller;
    const char *body;
    size_t len;
    const char *session_id;       /* the Mcp-Session-Id header, or NULL */
    const char *protocol_version; /* the MCP-Protocol-Version header, or NULL */
} sw_mcp_post;

/* What to answer. */
typedef struct sw_mcp_reply {
    int status;  /* 200 (a JSON-RPC answer), 202 (accepted, no body), 400, 404 */
    char *body;  /* JSON text, malloc'd, or NULL (no body); free it or hand it on */
    size_t len;
    /* initialize opened this session: send it as Mcp-Session-Id ("" otherwise) */
    char session_id[SW_MCP_SESSION_ID_LEN + 1];
} sw_mcp_reply;

sw_mcp_serve *sw_mcp_serve_new(const sw_mcp_serve_config *cfg);
void sw_mcp_serve_free(sw_mcp_serve *s);

/* Handles one POST body; always fills *out (never crashes on any bytes). */
void sw_mcp_serve_post(sw_mcp_serve *s, const sw_mcp_post *in, sw_mcp_reply *out);
/* DELETE: ends the caller's session. 200, 400 (no id), or 404 (unknown, expired, or another
 * caller's: the same answer, so an id of someone else's tells nothing). */
int sw_mcp_serve_delete(sw_mcp_serve *s, const sw_mcp_caller *caller, const char *session_id);
/* Open sessions now (tests, metrics). */
int sw_mcp_serve_sessions(sw_mcp_serve *s);

/* ---- between sw_mcp_serve.c and sw_mcp_serve_tools.c ---- */

/* A method's outcome: 0 with *result set, or a JSON-RPC error code with msg filled. */
typedef struct sw_mcp_rpc_err {
    int code;
    char msg[300];
} sw_mcp_rpc_err;

/* What a tools method knows of its call; cancel is the flag notifications/cancelled sets. */
typedef struct sw_mcp_call_env {
    const sw_mcp_serve_config *cfg;
    const sw_mcp_caller *caller;
    const int *cancel;
} sw_mcp_call_env;

int sw_mcp_tools_list(const sw_mcp_call_env *env, const json_t *params, json_t **result, sw_mcp_rpc_err *e);
int sw_mcp_tools_call(const sw_mcp_call_env *env, const json_t *params, json_t **result, sw_mcp_rpc_err *e);

#endif
