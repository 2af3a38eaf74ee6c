/* sw_server: libmicrohttpd glue. A request is answered on its second access-handler call
 * (answering on the first one makes MHD close keep-alive connections), the body is buffered
 * up to SW_MAX_BODY, and every outcome — including 404, 405, 413 and a bad token — leaves in
 * the API's JSON envelope. A request refused before its body (a NUL in the path, a
 * Content-Length over the limit) is answered on the first call, and its connection closed. */
#include "http/sw_server.h"
#include "core/sw_log.h"
#include "core/sw_time.h"
#include "http/sw_authn.h"
#include "http/sw_conn_guard.h"
#include "rooms/sw_room_service.h"
#include "http/sw_router.h"
#include "http/sw_ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct waiter {
    struct waiter *next;
    struct MHD_Connection *conn;
    char tenant_id[40];
    const sw_poll_interest *poll; /* the request's (conn_req), stable while it is parked */
    int64_t deadline_us;
} waiter;

/* The last stored events published, so that a request about to park can tell whether one that
 * concerns it arrived while its handler looked (then it looks again instead of parking). */
#define RECENT 32
typedef struct recent_event {
    uint64_t seq;
    char tenant_id[40];
    char room_id[40];
    char target[40]; /* the participant a membership event names, else "" */
} recent_event;

struct sw_server {
    sw_app *app;
    struct MHD_Daemon *d;
    sw_ws *ws;
    sw_conn_guard *guard; /* the header deadline */
    int port;
    int active; /* requests in flight */
    int quiesced;
    /* long-poll: parked requests, resumed by a bus event of their tenant or their deadline */
    pthread_mutex_t wmu;
    pthread_cond_t wcv;
    waiter *waiters;
    uint64_t publish_seq; /* bumped (under wmu) on every stored bus event */
    recent_event recent[RECENT]; /* recent[seq % RECENT] */
    int bus_sub;
    int stop_timer;
    pthread_t timer;
};

typedef struct conn_req {
    int64_t start_us;
    char *body;
    size_t len, cap;
    int began;   /* the access handler has seen it (headers complete); counted in `active` */
    const char *raw_uri; /* the request target as MHD read it (uri_log), for the NUL check */
    size_t raw_uri_len;  /* its length up to the first NUL */
    int status;
    int metric;
    int64_t poll_deadline_us;
    int upgraded; /* a WebSocket: no longer an in-flight request for the drain */
    int observed; /* already counted in the metrics */
    int discard;  /* the declared body is over SW_MAX_BODY: read it to the end unkept, then 413 */
    char poll_tenant[40];
    sw_poll_interest poll;
    sw_deferred *deferred; /* a handler's work on another thread (sw_http.h) */
    char method[12];
    char path[200]; /* for the access log; MHD gives the path without the query string */
} conn_req;

static void add_common_headers(struct MHD_Response *r, const sw_resp *resp, int draining)
{
    if (resp->content_type) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, resp->cache_control ? resp->cache_control : "no-store");
    if (resp->csp) MHD_add_response_header(r, "Content-Security-Policy", resp->csp);
    if (resp->allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
    if (resp->status == 401) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (resp->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", resp->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    for (int i = 0; i + 1 < 4 && resp->headers[i]; i += 2)
        MHD_add_response_header(r, resp->headers[i], resp->headers[i + 1]);
    if (draining || resp->close) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
}

int sw_resp_queue(struct MHD_Connection *c, sw_resp *resp, int draining)
{
    if (!resp->body) sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the handler produced no answer");
    struct MHD_Response *r = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(resp->body);
        resp->body = NULL;
        return MHD_NO;
    }
    resp->body = NULL;
    add_common_headers(r, resp, draining);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_resp(sw_server *s, struct MHD_Connection *c, conn_req *cr, sw_resp *resp)
{
    struct MHD_Response *r;
    if (resp->has_file) { /* a static file (sw_static.c): MHD owns and closes the fd */
        r = MHD_create_response_from_fd((uint64_t)resp->file_size, resp->file_fd);
        if (!r) {
            close(resp->file_fd);
            return MHD_NO;
        }
        add_common_headers(r, resp, __atomic_load_n(&s->app->draining, __ATOMIC_RELAXED));
        cr->status = resp->status;
        enum MHD_Result fret = MHD_queue_response(c, (unsigned)resp->status, r);
        MHD_destroy_response(r);
        return fret;
    }
    if (!resp->body) sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the handler produced no answer");
    cr->status = resp->status;
    return (enum MHD_Result)sw_resp_queue(c, resp, __atomic_load_n(&s->app->draining, __ATOMIC_RELAXED));
}

static void handle(sw_server *s, struct MHD_Connection *c, const char *method, const char *url,
                   conn_req *cr, sw_resp *resp)
{
    sw_app *app = s->app;
    size_t plen = strlen(url);
    if (plen > 2048) {
        sw_resp_error(resp, SW_ERR_NOT_FOUND, NULL, "no such resource");
        return;
    }
    char scratch[2050];
    char allow[128];
    sw_req req = {.app = app, .conn = c, .method = method, .path = url, .body = cr->body, .body_len = cr->len,
                  .poll_deadline_us = &cr->poll_deadline_us, .poll = &cr->poll, .deferred = &cr->deferred};
    const sw_route *route = NULL;
    sw_route_status st = sw_router_match(sw_routes, sw_routes_count, method, url, &req, scratch,
                                         &route, allow, sizeof allow);
    if (st == SW_ROUTE_NO_PATH) {
        sw_resp_error(resp, SW_ERR_NOT_FOUND, NULL, "no such resource: %s %.200s", method, url);
        return;
    }
    if (st == SW_ROUTE_NO_METHOD) {
        resp->allow = allow[0] ? strdup(allow) : NULL;
        sw_resp_error(resp, SW_ERR_METHOD_NOT_ALLOWED, NULL, "%s is not allowed here; use %s", method, allow);
        return;
    }
    cr->metric = route->metric;
    if (route->flags & SW_ROUTE_STREAM) {
        /* WebSocket: the token comes as ?token= (browsers cannot set headers) or a bearer; a bad
         * one is answered by sw_ws with close code 4401 after the upgrade */
        size_t tlen = 0;
        const char *tok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
        if (tok) tlen = strlen(tok);
        else tok = sw_authn_bearer(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &tlen);
        const char *why = NULL;
        if (tok && sw_authn_token(app, tok, tlen, &req.auth, &why) >= 0) req.auth.ok = 0;
        if (__atomic_load_n(&app->draining, __ATOMIC_ACQUIRE)) { /* sw_ws may be going away */
            sw_resp_error(resp, SW_ERR_UNAVAILABLE, NULL, "the server is shutting down");
            return;
        }
        resp->queued = 1;
        resp->queue_result = sw_ws_handle(s->ws, c, &req.auth); /* NULL ws answers 503 */
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
        cr->status = ci && ci->http_status ? (int)ci->http_status : 101;
        return;
    }
    if (!(route->flags & SW_ROUTE_PUBLIC)) {
        size_t tlen = 0;
        const char *tok = sw_authn_bearer(
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &tlen);
        if (!tok) {
            sw_resp_error(resp, SW_ERR_AUTH_INVALID_TOKEN, NULL,
                          "missing bearer token: send Authorization: Bearer <token>");
            return;
        }
        const char *why = NULL;
        int e = sw_authn_token(app, tok, tlen, &req.auth, &why);
        if (e >= 0) {
            sw_resp_error(resp, (sw_err)e, NULL, "invalid token: %s", why);
            return;
        }
        req.auth.token = tok;
        if ((route->flags & SW_ROUTE_ADMIN) && !req.auth.is_admin) {
            sw_resp_error(resp, SW_ERR_AUTH_INSUFFICIENT_PERMISSION, NULL,
                          "this needs the tenant admin role");
            return;
        }
    }
    route->fn(&req, resp);
    if (resp->suspend) snprintf(cr->poll_tenant, sizeof cr->poll_tenant, "%s", req.auth.tenant_id);
}

static int missed_event(sw_server *s, uint64_t seq0, const char *tenant_id, const sw_poll_interest *p);

/* A declared body this far over SW_MAX_BODY is still read (and thrown away) before the 413, so
 * that the answer is not lost to a reset: a server that closes with unread bytes in its receive
 * queue sends RST, and the client may never see the 413. Beyond it the answer goes at once. */
#define SW_DISCARD_MAX (4ull * SW_MAX_BODY)

/* What Content-Length says: 0 within SW_MAX_BODY (or unparsable: MHD answers 400), 1 over it
 * but within SW_DISCARD_MAX, 2 beyond that. */
static int declared_too_large(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!v) return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || *end) return 0;
    if (errno == ERANGE || n > SW_DISCARD_MAX) return 2;
    return n > SW_MAX_BODY;
}

static void too_large(sw_resp *resp)
{
    sw_resp_error(resp, SW_ERR_CONTENT_TOO_LARGE, json_pack("{s:i}", "max_bytes", SW_MAX_BODY),
                  "the request body is larger than %u bytes", SW_MAX_BODY);
}

/* MHD_OPTION_URI_LOG_CALLBACK: called with the request target before MHD cuts it at '?' and
 * unescapes it; what it returns is the request's *con_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    conn_req *cr = calloc(1, sizeof *cr);
    if (!cr) return NULL; /* on_request allocates it then, without the NUL check */
    cr->metric = -1;
    if (uri) {
        cr->raw_uri = uri;
        cr->raw_uri_len = strlen(uri);
        /* for the access log of a request MHD refuses itself; never the query (?token=) */
        snprintf(cr->path, sizeof cr->path, "%.*s", (int)strcspn(uri, "?"), uri);
    }
    return cr;
}

/* Whether MHD's C strings lost part of the request target to a raw NUL byte: the version
 * string follows the target in MHD's buffer, so the target's span is known. */
static int target_has_nul(const conn_req *cr, const char *url, const char *version)
{
    if (!cr->raw_uri || cr->raw_uri != url || !version || !version[0]) return 0;
    if (version <= url || version[-1] != 0) return 0;
    return (size_t)(version - 1 - url) > cr->raw_uri_len;
}

/* The first access-handler call (headers complete). Returns 1 with *resp filled when the request
 * is refused before its body is read. */
static int refuse_early(struct MHD_Connection *c, conn_req *cr, const char *url, const char *version,
                        sw_resp *resp)
{
    if (target_has_nul(cr, url, version)) {
        sw_resp_error(resp, SW_ERR_BAD_REQUEST, NULL, "the request target contains a NUL byte");
        return 1;
    }
    int big = declared_too_large(c);
    if (big == 1) cr->discard = 1;
    if (big == 2) {
        too_large(resp);
        return 1;
    }
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    sw_server *s = cls;
    conn_req *cr = *con_cls;
    if (!cr || !cr->began) {
        if (!cr) {
            cr = calloc(1, sizeof *cr);
            if (!cr) return MHD_NO;
            cr->metric = -1;
            *con_cls = cr;
        }
        cr->began = 1;
        cr->start_us = sw_time_mono_us();
        snprintf(cr->method, sizeof cr->method, "%s", method);
        snprintf(cr->path, sizeof cr->path, "%s", url);
        __atomic_add_fetch(&s->active, 1, __ATOMIC_ACQ_REL);
        sw_conn_guard_headers_done(s->guard, c);
        sw_resp early = {0};
        if (!refuse_early(c, cr, url, version, &early)) return MHD_YES;
        early.close = 1; /* MHD reads no body after an early answer: the connection ends */
        enum MHD_Result ret = send_resp(s, c, cr, &early);
        sw_metrics_observe(s->app->metrics, cr->metric, cr->status, sw_time_mono_us() - cr->start_us);
        cr->observed = 1;
        return ret;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (cr->discard) return MHD_YES;
        if (cr->len + n > SW_MAX_BODY) {
            /* a chunked body past the limit (a Content-Length one was refused at once): MHD
             * takes no answer in the middle of a body, so stop reading it — close */
            cr->status = 413;
            return MHD_NO;
        }
        if (cr->len + n + 1 > cr->cap) {
            size_t cap = cr->cap ? cr->cap : 4096;
            while (cap < cr->len + n + 1) cap *= 2;
            char *nb = realloc(cr->body, cap);
            if (!nb) return MHD_NO;
            cr->body = nb;
            cr->cap = cap;
        }
        memcpy(cr->body + cr->len, upload, n);
        cr->len += n;
        cr->body[cr->len] = 0;
        return MHD_YES;
    }
    sw_resp resp = {0};
    if (cr->discard) too_large(&resp); /* the body was read to the end and not kept */
    else for (int tries = 0;; tries++) {
        pthread_mutex_lock(&s->wmu);
        uint64_t seq0 = s->publish_seq;
        pthread_mutex_unlock(&s->wmu);
        handle(s, c, method, url, cr, &resp);
        if (resp.queued) {
            cr->upgraded = cr->status == 101; /* it lives on in sw_ws; shutdown must not wait for it as a request */
            if (cr->upgraded) __atomic_sub_fetch(&s->active, 1, __ATOMIC_ACQ_REL);
            return (enum MHD_Result)resp.queue_result;
        }
        if (resp.defer && cr->deferred) { /* suspended before the other thread can resume it */
            free(resp.body);
            cr->deferred->conn = c;
            MHD_suspend_connection(c);
            cr->deferred->start(cr->deferred);
            return MHD_YES;
        }
        if (!resp.suspend) break;
        /* Park it, unless an event arrived while the handler looked (then look again). */
        pthread_mutex_lock(&s->wmu);
        waiter *w = (!missed_event(s, seq0, cr->poll_tenant, &cr->poll) || tries >= 3) && !s->quiesced
                        ? calloc(1, sizeof *w)
                        : NULL;
        if (w) {
            w->conn = c;
            w->poll = &cr->poll;
            snprintf(w->tenant_id, sizeof w->tenant_id, "%s", cr->poll_tenant);
            w->deadline_us = cr->poll_deadline_us;
            w->next = s->waiters;
            s->waiters = w;
            MHD_suspend_connection(c);
            sw_metrics_sync(s->app->metrics, SW_SYNC_PARKED, 1);
            pthread_cond_signal(&s->wcv);
        }
        pthread_mutex_unlock(&s->wmu);
        if (w) {
            free(resp.body);
            return MHD_YES;
        }
        free(resp.body);
        memset(&resp, 0, sizeof resp);
        if (s->quiesced) cr->poll_deadline_us = 1; /* answer now */
    }
    enum MHD_Result ret = send_resp(s, c, cr, &resp);
    /* counted before the client can see the answer, so a /metrics read after it includes it */
    sw_metrics_observe(s->app->metrics, cr->metric, cr->status, sw_time_mono_us() - cr->start_us);
    cr->observed = 1;
    free((char *)resp.allow);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    sw_server *s = cls;
    conn_req *cr = *con_cls;
    if (!cr) return;
    int64_t us = sw_time_mono_us() - cr->start_us;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
    int status = cr->status ? cr->status : (ci ? (int)ci->http_status : 0);
    if (!cr->observed) sw_metrics_observe(s->app->metrics, cr->metric, status, us);
    /* The path has no query string, so a ?token= never reaches the log. */
    if (s->app->cfg.access_log) sw_log_access(cr->method, cr->path, status, us);
    sw_conn_guard_request_done(s->guard, c, cr->upgraded);
    int counted = cr->began && !cr->upgraded;
    free(cr->poll.rooms);
    if (cr->deferred) cr->deferred->release(cr->deferred);
    free(cr->body);
    free(cr);
    *con_cls = NULL;
    if (counted) __atomic_sub_fetch(&s->active, 1, __ATOMIC_ACQ_REL);
}

/* The rooms a WebSocket client may see events of. */
static int ws_rooms_of(void *arg, const char *tenant_id, const char *participant_id, char (*out)[40], int max)
{
    sw_app *app = arg;
    return sw_rooms_joined_into(&app->rooms, tenant_id, participant_id, out, max);
}

static int cmp_room(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Whether a stored event of tenant_id in room_id (target: the participant a membership event
 * names) is one a parked long-poll of poll_tenant with interest p would answer with. */
static int concerns(const char *poll_tenant, const sw_poll_interest *p, const char *tenant_id,
                    const char *room_id, const char *target)
{
    if (strcmp(poll_tenant, tenant_id) != 0) return 0;
    if (target[0] && strcmp(target, p->participant_id) == 0) return 1; /* joined (or left) a room */
    return p->nrooms > 0 && bsearch(room_id, p->rooms, (size_t)p->nrooms, sizeof *p->rooms, cmp_room) != NULL;
}

/* Under wmu: did an event that concerns the poll arrive after seq0 (or too many to tell)? */
static int missed_event(sw_server *s, uint64_t seq0, const char *tenant_id, const sw_poll_interest *p)
{
    if (s->publish_seq - seq0 > RECENT) return 1;
    for (uint64_t q = seq0 + 1; q <= s->publish_seq; q++) {
        const recent_event *r = &s->recent[q % RECENT];
        if (concerns(tenant_id, p, r->tenant_id, r->room_id, r->target)) return 1;
    }
    return 0;
}

/* A stored bus event: resume only the parked requests it concerns (they look again from their
 * position). Ephemeral events (chunks, status) are never in /v1/sync and wake nobody. */
static void on_event(void *arg, sw_event *ev)
{
    sw_server *s = arg;
    if (ev->stream_position <= 0) return;
    const char *target = "";
    if (strcmp(ev->type, "swp.room.member") == 0) {
        const char *t = json_string_value(json_object_get(ev->content, "participant_id"));
        if (t) target = t;
    }
    pthread_mutex_lock(&s->wmu);
    recent_event *r = &s->recent[++s->publish_seq % RECENT];
    r->seq = s->publish_seq;
    snprintf(r->tenant_id, sizeof r->tenant_id, "%s", ev->tenant_id);
    snprintf(r->room_id, sizeof r->room_id, "%s", ev->room_id);
    snprintf(r->target, sizeof r->target, "%s", target);
    for (waiter **pw = &s->waiters; *pw;) {
        waiter *w = *pw;
        if (concerns(w->tenant_id, w->poll, ev->tenant_id, ev->room_id, target)) {
            *pw = w->next;
            sw_metrics_sync(s->app->metrics, SW_SYNC_WAKES, 1);
            sw_metrics_sync(s->app->metrics, SW_SYNC_PARKED, -1);
            MHD_resume_connection(w->conn);
            free(w);
        } else {
            pw = &w->next;
        }
    }
    pthread_mutex_unlock(&s->wmu);
}

void sw_req_resume(sw_deferred *d)
{
    MHD_resume_connection(d->conn);
}

/* Resumes parked requests whose deadline passed (they answer with what they have). */
static void *timer_main(void *arg)
{
    sw_server *s = arg;
    pthread_mutex_lock(&s->wmu);
    while (!s->stop_timer) {
        int64_t now = sw_time_mono_us(), next = now + 1000000;
        for (waiter **pw = &s->waiters; *pw;) {
            waiter *w = *pw;
            if (w->deadline_us <= now || s->quiesced) {
                *pw = w->next;
                sw_metrics_sync(s->app->metrics, SW_SYNC_PARKED, -1);
                MHD_resume_connection(w->conn);
                free(w);
            } else {
                if (w->deadline_us < next) next = w->deadline_us;
                pw = &w->next;
            }
        }
        struct timespec ts = sw_time_after_us(CLOCK_REALTIME, next - now);
        pthread_cond_timedwait(&s->wcv, &s->wmu, &ts);
    }
    pthread_mutex_unlock(&s->wmu);
    return NULL;
}

/* URL unescaping as MHD does it, except that a path or argument containing %00 is left
 * escaped: a NUL would silently cut the string short ("/v1/me%00x" must not become "/v1/me"). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    for (const char *p = s; (p = strchr(p, '%')); p++)
        if (p[1] == '0' && p[2] == '0') return strlen(s);
    return MHD_http_unescape(s);
}

sw_server *sw_server_start(sw_app *app, char *err, size_t errlen)
{
    sw_server *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->app = app;
    pthread_mutex_init(&s->wmu, NULL);
    pthread_cond_init(&s->wcv, NULL);
    sw_router_init(sw_routes, sw_routes_count, app->metrics);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)app->cfg.port)};
    if (inet_pton(AF_INET, app->cfg.bind, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "--bind: \"%s\" is not an IPv4 address", app->cfg.bind);
        free(s);
        return NULL;
    }
    s->guard = sw_conn_guard_new(app->cfg.header_timeout_s);
    if (!s->guard) {
        snprintf(err, errlen, "cannot start the connection guard thread");
        free(s);
        return NULL;
    }
    struct MHD_OptionItem ops[20];
    int k = 0;
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &addr};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, NULL};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)sw_conn_guard_notify, s->guard};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, app->cfg.max_connections, NULL};
    /* one address cannot take every slot (slow clients): MHD closes its extra connections */
    if (app->cfg.max_connections_per_ip > 0)
        ops[k++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, app->cfg.max_connections_per_ip,
                                           NULL};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32 * 1024, NULL};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    if (app->cfg.threads >= 2)
        ops[k++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, app->cfg.threads, NULL};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    /* WebSockets count against MHD's connection limit: keep headroom for plain HTTP, or every
     * request would hang once the sockets fill it. */
    int mc = app->cfg.max_connections;
    s->ws = sw_ws_new(app->bus, ws_rooms_of, app, mc > 512 ? mc - 256 : mc / 2);
    if (!s->ws) SW_WARN("the WebSocket endpoint could not start; /v1/stream answers 503");
    /* MHD_USE_TURBO: opportunistic reads and writes, and no shutdown() before close — which lets
     * sw_ws keep an upgraded socket (a duplicate) after MHD has released its side of it. */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_UPGRADE | MHD_USE_TURBO;
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot listen on %s:%d (port in use, or no permission)", app->cfg.bind,
                 app->cfg.port);
        sw_ws_free(s->ws);
        sw_conn_guard_free(s->guard);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : app->cfg.port;
    s->bus_sub = app->bus ? sw_bus_subscribe(app->bus, on_event, s) : -1;
    pthread_create(&s->timer, NULL, timer_main, s);
    return s;
}

int sw_server_port(const sw_server *s)
{
    return s->port;
}

void sw_server_quiesce(sw_server *s)
{
    if (s->quiesced) return;
    pthread_mutex_lock(&s->wmu);
    s->quiesced = 1; /* parked long-polls are resumed by the timer and answer at once */
    pthread_cond_signal(&s->wcv);
    pthread_mutex_unlock(&s->wmu);
    __atomic_store_n(&s->app->draining, 1, __ATOMIC_RELAXED);
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    (void)fd; /* the listening socket stays open until stop; nobody accepts on it */
}

int sw_server_wait_idle(sw_server *s, int timeout_ms)
{
    int64_t end = sw_time_mono_us() + (int64_t)timeout_ms * 1000;
    int n;
    while ((n = __atomic_load_n(&s->active, __ATOMIC_ACQUIRE)) > 0 && sw_time_mono_us() < end) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return n;
}

void sw_server_stop(sw_server *s)
{
    if (!s) return;
    if (s->bus_sub > 0) sw_bus_unsubscribe(s->app->bus, s->bus_sub);
    pthread_mutex_lock(&s->wmu);
    s->stop_timer = 1;
    s->quiesced = 1;
    for (waiter *w = s->waiters, *n; w; w = n) { /* MHD must not stop with parked requests */
        n = w->next;
        sw_metrics_sync(s->app->metrics, SW_SYNC_PARKED, -1);
        MHD_resume_connection(w->conn);
        free(w);
    }
    s->waiters = NULL;
    pthread_cond_signal(&s->wcv);
    pthread_mutex_unlock(&s->wmu);
    pthread_join(s->timer, NULL);
    sw_login_drain(s->app->login); /* sign-ins on the verifier threads resume their requests */
    sw_ws_free(s->ws); /* closes the sockets (1001) before MHD stops, as MHD requires */
    MHD_stop_daemon(s->d);
    sw_conn_guard_free(s->guard); /* after MHD: every connection is closed */
    pthread_mutex_destroy(&s->wmu);
    pthread_cond_destroy(&s->wcv);
    free(s);
}
