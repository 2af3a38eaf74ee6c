/* sw_mcp_http: private to the Streamable HTTP transport (sw_mcp_http.c: the transport, its
 * loop thread and the session; sw_mcp_http_xfer.c: one HTTP exchange). Owns the two structs they
 * share and the functions one calls in the other. */
#ifndef SW_MCP_HTTP_H
#define SW_MCP_HTTP_H

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "core/sw_netpolicy.h"
#include "core/sw_sse.h"
#include "mcp/sw_mcp_transport.h"

#define SW_MCP_HTTP_SESSION_MAX 256

typedef enum xfer_kind {
    XF_REQUEST, /* POST of a request: its answer comes as JSON or on an SSE stream */
    XF_OTHER,   /* POST of a notification or of an answer to the server: 202 */
    XF_RESUME,  /* GET with Last-Event-ID: the rest of a request's stream */
    XF_LISTEN,  /* the optional GET stream for server-initiated messages */
} xfer_kind;

typedef struct http_t http_t;

/* One HTTP exchange; owned by the loop thread once queued. */
typedef struct xfer {
    struct xfer *next;
    http_t *h;
    xfer_kind kind;
    CURL *e;
    struct curl_slist *hdrs;
    char *body;        /* the POST body; NULL for a GET */
    json_t *id;        /* XF_REQUEST, XF_RESUME: the request's id (a ref) */
    int64_t due_ms;    /* a scheduled one starts then (0: at once) */
    int attempts;      /* resumptions so far */
    int had_session;   /* it carried Mcp-Session-Id (a 404 then means: the session expired) */
    char last_id[256]; /* the last SSE event id seen on this request's streams */
    long retry_ms;     /* the last SSE retry: field, -1 when none */
    /* the response */
    long status;
    int is_sse, mode_set, answered, too_big, delivered;
    char *buf;
    size_t len, cap;
    sw_sse sse;
    sw_netguard guard;
    char errbuf[CURL_ERROR_SIZE];
} xfer;

struct http_t {
    sw_mcp_transport base;
    sw_mcp_sink sink;
    char *url;
    const sw_netpolicy *policy;
    char **hdr_lines; /* "Key: value" from cfg->headers (secret values: never logged) */
    size_t nhdr;
    size_t max;
    char name[128];
    pthread_mutex_t mu; /* guards all below */
    char session[SW_MCP_HTTP_SESSION_MAX];
    char protocol[32];
    xfer *queue;       /* sent, not yet taken by the loop */
    json_t *cancels;   /* request ids whose transfers the loop drops */
    int closed, stopping, session_lost;
    char why[200];
    CURLM *m;
    pthread_t loop;
    int have_loop;
};

/* sw_mcp_http_xfer.c */
/* A new exchange: method "POST" (body stolen) or "GET" (last_event_id may be NULL). */
xfer *sw_mcp_xfer_new(http_t *h, xfer_kind kind, const json_t *id, char *body, const char *last_event_id);
void sw_mcp_xfer_free(xfer *x);
/* Called by the loop when curl is done with x: delivers what came, decides what follows
 * (a resumption or a new GET stream is queued; a failure goes to the sink). Frees x. */
void sw_mcp_xfer_done(xfer *x, CURLcode cr);

/* sw_mcp_http.c */
/* Queues x for the loop (which starts it at x->due_ms); frees it when the transport is ending. */
void sw_mcp_http_queue(http_t *h, xfer *x);
/* The server answered 404 to a request that carried the session id: the session is gone. */
void sw_mcp_http_lost(http_t *h, const char *why);
int sw_mcp_http_stopping(http_t *h);

#endif
