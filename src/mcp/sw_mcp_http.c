/* sw_mcp_http: the MCP Streamable HTTP transport (libcurl). Owns the transport's life: the URL
 * checked against the outbound-address policy, the configured headers (secrets: never logged,
 * wiped when freed), the session id and protocol revision every later exchange carries, the one
 * loop thread that drives every exchange on a curl multi handle (sends only queue, so many
 * threads may send at once and a request's wait stays the client's), cancellations that drop a
 * request's stream, the optional GET stream opened after initialize, the session lost on 404,
 * and the DELETE of the session at the end. One exchange: sw_mcp_http_xfer.c. */
#include "mcp/sw_mcp_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/sw_log.h"
#include "mcp/sw_jsonrpc.h"

#define POLL_MAX_MS 1000
#define DELETE_TIMEOUT_MS 3000L
#define DEFAULT_MAX_MESSAGE ((size_t)4 << 20)

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sw_mcp_http_stopping(http_t *h)
{
    pthread_mutex_lock(&h->mu);
    int s = h->stopping;
    pthread_mutex_unlock(&h->mu);
    return s;
}

void sw_mcp_http_queue(http_t *h, xfer *x)
{
    pthread_mutex_lock(&h->mu);
    if (h->stopping) {
        pthread_mutex_unlock(&h->mu);
        sw_mcp_xfer_free(x);
        return;
    }
    xfer **pp = &h->queue; /* in order: messages leave in the order they were sent */
    while (*pp) pp = &(*pp)->next;
    x->next = NULL;
    *pp = x;
    pthread_mutex_unlock(&h->mu);
    curl_multi_wakeup(h->m);
}

void sw_mcp_http_lost(http_t *h, const char *why)
{
    pthread_mutex_lock(&h->mu);
    int tell = !h->closed;
    h->closed = h->session_lost = 1;
    if (tell) snprintf(h->why, sizeof h->why, "%s", why);
    pthread_mutex_unlock(&h->mu);
    if (tell) h->sink.on_closed(h->sink.arg, why);
}

/* ---- the loop thread ---- */

typedef struct loop_t {
    xfer *waiting; /* scheduled for later */
    xfer *active;  /* in the multi handle */
} loop_t;

static void list_remove(xfer **l, xfer *x)
{
    for (xfer **pp = l; *pp; pp = &(*pp)->next)
        if (*pp == x) {
            *pp = x->next;
            return;
        }
}

static void start(http_t *h, loop_t *L, xfer *x)
{
    if (curl_multi_add_handle(h->m, x->e) != CURLM_OK) {
        sw_mcp_xfer_done(x, CURLE_FAILED_INIT);
        return;
    }
    x->next = L->active;
    L->active = x;
}

/* Drops the exchanges of the requests the client gave up on (it sent notifications/cancelled). */
static void drop_cancelled(http_t *h, loop_t *L, json_t *ids)
{
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) {
        xfer **lists[] = {&L->active, &L->waiting};
        for (int k = 0; k < 2; k++)
            for (xfer *x = *lists[k], *nx; x; x = nx) {
                nx = x->next;
                if (!x->id || !json_equal(x->id, id)) continue;
                list_remove(lists[k], x);
                if (k == 0) curl_multi_remove_handle(h->m, x->e);
                sw_mcp_xfer_free(x);
            }
    }
}

/* Takes what was queued and starts what is due; returns the poll timeout. */
static int schedule(http_t *h, loop_t *L)
{
    pthread_mutex_lock(&h->mu);
    xfer *q = h->queue;
    h->queue = NULL;
    json_t *cancels = h->cancels;
    h->cancels = NULL;
    pthread_mutex_unlock(&h->mu);
    if (cancels) {
        drop_cancelled(h, L, cancels);
        json_decref(cancels);
    }
    while (q) {
        xfer *x = q;
        q = q->next;
        x->next = L->waiting;
        L->waiting = x;
    }
    int64_t now = mono_ms(), next = now + POLL_MAX_MS;
    /* the waiting list is newest first: start the oldest due ones first */
    xfer *due = NULL;
    for (xfer *x = L->waiting, *nx; x; x = nx) {
        nx = x->next;
        if (x->due_ms <= now) {
            list_remove(&L->waiting, x);
            x->next = due;
            due = x;
        } else if (x->due_ms < next) {
            next = x->due_ms;
        }
    }
    while (due) {
        xfer *x = due;
        due = due->next;
        start(h, L, x);
    }
    return (int)(next - now);
}

static void *loop_main(void *arg)
{
    http_t *h = arg;
    loop_t L = {0};
    while (!sw_mcp_http_stopping(h)) {
        int timeout = schedule(h, &L);
        int running = 0;
        curl_multi_perform(h->m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(h->m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            CURLcode cr = msg->data.result;
            xfer *x = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
            curl_multi_remove_handle(h->m, e);
            list_remove(&L.active, x);
            sw_mcp_xfer_done(x, cr); /* may queue a follow-up */
        }
        pthread_mutex_lock(&h->mu);
        int more = h->queue || h->cancels;
        pthread_mutex_unlock(&h->mu);
        if (!more) curl_multi_poll(h->m, NULL, 0, timeout > 0 ? timeout : 1, NULL);
    }
    for (xfer *x = L.active, *nx; x; x = nx) {
        nx = x->next;
        curl_multi_remove_handle(h->m, x->e);
        sw_mcp_xfer_free(x);
    }
    for (xfer *x = L.waiting, *nx; x; x = nx) {
        nx = x->next;
        sw_mcp_xfer_free(x);
    }
    return NULL;
}

/* ---- the ops ---- */

static int http_send(sw_mcp_transport *base, const json_t *msg, char *err, size_t errlen)
{
    http_t *h = (http_t *)base;
    sw_rpc_msg m;
    sw_rpc_kind k = sw_rpc_classify(msg, &m);
    pthread_mutex_lock(&h->mu);
    int gone = h->closed || h->stopping;
    if (gone) snprintf(err, errlen, "the session ended: %s", h->why[0] ? h->why : "closed");
    if (!gone && k == SW_RPC_NOTIFICATION && strcmp(m.method, "notifications/cancelled") == 0) {
        const json_t *rid = json_object_get(m.params, "requestId");
        if (rid) {
            if (!h->cancels) h->cancels = json_array();
            json_array_append(h->cancels, (json_t *)rid);
        }
    }
    pthread_mutex_unlock(&h->mu);
    if (gone) return -1;
    char *body = sw_rpc_dump(msg, NULL);
    xfer *x = body ? sw_mcp_xfer_new(h, k == SW_RPC_REQUEST ? XF_REQUEST : XF_OTHER,
                                     k == SW_RPC_REQUEST ? m.id : NULL, body, NULL)
                   : NULL;
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sw_mcp_http_queue(h, x);
    return 0;
}

static void http_ready(sw_mcp_transport *base, const char *protocol)
{
    http_t *h = (http_t *)base;
    pthread_mutex_lock(&h->mu);
    snprintf(h->protocol, sizeof h->protocol, "%s", protocol);
    pthread_mutex_unlock(&h->mu);
    xfer *x = sw_mcp_xfer_new(h, XF_LISTEN, NULL, NULL, NULL); /* the optional GET stream */
    if (x) sw_mcp_http_queue(h, x);
}

static void http_why(sw_mcp_transport *base, char *why, size_t len)
{
    http_t *h = (http_t *)base;
    pthread_mutex_lock(&h->mu);
    snprintf(why, len, "%s", h->closed ? h->why : "");
    pthread_mutex_unlock(&h->mu);
}

static pid_t http_pid(const sw_mcp_transport *base)
{
    (void)base;
    return 0;
}

static size_t discard(char *b, size_t size, size_t n, void *arg)
{
    (void)b, (void)arg;
    return size * n;
}

/* DELETE of the session (best effort): the server may free it at once. */
static void delete_session(http_t *h)
{
    xfer *x = sw_mcp_xfer_new(h, XF_OTHER, NULL, NULL, NULL);
    if (!x) return;
    curl_easy_setopt(x->e, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(x->e, CURLOPT_TIMEOUT_MS, DELETE_TIMEOUT_MS);
    curl_easy_setopt(x->e, CURLOPT_HEADERFUNCTION, discard);
    curl_easy_setopt(x->e, CURLOPT_WRITEFUNCTION, discard);
    CURLcode cr = curl_easy_perform(x->e);
    long status = 0;
    curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &status);
    if (cr != CURLE_OK) SW_DEBUG("mcp %s: DELETE of the session failed: %s", h->name, curl_easy_strerror(cr));
    else SW_DEBUG("mcp %s: DELETE of the session: HTTP %ld", h->name, status);
    sw_mcp_xfer_free(x);
}

static void http_shutdown(sw_mcp_transport *base)
{
    http_t *h = (http_t *)base;
    pthread_mutex_lock(&h->mu);
    int was = h->stopping;
    h->stopping = 1;
    if (!h->why[0]) snprintf(h->why, sizeof h->why, "the client closed the session");
    pthread_mutex_unlock(&h->mu);
    if (was) return;
    curl_multi_wakeup(h->m);
    if (h->have_loop) pthread_join(h->loop, NULL);
    h->have_loop = 0;
    if (h->session[0] && !h->session_lost) delete_session(h);
    pthread_mutex_lock(&h->mu);
    h->closed = 1;
    pthread_mutex_unlock(&h->mu);
}

static void http_free(sw_mcp_transport *base)
{
    http_t *h = (http_t *)base;
    if (!h) return;
    for (xfer *x = h->queue, *nx; x; x = nx) {
        nx = x->next;
        sw_mcp_xfer_free(x);
    }
    json_decref(h->cancels);
    if (h->m) curl_multi_cleanup(h->m);
    for (size_t i = 0; i < h->nhdr; i++) {
        explicit_bzero(h->hdr_lines[i], strlen(h->hdr_lines[i]));
        free(h->hdr_lines[i]);
    }
    free(h->hdr_lines);
    free(h->url);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static const sw_mcp_transport_ops HTTP_OPS = {http_send, http_ready, http_why, http_pid, http_shutdown, http_free};

/* A header name is a token; a value has no CR, LF or NUL. The value is never echoed. */
static int copy_headers(http_t *h, const sw_mcp_config *cfg, char *err, size_t errlen)
{
    h->hdr_lines = calloc(cfg->nheaders + 1, sizeof *h->hdr_lines);
    if (!h->hdr_lines) return snprintf(err, errlen, "out of memory"), -1;
    for (size_t i = 0; i < cfg->nheaders; i++) {
        const char *k = cfg->headers[i].key, *v = cfg->headers[i].value ? cfg->headers[i].value : "";
        int ok = k && *k && strlen(k) < 128;
        for (const char *p = k; ok && *p; p++) ok = *p > 0x20 && *p < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", *p);
        if (!ok) return snprintf(err, errlen, "header %zu has an invalid name", i + 1), -1;
        if (strpbrk(v, "\r\n")) return snprintf(err, errlen, "the value of header %.64s has a line break", k), -1;
        size_t n = strlen(k) + strlen(v) + 3;
        if (!(h->hdr_lines[i] = malloc(n))) return snprintf(err, errlen, "out of memory"), -1;
        snprintf(h->hdr_lines[i], n, "%s: %s", k, v);
        h->nhdr = i + 1;
    }
    return 0;
}

sw_mcp_transport *sw_mcp_http_open(const sw_mcp_config *cfg, const sw_mcp_sink *sink, char *err, size_t errlen)
{
    char why[256];
    if (!cfg->url || !*cfg->url) {
        snprintf(err, errlen, "no URL for the MCP server");
        return NULL;
    }
    int rc = sw_netpolicy_check_url(cfg->netpolicy, cfg->url, why, sizeof why);
    if (rc != 1) {
        if (rc == 0) snprintf(err, errlen, "the MCP server's URL is not allowed: %s; an operator can allow it with "
                              "--outbound-allow", why);
        else snprintf(err, errlen, "the MCP server's URL is %s", why);
        return NULL;
    }
    http_t *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&h->mu, NULL);
    h->base.ops = &HTTP_OPS;
    h->sink = *sink;
    h->policy = cfg->netpolicy;
    h->max = cfg->max_message_bytes ? cfg->max_message_bytes : DEFAULT_MAX_MESSAGE;
    snprintf(h->name, sizeof h->name, "%s", cfg->log_name ? cfg->log_name : "(unnamed)");
    h->url = strdup(cfg->url);
    h->m = curl_multi_init();
    if (!h->url || !h->m) snprintf(err, errlen, "out of memory");
    if (!h->url || !h->m || copy_headers(h, cfg, err, errlen) != 0) {
        http_free(&h->base);
        return NULL;
    }
    if (pthread_create(&h->loop, NULL, loop_main, h) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        http_free(&h->base);
        return NULL;
    }
    h->have_loop = 1;
    return &h->base;
}
