/* sw_mcp_serve_sessions: the /v1/mcp sessions table. Owns session ids (16 random bytes from
 * libsodium, as 32 hex characters), their binding to one tenant + participant (another caller's
 * lookup is the same "not found" as an unknown id), the negotiated revision, idle expiry, the
 * bounds (in all and per caller: the least recently used goes), and the requests in flight per
 * session, so notifications/cancelled can reach a running tools/call. One mutex; every
 * operation is short. */
#ifndef SW_MCP_SERVE_SESSIONS_H
#define SW_MCP_SERVE_SESSIONS_H

#include <jansson.h>

#define SW_MCP_SESSION_ID_LEN 32 /* hex characters */

/* The authenticated caller (strings borrowed for the call). */
typedef struct sw_mcp_caller {
    const char *tenant_id;
    const char *participant_id;
} sw_mcp_caller;


typedef struct sw_mcp_sessions sw_mcp_sessions;

sw_mcp_sessions *sw_mcp_sessions_new(int max, int per_caller, int idle_s);
void sw_mcp_sessions_free(sw_mcp_sessions *ss);

/* Opens a session for caller speaking protocol; id gets its id. 0, or -1 (out of memory). */
int sw_mcp_sessions_open(sw_mcp_sessions *ss, const sw_mcp_caller *caller, const char *protocol,
                         char id[SW_MCP_SESSION_ID_LEN + 1]);
/* Finds the caller's session id (and marks it used): 0 with its revision in protocol, or -1
 * (unknown, expired, malformed, or another caller's). */
int sw_mcp_sessions_find(sw_mcp_sessions *ss, const sw_mcp_caller *caller, const char *id, char protocol[16]);
/* Marks the session initialized (notifications/initialized). */
void sw_mcp_sessions_initialized(sw_mcp_sessions *ss, const char *id);
/* Ends the caller's session: 0, or -1 when find would not have found it. Requests in flight
 * get their cancel flag set. */
int sw_mcp_sessions_close(sw_mcp_sessions *ss, const sw_mcp_caller *caller, const char *id);
int sw_mcp_sessions_count(sw_mcp_sessions *ss);

/* A request in flight, on its handler's stack: linked while it runs. */
typedef struct sw_mcp_inflight {
    struct sw_mcp_inflight *next;
    char sid[SW_MCP_SESSION_ID_LEN + 1];
    const json_t *id; /* the request's id (borrowed) */
    int cancel;       /* set (atomically) by notifications/cancelled or the session's end */
} sw_mcp_inflight;

void sw_mcp_inflight_add(sw_mcp_sessions *ss, sw_mcp_inflight *f);
void sw_mcp_inflight_remove(sw_mcp_sessions *ss, sw_mcp_inflight *f);
/* Sets the cancel flag of session sid's request with that id: 1 found, 0 not. */
int sw_mcp_inflight_cancel(sw_mcp_sessions *ss, const char *sid, const json_t *request_id);

#endif
