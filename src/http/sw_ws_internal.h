/* sw_ws_internal: the WebSocket endpoint's shared state, private to src/http/sw_ws*.c — the hub
 * (struct sw_ws: the WS thread, the event queue, tickets), one client connection (conn) and an
 * upgrade in flight (ticket) — and the calls between its files:
 *   sw_ws.c          the hub: the thread (epoll + eventfd + timerfd), bus queue, fan-out, timers,
 *                    lifecycle;
 *   sw_ws_conn.c     one client session: wslay callbacks, send/recv, back-pressure, closes, the
 *                    hello, and its subscription (which events it gets, its room set);
 *   sw_ws_upgrade.c  the libmicrohttpd glue: GET /v1/stream, the 101, the upgrade callback;
 *   sw_ws_roomset.c  the room set and the member log; sw_ws_handshake.c the header checks. */
#ifndef SW_WS_INTERNAL_H
#define SW_WS_INTERNAL_H

#include "http/sw_ws.h"
#include "http/sw_ws_roomset.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <wslay/wslay.h>

/* Timers can be shortened at build time (-DSW_WS_PING_EVERY_MS=...) to exercise them by hand. */
#ifndef SW_WS_PING_EVERY_MS
#define SW_WS_PING_EVERY_MS 30000 /* keep-alive ping */
#endif
#ifndef SW_WS_IDLE_CLOSE_MS
#define SW_WS_IDLE_CLOSE_MS 75000 /* nothing received for this long: close 1001 */
#endif
#define SW_WS_CLOSE_DEADLINE_MS 3000 /* a close we queued: drop the socket after this */
#define SW_WS_SHUTDOWN_GRACE_MS 1000 /* sw_ws_free waits this long for close replies */
#define SW_WS_MAX_RECV_MSG (64 * 1024) /* larger client messages: wslay closes with 1009 */
#define SW_WS_MAX_QUEUED (1024 * 1024) /* per-client backlog before close 1008 */
#define SW_WS_TICKET_TTL_MS 30000

#define SW_WS_CLOSE_GOING_AWAY 1001
#define SW_WS_CLOSE_POLICY 1008
#define SW_WS_CLOSE_INTERNAL 1011
#define SW_WS_CLOSE_TRY_AGAIN 1013
#define SW_WS_CLOSE_UNAUTHORIZED 4401

/* A handshake whose 101 is on its way: what the connection will be, found again by id. */
typedef struct sw_ws_ticket {
    struct sw_ws_ticket *next;
    uint64_t id;
    int authorized;
    sw_ws_roomset rooms;
    uint64_t member_seq, drops;
    int64_t created_ms;
    char tenant[40], participant[40];
} sw_ws_ticket;

typedef struct sw_ws_conn {
    sw_ws *ws;
    struct sw_ws_conn *prev, *next; /* ws->clients (WS thread) */
    struct sw_ws_conn *link;        /* ws->incoming or ws->dead */
    wslay_event_context_ptr ctx;
    int fd;
    uint32_t evmask;
    unsigned authorized : 1, closing : 1, dead : 1, blocked : 1, registered : 1, linked : 1,
        in_recv : 1, owns_fd : 1; /* owns_fd: our duplicate of the upgraded socket (not in tests) */
    uint8_t *in; /* copy of MHD's extra_in, served before recv() */
    size_t in_len, in_off;
    int64_t last_rx_ms, last_ping_ms, close_deadline_ms;
    uint64_t member_seq, drops;
    int nrecv;
    sw_ws_roomset rooms;
    char tenant[40], participant[40];
} sw_ws_conn;

struct sw_ws {
    sw_ws *reg_next; /* the registry of live objects (sw_ws_upgrade.c) */
    sw_bus *bus;
    int sub_id;
    sw_ws_rooms_fn rooms_of;
    void *rooms_arg;
    int max_clients;
    int epfd, efd, tfd;
    pthread_t thread;

    pthread_mutex_t lock; /* guards the block below */
    sw_event **q;         /* ring of queued events */
    size_t qcap, qhead, qlen;
    uint64_t member_published; /* member events ever queued */
    uint64_t drops;            /* events dropped because the queue was full */
    int wake_pending;
    sw_ws_conn *incoming; /* LIFO, from upgrade callbacks */
    sw_ws_ticket *tickets;
    int ntickets;
    int audience; /* authorized handshakes and clients that may still need events (see sw_ws.c) */
    int stopping;

    int live; /* atomic: conns created and not finished */

    /* WS thread only */
    sw_ws_conn *clients;
    sw_ws_conn *dead;
    sw_ws_member_log members; /* member events processed (members.seq) and the last ones */
    uint64_t drops_seen;
    int64_t now_ms;
    int stop_seen;
    int64_t stop_deadline_ms;
};

/* ---- sw_ws.c -------------------------------------------------------------------------------- */
int64_t sw_ws_mono_ms(void);
void sw_ws_wake(sw_ws *ws);
void sw_ws_audience_add(sw_ws *ws, int d);

/* ---- sw_ws_conn.c (WS thread, except sw_ws_conn_new) ---------------------------------------- */
/* Builds a conn from a ticket (its rooms are moved). Any thread. NULL when out of memory. */
sw_ws_conn *sw_ws_conn_new(sw_ws *ws, sw_ws_ticket *t, const void *extra, size_t extra_len, int fd);
/* Registers a new conn and sends the hello (or the 4401 close), then reads what already came. */
void sw_ws_conn_adopt(sw_ws *ws, sw_ws_conn *c);
/* One stored or ephemeral bus event for this client: follows a membership change that names it
 * (from the event itself) and queues the event's JSON when it is for the client. */
void sw_ws_conn_on_event(sw_ws_conn *c, const sw_event *ev, const sw_ws_member_change *mc);
void sw_ws_conn_on_io(sw_ws_conn *c, uint32_t events);
/* The 1 s tick: idle close, keep-alive ping, close deadline. */
void sw_ws_conn_on_tick(sw_ws_conn *c, int64_t now);
void sw_ws_conn_start_close(sw_ws_conn *c, uint16_t code, const char *reason);
/* Ends a connection (exactly once); the struct is freed by sw_ws_reap after the epoll batch. */
void sw_ws_conn_finish(sw_ws_conn *c);
void sw_ws_reap(sw_ws *ws);

/* ---- sw_ws_upgrade.c ------------------------------------------------------------------------ */
/* The registry of live objects that upgrade callbacks look their ticket up in. */
void sw_ws_register(sw_ws *ws);
void sw_ws_unregister(sw_ws *ws); /* after it, no upgrade callback reaches ws */
/* Frees the tickets whose 101 never went out within SW_WS_TICKET_TTL_MS (WS thread), or all of
 * them (all: at sw_ws_free, after the thread stopped). */
void sw_ws_tickets_expire(sw_ws *ws, int64_t now, int all);
void sw_ws_ticket_free(sw_ws_ticket *t);

#endif
