/* sw_mcp_transport: the private seam between the MCP client session (sw_mcp_client.c) and its
 * two transports (sw_mcp_stdio.c, sw_mcp_http.c). Owns only the vtable and the sink a transport
 * delivers into: every incoming JSON-RPC message, an incoming message that was too big (with the
 * request id it answered, when the transport knows it), and the end of the transport (once). */
#ifndef SW_MCP_TRANSPORT_H
#define SW_MCP_TRANSPORT_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "mcp/sw_mcp_client.h"

/* Called from the transport's own threads. */
typedef struct sw_mcp_sink {
    void (*on_message)(void *arg, json_t *msg);       /* borrowed: the sink takes its own refs */
    void (*on_too_big)(void *arg, const json_t *id);  /* id NULL when unknown */
    void (*on_closed)(void *arg, const char *why);    /* the transport ended by itself: once */
    void *arg;
    /* A request that was sent can get no answer (http: the POST failed, HTTP 4xx/5xx, the
     * address was refused, the stream ended with no way to resume): it ends with SW_MCP_IO and
     * why as its reason. May be NULL (stdio never needs it). */
    void (*on_failed)(void *arg, const json_t *id, const char *why);
} sw_mcp_sink;

typedef struct sw_mcp_transport sw_mcp_transport;

typedef struct sw_mcp_transport_ops {
    /* Sends one message (borrowed). A request's answer arrives through the sink. 0, or -1 with
     * a reason in err. Thread-safe. */
    int (*send)(sw_mcp_transport *t, const json_t *msg, char *err, size_t errlen);
    /* initialize is done: the negotiated revision (http sends it as MCP-Protocol-Version and
     * may open its GET stream). */
    void (*ready)(sw_mcp_transport *t, const char *protocol);
    /* The reason the transport ended, if it did, in why (or "" when it has not). */
    void (*why_closed)(sw_mcp_transport *t, char *why, size_t whylen);
    pid_t (*pid)(const sw_mcp_transport *t);
    /* Ends it: sends fail from now on, blocked ones return, its threads are joined; no sink
     * call runs after it returns. */
    void (*shutdown)(sw_mcp_transport *t);
    /* Frees it, once nothing uses it any more (after shutdown). */
    void (*free)(sw_mcp_transport *t);
} sw_mcp_transport_ops;

struct sw_mcp_transport {
    const sw_mcp_transport_ops *ops;
};

/* Each returns NULL with a reason in err. http copies what it needs of cfg, except
 * cfg->netpolicy, which must outlive the transport. */
sw_mcp_transport *sw_mcp_stdio_open(const sw_mcp_config *cfg, const sw_mcp_sink *sink, char *err, size_t errlen);
sw_mcp_transport *sw_mcp_http_open(const sw_mcp_config *cfg, const sw_mcp_sink *sink, char *err, size_t errlen);

#endif
