/* sw_ws: the real-time endpoint GET /v1/stream — WebSocket (RFC 6455) on a libmicrohttpd
 * upgrade, framed by libwslay; it lives in http/ (it is an HTTP endpoint that subscribes to the
 * bus; events/ is the bus alone). Split by concept: sw_ws.c (the hub), sw_ws_conn.c (one
 * session), sw_ws_upgrade.c (MHD glue), sw_ws_roomset.c (subscriptions), sw_ws_handshake.c.
 * Owns one thread (epoll + eventfd + a 1 s timerfd tick) that owns every upgraded socket and
 * every wslay context, and a bus subscription whose callback only takes a reference and queues
 * the event for that thread. Each client sees, in bus order, the events of
 * its tenant whose room it has joined (plus tenant-wide events, room_id ""), as the event's own
 * serialised JSON (never re-serialised per client).
 *
 * Per connection: hello first; keep-alive ping every 30 s and a close (1001) after 75 s without
 * a byte from the client; {"type":"ping"} text frames get {"type":"pong"}; received messages are
 * capped at 64 KiB (1009); a client with more than 1 MiB queued is closed with 1008 ("too slow");
 * a close we start is given 3 s before the socket is dropped. A bad token is accepted and closed
 * at once with 4401 ("unauthorized"), no hello. Beyond max_clients the upgrade is refused with
 * 503 and the JSON envelope {"error":{"code":"SW_RATE_LIMIT_EXCEEDED",...}} (plus Retry-After). */
#ifndef SW_WS_H
#define SW_WS_H

#include "events/sw_bus.h"
#include "http/sw_http.h"
#include "http/sw_ws_handshake.h"
#include "http/sw_ws_roomset.h"

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sw_ws sw_ws;

/* Starts the WebSocket thread and subscribes to bus (bus may be NULL in tests). rooms_of
 * (sw_ws_roomset.h) is called only on the MHD thread of a handshake: after it, a client's room
 * set follows the swp.room.member events it is sent, without reading the store. Returns NULL on
 * failure (out of memory, no fds, thread). max_clients <= 0 means 10000. */
sw_ws *sw_ws_new(sw_bus *bus, sw_ws_rooms_fn rooms_of, void *rooms_arg, int max_clients);

/* Handles GET /v1/stream on an MHD connection (inside the access handler, final call):
 * validates the upgrade headers (426 + Sec-WebSocket-Version: 13 when not a WebSocket request),
 * queues the 101 response with MHD_create_response_for_upgrade. `auth` is the verified caller, or
 * NULL (or !auth->ok) when the token was missing/invalid: then the socket is accepted and closed
 * at once with 4401 and no hello. 503 SW_RATE_LIMIT_EXCEEDED beyond max_clients, 503
 * SW_UNAVAILABLE when rooms_of fails (or ws is NULL). Returns the result of MHD_queue_response.
 * Must not be called once sw_ws_free has started. */
enum MHD_Result sw_ws_handle(sw_ws *ws, struct MHD_Connection *c, const sw_auth *auth);

/* Shutdown: unsubscribes from the bus, closes every socket with 1001 (waiting up to 1 s for the
 * clients' close replies), calls MHD_upgrade_action(CLOSE) once for each, stops the thread and
 * frees everything. Must be called BEFORE MHD_stop_daemon. An upgrade MHD completes after this
 * (a 101 that was still in flight) is closed at once without touching the freed object. */
void sw_ws_free(sw_ws *ws);

/* Upgraded sockets currently open (including ones being closed). For /metrics and tests. */
int sw_ws_client_count(sw_ws *ws);

/* ---- testing hooks (unit tests and the fuzz target; not for production code) ---------------- */

/* Runs one server-side session without MHD: a connection on fd (one end of a non-blocking
 * socketpair; the test holds the other end) is set up exactly as after an upgrade, with `extra`
 * as the bytes MHD had already read (extra_in), the hello (or the 4401 close when !authorized) is
 * queued, then everything readable on fd is received and answered through the same recv path,
 * on_msg_recv handling and back-pressure as a real client, until the peer's data runs out
 * (EAGAIN) or the session ends. The connection is then torn down (fd is not closed). Returns the
 * number of complete messages the session received (>= 0). */
int sw_ws_test_session(int fd, const uint8_t *extra, size_t extra_len, int authorized);

#endif
