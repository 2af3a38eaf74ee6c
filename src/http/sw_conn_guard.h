/* sw_conn_guard: the header deadline. A connection must deliver a request's headers within a
 * fixed time of its accept (or of the end of its previous request, for keep-alive), however
 * often it sends a byte — libmicrohttpd's own timeout restarts on every byte, so a trickle
 * would hold a connection forever. Connections past their deadline are shut down
 * (shutdown(SHUT_RDWR), never closed: the descriptor stays libmicrohttpd's). */
#ifndef SW_CONN_GUARD_H
#define SW_CONN_GUARD_H

#include <microhttpd.h>

typedef struct sw_conn_guard sw_conn_guard;

/* Starts the guard's thread; timeout_s: the header deadline. NULL on failure. */
sw_conn_guard *sw_conn_guard_new(int timeout_s);
/* Stops the thread; call after MHD_stop_daemon (every connection is closed by then). */
void sw_conn_guard_free(sw_conn_guard *g);
/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the guard). */
void sw_conn_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code);
/* The request's headers are complete (the first access-handler call): no deadline while it runs. */
void sw_conn_guard_headers_done(sw_conn_guard *g, struct MHD_Connection *c);
/* The request ended: the next request's headers are due within the deadline, unless the
 * connection was upgraded (a WebSocket is never shut down here). */
void sw_conn_guard_request_done(sw_conn_guard *g, struct MHD_Connection *c, int upgraded);

#endif
