/* sw_ws: WebSocket endpoint on libmicrohttpd upgrade + libwslay (see sw_ws.h and
 * docs websocket-recipe.md).
 *
 * Threads. MHD threads run sw_ws_handle (validate, load the room set, queue the 101) and the
 * upgrade callback (wrap the socket in a conn, hand it over); publisher threads run the bus
 * callback (take a reference, queue); the one WS thread does everything else: every wslay call,
 * every send/recv on an upgraded socket, fan-out, timers, closes. Hand-over is a mutex-protected
 * queue plus an eventfd.
 *
 * Socket ownership. The upgrade callback keeps a duplicate of the socket and releases MHD's side
 * at once, so MHD frees its connection and memory pool (32 KiB) instead of holding them for as
 * long as the WebSocket lives; an idle client then costs its wslay context and conn (~9 KiB).
 *
 * Events nobody can receive. The bus callback queues an event only while some authorized client
 * or handshake exists (`audience`); otherwise the WS thread is not woken at all.
 *
 * Lifetime of the upgrade closure. MHD calls the upgrade callback only after the 101 went out,
 * possibly after sw_ws_free. So the closure is not the sw_ws but a ticket number, looked up in a
 * process-wide registry of live sw_ws objects under a static lock: a ticket that is gone (freed
 * object, or expired) means "close the socket at once". Tickets whose 101 never went out (client
 * gone) expire after TICKET_TTL_MS and are freed at sw_ws_free.
 *
 * Room set races. The room set is loaded at handle time, before the socket is registered with
 * the WS thread. A swp.room.member event published in between would be missed, so the ticket
 * remembers how many member events had been queued before the load (member_seq); if, when the
 * WS thread adopts the socket, it has already processed more than that, it reloads the set. */
#include "events/sw_ws.h"
#include "core/sw_error.h"
#include "core/sw_id.h"
#include "core/sw_log.h"
#include "core/sw_time.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <wslay/wslay.h>

/* Timers can be shortened at build time (-DSW_WS_PING_EVERY_MS=...) to exercise them by hand. */
#ifndef SW_WS_PING_EVERY_MS
#define SW_WS_PING_EVERY_MS 30000 /* keep-alive ping */
#endif
#ifndef SW_WS_IDLE_CLOSE_MS
#define SW_WS_IDLE_CLOSE_MS 75000 /* nothing received for this long: close 1001 */
#endif
#define PING_EVERY_MS SW_WS_PING_EVERY_MS
#define IDLE_CLOSE_MS SW_WS_IDLE_CLOSE_MS
#define CLOSE_DEADLINE_MS 3000    /* a close we queued: drop the socket after this */
#define SHUTDOWN_GRACE_MS 1000    /* sw_ws_free waits this long for close replies */
#define MAX_RECV_MSG (64 * 1024)  /* larger client messages: wslay closes with 1009 */
#define MAX_QUEUED (1024 * 1024)  /* per-client backlog before close 1008 */
#define EVQ_MAX 200000            /* events waiting for the WS thread before we drop (and close) */
#define TICKET_TTL_MS 30000
#define ROOMS_FIRST 64
#define ROOMS_MAX 65536
#define DEFAULT_MAX_CLIENTS 10000

#define CLOSE_GOING_AWAY 1001
#define CLOSE_POLICY 1008
#define CLOSE_INTERNAL 1011
#define CLOSE_TRY_AGAIN 1013
#define CLOSE_UNAUTHORIZED 4401

typedef char room_id[40];

typedef struct ticket {
    struct ticket *next;
    uint64_t id;
    int authorized;
    int nrooms;
    room_id *rooms; /* sorted */
    uint64_t member_seq, drops;
    int64_t created_ms;
    char tenant[40], participant[40];
} ticket;

typedef struct conn {
    sw_ws *ws;
    struct conn *prev, *next; /* ws->clients (WS thread) */
    struct conn *link;        /* ws->incoming or ws->dead */
    wslay_event_context_ptr ctx;
    int fd;
    uint32_t evmask;
    unsigned authorized : 1, closing : 1, dead : 1, blocked : 1, registered : 1, linked : 1,
        in_recv : 1, owns_fd : 1; /* owns_fd: our duplicate of the upgraded socket (not in tests) */
    uint8_t *in; /* copy of MHD's extra_in, served before recv() */
    size_t in_len, in_off;
    int64_t last_rx_ms, last_ping_ms, close_deadline_ms;
    uint64_t member_seq, drops;
    int nrooms;
    int nrecv;
    room_id *rooms; /* sorted, malloc'd, exactly nrooms */
    char tenant[40], participant[40];
} conn;

struct sw_ws {
    sw_ws *reg_next; /* g_reg list */
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
    conn *incoming; /* LIFO, from upgrade callbacks */
    ticket *tickets;
    int ntickets;
    int audience; /* authorized handshakes and clients that may still need events (see on_bus_event) */
    int stopping;

    int live; /* atomic: conns created and not finished */

    /* WS thread only */
    conn *clients;
    conn *dead;
    uint64_t member_processed;
    uint64_t drops_seen;
    int64_t now_ms;
    int stop_seen;
    int64_t stop_deadline_ms;
};

static pthread_mutex_t g_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static sw_ws *g_reg;
static uint64_t g_next_ticket;

static const char ROOM_MEMBER[] = "swp.room.member";
static const char PONG[] = "{\"type\":\"pong\"}";

static int64_t mono_ms(void)
{
    return sw_time_mono_us() / 1000;
}

static void audience_add(sw_ws *ws, int d)
{
    pthread_mutex_lock(&ws->lock);
    ws->audience += d;
    pthread_mutex_unlock(&ws->lock);
}

static void wake(sw_ws *ws)
{
    uint64_t one = 1;
    ssize_t w = write(ws->efd, &one, sizeof one);
    (void)w; /* EAGAIN: the counter is already non-zero, the thread will wake */
}

/* ---- SHA-1 (RFC 3174), only for Sec-WebSocket-Accept ------------------------------------- */

static uint32_t rol32(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
               (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        uint32_t t = rol32(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

static void sha1(const uint8_t *msg, size_t len, uint8_t out[20])
{
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    size_t i = 0;
    for (; i + 64 <= len; i += 64) sha1_block(h, msg + i);
    uint8_t tail[128] = {0};
    size_t rem = len - i;
    memcpy(tail, msg + i, rem);
    tail[rem] = 0x80;
    size_t tl = rem + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int j = 0; j < 8; j++) tail[tl - 1 - (size_t)j] = (uint8_t)(bits >> (8 * j));
    sha1_block(h, tail);
    if (tl == 128) sha1_block(h, tail + 64);
    for (int j = 0; j < 5; j++) {
        out[4 * j] = (uint8_t)(h[j] >> 24);
        out[4 * j + 1] = (uint8_t)(h[j] >> 16);
        out[4 * j + 2] = (uint8_t)(h[j] >> 8);
        out[4 * j + 3] = (uint8_t)h[j];
    }
}

void sw_ws_accept_key(const char *key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char buf[160];
    int n = snprintf(buf, sizeof buf, "%.100s%s", key ? key : "", guid);
    uint8_t digest[20];
    sha1((const uint8_t *)buf, (size_t)n, digest);
    sodium_bin2base64(out, 29, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
}

/* ---- rooms -------------------------------------------------------------------------------- */

static int cmp_room(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Loads the participant's sorted room set. 0 or -1. */
static int load_rooms(sw_ws *ws, const char *tenant, const char *pid, room_id **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!ws->rooms_of) return 0;
    int max = ROOMS_FIRST;
    for (;;) {
        room_id *buf = malloc((size_t)max * sizeof *buf);
        if (!buf) return -1;
        int r = ws->rooms_of(ws->rooms_arg, tenant, pid, buf, max);
        if (r < 0 || r > max) {
            free(buf);
            return -1;
        }
        if (r == max && max < ROOMS_MAX) { /* maybe more: ask again with room to spare */
            free(buf);
            max *= 4;
            continue;
        }
        if (r == 0) {
            free(buf);
            return 0;
        }
        for (int i = 0; i < r; i++) buf[i][sizeof buf[i] - 1] = 0;
        qsort(buf, (size_t)r, sizeof *buf, cmp_room);
        room_id *fit = realloc(buf, (size_t)r * sizeof *buf);
        *out = fit ? fit : buf;
        *n = r;
        return 0;
    }
}

static int has_room(const conn *c, const char *room)
{
    return c->nrooms && bsearch(room, c->rooms, (size_t)c->nrooms, sizeof *c->rooms, cmp_room);
}

/* ---- one connection (WS thread) ----------------------------------------------------------- */

static void flush(conn *c);
static void finish(conn *c);

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
    (void)flags;
    conn *c = user;
    if (c->in) {
        size_t n = c->in_len - c->in_off;
        if (n > len) n = len;
        memcpy(buf, c->in + c->in_off, n);
        c->in_off += n;
        if (c->in_off == c->in_len) {
            free(c->in);
            c->in = NULL;
        }
        c->last_rx_ms = c->ws->now_ms;
        return (ssize_t)n;
    }
    for (;;) {
        ssize_t r = recv(c->fd, buf, len, 0);
        if (r > 0) {
            c->last_rx_ms = c->ws->now_ms;
            return r;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        else
            wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE); /* EOF or error */
        return -1;
    }
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    conn *c = user;
    int f = MSG_NOSIGNAL | ((flags & WSLAY_MSG_MORE) ? MSG_MORE : 0);
    for (;;) {
        ssize_t r = send(c->fd, data, len, f);
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->blocked = 1;
            wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        } else {
            wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        }
        return -1;
    }
}

/* Queues a text frame, unless the client is closing; closes a client whose backlog would pass
 * MAX_QUEUED. Inside wslay_event_recv only queues (the caller flushes afterwards). */
static void send_text(conn *c, const char *data, size_t len);
static void start_close(conn *c, uint16_t code, const char *reason);

static void on_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                      void *user)
{
    (void)ctx;
    conn *c = user;
    c->nrecv++;
    if (arg->opcode != WSLAY_TEXT_FRAME || !c->authorized || c->closing) return;
    if (arg->msg_length > MAX_RECV_MSG) return; /* wslay enforces it; belt and braces */
    json_t *o = json_loadb((const char *)arg->msg, arg->msg_length, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    if (type && strcmp(type, "ping") == 0) send_text(c, PONG, sizeof PONG - 1);
    json_decref(o); /* anything else is ignored */
}

static const struct wslay_event_callbacks callbacks = {
    recv_cb, send_cb, NULL, NULL, NULL, NULL, on_msg_cb,
};

/* Runs wslay_event_recv; 0, or non-zero when the connection is finished. */
static int do_recv(conn *c)
{
    if (!wslay_event_want_read(c->ctx)) return 0;
    c->in_recv = 1;
    int r = wslay_event_recv(c->ctx);
    c->in_recv = 0;
    return r;
}

/* Re-arms epoll for what wslay wants, or finishes the connection when it wants nothing. */
static void update(conn *c)
{
    if (c->dead) return;
    int r = wslay_event_want_read(c->ctx), w = wslay_event_want_write(c->ctx);
    if (!r && !w) {
        finish(c);
        return;
    }
    uint32_t m = (r ? EPOLLIN | EPOLLRDHUP : 0) | (w && c->blocked ? EPOLLOUT : 0);
    if (c->registered && m != c->evmask) {
        struct epoll_event ev = {.events = m, .data.ptr = c};
        if (epoll_ctl(c->ws->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
            finish(c);
            return;
        }
        c->evmask = m;
    }
}

static void flush(conn *c)
{
    if (c->dead || c->in_recv) return;
    if (wslay_event_want_write(c->ctx)) {
        c->blocked = 0;
        if (wslay_event_send(c->ctx) != 0) {
            finish(c);
            return;
        }
    }
    update(c);
}

static void send_text(conn *c, const char *data, size_t len)
{
    if (c->dead || c->closing) return;
    if (wslay_event_get_queued_msg_length(c->ctx) + len > MAX_QUEUED) {
        start_close(c, CLOSE_POLICY, "too slow");
        return;
    }
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)data, len};
    if (wslay_event_queue_msg(c->ctx, &m) != 0) {
        if (!c->in_recv) finish(c); /* out of memory, or wslay stopped writing */
        return;
    }
    if (!c->blocked) flush(c);
}

static void start_close(conn *c, uint16_t code, const char *reason)
{
    if (c->dead || c->closing) return;
    c->closing = 1;
    c->close_deadline_ms = c->ws->now_ms + CLOSE_DEADLINE_MS;
    if (c->ws->stop_seen && c->close_deadline_ms > c->ws->stop_deadline_ms)
        c->close_deadline_ms = c->ws->stop_deadline_ms;
    /* Fails only when a close is already queued (the peer's, echoed): then that one ends it. */
    (void)wslay_event_queue_close(c->ctx, code, (const uint8_t *)reason, strlen(reason));
    if (c->in_recv) return;
    if (!c->blocked)
        flush(c);
    else
        update(c);
}

/* Ends a connection: out of epoll, wslay freed, socket handed back to MHD (exactly once). The
 * struct itself is freed after the current epoll batch. */
static void finish(conn *c)
{
    if (c->dead) return;
    sw_ws *ws = c->ws;
    c->dead = 1;
    if (c->registered) {
        epoll_ctl(ws->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        c->registered = 0;
    }
    wslay_event_context_free(c->ctx);
    c->ctx = NULL;
    if (c->owns_fd) {
        close(c->fd);
        c->owns_fd = 0;
    }
    if (c->linked) {
        if (c->prev)
            c->prev->next = c->next;
        else
            ws->clients = c->next;
        if (c->next) c->next->prev = c->prev;
        c->linked = 0;
    }
    __atomic_sub_fetch(&ws->live, 1, __ATOMIC_ACQ_REL);
    if (c->authorized) audience_add(ws, -1);
    free(c->in);
    c->in = NULL;
    free(c->rooms);
    c->rooms = NULL;
    c->nrooms = 0;
    c->link = ws->dead;
    ws->dead = c;
}

static void reap(sw_ws *ws)
{
    while (ws->dead) {
        conn *c = ws->dead;
        ws->dead = c->link;
        free(c);
    }
}

static int reload_rooms(conn *c)
{
    room_id *rooms;
    int n;
    if (load_rooms(c->ws, c->tenant, c->participant, &rooms, &n) != 0) return -1;
    free(c->rooms);
    c->rooms = rooms;
    c->nrooms = n;
    return 0;
}

static void send_hello(conn *c)
{
    char sid[SW_ID_LEN + 1], ts[32];
    sw_id_new(sid);
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "type", "hello", "session_id", sid, "tenant_id",
                          c->tenant, "ts", ts);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) {
        start_close(c, CLOSE_INTERNAL, "internal error");
        return;
    }
    send_text(c, s, strlen(s));
    free(s);
}

/* Builds a conn from a ticket (rooms are moved). Any thread. NULL when out of memory. */
static conn *conn_new(sw_ws *ws, ticket *t, const void *extra, size_t extra_len, int fd)
{
    conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->ws = ws;
    c->fd = fd;
    c->authorized = t->authorized ? 1 : 0;
    memcpy(c->tenant, t->tenant, sizeof c->tenant);
    memcpy(c->participant, t->participant, sizeof c->participant);
    c->member_seq = t->member_seq;
    c->drops = t->drops;
    if (extra_len) {
        c->in = malloc(extra_len);
        if (!c->in) {
            free(c);
            return NULL;
        }
        memcpy(c->in, extra, extra_len);
        c->in_len = extra_len;
    }
    if (wslay_event_context_server_init(&c->ctx, &callbacks, c) != 0) {
        free(c->in);
        free(c);
        return NULL;
    }
    wslay_event_config_set_max_recv_msg_length(c->ctx, MAX_RECV_MSG);
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* MHD turned it off */
    c->rooms = t->rooms;
    c->nrooms = t->nrooms;
    t->rooms = NULL;
    t->nrooms = 0;
    __atomic_add_fetch(&ws->live, 1, __ATOMIC_ACQ_REL);
    return c;
}

/* WS thread: registers a new conn and sends the hello (or the 4401 close). */
static void adopt(sw_ws *ws, conn *c)
{
    c->next = ws->clients;
    c->prev = NULL;
    if (ws->clients) ws->clients->prev = c;
    ws->clients = c;
    c->linked = 1;
    c->last_rx_ms = c->last_ping_ms = ws->now_ms;
    if (ws->epfd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        if (epoll_ctl(ws->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            finish(c);
            return;
        }
        c->registered = 1;
        c->evmask = ev.events;
    }
    if (!c->authorized) {
        start_close(c, CLOSE_UNAUTHORIZED, "unauthorized");
    } else if (c->drops != ws->drops_seen) {
        start_close(c, CLOSE_TRY_AGAIN, "events were lost; reconnect");
    } else {
        /* a member event we processed after the room set was read: read it again */
        if (ws->member_processed > c->member_seq && reload_rooms(c) != 0)
            start_close(c, CLOSE_INTERNAL, "internal error");
        else
            send_hello(c);
    }
    if (c->dead) return;
    /* bytes MHD already read (extra_in) or that came since: epoll would not report the former */
    if (do_recv(c) != 0) {
        finish(c);
        return;
    }
    flush(c);
}

static void on_io(conn *c, uint32_t events)
{
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (wslay_event_want_read(c->ctx)) {
            if (do_recv(c) != 0) {
                finish(c);
                return;
            }
        } else if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
            finish(c); /* peer gone while we only had something to write */
            return;
        }
    }
    flush(c);
}

/* ---- fan-out, wake-ups and timers (WS thread) --------------------------------------------- */

static void fan_out(sw_ws *ws, sw_event *ev)
{
    const char *who = NULL;
    if (strcmp(ev->type, ROOM_MEMBER) == 0) {
        ws->member_processed++;
        who = json_string_value(json_object_get(ev->content, "participant_id"));
    }
    for (conn *c = ws->clients, *next; c; c = next) {
        next = c->next;
        if (c->closing || !c->authorized || strcmp(c->tenant, ev->tenant_id) != 0) continue;
        int deliver;
        if (who && strcmp(who, c->participant) == 0) {
            if (reload_rooms(c) != 0) {
                start_close(c, CLOSE_INTERNAL, "internal error");
                continue;
            }
            deliver = 1; /* the participant hears about its own membership change */
        } else {
            deliver = !ev->room_id[0] || has_room(c, ev->room_id);
        }
        if (deliver) send_text(c, ev->json, ev->len);
    }
}

static void begin_stop(sw_ws *ws)
{
    ws->stop_seen = 1;
    ws->stop_deadline_ms = ws->now_ms + SHUTDOWN_GRACE_MS;
    for (conn *c = ws->clients, *next; c; c = next) {
        next = c->next;
        if (c->closing) {
            if (c->close_deadline_ms > ws->stop_deadline_ms) c->close_deadline_ms = ws->stop_deadline_ms;
        } else {
            start_close(c, CLOSE_GOING_AWAY, "server shutting down");
        }
    }
}

static void on_wake(sw_ws *ws)
{
    uint64_t v;
    ssize_t r = read(ws->efd, &v, sizeof v);
    (void)r;
    pthread_mutex_lock(&ws->lock);
    ws->wake_pending = 0;
    conn *inc = ws->incoming;
    ws->incoming = NULL;
    sw_event **q = ws->q;
    size_t qcap = ws->qcap, qhead = ws->qhead, qlen = ws->qlen;
    ws->q = NULL;
    ws->qcap = ws->qhead = ws->qlen = 0;
    uint64_t drops = ws->drops;
    int stopping = ws->stopping;
    pthread_mutex_unlock(&ws->lock);

    conn *fifo = NULL; /* incoming is LIFO: adopt in arrival order */
    while (inc) {
        conn *n = inc->link;
        inc->link = fifo;
        fifo = inc;
        inc = n;
    }
    while (fifo) {
        conn *n = fifo->link;
        fifo->link = NULL;
        adopt(ws, fifo);
        fifo = n;
    }
    for (size_t i = 0; i < qlen; i++) {
        sw_event *ev = q[(qhead + i) % qcap];
        fan_out(ws, ev);
        sw_event_unref(ev);
    }
    free(q);
    if (drops != ws->drops_seen) {
        /* the queue overflowed: whoever was connected missed events and must resync */
        SW_WARN("websocket: %llu event(s) dropped (the stream thread fell behind); closing clients",
                (unsigned long long)(drops - ws->drops_seen));
        ws->drops_seen = drops;
        for (conn *c = ws->clients, *next; c; c = next) {
            next = c->next;
            if (c->drops != drops) start_close(c, CLOSE_TRY_AGAIN, "events were lost; reconnect");
        }
    }
    if (stopping && !ws->stop_seen) begin_stop(ws);
}

static void on_tick(sw_ws *ws)
{
    uint64_t v;
    ssize_t r = read(ws->tfd, &v, sizeof v);
    (void)r;
    int64_t now = ws->now_ms;
    for (conn *c = ws->clients, *next; c; c = next) {
        next = c->next;
        if (c->closing) {
            if (now >= c->close_deadline_ms) finish(c);
            continue;
        }
        if (now - c->last_rx_ms >= IDLE_CLOSE_MS) {
            start_close(c, CLOSE_GOING_AWAY, "idle timeout");
            continue;
        }
        if (now - c->last_ping_ms >= PING_EVERY_MS) {
            c->last_ping_ms = now;
            struct wslay_event_msg m = {WSLAY_PING, NULL, 0};
            if (wslay_event_queue_msg(c->ctx, &m) != 0) {
                finish(c);
                continue;
            }
            if (!c->blocked) flush(c);
        }
    }
    /* tickets whose 101 never went out (the client left first) */
    ticket *expired = NULL;
    pthread_mutex_lock(&ws->lock);
    for (ticket **pp = &ws->tickets; *pp;) {
        ticket *t = *pp;
        if (now - t->created_ms >= TICKET_TTL_MS) {
            *pp = t->next;
            ws->ntickets--;
            if (t->authorized) ws->audience--;
            t->next = expired;
            expired = t;
        } else {
            pp = &t->next;
        }
    }
    pthread_mutex_unlock(&ws->lock);
    while (expired) {
        ticket *t = expired;
        expired = t->next;
        free(t->rooms);
        free(t);
    }
}

static void *ws_thread(void *arg)
{
    sw_ws *ws = arg;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ws->epfd, evs, 256, ws->stop_seen ? 50 : -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            SW_ERROR("websocket: epoll_wait: %s", strerror(errno));
            n = 0;
            if (!ws->stop_seen) { /* cannot go on: treat it as a shutdown */
                ws->now_ms = mono_ms();
                begin_stop(ws);
            }
        }
        ws->now_ms = mono_ms();
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &ws->efd) {
                on_wake(ws);
            } else if (p == &ws->tfd) {
                on_tick(ws);
            } else {
                conn *c = p;
                if (!c->dead) on_io(c, evs[i].events);
            }
        }
        if (ws->stop_seen) {
            for (conn *c = ws->clients, *next; c; c = next) {
                next = c->next;
                if (ws->now_ms >= c->close_deadline_ms) finish(c);
            }
            if (!ws->clients || ws->now_ms >= ws->stop_deadline_ms) {
                while (ws->clients) finish(ws->clients);
                reap(ws);
                break;
            }
        }
        reap(ws);
    }
    return NULL;
}

/* ---- bus side (publisher threads) --------------------------------------------------------- */

static int queue_grow(sw_ws *ws)
{
    size_t cap = ws->qcap ? ws->qcap * 2 : 256;
    if (cap > EVQ_MAX) cap = EVQ_MAX;
    sw_event **q = malloc(cap * sizeof *q);
    if (!q) return -1;
    for (size_t i = 0; i < ws->qlen; i++) q[i] = ws->q[(ws->qhead + i) % ws->qcap];
    free(ws->q);
    ws->q = q;
    ws->qcap = cap;
    ws->qhead = 0;
    return 0;
}

static void on_bus_event(void *arg, sw_event *ev)
{
    sw_ws *ws = arg;
    int w = 0;
    pthread_mutex_lock(&ws->lock);
    if (ws->audience == 0) {
        /* Nobody can receive it: no client, and no handshake that read its room set before this
         * event was stored (one that reads it later sees the event in the store). Not queued, not
         * counted, and the WS thread is not woken. */
        pthread_mutex_unlock(&ws->lock);
        return;
    }
    if (ws->qlen >= EVQ_MAX || (ws->qlen == ws->qcap && queue_grow(ws) != 0)) {
        ws->drops++;
    } else {
        ws->q[(ws->qhead + ws->qlen) % ws->qcap] = sw_event_ref(ev);
        ws->qlen++;
        if (strcmp(ev->type, ROOM_MEMBER) == 0) ws->member_published++;
    }
    if (!ws->wake_pending) {
        ws->wake_pending = 1;
        w = 1;
    }
    pthread_mutex_unlock(&ws->lock);
    if (w) wake(ws);
}

/* ---- MHD side ----------------------------------------------------------------------------- */

static void on_upgrade(void *cls, struct MHD_Connection *connection, void *con_cls,
                       const char *extra_in, size_t extra_in_size, MHD_socket sock,
                       struct MHD_UpgradeResponseHandle *urh)
{
    (void)connection;
    (void)con_cls;
    uint64_t id = (uint64_t)(uintptr_t)cls;
    pthread_mutex_lock(&g_reg_lock);
    sw_ws *ws = NULL;
    ticket *t = NULL;
    for (sw_ws *w = g_reg; w && !t; w = w->reg_next) {
        pthread_mutex_lock(&w->lock);
        for (ticket **pp = &w->tickets; *pp; pp = &(*pp)->next)
            if ((*pp)->id == id) {
                t = *pp;
                *pp = t->next;
                w->ntickets--;
                ws = w;
                break;
            }
        pthread_mutex_unlock(&w->lock);
    }
    /* The socket is ours from here on: we keep a duplicate and let MHD release its side at once
     * (its connection and 32 KiB memory pool would otherwise stay for the socket's lifetime).
     * MHD_USE_TURBO keeps MHD from shutdown()ing the socket when it lets go; without TLS, the
     * socket MHD hands over is the client's own TCP socket (see sw_server.c). */
    conn *c = NULL;
    int fd = t ? fcntl(sock, F_DUPFD_CLOEXEC, 0) : -1;
    if (fd >= 0) {
        c = conn_new(ws, t, extra_in, extra_in_size, fd);
        if (c) c->owns_fd = 1;
        else close(fd);
    }
    if (t && !c && t->authorized) audience_add(ws, -1);
    if (t) {
        free(t->rooms);
        free(t);
    }
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    if (!c) { /* stream shut down, ticket expired, or out of memory */
        pthread_mutex_unlock(&g_reg_lock);
        return;
    }
    pthread_mutex_lock(&ws->lock);
    c->link = ws->incoming;
    ws->incoming = c;
    pthread_mutex_unlock(&ws->lock);
    wake(ws);
    pthread_mutex_unlock(&g_reg_lock);
}

static int has_token(const char *h, const char *token)
{
    if (!h) return 0;
    size_t tl = strlen(token);
    while (*h) {
        while (*h == ' ' || *h == '\t' || *h == ',') h++;
        const char *e = h;
        while (*e && *e != ',') e++;
        const char *te = e;
        while (te > h && (te[-1] == ' ' || te[-1] == '\t')) te--;
        if ((size_t)(te - h) == tl && strncasecmp(h, token, tl) == 0) return 1;
        h = e;
    }
    return 0;
}

static int key_valid(const char *key)
{
    if (!key || strlen(key) != 24) return 0;
    /* libsodium's decoder takes some bytes >= 0x80 as base64 digits (fuzz_ws_handshake found
     * "dGhlIH\x9e\xf5bXBsZSBub25jZQ=="): the alphabet is checked first */
    for (int i = 0; i < 22; i++) {
        unsigned char c = (unsigned char)key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
              c == '/'))
            return 0;
    }
    unsigned char bin[18];
    size_t n = 0;
    return sodium_base642bin(bin, sizeof bin, key, 24, NULL, &n, NULL,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
           n == 16;
}

int sw_ws_handshake_check(const char *upgrade, const char *connection, const char *version,
                          const char *key)
{
    if (!has_token(upgrade, "websocket") || !has_token(connection, "upgrade") || !version ||
        strcmp(version, "13") != 0)
        return SW_WS_NOT_WEBSOCKET;
    return key_valid(key) ? SW_WS_HANDSHAKE_OK : SW_WS_BAD_KEY;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, sw_err code,
                                   const char *message)
{
    json_t *o = json_pack("{s:{s:s, s:s}}", "error", "code", sw_err_code(code), "message", message);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body) return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_UPGRADE_REQUIRED) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_SEC_WEBSOCKET_VERSION, "13");
        MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
    }
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void ticket_drop(sw_ws *ws, uint64_t id)
{
    ticket *t = NULL;
    pthread_mutex_lock(&ws->lock);
    for (ticket **pp = &ws->tickets; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            t = *pp;
            *pp = t->next;
            ws->ntickets--;
            if (t->authorized) ws->audience--;
            break;
        }
    pthread_mutex_unlock(&ws->lock);
    if (t) {
        free(t->rooms);
        free(t);
    }
}

enum MHD_Result sw_ws_handle(sw_ws *ws, struct MHD_Connection *c, const sw_auth *auth)
{
    if (!ws)
        return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, SW_ERR_UNAVAILABLE,
                           "the real-time stream is not available");
    const char *upgrade = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_UPGRADE);
    const char *connection = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION);
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_SEC_WEBSOCKET_KEY);
    const char *version =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_SEC_WEBSOCKET_VERSION);
    int check = sw_ws_handshake_check(upgrade, connection, version, key);
    if (check == SW_WS_NOT_WEBSOCKET)
        return reply_error(c, MHD_HTTP_UPGRADE_REQUIRED, SW_ERR_BAD_REQUEST,
                           "GET /v1/stream is a WebSocket (RFC 6455): send Upgrade: websocket, "
                           "Connection: Upgrade and Sec-WebSocket-Version: 13");
    if (check == SW_WS_BAD_KEY)
        return reply_error(c, MHD_HTTP_BAD_REQUEST, SW_ERR_BAD_REQUEST,
                           "Sec-WebSocket-Key must be 16 bytes in base64 (24 characters)");

    int live = __atomic_load_n(&ws->live, __ATOMIC_ACQUIRE);
    pthread_mutex_lock(&ws->lock);
    int full = live + ws->ntickets >= ws->max_clients;
    pthread_mutex_unlock(&ws->lock);
    if (full)
        return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, SW_ERR_RATE_LIMIT_EXCEEDED,
                           "too many real-time connections; retry later");

    ticket *t = calloc(1, sizeof *t);
    if (!t) return MHD_NO;
    if (auth && auth->ok) {
        t->authorized = 1;
        snprintf(t->tenant, sizeof t->tenant, "%s", auth->tenant_id);
        snprintf(t->participant, sizeof t->participant, "%s", auth->participant_id);
        pthread_mutex_lock(&ws->lock);
        t->member_seq = ws->member_published; /* before the read: see the top of this file */
        t->drops = ws->drops;
        ws->audience++; /* from here on, events are queued for this client-to-be */
        pthread_mutex_unlock(&ws->lock);
        if (load_rooms(ws, t->tenant, t->participant, &t->rooms, &t->nrooms) != 0) {
            audience_add(ws, -1);
            free(t);
            return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, SW_ERR_UNAVAILABLE,
                               "cannot read your rooms right now; retry later");
        }
    }
    t->id = __atomic_add_fetch(&g_next_ticket, 1, __ATOMIC_RELAXED);
    t->created_ms = mono_ms();
    uint64_t id = t->id;
    pthread_mutex_lock(&ws->lock);
    t->next = ws->tickets;
    ws->tickets = t;
    ws->ntickets++;
    pthread_mutex_unlock(&ws->lock);

    char accept[29];
    sw_ws_accept_key(key, accept);
    struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgrade, (void *)(uintptr_t)id);
    if (!r) {
        ticket_drop(ws, id);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(r, MHD_HTTP_HEADER_SEC_WEBSOCKET_ACCEPT, accept);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, r);
    MHD_destroy_response(r);
    if (ret != MHD_YES) ticket_drop(ws, id); /* no upgrade will follow */
    return ret;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

sw_ws *sw_ws_new(sw_bus *bus, sw_ws_rooms_fn rooms_of, void *rooms_arg, int max_clients)
{
    sw_ws *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->bus = bus;
    ws->rooms_of = rooms_of;
    ws->rooms_arg = rooms_arg;
    ws->max_clients = max_clients > 0 ? max_clients : DEFAULT_MAX_CLIENTS;
    ws->sub_id = -1;
    pthread_mutex_init(&ws->lock, NULL);
    ws->epfd = epoll_create1(EPOLL_CLOEXEC);
    ws->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ws->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
    struct epoll_event e1 = {.events = EPOLLIN, .data.ptr = &ws->efd};
    struct epoll_event e2 = {.events = EPOLLIN, .data.ptr = &ws->tfd};
    if (ws->epfd < 0 || ws->efd < 0 || ws->tfd < 0 || timerfd_settime(ws->tfd, 0, &its, NULL) != 0 ||
        epoll_ctl(ws->epfd, EPOLL_CTL_ADD, ws->efd, &e1) != 0 ||
        epoll_ctl(ws->epfd, EPOLL_CTL_ADD, ws->tfd, &e2) != 0)
        goto fail;
    ws->now_ms = mono_ms();
    if (pthread_create(&ws->thread, NULL, ws_thread, ws) != 0) goto fail;
    if (bus) {
        ws->sub_id = sw_bus_subscribe(bus, on_bus_event, ws);
        if (ws->sub_id < 0) {
            pthread_mutex_lock(&ws->lock);
            ws->stopping = 1;
            pthread_mutex_unlock(&ws->lock);
            wake(ws);
            pthread_join(ws->thread, NULL);
            goto fail;
        }
    }
    pthread_mutex_lock(&g_reg_lock);
    ws->reg_next = g_reg;
    g_reg = ws;
    pthread_mutex_unlock(&g_reg_lock);
    return ws;
fail:
    if (ws->epfd >= 0) close(ws->epfd);
    if (ws->efd >= 0) close(ws->efd);
    if (ws->tfd >= 0) close(ws->tfd);
    pthread_mutex_destroy(&ws->lock);
    free(ws);
    return NULL;
}

void sw_ws_free(sw_ws *ws)
{
    if (!ws) return;
    /* 1. no upgrade callback reaches this object any more */
    pthread_mutex_lock(&g_reg_lock);
    for (sw_ws **pp = &g_reg; *pp; pp = &(*pp)->reg_next)
        if (*pp == ws) {
            *pp = ws->reg_next;
            break;
        }
    pthread_mutex_unlock(&g_reg_lock);
    /* 2. no bus callback either (unsubscribe waits for publishers inside the callback) */
    if (ws->bus && ws->sub_id > 0) sw_bus_unsubscribe(ws->bus, ws->sub_id);
    /* 3. the thread closes every socket with 1001, waits for replies (bounded), releases each */
    pthread_mutex_lock(&ws->lock);
    ws->stopping = 1;
    pthread_mutex_unlock(&ws->lock);
    wake(ws);
    pthread_join(ws->thread, NULL);
    /* 4. leftovers: events queued after the thread's last look, unused tickets */
    for (size_t i = 0; i < ws->qlen; i++) sw_event_unref(ws->q[(ws->qhead + i) % ws->qcap]);
    free(ws->q);
    while (ws->tickets) {
        ticket *t = ws->tickets;
        ws->tickets = t->next;
        free(t->rooms);
        free(t);
    }
    close(ws->epfd);
    close(ws->efd);
    close(ws->tfd);
    pthread_mutex_destroy(&ws->lock);
    free(ws);
}

int sw_ws_client_count(sw_ws *ws)
{
    return ws ? __atomic_load_n(&ws->live, __ATOMIC_ACQUIRE) : 0;
}

/* ---- testing hook ------------------------------------------------------------------------- */

int sw_ws_test_session(int fd, const uint8_t *extra, size_t extra_len, int authorized)
{
    sw_ws ws;
    memset(&ws, 0, sizeof ws);
    ws.epfd = ws.efd = ws.tfd = -1;
    ws.max_clients = 1;
    ws.now_ms = mono_ms();
    ticket t;
    memset(&t, 0, sizeof t);
    t.authorized = authorized;
    snprintf(t.tenant, sizeof t.tenant, "tenant-test");
    snprintf(t.participant, sizeof t.participant, "participant-test");
    conn *c = conn_new(&ws, &t, extra, extra_len, fd);
    if (!c) return 0;
    adopt(&ws, c); /* hello or 4401, then everything readable, then flush */
    if (!c->dead) on_io(c, EPOLLIN);
    if (!c->dead) on_io(c, EPOLLOUT);
    int n = c->nrecv;
    if (!c->dead) finish(c);
    reap(&ws);
    return n;
}
