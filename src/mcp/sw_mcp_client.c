/* sw_mcp_client: one MCP client session over a transport (see sw_mcp_client.h). Owns the table of
 * requests in flight (one condition variable each, ids from a counter, the id doubling as the
 * progressToken), the dispatch of every incoming message (answers, progress, list_changed, the
 * server's own requests), the initialize handshake and the session's end. */
#include "mcp/sw_mcp_client.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/sw_log.h"
#include "mcp/sw_jsonrpc.h"
#include "mcp/sw_mcp_transport.h"

const char *const SW_MCP_PROTOCOLS[] = {"2025-11-25", "2025-06-18", "2025-03-26", NULL};

#define SW_MCP_DEFAULT_TIMEOUT_MS 30000
#define SW_MCP_CANCEL_POLL_MS 50
#define SW_MCP_MAX_PAGES 100

typedef struct pend {
    struct pend *next;
    int64_t id;
    pthread_cond_t cv;
    json_t *msg;         /* the answer (a ref), once it came */
    sw_mcp_status st;    /* set when it ended without an answer (CLOSED, TOO_BIG) */
    int done;
    int64_t last_ms;     /* when it was sent or the last progress for it came */
    char reason[256];    /* st == IO: why the transport could not get an answer */
} pend;

struct sw_mcp_client {
    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when inflight drops */
    sw_mcp_transport *t;
    sw_mcp_events ev;
    sw_mcp_transport_kind kind;
    pend *pending;
    int64_t next_id;
    int inflight;
    int connected, closed, closing;
    char why[256];
    char protocol[32];
    json_t *server_info;
    char name[128];
    /* on_tools_changed runs on its own thread, so it may make requests (a reader thread that
     * waited for its own answer would never read it) */
    pthread_t notifier;
    pthread_cond_t notify;
    int changed, notifier_stop, have_notifier;
    int (*cancelled)(void *arg); /* sw_mcp_config's: for initialize and tools/list */
    void *cancel_arg;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void abs_time(int64_t ms, struct timespec *ts)
{
    ts->tv_sec = ms / 1000;
    ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

static pend *find_locked(sw_mcp_client *c, int64_t id)
{
    for (pend *p = c->pending; p; p = p->next)
        if (p->id == id) return p;
    return NULL;
}

static void unlink_locked(sw_mcp_client *c, pend *p)
{
    for (pend **pp = &c->pending; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

static void end_all_locked(sw_mcp_client *c, sw_mcp_status st)
{
    for (pend *p = c->pending; p; p = p->next)
        if (!p->done) {
            p->done = 1;
            p->st = st;
            pthread_cond_signal(&p->cv);
        }
}

static int id_of(const json_t *id, int64_t *out)
{
    if (!json_is_integer(id)) return 0;
    *out = json_integer_value(id);
    return 1;
}

static void on_answer(sw_mcp_client *c, json_t *msg, const json_t *id)
{
    int64_t n;
    pthread_mutex_lock(&c->mu);
    pend *p = id_of(id, &n) ? find_locked(c, n) : NULL;
    if (p && !p->done) {
        p->msg = json_incref(msg);
        p->done = 1;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&c->mu);
    if (!p) SW_DEBUG("mcp %s: an answer for no request in flight", c->name);
}

static void on_progress(sw_mcp_client *c, const json_t *params)
{
    int64_t n;
    if (!id_of(json_object_get(params, "progressToken"), &n)) return;
    pthread_mutex_lock(&c->mu);
    pend *p = find_locked(c, n);
    if (p) p->last_ms = mono_ms();
    pthread_mutex_unlock(&c->mu);
}

/* The server's own requests: ping answers {}, anything else is a method this client does not
 * offer (it declares no capability). */
static void on_server_request(sw_mcp_client *c, const sw_rpc_msg *m)
{
    json_t *ans = strcmp(m->method, "ping") == 0
                      ? sw_rpc_result(m->id, json_object())
                      : sw_rpc_error(m->id, SW_RPC_METHOD_NOT_FOUND, "Method not found", NULL);
    char err[160];
    if (ans && c->t->ops->send(c->t, ans, err, sizeof err) != 0)
        SW_WARN("mcp %s: could not answer the server's %s: %s", c->name, m->method, err);
    json_decref(ans);
}

static void sink_message(void *arg, json_t *msg)
{
    sw_mcp_client *c = arg;
    sw_rpc_msg m;
    switch (sw_rpc_classify(msg, &m)) {
    case SW_RPC_RESULT:
    case SW_RPC_ERROR:
        if (json_is_null(m.id)) SW_WARN("mcp %s: the server sent an error without an id: %s", c->name, m.error_message);
        else on_answer(c, msg, m.id);
        break;
    case SW_RPC_NOTIFICATION:
        if (strcmp(m.method, "notifications/progress") == 0) on_progress(c, m.params);
        else if (strcmp(m.method, "notifications/tools/list_changed") == 0) {
            pthread_mutex_lock(&c->mu);
            c->changed = 1;
            pthread_cond_signal(&c->notify);
            pthread_mutex_unlock(&c->mu);
        }
        break;
    case SW_RPC_REQUEST:
        on_server_request(c, &m);
        break;
    default:
        SW_WARN("mcp %s: the server sent a message that is not JSON-RPC: %s", c->name, m.reason);
    }
}

static void sink_too_big(void *arg, const json_t *id)
{
    sw_mcp_client *c = arg;
    int64_t n;
    pthread_mutex_lock(&c->mu);
    pend *p = id_of(id, &n) ? find_locked(c, n) : NULL;
    if (!p && !id && c->pending && !c->pending->next) p = c->pending; /* the one in flight */
    if (p && !p->done) {
        p->done = 1;
        p->st = SW_MCP_TOO_BIG;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&c->mu);
    SW_WARN("mcp %s: a message from the server was over the size limit and was dropped", c->name);
}

static void sink_failed(void *arg, const json_t *id, const char *why)
{
    sw_mcp_client *c = arg;
    int64_t n;
    pthread_mutex_lock(&c->mu);
    pend *p = id_of(id, &n) ? find_locked(c, n) : NULL;
    if (p && !p->done) {
        p->done = 1;
        p->st = SW_MCP_IO;
        snprintf(p->reason, sizeof p->reason, "%s", why);
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&c->mu);
}

static void sink_closed(void *arg, const char *why)
{
    sw_mcp_client *c = arg;
    pthread_mutex_lock(&c->mu);
    int tell = !c->closed && !c->closing && c->connected;
    c->closed = 1;
    snprintf(c->why, sizeof c->why, "%s", why ? why : "the transport ended");
    end_all_locked(c, SW_MCP_CLOSED);
    pthread_mutex_unlock(&c->mu);
    SW_INFO("mcp %s: the session ended: %s", c->name, c->why);
    if (tell && c->ev.on_closed) c->ev.on_closed(c->ev.arg, c->why);
}

static void send_cancelled(sw_mcp_client *c, int64_t id, const char *reason)
{
    json_t *n = sw_rpc_notification("notifications/cancelled",
                                    json_pack("{s:I,s:s}", "requestId", (json_int_t)id, "reason", reason));
    char err[160];
    if (n && c->t->ops->send(c->t, n, err, sizeof err) != 0)
        SW_DEBUG("mcp %s: could not send notifications/cancelled: %s", c->name, err);
    json_decref(n);
}

/* params gets _meta.progressToken = id; returns params (or a new {} for NULL), NULL if not an object. */
static json_t *with_token(json_t *params, int64_t id)
{
    if (!params) params = json_object();
    if (!json_is_object(params)) return params;
    json_t *meta = json_object_get(params, "_meta");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(params, "_meta", meta);
    }
    json_object_set_new(meta, "progressToken", json_integer(id));
    return params;
}

/* Waits for p under c->mu (held); returns how it ended without an answer, or OK. */
static sw_mcp_status wait_locked(sw_mcp_client *c, pend *p, const sw_mcp_call_opts *o, int64_t start)
{
    int to = o && o->timeout_ms > 0 ? o->timeout_ms : SW_MCP_DEFAULT_TIMEOUT_MS;
    int cap = o && o->max_timeout_ms > 0 ? o->max_timeout_ms : to;
    while (!p->done) {
        int64_t now = mono_ms();
        int64_t deadline = p->last_ms + to;
        if (deadline > start + cap) deadline = start + cap;
        if (now >= deadline) return SW_MCP_TIMEOUT;
        if (o && o->cancelled) {
            pthread_mutex_unlock(&c->mu);
            int stop = o->cancelled(o->cancel_arg);
            pthread_mutex_lock(&c->mu);
            if (stop && !p->done) return SW_MCP_CANCELLED;
            if (p->done) break;
            if (deadline > now + SW_MCP_CANCEL_POLL_MS) deadline = now + SW_MCP_CANCEL_POLL_MS;
        }
        struct timespec ts;
        abs_time(deadline, &ts);
        pthread_cond_timedwait(&p->cv, &c->mu, &ts);
    }
    return p->msg ? SW_MCP_OK : p->st;
}

static sw_mcp_status answer_of(json_t *msg, json_t **out, char *err, size_t errlen)
{
    sw_rpc_msg m;
    sw_rpc_kind k = sw_rpc_classify(msg, &m);
    if (k == SW_RPC_RESULT) {
        *out = json_incref((json_t *)m.result);
        return SW_MCP_OK;
    }
    *out = json_incref(json_object_get(msg, "error"));
    snprintf(err, errlen, "JSON-RPC error %lld: %s", (long long)m.error_code, m.error_message);
    return SW_MCP_RPC_ERROR;
}

static void say(char *err, size_t errlen, sw_mcp_status st, const sw_mcp_client *c, const char *method)
{
    switch (st) {
    case SW_MCP_TIMEOUT: snprintf(err, errlen, "%s: no answer in time (cancelled)", method); break;
    case SW_MCP_CANCELLED: snprintf(err, errlen, "%s: cancelled", method); break;
    case SW_MCP_CLOSED: snprintf(err, errlen, "%s: the session ended: %s", method, c->why[0] ? c->why : "closed"); break;
    case SW_MCP_TOO_BIG: snprintf(err, errlen, "%s: the answer was over the size limit", method); break;
    default: break;
    }
}

sw_mcp_status sw_mcp_client_request(sw_mcp_client *c, const char *method, json_t *params,
                                    const sw_mcp_call_opts *opts, json_t **out, char *err, size_t errlen)
{
    char scratch[8];
    if (!err || !errlen) err = scratch, errlen = sizeof scratch;
    err[0] = '\0';
    *out = NULL;
    pend p = {0};
    pthread_mutex_lock(&c->mu);
    if (c->closed || c->closing) {
        say(err, errlen, SW_MCP_CLOSED, c, method);
        pthread_mutex_unlock(&c->mu);
        json_decref(params);
        return SW_MCP_CLOSED;
    }
    p.id = ++c->next_id;
    c->inflight++;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p.cv, &ca);
    pthread_condattr_destroy(&ca);
    int64_t start = p.last_ms = mono_ms();
    p.next = c->pending;
    c->pending = &p;
    pthread_mutex_unlock(&c->mu);

    json_t *id = json_integer(p.id);
    json_t *msg = sw_rpc_request(id, method, with_token(params, p.id));
    json_decref(id);
    sw_mcp_status st = SW_MCP_IO;
    if (!msg) snprintf(err, errlen, "%s: out of memory", method);
    else if (c->t->ops->send(c->t, msg, err, errlen) == 0) st = SW_MCP_OK;
    json_decref(msg);

    pthread_mutex_lock(&c->mu);
    if (st == SW_MCP_OK) st = wait_locked(c, &p, opts, start);
    else if (p.done && p.st == SW_MCP_CLOSED) st = SW_MCP_CLOSED;
    unlink_locked(c, &p);
    pthread_mutex_unlock(&c->mu);

    if (st == SW_MCP_TIMEOUT || st == SW_MCP_CANCELLED)
        send_cancelled(c, p.id, st == SW_MCP_TIMEOUT ? "timed out" : "cancelled by the caller");
    if (st == SW_MCP_OK) st = answer_of(p.msg, out, err, errlen);
    else if (st == SW_MCP_IO && p.reason[0]) snprintf(err, errlen, "%s", p.reason);
    else if (st != SW_MCP_IO) say(err, errlen, st, c, method);
    json_decref(p.msg);
    pthread_cond_destroy(&p.cv);

    pthread_mutex_lock(&c->mu);
    if (--c->inflight == 0) pthread_cond_broadcast(&c->idle);
    pthread_mutex_unlock(&c->mu);
    return st;
}

sw_mcp_status sw_mcp_client_list_tools(sw_mcp_client *c, int timeout_ms, json_t **tools, char *err, size_t errlen)
{
    json_t *all = json_array();
    char *cursor = NULL;
    sw_mcp_call_opts o = {.timeout_ms = timeout_ms, .cancelled = c->cancelled, .cancel_arg = c->cancel_arg};
    *tools = NULL;
    for (int page = 0; page < SW_MCP_MAX_PAGES; page++) {
        json_t *params = cursor ? json_pack("{s:s}", "cursor", cursor) : NULL;
        free(cursor);
        cursor = NULL;
        json_t *res = NULL;
        sw_mcp_status st = sw_mcp_client_request(c, "tools/list", params, &o, &res, err, errlen);
        if (st != SW_MCP_OK) {
            json_decref(res);
            json_decref(all);
            return st;
        }
        json_t *list = json_object_get(res, "tools");
        if (!json_is_array(list)) {
            snprintf(err, errlen, "tools/list: the answer has no \"tools\" array");
            json_decref(res);
            json_decref(all);
            return SW_MCP_IO;
        }
        json_array_extend(all, list);
        const char *next = json_string_value(json_object_get(res, "nextCursor"));
        if (next && *next) cursor = strdup(next);
        json_decref(res);
        if (!cursor) {
            *tools = all;
            return SW_MCP_OK;
        }
    }
    free(cursor);
    json_decref(all);
    snprintf(err, errlen, "tools/list: more than %d pages", SW_MCP_MAX_PAGES);
    return SW_MCP_IO;
}

static int speaks(const char *v)
{
    for (int i = 0; v && SW_MCP_PROTOCOLS[i]; i++)
        if (strcmp(v, SW_MCP_PROTOCOLS[i]) == 0) return 1;
    return 0;
}

static json_t *init_params(void)
{
    return json_pack("{s:s,s:{},s:{s:s,s:s}}", "protocolVersion", SW_MCP_PROTOCOLS[0], "capabilities",
                     "clientInfo", "name", "scaiwave-c", "version", "1.0");
}

/* initialize + notifications/initialized; 0 or -1 with err. */
static int handshake(sw_mcp_client *c, int timeout_ms, char *err, size_t errlen)
{
    sw_mcp_call_opts o = {.timeout_ms = timeout_ms > 0 ? timeout_ms : SW_MCP_DEFAULT_TIMEOUT_MS,
                          .cancelled = c->cancelled, .cancel_arg = c->cancel_arg};
    json_t *res = NULL;
    char why[256];
    sw_mcp_status st = sw_mcp_client_request(c, "initialize", init_params(), &o, &res, why, sizeof why);
    if (st == SW_MCP_IO) { /* could not send: when the transport ended, that is the reason */
        char gone[256];
        c->t->ops->why_closed(c->t, gone, sizeof gone);
        pthread_mutex_lock(&c->mu);
        if (gone[0] && !c->why[0]) snprintf(c->why, sizeof c->why, "%s", gone);
        if (gone[0]) st = SW_MCP_CLOSED;
        pthread_mutex_unlock(&c->mu);
    }
    if (st == SW_MCP_CLOSED) {
        snprintf(err, errlen, "%s%s before answering initialize", c->kind == SW_MCP_STDIO ? "the command " : "",
                 c->why);
        return -1;
    }
    if (st != SW_MCP_OK) {
        snprintf(err, errlen, "%s", why);
        json_decref(res);
        return -1;
    }
    const char *v = json_string_value(json_object_get(res, "protocolVersion"));
    if (!speaks(v)) {
        snprintf(err, errlen, "the server answered protocol revision %.40s, which this client does not speak "
                 "(it speaks %s, %s, %s)", v ? v : "(none)", SW_MCP_PROTOCOLS[0], SW_MCP_PROTOCOLS[1], SW_MCP_PROTOCOLS[2]);
        json_decref(res);
        return -1;
    }
    snprintf(c->protocol, sizeof c->protocol, "%s", v);
    c->server_info = res;
    c->t->ops->ready(c->t, c->protocol);
    json_t *n = sw_rpc_notification("notifications/initialized", NULL);
    int rc = n ? c->t->ops->send(c->t, n, err, errlen) : -1;
    json_decref(n);
    return rc;
}

static void *notifier_main(void *arg)
{
    sw_mcp_client *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->changed && !c->notifier_stop) pthread_cond_wait(&c->notify, &c->mu);
        if (c->notifier_stop) break;
        c->changed = 0;
        int tell = c->connected && !c->closing;
        pthread_mutex_unlock(&c->mu);
        if (tell && c->ev.on_tools_changed) c->ev.on_tools_changed(c->ev.arg);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static void notifier_stop(sw_mcp_client *c)
{
    if (!c->have_notifier) return;
    pthread_mutex_lock(&c->mu);
    c->notifier_stop = 1;
    pthread_cond_signal(&c->notify);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->notifier, NULL);
    c->have_notifier = 0;
}

static void client_free(sw_mcp_client *c)
{
    pthread_cond_destroy(&c->notify);
    json_decref(c->server_info);
    pthread_cond_destroy(&c->idle);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

sw_mcp_client *sw_mcp_client_connect(const sw_mcp_config *cfg, const sw_mcp_events *ev, char *err, size_t errlen)
{
    sw_mcp_client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->idle, NULL);
    pthread_cond_init(&c->notify, NULL);
    if (ev) c->ev = *ev;
    c->kind = cfg->transport;
    c->cancelled = cfg->cancelled;
    c->cancel_arg = cfg->cancel_arg;
    snprintf(c->name, sizeof c->name, "%s", cfg->log_name ? cfg->log_name : "(unnamed)");
    sw_mcp_sink sink = {.on_message = sink_message, .on_too_big = sink_too_big, .on_closed = sink_closed,
                        .on_failed = sink_failed, .arg = c};
    if (pthread_create(&c->notifier, NULL, notifier_main, c) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        client_free(c);
        return NULL;
    }
    c->have_notifier = 1;
    c->t = cfg->transport == SW_MCP_HTTP ? sw_mcp_http_open(cfg, &sink, err, errlen)
                                         : sw_mcp_stdio_open(cfg, &sink, err, errlen);
    if (!c->t) {
        notifier_stop(c);
        client_free(c);
        return NULL;
    }
    int rc = handshake(c, cfg->connect_timeout_ms, err, errlen);
    pthread_mutex_lock(&c->mu);
    if (rc == 0 && c->closed) {
        snprintf(err, errlen, "the session ended right after initialize: %s", c->why);
        rc = -1;
    }
    if (rc == 0) c->connected = 1;
    pthread_mutex_unlock(&c->mu);
    if (rc != 0) {
        c->closing = 1;
        c->t->ops->shutdown(c->t);
        c->t->ops->free(c->t);
        notifier_stop(c);
        client_free(c);
        return NULL;
    }
    SW_INFO("mcp %s: connected (protocol %s)", c->name, c->protocol);
    return c;
}

const char *sw_mcp_client_protocol(const sw_mcp_client *c)
{
    return c->protocol;
}

const json_t *sw_mcp_client_server_info(const sw_mcp_client *c)
{
    return c->server_info;
}

pid_t sw_mcp_client_pid(const sw_mcp_client *c)
{
    return c->t->ops->pid(c->t);
}

void sw_mcp_client_close(sw_mcp_client *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->closing = 1;
    if (!c->why[0]) snprintf(c->why, sizeof c->why, "the client closed the session");
    end_all_locked(c, SW_MCP_CLOSED);
    pthread_mutex_unlock(&c->mu);
    c->t->ops->shutdown(c->t); /* blocked sends return; no sink call after this */
    notifier_stop(c);          /* a running on_tools_changed finishes first */
    pthread_mutex_lock(&c->mu);
    while (c->inflight > 0) pthread_cond_wait(&c->idle, &c->mu);
    pthread_mutex_unlock(&c->mu);
    c->t->ops->free(c->t);
    client_free(c);
}
