/* sw_ws_upgrade: the WebSocket endpoint's libmicrohttpd glue (see sw_ws.h) — GET /v1/stream
 * on an MHD thread (header checks, capacity, the room set read, the 101), the refusals in the
 * API's one error envelope (sw_resp_error + sw_resp_queue), and the upgrade callback that hands
 * the socket to the WS thread.
 *
 * Socket ownership. The upgrade callback keeps a duplicate of the socket and releases MHD's side
 * at once, so MHD frees its connection and memory pool (32 KiB) instead of holding them for as
 * long as the WebSocket lives; an idle client then costs its wslay context and conn (~9 KiB).
 *
 * Lifetime of the upgrade closure. MHD calls the upgrade callback only after the 101 went out,
 * possibly after sw_ws_free. So the closure is not the sw_ws but a ticket number, looked up in a
 * process-wide registry of live sw_ws objects under a static lock: a ticket that is gone (freed
 * object, or expired) means "close the socket at once". Tickets whose 101 never went out (client
 * gone) expire after SW_WS_TICKET_TTL_MS and are freed at sw_ws_free. */
#include "http/sw_ws_internal.h"
#include "http/sw_ws_handshake.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t g_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static sw_ws *g_reg;
static uint64_t g_next_ticket;

void sw_ws_register(sw_ws *ws)
{
    pthread_mutex_lock(&g_reg_lock);
    ws->reg_next = g_reg;
    g_reg = ws;
    pthread_mutex_unlock(&g_reg_lock);
}

void sw_ws_unregister(sw_ws *ws)
{
    pthread_mutex_lock(&g_reg_lock);
    for (sw_ws **pp = &g_reg; *pp; pp = &(*pp)->reg_next)
        if (*pp == ws) {
            *pp = ws->reg_next;
            break;
        }
    pthread_mutex_unlock(&g_reg_lock);
}

void sw_ws_ticket_free(sw_ws_ticket *t)
{
    sw_ws_roomset_clear(&t->rooms);
    free(t);
}

void sw_ws_tickets_expire(sw_ws *ws, int64_t now, int all)
{
    sw_ws_ticket *expired = NULL;
    pthread_mutex_lock(&ws->lock);
    for (sw_ws_ticket **pp = &ws->tickets; *pp;) {
        sw_ws_ticket *t = *pp;
        if (all || now - t->created_ms >= SW_WS_TICKET_TTL_MS) {
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
        sw_ws_ticket *t = expired;
        expired = t->next;
        sw_ws_ticket_free(t);
    }
}

/* Takes ticket id out of its live object (under g_reg_lock). NULL when gone. */
static sw_ws_ticket *ticket_take(uint64_t id, sw_ws **owner)
{
    for (sw_ws *w = g_reg; w; w = w->reg_next) {
        pthread_mutex_lock(&w->lock);
        for (sw_ws_ticket **pp = &w->tickets; *pp; pp = &(*pp)->next)
            if ((*pp)->id == id) {
                sw_ws_ticket *t = *pp;
                *pp = t->next;
                w->ntickets--;
                pthread_mutex_unlock(&w->lock);
                *owner = w;
                return t;
            }
        pthread_mutex_unlock(&w->lock);
    }
    return NULL;
}

static void on_upgrade(void *cls, struct MHD_Connection *connection, void *con_cls,
                       const char *extra_in, size_t extra_in_size, MHD_socket sock,
                       struct MHD_UpgradeResponseHandle *urh)
{
    (void)connection;
    (void)con_cls;
    pthread_mutex_lock(&g_reg_lock);
    sw_ws *ws = NULL;
    sw_ws_ticket *t = ticket_take((uint64_t)(uintptr_t)cls, &ws);
    /* The socket is ours from here on: we keep a duplicate and let MHD release its side at once
     * (its connection and 32 KiB memory pool would otherwise stay for the socket's lifetime).
     * MHD_USE_TURBO keeps MHD from shutdown()ing the socket when it lets go; without TLS, the
     * socket MHD hands over is the client's own TCP socket (see sw_server.c). */
    sw_ws_conn *c = NULL;
    int fd = t ? fcntl(sock, F_DUPFD_CLOEXEC, 0) : -1;
    if (fd >= 0) {
        c = sw_ws_conn_new(ws, t, extra_in, extra_in_size, fd);
        if (c) c->owns_fd = 1;
        else close(fd);
    }
    if (t && !c && t->authorized) sw_ws_audience_add(ws, -1);
    if (t) sw_ws_ticket_free(t);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    if (!c) { /* stream shut down, ticket expired, or out of memory */
        pthread_mutex_unlock(&g_reg_lock);
        return;
    }
    pthread_mutex_lock(&ws->lock);
    c->link = ws->incoming;
    ws->incoming = c;
    pthread_mutex_unlock(&ws->lock);
    sw_ws_wake(ws);
    pthread_mutex_unlock(&g_reg_lock);
}

/* A refusal in the API's one envelope (sw_resp_error) with the server's common headers
 * (sw_resp_queue). status 0: the code's own; else this one (426; 503 for capacity). */
static enum MHD_Result refuse(struct MHD_Connection *c, unsigned status, sw_err code, const char *message)
{
    sw_resp r;
    memset(&r, 0, sizeof r);
    sw_resp_error(&r, code, NULL, "%s", message);
    if (status) r.status = (int)status;
    if (r.status == MHD_HTTP_UPGRADE_REQUIRED) {
        r.headers[0] = MHD_HTTP_HEADER_SEC_WEBSOCKET_VERSION;
        r.headers[1] = "13";
        r.headers[2] = MHD_HTTP_HEADER_UPGRADE;
        r.headers[3] = "websocket";
    }
    if (r.status == MHD_HTTP_SERVICE_UNAVAILABLE) r.retry_after = 5;
    return (enum MHD_Result)sw_resp_queue(c, &r, 0);
}

static void ticket_drop(sw_ws *ws, uint64_t id)
{
    sw_ws_ticket *t = NULL;
    pthread_mutex_lock(&ws->lock);
    for (sw_ws_ticket **pp = &ws->tickets; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            t = *pp;
            *pp = t->next;
            ws->ntickets--;
            if (t->authorized) ws->audience--;
            break;
        }
    pthread_mutex_unlock(&ws->lock);
    if (t) sw_ws_ticket_free(t);
}

/* The ticket of an accepted handshake, its room set read (authorized callers). NULL after
 * queueing a refusal in *ret. */
static sw_ws_ticket *ticket_new(sw_ws *ws, struct MHD_Connection *c, const sw_auth *auth,
                                enum MHD_Result *ret)
{
    sw_ws_ticket *t = calloc(1, sizeof *t);
    if (!t) {
        *ret = MHD_NO;
        return NULL;
    }
    if (auth && auth->ok) {
        t->authorized = 1;
        snprintf(t->tenant, sizeof t->tenant, "%s", auth->tenant_id);
        snprintf(t->participant, sizeof t->participant, "%s", auth->participant_id);
        pthread_mutex_lock(&ws->lock);
        t->member_seq = ws->member_published; /* before the read: see the top of sw_ws.c */
        t->drops = ws->drops;
        ws->audience++; /* from here on, events are queued for this client-to-be */
        pthread_mutex_unlock(&ws->lock);
        if (sw_ws_roomset_load(&t->rooms, ws->rooms_of, ws->rooms_arg, t->tenant, t->participant) != 0) {
            sw_ws_audience_add(ws, -1);
            free(t);
            *ret = refuse(c, 0, SW_ERR_UNAVAILABLE, "cannot read your rooms right now; retry later");
            return NULL;
        }
    }
    t->id = __atomic_add_fetch(&g_next_ticket, 1, __ATOMIC_RELAXED);
    t->created_ms = sw_ws_mono_ms();
    return t;
}

enum MHD_Result sw_ws_handle(sw_ws *ws, struct MHD_Connection *c, const sw_auth *auth)
{
    if (!ws) return refuse(c, 0, SW_ERR_UNAVAILABLE, "the real-time stream is not available");
    const char *upgrade = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_UPGRADE);
    const char *connection = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION);
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_SEC_WEBSOCKET_KEY);
    const char *version =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_SEC_WEBSOCKET_VERSION);
    int check = sw_ws_handshake_check(upgrade, connection, version, key);
    if (check == SW_WS_NOT_WEBSOCKET)
        return refuse(c, MHD_HTTP_UPGRADE_REQUIRED, SW_ERR_BAD_REQUEST,
                             "GET /v1/stream is a WebSocket (RFC 6455): send Upgrade: websocket, "
                             "Connection: Upgrade and Sec-WebSocket-Version: 13");
    if (check == SW_WS_BAD_KEY)
        return refuse(c, 0, SW_ERR_BAD_REQUEST, "Sec-WebSocket-Key must be 16 bytes in base64 (24 characters)");

    int live = __atomic_load_n(&ws->live, __ATOMIC_ACQUIRE);
    pthread_mutex_lock(&ws->lock);
    int full = live + ws->ntickets >= ws->max_clients;
    pthread_mutex_unlock(&ws->lock);
    if (full)
        return refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, SW_ERR_RATE_LIMIT_EXCEEDED,
                             "too many real-time connections; retry later");

    enum MHD_Result ret = MHD_NO;
    sw_ws_ticket *t = ticket_new(ws, c, auth, &ret);
    if (!t) return ret;
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
    ret = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, r);
    MHD_destroy_response(r);
    if (ret != MHD_YES) ticket_drop(ws, id); /* no upgrade will follow */
    return ret;
}
