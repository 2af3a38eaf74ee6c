/* sw_conn_guard: the header deadline of every HTTP connection (see sw_conn_guard.h). Each
 * connection has an entry (its MHD socket context) in one list; a thread wakes at the earliest
 * deadline (at most a quarter of the timeout later) and shuts down the sockets past it. The
 * list's mutex is held across shutdown() and across the removal MHD's CLOSED notification
 * makes before it closes the descriptor, so a descriptor is never shut down after its reuse. */
#include "http/sw_conn_guard.h"
#include "core/sw_log.h"
#include "core/sw_time.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

typedef struct entry {
    struct entry *prev, *next;
    int fd;
    int exempt;          /* upgraded: never shut down */
    int shut;            /* already shut down */
    int64_t deadline_us; /* 0 while a request runs */
} entry;

struct sw_conn_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int stop;
    int64_t timeout_us;
    entry head; /* sentinel of a circular list */
};

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
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        int shut = 0;
        int64_t now = sw_time_mono_us();
        int64_t next = sweep(g, now, &shut);
        if (shut)
            SW_INFO("closed %d connection(s) whose request headers were not complete within %d s", shut,
                    (int)(g->timeout_us / 1000000));
        struct timespec ts = sw_time_after_us(CLOCK_MONOTONIC, next - now);
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
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
    pthread_mutex_init(&g->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&g->thread, NULL, guard_main, g) != 0) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
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
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    for (entry *e = g->head.next, *n; e != &g->head; e = n) { /* none left after MHD stopped */
        n = e->next;
        free(e);
    }
    pthread_cond_destroy(&g->cv);
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
    if (upgraded) e->exempt = 1;
    else e->deadline_us = sw_time_mono_us() + g->timeout_us;
    pthread_mutex_unlock(&g->mu);
}
