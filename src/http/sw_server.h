/* sw_server: the HTTP server on libmicrohttpd (epoll thread pool): request bodies with a size
 * cap, routing, authentication, the envelope for every failure, access log and metrics, and a
 * graceful drain on shutdown. */
#ifndef SW_SERVER_H
#define SW_SERVER_H

#include "app/sw_app.h"

typedef struct sw_server sw_server;

sw_server *sw_server_start(sw_app *app, char *err, size_t errlen);
int sw_server_port(const sw_server *s);
/* Stops accepting new connections; requests in flight continue, and answers now carry
 * `Connection: close`. */
void sw_server_quiesce(sw_server *s);
/* Waits until no request is in flight or timeout_ms passes. Returns the number still active. */
int sw_server_wait_idle(sw_server *s, int timeout_ms);
void sw_server_stop(sw_server *s);

#endif
