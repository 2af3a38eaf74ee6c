/* sw_ws: the WebSocket endpoint's hub (see sw_ws.h and sw_ws_internal.h): the one WS thread, the bus subscription, fan-out, timers, lifecycle.
 *
 * Threads. MHD threads run sw_ws_handle (validate, load the room set, queue the 101) and the
 * upgrade callback (wrap the socket in a conn, hand it over; sw_ws_upgrade.c); publisher threads
 * run the bus callback (take a reference, queue); the one WS thread does everything else: every
 * wslay call, every send/recv on an upgraded socket, fan-out, timers, closes. Hand-over is a
 * mutex-protected queue plus an eventfd. The WS thread never reads the store.
 *
 * Events nobody can receive. The bus callback queues an event only while some authorized client
 * or handshake exists (`audience`); otherwise the WS thread is not woken at all.
 *
 * Room set races. The room set is loaded at handle time, before the socket is registered with
 * the WS thread. A swp.room.member event published in between would be missed, so the ticket
 * remembers how many member events had been queued before the load (member_seq); when the WS
 * thread adopts the socket, it replays from its member log the ones it processed since. */
#include "http/sw_ws_internal.h"
#include "core/sw_log.h"
#include "core/sw_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define EVQ_MAX 200000 /* events waiting for the WS thread before we drop (and close) */
#define DEFAULT_MAX_CLIENTS 10000

int64_t sw_ws_mono_ms(void)
{
    return sw_time_mono_us() / 1000;
}

void sw_ws_audience_add(sw_ws *ws, int d)
{
    pthread_mutex_lock(&ws->lock);
    ws->audience += d;
    pthread_mutex_unlock(&ws->lock);
}

void sw_ws_wake(sw_ws *ws)
{
    uint64_t one = 1;
    ssize_t w = write(ws->efd, &one, sizeof one);
    (void)w; /* EAGAIN: the counter is already non-zero, the thread will wake */
}

/* ---- fan-out, wake-ups and timers (WS thread) --------------------------------------------- */

static void fan_out(sw_ws *ws, sw_event *ev)
{
    sw_ws_member_change mc;
    const sw_ws_member_change *m = NULL;
    if (strcmp(ev->type, "swp.room.member") == 0) {
        m = sw_ws_member_change_of(ev, &mc) ? &mc : NULL;
        sw_ws_member_log_add(&ws->members, m); /* counted like member_published, even malformed */
    }
    for (sw_ws_conn *c = ws->clients, *next; c; c = next) {
        next = c->next;
        sw_ws_conn_on_event(c, ev, m);
    }
}

static void begin_stop(sw_ws *ws)
{
    ws->stop_seen = 1;
    ws->stop_deadline_ms = ws->now_ms + SW_WS_SHUTDOWN_GRACE_MS;
    for (sw_ws_conn *c = ws->clients, *next; c; c = next) {
        next = c->next;
        if (c->closing) {
            if (c->close_deadline_ms > ws->stop_deadline_ms) c->close_deadline_ms = ws->stop_deadline_ms;
        } else {
            sw_ws_conn_start_close(c, SW_WS_CLOSE_GOING_AWAY, "server shutting down");
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
    sw_ws_conn *inc = ws->incoming;
    ws->incoming = NULL;
    sw_event **q = ws->q;
    size_t qcap = ws->qcap, qhead = ws->qhead, qlen = ws->qlen;
    ws->q = NULL;
    ws->qcap = ws->qhead = ws->qlen = 0;
    uint64_t drops = ws->drops;
    int stopping = ws->stopping;
    pthread_mutex_unlock(&ws->lock);

    sw_ws_conn *fifo = NULL; /* incoming is LIFO: adopt in arrival order */
    while (inc) {
        sw_ws_conn *n = inc->link;
        inc->link = fifo;
        fifo = inc;
        inc = n;
    }
    while (fifo) {
        sw_ws_conn *n = fifo->link;
        fifo->link = NULL;
        sw_ws_conn_adopt(ws, fifo);
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
        for (sw_ws_conn *c = ws->clients, *next; c; c = next) {
            next = c->next;
            if (c->drops != drops) sw_ws_conn_start_close(c, SW_WS_CLOSE_TRY_AGAIN, "events were lost; reconnect");
        }
    }
    if (stopping && !ws->stop_seen) begin_stop(ws);
}

static void on_tick(sw_ws *ws)
{
    uint64_t v;
    ssize_t r = read(ws->tfd, &v, sizeof v);
    (void)r;
    for (sw_ws_conn *c = ws->clients, *next; c; c = next) {
        next = c->next;
        sw_ws_conn_on_tick(c, ws->now_ms);
    }
    sw_ws_tickets_expire(ws, ws->now_ms, 0); /* tickets whose 101 never went out */
}

/* After a stop: drops the clients past their close deadline; 1 once every client is gone. */
static int stop_step(sw_ws *ws)
{
    for (sw_ws_conn *c = ws->clients, *next; c; c = next) {
        next = c->next;
        if (ws->now_ms >= c->close_deadline_ms) sw_ws_conn_finish(c);
    }
    if (ws->clients && ws->now_ms < ws->stop_deadline_ms) return 0;
    while (ws->clients) sw_ws_conn_finish(ws->clients);
    return 1;
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
                ws->now_ms = sw_ws_mono_ms();
                begin_stop(ws);
            }
        }
        ws->now_ms = sw_ws_mono_ms();
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &ws->efd) {
                on_wake(ws);
            } else if (p == &ws->tfd) {
                on_tick(ws);
            } else {
                sw_ws_conn *c = p;
                if (!c->dead) sw_ws_conn_on_io(c, evs[i].events);
            }
        }
        int done = ws->stop_seen && stop_step(ws);
        sw_ws_reap(ws);
        if (done) break;
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
        if (strcmp(ev->type, "swp.room.member") == 0) ws->member_published++;
    }
    if (!ws->wake_pending) {
        ws->wake_pending = 1;
        w = 1;
    }
    pthread_mutex_unlock(&ws->lock);
    if (w) sw_ws_wake(ws);
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
    ws->now_ms = sw_ws_mono_ms();
    if (pthread_create(&ws->thread, NULL, ws_thread, ws) != 0) goto fail;
    if (bus) {
        ws->sub_id = sw_bus_subscribe(bus, on_bus_event, ws);
        if (ws->sub_id < 0) {
            pthread_mutex_lock(&ws->lock);
            ws->stopping = 1;
            pthread_mutex_unlock(&ws->lock);
            sw_ws_wake(ws);
            pthread_join(ws->thread, NULL);
            goto fail;
        }
    }
    sw_ws_register(ws);
    return ws;
fail:
    if (ws->epfd >= 0) close(ws->epfd);
    if (ws->efd >= 0) close(ws->efd);
    if (ws->tfd >= 0) close(ws->tfd);
    sw_ws_member_log_free(&ws->members);
    pthread_mutex_destroy(&ws->lock);
    free(ws);
    return NULL;
}

void sw_ws_free(sw_ws *ws)
{
    if (!ws) return;
    /* 1. no upgrade callback reaches this object any more */
    sw_ws_unregister(ws);
    /* 2. no bus callback either (unsubscribe waits for publishers inside the callback) */
    if (ws->bus && ws->sub_id > 0) sw_bus_unsubscribe(ws->bus, ws->sub_id);
    /* 3. the thread closes every socket with 1001, waits for replies (bounded), releases each */
    pthread_mutex_lock(&ws->lock);
    ws->stopping = 1;
    pthread_mutex_unlock(&ws->lock);
    sw_ws_wake(ws);
    pthread_join(ws->thread, NULL);
    /* 4. leftovers: events queued after the thread's last look, unused tickets */
    for (size_t i = 0; i < ws->qlen; i++) sw_event_unref(ws->q[(ws->qhead + i) % ws->qcap]);
    free(ws->q);
    sw_ws_tickets_expire(ws, 0, 1);
    sw_ws_member_log_free(&ws->members);
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

/* ---- testing hooks ------------------------------------------------------------------------ */

int sw_ws_test_session(int fd, const uint8_t *extra, size_t extra_len, int authorized)
{
    sw_ws ws;
    memset(&ws, 0, sizeof ws);
    ws.epfd = ws.efd = ws.tfd = -1;
    ws.max_clients = 1;
    ws.now_ms = sw_ws_mono_ms();
    sw_ws_ticket t;
    memset(&t, 0, sizeof t);
    t.authorized = authorized;
    snprintf(t.tenant, sizeof t.tenant, "tenant-test");
    snprintf(t.participant, sizeof t.participant, "participant-test");
    sw_ws_conn *c = sw_ws_conn_new(&ws, &t, extra, extra_len, fd);
    if (!c) return 0;
    sw_ws_conn_adopt(&ws, c); /* hello or 4401, then everything readable, then flush */
    if (!c->dead) sw_ws_conn_on_io(c, EPOLLIN);
    if (!c->dead) sw_ws_conn_on_io(c, EPOLLOUT);
    int n = c->nrecv;
    if (!c->dead) sw_ws_conn_finish(c);
    sw_ws_reap(&ws);
    sw_ws_member_log_free(&ws.members);
    return n;
}
