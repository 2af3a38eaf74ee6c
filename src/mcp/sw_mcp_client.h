/* sw_mcp_client: one MCP client session — ScaiWave talking to someone else's MCP server — over
 * stdio (a child process: sw_mcp_stdio.c) or Streamable HTTP (libcurl: sw_mcp_http.c). Owns: the
 * transport's life, the initialize handshake (the newest protocol revision first, down to
 * 2025-03-26), requests with ids and their waits (timeouts, progress, cancellation), the
 * notifications it sends and receives, and answers to the server's own requests (ping: {};
 * anything else: method not found, since the client offers no capability). Thread-safe: many
 * requests may be in flight from many threads at once. Knows nothing of tenants or plugins:
 * mounting a server as a plugin is the manager's job. */
#ifndef SW_MCP_CLIENT_H
#define SW_MCP_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

struct sw_netpolicy;

/* The revisions this client speaks, newest first; initialize offers the first and accepts any. */
extern const char *const SW_MCP_PROTOCOLS[];

typedef enum sw_mcp_transport_kind { SW_MCP_STDIO = 0, SW_MCP_HTTP = 1 } sw_mcp_transport_kind;

typedef struct sw_mcp_kv {
    const char *key, *value;
} sw_mcp_kv;

typedef struct sw_mcp_config {
    sw_mcp_transport_kind transport;
    /* stdio: argv[0] is command (looked up in the child's PATH), args NULL-ended (may be NULL).
     * The child gets a clean environment — PATH=/usr/local/bin:/usr/bin:/bin, HOME (home, or
     * the working directory), LANG=C.UTF-8 — plus env[0..nenv) (which may override those), its
     * own process group, stdin/stdout for the protocol, stderr to the log (bounded). */
    const char *command;
    const char *const *args;
    const sw_mcp_kv *env;
    size_t nenv;
    const char *cwd;  /* the child's working directory, or NULL (inherit) */
    const char *home; /* HOME for the child, or NULL (cwd, else "/") */
    /* http: the endpoint URL and extra request headers (e.g. Authorization) */
    const char *url;
    const sw_mcp_kv *headers;
    size_t nheaders;
    const struct sw_netpolicy *netpolicy; /* outbound policy for http (NULL: the default rules);
                                           * it must outlive the client */
    /* both */
    const char *log_name;     /* for log lines, e.g. "acme/mcp.everything" (never secrets) */
    int connect_timeout_ms;   /* the child's start + initialize must answer within this (0: 30 s) */
    size_t max_message_bytes; /* a bigger incoming message ends the request with TOO_BIG (0: 4 MiB) */
    /* Polled (at least every 50 ms) while connect waits for initialize and while
     * sw_mcp_client_list_tools waits: nonzero ends them with CANCELLED (the registration is being
     * deleted, the process stops). NULL: never. */
    int (*cancelled)(void *arg);
    void *cancel_arg;
} sw_mcp_config;

/* Called from the client's own threads; must not call sw_mcp_client_close. */
typedef struct sw_mcp_events {
    void (*on_tools_changed)(void *arg);           /* notifications/tools/list_changed */
    void (*on_closed)(void *arg, const char *why); /* the transport ended (the child exited or
                                                    * crashed, the HTTP session was lost): once,
                                                    * never after sw_mcp_client_close began */
    void *arg;
} sw_mcp_events;

typedef enum sw_mcp_status {
    SW_MCP_OK = 0,
    SW_MCP_RPC_ERROR = -1, /* the server answered with a JSON-RPC error: *out is the error object */
    SW_MCP_TIMEOUT = -2,   /* no answer in time: notifications/cancelled was sent */
    SW_MCP_CANCELLED = -3, /* opts->cancelled said so: notifications/cancelled was sent */
    SW_MCP_CLOSED = -4,    /* the transport is gone (before or during the request) */
    SW_MCP_TOO_BIG = -5,   /* the answer was larger than max_message_bytes */
    SW_MCP_IO = -6,        /* could not send, or the server's answer was not JSON-RPC */
} sw_mcp_status;

/* How one request waits. */
typedef struct sw_mcp_call_opts {
    /* Without an answer (or a notifications/progress for the request, which restarts this wait)
     * for timeout_ms, the request ends with TIMEOUT. 0: 30 s. */
    int timeout_ms;
    /* The hard cap since the request was sent, progress or not (0: timeout_ms: progress extends
     * nothing). */
    int max_timeout_ms;
    /* Polled at least every 50 ms while waiting; nonzero ends the request with CANCELLED. */
    int (*cancelled)(void *arg);
    void *cancel_arg;
} sw_mcp_call_opts;

typedef struct sw_mcp_client sw_mcp_client;

/* Starts the transport and runs initialize + notifications/initialized, blocking up to
 * connect_timeout_ms. Returns NULL with a one-line reason in err (e.g. "the command exited with
 * status 127 before answering initialize", "HTTP 401 from the server"). */
sw_mcp_client *sw_mcp_client_connect(const sw_mcp_config *cfg, const sw_mcp_events *ev, char *err, size_t errlen);

const char *sw_mcp_client_protocol(const sw_mcp_client *c);      /* the negotiated revision */
const json_t *sw_mcp_client_server_info(const sw_mcp_client *c); /* initialize's result, borrowed */
pid_t sw_mcp_client_pid(const sw_mcp_client *c);                 /* the stdio child (= its process group); 0 for http */

/* Sends a request and waits for its answer under opts (NULL: 30 s, no cancel). params is stolen
 * (NULL: none); a progressToken is added to params._meta. OK: *out is the result (a new
 * reference); RPC_ERROR: *out is the error object {code, message, data?}; else *out is NULL and
 * err says why. */
sw_mcp_status sw_mcp_client_request(sw_mcp_client *c, const char *method, json_t *params,
                                    const sw_mcp_call_opts *opts, json_t **out, char *err, size_t errlen);

/* tools/list, following nextCursor through every page (at most 100 pages), as one array of the
 * server's tool objects (a new reference). */
sw_mcp_status sw_mcp_client_list_tools(sw_mcp_client *c, int timeout_ms, json_t **tools, char *err, size_t errlen);

/* Ends the session: pending requests return CLOSED; stdio: stdin closed, SIGTERM to the child's
 * process group, SIGKILL after 2 s, reaped; http: DELETE of the session (best effort). No
 * callback runs after it returns. NULL is fine. */
void sw_mcp_client_close(sw_mcp_client *c);

#endif
