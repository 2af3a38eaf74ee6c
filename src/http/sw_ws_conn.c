/* sw_ws_conn: one WebSocket client session on the WS thread (see sw_ws_internal.h) — the wslay
 * context and its callbacks, receiving ({"type":"ping"} → pong; anything else ignored), sending
 * with back-pressure (1008 past SW_WS_MAX_QUEUED), closes and their deadline, keep-alive, the
 * hello — and its subscription: which events it is sent (its tenant's, of rooms it has joined,
 * plus tenant-wide ones and its own membership changes) and its room set, which follows the
 * swp.room.member events themselves (no store read here). */
#include "http/sw_ws_internal.h"
#include "core/sw_id.h"
#include "core/sw_time.h"

#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char PONG[] = "{\"type\":\"pong\"}";

static void flush(sw_ws_conn *c);
static void send_text(sw_ws_conn *c, const char *data, size_t len);

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
    (void)flags;
    sw_ws_conn *c = user;
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
    sw_ws_conn *c = user;
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

static void on_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                      void *user)
{
    (void)ctx;
    sw_ws_conn *c = user;
    c->nrecv++;
    if (arg->opcode != WSLAY_TEXT_FRAME || !c->authorized || c->closing) return;
    if (arg->msg_length > SW_WS_MAX_RECV_MSG) return; /* wslay enforces it; belt and braces */
    json_t *o = json_loadb((const char *)arg->msg, arg->msg_length, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    if (type && strcmp(type, "ping") == 0) send_text(c, PONG, sizeof PONG - 1);
    json_decref(o); /* anything else is ignored */
}

static const struct wslay_event_callbacks callbacks = {
    recv_cb, send_cb, NULL, NULL, NULL, NULL, on_msg_cb,
};

/* Runs wslay_event_recv; 0, or non-zero when the connection is finished. */
static int do_recv(sw_ws_conn *c)
{
    if (!wslay_event_want_read(c->ctx)) return 0;
    c->in_recv = 1;
    int r = wslay_event_recv(c->ctx);
    c->in_recv = 0;
    return r;
}

/* Re-arms epoll for what wslay wants, or finishes the connection when it wants nothing. */
static void update(sw_ws_conn *c)
{
    if (c->dead) return;
    int r = wslay_event_want_read(c->ctx), w = wslay_event_want_write(c->ctx);
    if (!r && !w) {
        sw_ws_conn_finish(c);
        return;
    }
    uint32_t m = (r ? EPOLLIN | EPOLLRDHUP : 0) | (w && c->blocked ? EPOLLOUT : 0);
    if (c->registered && m != c->evmask) {
        struct epoll_event ev = {.events = m, .data.ptr = c};
        if (epoll_ctl(c->ws->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
            sw_ws_conn_finish(c);
            return;
        }
        c->evmask = m;
    }
}

static void flush(sw_ws_conn *c)
{
    if (c->dead || c->in_recv) return;
    if (wslay_event_want_write(c->ctx)) {
        c->blocked = 0;
        if (wslay_event_send(c->ctx) != 0) {
            sw_ws_conn_finish(c);
            return;
        }
    }
    update(c);
}

/* Queues a text frame, unless the client is closing; closes a client whose backlog would pass
 * SW_WS_MAX_QUEUED. Inside wslay_event_recv only queues (the caller flushes afterwards). */
static void send_text(sw_ws_conn *c, const char *data, size_t len)
{
    if (c->dead || c->closing) return;
    if (wslay_event_get_queued_msg_length(c->ctx) + len > SW_WS_MAX_QUEUED) {
        sw_ws_conn_start_close(c, SW_WS_CLOSE_POLICY, "too slow");
        return;
    }
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)data, len};
    if (wslay_event_queue_msg(c->ctx, &m) != 0) {
        if (!c->in_recv) sw_ws_conn_finish(c); /* out of memory, or wslay stopped writing */
        return;
    }
    if (!c->blocked) flush(c);
}

void sw_ws_conn_start_close(sw_ws_conn *c, uint16_t code, const char *reason)
{
    if (c->dead || c->closing) return;
    c->closing = 1;
    c->close_deadline_ms = c->ws->now_ms + SW_WS_CLOSE_DEADLINE_MS;
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

void sw_ws_conn_finish(sw_ws_conn *c)
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
    if (c->authorized) sw_ws_audience_add(ws, -1);
    free(c->in);
    c->in = NULL;
    sw_ws_roomset_clear(&c->rooms);
    c->link = ws->dead;
    ws->dead = c;
}

void sw_ws_reap(sw_ws *ws)
{
    while (ws->dead) {
        sw_ws_conn *c = ws->dead;
        ws->dead = c->link;
        free(c);
    }
}

static void send_hello(sw_ws_conn *c)
{
    char sid[SW_ID_LEN + 1], ts[32];
    sw_id_new(sid);
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "type", "hello", "session_id", sid, "tenant_id",
                          c->tenant, "ts", ts);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) {
        sw_ws_conn_start_close(c, SW_WS_CLOSE_INTERNAL, "internal error");
        return;
    }
    send_text(c, s, strlen(s));
    free(s);
}

sw_ws_conn *sw_ws_conn_new(sw_ws *ws, sw_ws_ticket *t, const void *extra, size_t extra_len, int fd)
{
    sw_ws_conn *c = calloc(1, sizeof *c);
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
    wslay_event_config_set_max_recv_msg_length(c->ctx, SW_WS_MAX_RECV_MSG);
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* MHD turned it off */
    c->rooms = t->rooms;
    t->rooms.ids = NULL;
    t->rooms.n = 0;
    __atomic_add_fetch(&ws->live, 1, __ATOMIC_ACQ_REL);
    return c;
}

void sw_ws_conn_adopt(sw_ws *ws, sw_ws_conn *c)
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
            sw_ws_conn_finish(c);
            return;
        }
        c->registered = 1;
        c->evmask = ev.events;
    }
    if (!c->authorized) {
        sw_ws_conn_start_close(c, SW_WS_CLOSE_UNAUTHORIZED, "unauthorized");
    } else if (c->drops != ws->drops_seen) {
        sw_ws_conn_start_close(c, SW_WS_CLOSE_TRY_AGAIN, "events were lost; reconnect");
    } else if (sw_ws_member_log_replay(&ws->members, c->member_seq, c->tenant, c->participant, &c->rooms) != 0) {
        /* member events processed after the room set was read are replayed from the log; more
         * of them than it keeps (a flood of membership changes during one handshake) */
        sw_ws_conn_start_close(c, SW_WS_CLOSE_TRY_AGAIN, "events were lost; reconnect");
    } else {
        send_hello(c);
    }
    if (c->dead) return;
    /* bytes MHD already read (extra_in) or that came since: epoll would not report the former */
    if (do_recv(c) != 0) {
        sw_ws_conn_finish(c);
        return;
    }
    flush(c);
}

void sw_ws_conn_on_io(sw_ws_conn *c, uint32_t events)
{
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (wslay_event_want_read(c->ctx)) {
            if (do_recv(c) != 0) {
                sw_ws_conn_finish(c);
                return;
            }
        } else if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
            sw_ws_conn_finish(c); /* peer gone while we only had something to write */
            return;
        }
    }
    flush(c);
}

void sw_ws_conn_on_event(sw_ws_conn *c, const sw_event *ev, const sw_ws_member_change *mc)
{
    if (c->closing || !c->authorized || strcmp(c->tenant, ev->tenant_id) != 0) return;
    int deliver;
    if (mc && strcmp(mc->participant_id, c->participant) == 0) {
        /* its own membership changed: the event says how (stored before it was published, and
         * published in stream order, so the set follows the store without reading it) */
        if (sw_ws_roomset_set(&c->rooms, mc->room_id, mc->joined) != 0) {
            sw_ws_conn_start_close(c, SW_WS_CLOSE_INTERNAL, "internal error");
            return;
        }
        deliver = 1; /* the participant hears about its own membership change */
    } else {
        deliver = !ev->room_id[0] || sw_ws_roomset_has(&c->rooms, ev->room_id);
    }
    if (deliver) send_text(c, ev->json, ev->len);
}

void sw_ws_conn_on_tick(sw_ws_conn *c, int64_t now)
{
    if (c->closing) {
        if (now >= c->close_deadline_ms) sw_ws_conn_finish(c);
        return;
    }
    if (now - c->last_rx_ms >= SW_WS_IDLE_CLOSE_MS) {
        sw_ws_conn_start_close(c, SW_WS_CLOSE_GOING_AWAY, "idle timeout");
        return;
    }
    if (now - c->last_ping_ms >= SW_WS_PING_EVERY_MS) {
        c->last_ping_ms = now;
        struct wslay_event_msg m = {WSLAY_PING, NULL, 0};
        if (wslay_event_queue_msg(c->ctx, &m) != 0) {
            sw_ws_conn_finish(c);
            return;
        }
        if (!c->blocked) flush(c);
    }
}
