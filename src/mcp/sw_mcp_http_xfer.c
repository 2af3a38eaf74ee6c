/* sw_mcp_http_xfer: one exchange of the MCP Streamable HTTP transport (see sw_mcp_http.h). Owns
 * the curl easy handle of a POST or GET (the headers: the configured ones, Accept, the session
 * id, MCP-Protocol-Version, Last-Event-ID; the outbound-address guard), reading its answer (a
 * JSON body, or an SSE stream parsed by sw_sse whose events are JSON-RPC messages), and what
 * follows its end: the request's answer delivered, a resumption with Last-Event-ID after the
 * stream's retry delay (bounded), a failure with a reason, or the session lost (404). */
#include "mcp/sw_mcp_http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/sw_log.h"
#include "mcp/sw_jsonrpc.h"

#define CONNECT_TIMEOUT_MS 10000L
#define MAX_RESUMES 5          /* a request's stream is resumed at most this often */
#define DEFAULT_RETRY_MS 1000L /* when the stream named no retry: delay */
#define MAX_RETRY_MS 30000L
#define ERROR_BODY_MAX 16384   /* what is kept of a non-2xx body */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int add_header(struct curl_slist **l, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    if (!line) return -1;
    snprintf(line, n, "%s: %s", name, value);
    struct curl_slist *nl = curl_slist_append(*l, line);
    explicit_bzero(line, n);
    free(line);
    if (!nl) return -1;
    *l = nl;
    return 0;
}

/* Wipes the header lines (they may carry secrets) and frees them. */
static void headers_free(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        if (p->data) explicit_bzero(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

static size_t on_header(char *b, size_t size, size_t n, void *arg);
static size_t on_body(char *b, size_t size, size_t n, void *arg);
static int on_event(void *arg, const sw_sse_event *ev);

static int build_headers(xfer *x, const char *last_event_id)
{
    http_t *h = x->h;
    int bad = 0;
    for (size_t i = 0; !bad && i < h->nhdr; i++) {
        struct curl_slist *nl = curl_slist_append(x->hdrs, h->hdr_lines[i]);
        if (!nl) bad = 1;
        else x->hdrs = nl;
    }
    if (x->body)
        bad = bad || add_header(&x->hdrs, "Accept", "application/json, text/event-stream") ||
              add_header(&x->hdrs, "Content-Type", "application/json");
    else bad = bad || add_header(&x->hdrs, "Accept", "text/event-stream");
    pthread_mutex_lock(&h->mu);
    x->had_session = h->session[0] != 0;
    if (h->session[0]) bad = bad || add_header(&x->hdrs, "Mcp-Session-Id", h->session);
    if (h->protocol[0]) bad = bad || add_header(&x->hdrs, "MCP-Protocol-Version", h->protocol);
    pthread_mutex_unlock(&h->mu);
    if (last_event_id && *last_event_id) bad = bad || add_header(&x->hdrs, "Last-Event-ID", last_event_id);
    bad = bad || add_header(&x->hdrs, "Expect", "");
    return bad ? -1 : 0;
}

xfer *sw_mcp_xfer_new(http_t *h, xfer_kind kind, const json_t *id, char *body, const char *last_event_id)
{
    xfer *x = calloc(1, sizeof *x);
    if (!x) {
        free(body);
        return NULL;
    }
    x->h = h;
    x->kind = kind;
    x->body = body;
    x->id = id ? json_deep_copy(id) : NULL;
    x->retry_ms = -1;
    if (last_event_id) snprintf(x->last_id, sizeof x->last_id, "%s", last_event_id);
    x->e = curl_easy_init();
    if (!x->e || build_headers(x, last_event_id) != 0) {
        sw_mcp_xfer_free(x);
        return NULL;
    }
    CURL *e = x->e;
    curl_easy_setopt(e, CURLOPT_URL, h->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    if (body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(e, CURLOPT_USERAGENT, "ScaiWave-C MCP client");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    sw_netguard_install(&x->guard, e, h->policy);
    sw_sse_init(&x->sse, h->max, on_event, x);
    return x;
}

void sw_mcp_xfer_free(xfer *x)
{
    if (!x) return;
    if (x->e) curl_easy_cleanup(x->e);
    headers_free(x->hdrs);
    free(x->body);
    json_decref(x->id);
    free(x->buf);
    sw_sse_fini(&x->sse);
    free(x);
}

/* ---- the answer ---- */

static size_t on_header(char *b, size_t size, size_t n, void *arg)
{
    xfer *x = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(b, "HTTP/", 5) == 0) { /* a new response (e.g. after 1xx) */
        const char *sp = memchr(b, ' ', len);
        x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->is_sse = 0;
        return len;
    }
    const char *colon = memchr(b, ':', len);
    if (!colon) return len;
    size_t nl = (size_t)(colon - b);
    const char *v = colon + 1, *end = b + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && isspace((unsigned char)end[-1])) end--;
    size_t vl = (size_t)(end - v);
    if (nl == 12 && strncasecmp(b, "content-type", 12) == 0) {
        x->is_sse = vl >= 17 && strncasecmp(v, "text/event-stream", 17) == 0;
    } else if (nl == 14 && strncasecmp(b, "mcp-session-id", 14) == 0 && x->status >= 200 && x->status < 300) {
        int ok = vl > 0 && vl < SW_MCP_HTTP_SESSION_MAX;
        for (size_t i = 0; ok && i < vl; i++) ok = v[i] >= 0x21 && v[i] <= 0x7e; /* visible ASCII */
        pthread_mutex_lock(&x->h->mu);
        if (ok && !x->h->session[0]) snprintf(x->h->session, sizeof x->h->session, "%.*s", (int)vl, v);
        pthread_mutex_unlock(&x->h->mu);
        if (!ok) SW_WARN("mcp %s: the server sent an unusable Mcp-Session-Id; ignored", x->h->name);
    }
    return len;
}

/* One JSON-RPC message (or a batch) from the server, to the sink. */
static void deliver(xfer *x, const char *text, size_t len)
{
    char err[160];
    json_t *v = sw_rpc_parse(text, len, err, sizeof err);
    if (!v) {
        SW_WARN("mcp %s: the server sent a message that is not JSON: %s", x->h->name, err);
        return;
    }
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_is_array(v) ? json_array_get(v, i) : v;
        sw_rpc_msg r;
        sw_rpc_kind k = sw_rpc_classify(m, &r);
        if (x->id && (k == SW_RPC_RESULT || k == SW_RPC_ERROR) && json_equal(r.id, x->id)) x->answered = 1;
        x->delivered = 1;
        x->h->sink.on_message(x->h->sink.arg, m);
    }
    json_decref(v);
}

static int on_event(void *arg, const sw_sse_event *ev)
{
    xfer *x = arg;
    if (sw_mcp_http_stopping(x->h)) return 1;
    if (ev->data_len == 0) return 0; /* a priming event: only its id matters */
    if (strcmp(ev->event, "message") != 0) return 0;
    deliver(x, ev->data, ev->data_len);
    return 0;
}

static size_t on_body(char *b, size_t size, size_t n, void *arg)
{
    xfer *x = arg;
    size_t len = size * n;
    int ok = x->status >= 200 && x->status < 300;
    if (sw_mcp_http_stopping(x->h)) return 0;
    if (ok && x->is_sse) {
        sw_sse_status st = sw_sse_feed(&x->sse, b, len);
        const char *id = sw_sse_last_id(&x->sse);
        if (*id) snprintf(x->last_id, sizeof x->last_id, "%s", id);
        if (sw_sse_retry_ms(&x->sse) >= 0) x->retry_ms = sw_sse_retry_ms(&x->sse);
        if (st == SW_SSE_E_TOO_BIG) x->too_big = 1;
        return st == SW_SSE_OK ? len : 0;
    }
    size_t cap_at = ok ? x->h->max : ERROR_BODY_MAX;
    if (x->len + len > cap_at) {
        if (!ok) return len; /* an error body is only kept in part */
        x->too_big = 1;
        return 0;
    }
    if (x->len + len + 1 > x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 4096;
        while (nc < x->len + len + 1) nc *= 2;
        char *nb = realloc(x->buf, nc);
        if (!nb) return 0;
        x->buf = nb;
        x->cap = nc;
    }
    memcpy(x->buf + x->len, b, len);
    x->len += len;
    x->buf[x->len] = 0;
    return len;
}

/* ---- the end of an exchange ---- */

static void fail(xfer *x, const char *why)
{
    if (x->id && x->h->sink.on_failed) x->h->sink.on_failed(x->h->sink.arg, x->id, why);
    else SW_WARN("mcp %s: %s", x->h->name, why);
}

/* "HTTP 400 from the server" plus the JSON-RPC error's message when the body carries one. */
static void status_text(const xfer *x, char *why, size_t len)
{
    json_t *v = x->buf ? json_loadb(x->buf, x->len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(json_object_get(v, "error"), "message"));
    if (msg && *msg) snprintf(why, len, "HTTP %ld from the server: %.200s", x->status, msg);
    else snprintf(why, len, "HTTP %ld from the server", x->status);
    json_decref(v);
}

static void transport_text(const xfer *x, CURLcode cr, char *why, size_t len)
{
    if (x->guard.refused)
        snprintf(why, len, "the MCP server's address %s is not allowed (a %s address); an operator can allow "
                 "it with --outbound-allow", x->guard.addr, x->guard.why);
    else
        snprintf(why, len, "cannot reach the MCP server: %s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(cr));
}

/* The request's stream ended before its answer: resume it with Last-Event-ID, or fail. */
static void resume_or_fail(xfer *x)
{
    if (!x->last_id[0]) {
        fail(x, "the server's event stream ended before the answer (no event id to resume from)");
        return;
    }
    if (x->attempts >= MAX_RESUMES) {
        fail(x, "the server's event stream ended before the answer (gave up resuming it)");
        return;
    }
    xfer *r = sw_mcp_xfer_new(x->h, XF_RESUME, x->id, NULL, x->last_id);
    if (!r) {
        fail(x, "out of memory while resuming the event stream");
        return;
    }
    long delay = x->retry_ms >= 0 ? x->retry_ms : DEFAULT_RETRY_MS;
    r->attempts = x->attempts + 1;
    r->retry_ms = x->retry_ms;
    r->due_ms = mono_ms() + (delay > MAX_RETRY_MS ? MAX_RETRY_MS : delay);
    SW_DEBUG("mcp %s: resuming an event stream in %ld ms", x->h->name, delay);
    sw_mcp_http_queue(x->h, r);
}

/* The GET stream ended: open it again (after its retry delay) unless it failed outright. */
static void relisten(xfer *x, CURLcode cr)
{
    if (x->status != 200) {
        if (x->status == 405) SW_DEBUG("mcp %s: the server offers no GET stream", x->h->name);
        else if (x->status) SW_INFO("mcp %s: the GET stream was refused (HTTP %ld)", x->h->name, x->status);
        else SW_INFO("mcp %s: the GET stream failed: %s", x->h->name, curl_easy_strerror(cr));
        if (x->status || x->attempts >= MAX_RESUMES) return;
    }
    int attempts = x->delivered ? 0 : x->attempts + 1;
    if (attempts > MAX_RESUMES) return;
    xfer *r = sw_mcp_xfer_new(x->h, XF_LISTEN, NULL, NULL, x->last_id);
    if (!r) return;
    long delay = x->retry_ms >= 0 ? x->retry_ms : DEFAULT_RETRY_MS;
    r->attempts = attempts;
    r->retry_ms = x->retry_ms;
    r->due_ms = mono_ms() + (delay > MAX_RETRY_MS ? MAX_RETRY_MS : delay);
    sw_mcp_http_queue(x->h, r);
}

void sw_mcp_xfer_done(xfer *x, CURLcode cr)
{
    char why[320];
    int ok = x->status >= 200 && x->status < 300;
    if (sw_mcp_http_stopping(x->h)) {
        sw_mcp_xfer_free(x);
        return;
    }
    if (x->status == 404 && x->had_session) {
        sw_mcp_http_lost(x->h, "the server ended the session (HTTP 404)");
    } else if (x->too_big) {
        if (x->id) x->h->sink.on_too_big(x->h->sink.arg, x->id);
        else SW_WARN("mcp %s: a message from the server was over the size limit", x->h->name);
    } else if (x->kind == XF_LISTEN) {
        relisten(x, cr);
    } else if (x->status == 0) {
        transport_text(x, cr, why, sizeof why);
        fail(x, why);
    } else if (!ok) {
        status_text(x, why, sizeof why);
        fail(x, why);
    } else if (x->is_sse) {
        if (x->id && !x->answered) resume_or_fail(x);
    } else if (x->kind != XF_OTHER && x->status != 202) {
        if (cr == CURLE_OK && x->len) deliver(x, x->buf, x->len);
        if (x->id && !x->answered) {
            if (cr != CURLE_OK) transport_text(x, cr, why, sizeof why);
            else snprintf(why, sizeof why, "the server's HTTP answer carried no JSON-RPC response");
            fail(x, why);
        }
    }
    sw_mcp_xfer_free(x);
}
