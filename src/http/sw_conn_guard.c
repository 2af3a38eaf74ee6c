/* sw_conn_guard: the header deadline of every HTTP connection (see sw_conn_guard.h). Each
 * connection has an entry (its MHD socket context) in one list; a thread wakes at the earliest
 * deadline (at most a quarter of the timeout later) and shuts down the sockets past it. The
 * list's mutex is held across shutdown() and across the removal MHD's CLOSED notification
 * makes before it closes the descriptor, so a descriptor is never shut down after its reuse.
 *
 * The thread also watches every socket for the peer's half-close (EPOLLRDHUP in an epoll set of
 * its own): libmicrohttpd (0.9.75, epoll) often misses the end of the stream when the last bytes
 * of an incomplete request and the FIN arrive together, and would keep the connection until the
 * header deadline. A connection whose peer has closed its side and that still waits for request
 * headers gets SW_GUARD_PEER_GRACE_US to finish them (a complete request is handed to the
 * handler at once, which clears the deadline), then it is shut down. */
#include "http/sw_conn_guard.h"
#include "core/sw_log.h"
#include "core/sw_time.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SW_GUARD_PEER_GRACE_US 2000000 /* after the peer's half-close, for headers already sent */

typedef struct entry {
    struct entry *prev, *next;
    int fd;
    int exempt;          /* upgraded: never shut down */
    int shut;            /* already shut down */
    int peer_closed;     /* the peer has shut down its side (EPOLLRDHUP) */
    int64_t deadline_us; /* 0 while a request runs */
    uint64_t id;         /* the epoll set's key for it (pointers may be reused, ids are not) */
} entry;

struct sw_conn_guard {
    pthread_mutex_t mu;
    pthread_t thread;
    int stop;
    int64_t timeout_us;
    int ep;          /* epoll set: each connection's EPOLLRDHUP, and wake_fd */
    int wake_fd;     /* eventfd: stop */
    uint64_t next_id;
    entry head; /* sentinel of a circular list */
};

/* Under mu: the peer of connection `id` has closed its side. */
static void peer_closed(sw_conn_guard *g, uint64_t id, int64_t now)
{
    for (entry *e = g->head.next; e != &g->head; e = e->next) {
        if (e->id != id) continue;
        e->peer_closed = 1;
        if (e->deadline_us && e->deadline_us > now + SW_GUARD_PEER_GRACE_US)
            e->deadline_us = now + SW_GUARD_PEER_GRACE_US;
        return;
    }
}

/* Under mu: shuts down what is past its deadline; returns when to look again. */
static int64_t sweep(sw_conn_guard *g, int64_t now, int *shut)
{
    int64_t next = now + g->timeout_us / 4 + 1000;
    for (entry *e = g->head.next; e != &g->head; e = e->next) {
        if (e->exempt || e->shut || e->deadline_us == 0) continue;
        if (e->deadline_us <= now) {
            shutdown(e->fd, SHUT_RDWR); /* MHD sees the end of the stream and closes it */
            e->shut = 1;
            (*shut)++;
        } else if (e->deadline_us < next) {
            next = e->deadline_us;
        }
    }
    return next;
}

static void *guard_main(void *arg)
{
    sw_conn_guard *g = arg;
    struct epoll_event evs[64];
    int n = 0;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        int shut = 0;
        int64_t now = sw_time_mono_us();
        for (int i = 0; i < n; i++)
            if (evs[i].data.u64) peer_closed(g, evs[i].data.u64, now);
        int64_t next = sweep(g, now, &shut);
        if (shut)
            SW_INFO("closed %d connection(s) whose request headers were not complete in time", shut);
        pthread_mutex_unlock(&g->mu);
        int64_t wait_ms = (next - now + 999) / 1000;
        n = epoll_wait(g->ep, evs, 64, wait_ms > 60000 ? 60000 : (int)wait_ms);
        if (n < 0) n = 0; /* EINTR */
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

sw_conn_guard *sw_conn_guard_new(int timeout_s)
{
    sw_conn_guard *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->timeout_us = (int64_t)timeout_s * 1000000;
    g->head.prev = g->head.next = &g->head;
    g->ep = epoll_create1(EPOLL_CLOEXEC);
    g->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event wev = {.events = EPOLLIN, .data.u64 = 0};
    if (g->ep < 0 || g->wake_fd < 0 || epoll_ctl(g->ep, EPOLL_CTL_ADD, g->wake_fd, &wev) != 0) {
        if (g->ep >= 0) close(g->ep);
        if (g->wake_fd >= 0) close(g->wake_fd);
        free(g);
        return NULL;
    }
    pthread_mutex_init(&g->mu, NULL);
    if (pthread_create(&g->thread, NULL, guard_main, g) != 0) {
        pthread_mutex_destroy(&g->mu);
        close(g->ep);
        close(g->wake_fd);
        free(g);
        return NULL;
    }
    return g;
}

void sw_conn_guard_free(sw_conn_guard *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_mutex_unlock(&g->mu);
    uint64_t one = 1;
    if (write(g->wake_fd, &one, sizeof one) < 0) SW_WARN("conn guard: wake failed");
    pthread_join(g->thread, NULL);
    close(g->ep);
    close(g->wake_fd);
    for (entry *e = g->head.next, *n; e != &g->head; e = n) { /* none left after MHD stopped */
        n = e->next;
        free(e);
    }
    pthread_mutex_destroy(&g->mu);
    free(g);
}

void sw_conn_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    sw_conn_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        entry *e = ci ? calloc(1, sizeof *e) : NULL;
        if (!e) return; /* unguarded; MHD's own inactivity timeout still applies */
        e->fd = ci->connect_fd;
        e->deadline_us = sw_time_mono_us() + g->timeout_us;
        pthread_mutex_lock(&g->mu);
        e->id = ++g->next_id;
        struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLET, .data.u64 = e->id};
        epoll_ctl(g->ep, EPOLL_CTL_ADD, e->fd, &ev); /* unwatched on failure: the deadline still holds */
        e->next = &g->head;
        e->prev = g->head.prev;
        g->head.prev->next = e;
        g->head.prev = e;
        pthread_mutex_unlock(&g->mu);
        *socket_context = e;
        return;
    }
    entry *e = *socket_context;
    if (!e) return;
    pthread_mutex_lock(&g->mu); /* before MHD closes the descriptor */
    epoll_ctl(g->ep, EPOLL_CTL_DEL, e->fd, NULL);
    e->prev->next = e->next;
    e->next->prev = e->prev;
    pthread_mutex_unlock(&g->mu);
    *socket_context = NULL;
    free(e);
}

static entry *entry_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void sw_conn_guard_headers_done(sw_conn_guard *g, struct MHD_Connection *c)
{
    entry *e = entry_of(c);
    if (!e) return;
    pthread_mutex_lock(&g->mu);
    e->deadline_us = 0;
    pthread_mutex_unlock(&g->mu);
}

void sw_conn_guard_request_done(sw_conn_guard *g, struct MHD_Connection *c, int upgraded)
{
    entry *e = entry_of(c);
    if (!e) return;
    pthread_mutex_lock(&g->mu);
    if (upgraded) {
        e->exempt = 1;
    } else {
        int64_t now = sw_time_mono_us();
        /* a peer that closed its side sends no further request */
        e->deadline_us = now + (e->peer_closed ? SW_GUARD_PEER_GRACE_US : g->timeout_us);
    }
    pthread_mutex_unlock(&g->mu);
}
