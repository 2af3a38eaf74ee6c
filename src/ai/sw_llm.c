/* sw_llm: the model client's transport (see sw_llm.h) — the HTTP attempt (a curl easy handle
 * driven by a private multi handle, polled every 100 ms for cancellation) and sw_llm_chat's
 * retry loop; the answer is assembled in sw_llm_answer.c. */
#include "ai/sw_llm.h"
#include "ai/sw_llm_internal.h"
#include "core/sw_log.h"
#include "core/sw_netpolicy.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LLM_DEFAULT_TIMEOUT_MS 120000
#define LLM_CONNECT_TIMEOUT_MS 15000
#define LLM_DEFAULT_RETRIES 3
#define LLM_DEFAULT_BASE_MS 500
#define LLM_BACKOFF_CAP_MS 8000
#define LLM_RETRY_AFTER_CAP_MS 30000
#define LLM_POLL_MS 100

/* ---- one HTTP attempt --------------------------------------------------------------------- */

typedef struct {
    const sw_llm_callbacks *cb;
    int cancelled; /* latched */
} cancel_ctx;

static int poll_cancel(cancel_ctx *c)
{
    if (!c->cancelled && c->cb && c->cb->should_cancel && c->cb->should_cancel(c->cb->arg))
        c->cancelled = 1;
    return c->cancelled;
}

enum { BODY_UNSET, BODY_SSE, BODY_JSON, BODY_ERR };

typedef struct {
    cancel_ctx *cc;
    int want_stream;
    long status; /* of the last status line */
    int is_sse, has_ctype;
    long retry_after_ms; /* -1: none */
    int mode;
    sw_llm_stream *stream;
    buf_t body;
    int stream_done, stream_failed, too_big;
} attempt_t;

static int name_is(const char *p, size_t n, const char *name)
{
    size_t l = strlen(name);
    return n == l && strncasecmp(p, name, l) == 0;
}

/* Retry-After: delay-seconds or an HTTP-date; -1 when unusable. Capped at 30 s. */
static long parse_retry_after(const char *v, size_t n)
{
    char tmp[128];
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, v, n);
    tmp[n] = 0;
    size_t i = 0;
    long secs = 0;
    for (; i < n && tmp[i] >= '0' && tmp[i] <= '9'; i++)
        if (secs < 1000000) secs = secs * 10 + (tmp[i] - '0');
    if (i == n) {
        long ms = secs * 1000;
        return ms > LLM_RETRY_AFTER_CAP_MS ? LLM_RETRY_AFTER_CAP_MS : ms;
    }
    time_t t = curl_getdate(tmp, NULL);
    if (t < 0) return -1;
    double d = difftime(t, time(NULL)) * 1000.0;
    if (d < 0) return 0;
    return d > LLM_RETRY_AFTER_CAP_MS ? LLM_RETRY_AFTER_CAP_MS : (long)d;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    attempt_t *a = ud;
    size_t len = sz * nm, l = len;
    while (l && (p[l - 1] == '\r' || p[l - 1] == '\n'))
        l--;
    if (l >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (after 100 Continue, ...) */
        size_t i = 5;
        while (i < l && p[i] != ' ')
            i++;
        while (i < l && p[i] == ' ')
            i++;
        long st = 0;
        for (int k = 0; k < 3 && i < l && p[i] >= '0' && p[i] <= '9'; k++, i++)
            st = st * 10 + (p[i] - '0');
        a->status = st;
        a->is_sse = a->has_ctype = 0;
        a->retry_after_ms = -1;
        return len;
    }
    const char *colon = memchr(p, ':', l);
    if (!colon) return len;
    size_t nlen = (size_t)(colon - p);
    const char *v = colon + 1, *e = p + l;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (name_is(p, nlen, "content-type")) {
        a->has_ctype = 1;
        a->is_sse = (size_t)(e - v) >= 17 && strncasecmp(v, "text/event-stream", 17) == 0;
    } else if (name_is(p, nlen, "retry-after")) {
        a->retry_after_ms = parse_retry_after(v, (size_t)(e - v));
    }
    return len;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    attempt_t *a = ud;
    size_t len = sz * nm;
    if (a->mode == BODY_UNSET) {
        if (a->status >= 200 && a->status < 300)
            a->mode = (a->is_sse || (!a->has_ctype && a->want_stream)) ? BODY_SSE : BODY_JSON;
        else
            a->mode = BODY_ERR;
    }
    if (a->mode == BODY_SSE) {
        int rc = sw_llm_stream_feed(a->stream, p, len);
        if (rc == 1) a->stream_done = 1; /* [DONE]: nothing more is needed */
        if (rc < 0) a->stream_failed = 1;
        return rc != 0 || a->cc->cancelled ? 0 : len;
    }
    if (a->mode == BODY_JSON) {
        if (len > LLM_MAX_BODY - a->body.len || sw_llm_buf_add(&a->body, p, len) != 0) {
            a->too_big = 1;
            return 0;
        }
        return len;
    }
    if (a->body.len < LLM_MAX_ERR_BODY) { /* an error body: its head is enough */
        size_t k = LLM_MAX_ERR_BODY - a->body.len;
        if (sw_llm_buf_add(&a->body, p, len < k ? len : k) != 0) return 0;
    }
    return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return poll_cancel(ud);
}

/* Runs the transfer on a private multi handle, so should_cancel is polled at least every
 * LLM_POLL_MS even while the endpoint is silent (the progress callback alone may only come once a
 * second then). */
static CURLcode run_transfer(CURL *e, cancel_ctx *cc)
{
    CURLM *m = curl_multi_init();
    if (!m) return CURLE_OUT_OF_MEMORY;
    if (curl_multi_add_handle(m, e) != CURLM_OK) {
        curl_multi_cleanup(m);
        return CURLE_OUT_OF_MEMORY;
    }
    CURLcode res = CURLE_OK;
    int running = 1;
    for (;;) {
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            res = CURLE_RECV_ERROR;
            break;
        }
        if (!running) {
            int q;
            CURLMsg *msg;
            while ((msg = curl_multi_info_read(m, &q)))
                if (msg->msg == CURLMSG_DONE && msg->easy_handle == e) res = msg->data.result;
            break;
        }
        if (poll_cancel(cc)) {
            res = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (curl_multi_poll(m, NULL, 0, LLM_POLL_MS, NULL) != CURLM_OK) {
            res = CURLE_RECV_ERROR;
            break;
        }
    }
    curl_multi_remove_handle(m, e);
    curl_multi_cleanup(m);
    return res;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms, polling should_cancel; 1 when cancelled. */
static int sleep_cancellable(long ms, cancel_ctx *cc)
{
    long end = now_ms() + ms;
    for (;;) {
        if (poll_cancel(cc)) return 1;
        long left = end - now_ms();
        if (left <= 0) return 0;
        if (left > 50) left = 50;
        struct timespec ts = {0, left * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* ---- sw_llm_chat -------------------------------------------------------------------------- */

static char *build_body(const sw_llm_config *cfg, const json_t *messages, const json_t *tools)
{
    json_t *r = json_object();
    if (!r) return NULL;
    int bad = json_object_set_new(r, "model", json_string(cfg->model));
    bad |= json_object_set(r, "messages", (json_t *)messages); /* a reference, not a copy */
    if (json_array_size(tools) > 0) bad |= json_object_set(r, "tools", (json_t *)tools);
    bad |= json_object_set_new(r, "stream", json_boolean(cfg->stream));
    if (cfg->temperature >= 0)
        bad |= json_object_set_new(r, "temperature", json_real(cfg->temperature));
    char *s = bad ? NULL : json_dumps(r, JSON_COMPACT);
    json_decref(r);
    return s;
}

static int retryable_status(long st)
{
    return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

static void http_error(sw_llm_result *out, long st, const buf_t *body, const char *key, int retries)
{
    char msg[LLM_MAX_MSG + 16];
    sw_llm_body_message(msg, sizeof msg, body->p, body->len, key);
    char gave_up[64] = "";
    if (retries)
        snprintf(gave_up, sizeof gave_up, " (gave up after %d %s)", retries,
                 retries == 1 ? "retry" : "retries");
    const char *what = st == 401 || st == 403 ? "the model endpoint refused the API key"
                       : st == 404            ? "model not found"
                       : st == 429            ? "the model endpoint is rate limiting requests"
                       : st >= 500            ? "the model endpoint failed"
                       : st >= 400            ? "the model endpoint rejected the request"
                                              : "unexpected response from the model endpoint";
    sw_llm_set_error(out, "%s (HTTP %ld)%s%s", what, st, msg, gave_up);
}

/* A transport failure as a cleaned sentence into dst. */
static void transport_text(char *dst, size_t cap, CURLcode cr, const char *errbuf, long got_status,
                           int timeout_ms, const char *key)
{
    if (cr == CURLE_OPERATION_TIMEDOUT) {
        snprintf(dst, cap, "the model endpoint did not answer within %d ms", timeout_ms);
        return;
    }
    const char *raw = errbuf[0] ? errbuf : curl_easy_strerror(cr);
    char clean[LLM_MAX_MSG + 8];
    sw_llm_clean_text(clean, sizeof clean, raw, strlen(raw), key);
    snprintf(dst, cap, "%s: %s",
             got_status ? "the connection to the model endpoint broke"
                        : "could not reach the model endpoint",
             clean);
}

static void wipe_headers(struct curl_slist *h)
{
    for (struct curl_slist *i = h; i; i = i->next)
        explicit_bzero(i->data, strlen(i->data));
    curl_slist_free_all(h);
}

/* What one request sends: the body, the URL and the headers (the Authorization header wiped
 * when freed). */
typedef struct {
    char *body;
    buf_t url;
    struct curl_slist *hdrs;
} request_t;

static void request_free(request_t *q)
{
    free(q->body);
    sw_llm_buf_free(&q->url);
    wipe_headers(q->hdrs);
}

/* 0, or -1 when out of memory or the text is invalid. */
static int request_build(request_t *q, const sw_llm_config *cfg, const json_t *messages, const json_t *tools,
                         const char *key)
{
    memset(q, 0, sizeof *q);
    q->body = build_body(cfg, messages, tools);
    buf_t auth = {0};
    size_t blen = strlen(cfg->base_url);
    while (blen && cfg->base_url[blen - 1] == '/')
        blen--;
    int bad = !q->body || sw_llm_buf_add(&q->url, cfg->base_url, blen) || sw_llm_buf_adds(&q->url, "/chat/completions");
    struct curl_slist *h;
    const char *hv[] = {"Content-Type: application/json",
                        cfg->stream ? "Accept: text/event-stream" : "Accept: application/json",
                        "Expect:", NULL};
    for (int i = 0; !bad && hv[i]; i++) {
        if (!(h = curl_slist_append(q->hdrs, hv[i])))
            bad = 1;
        else
            q->hdrs = h;
    }
    if (!bad && key) {
        bad = sw_llm_buf_adds(&auth, "Authorization: Bearer ") || sw_llm_buf_adds(&auth, key);
        if (!bad && !(h = curl_slist_append(q->hdrs, auth.p)))
            bad = 1;
        else if (!bad)
            q->hdrs = h;
    }
    if (auth.p) explicit_bzero(auth.p, auth.len);
    sw_llm_buf_free(&auth);
    return bad ? -1 : 0;
}

static void handle_setup(CURL *e, const request_t *q, int timeout_ms, char *errbuf, cancel_ctx *cc)
{
    curl_easy_setopt(e, CURLOPT_URL, q->url.p);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdrs);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(q->body));
    curl_easy_setopt(e, CURLOPT_USERAGENT, "ScaiWave-C model client");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(
        e, CURLOPT_CONNECTTIMEOUT_MS,
        (long)(timeout_ms < LLM_CONNECT_TIMEOUT_MS ? timeout_ms : LLM_CONNECT_TIMEOUT_MS));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, cc);
}

/* One chat's fixed parts, for each attempt. */
typedef struct {
    const sw_llm_config *cfg;
    const sw_llm_callbacks *cb;
    const char *key;
    int timeout_ms, max_retries;
    const sw_netguard *guard;
    const char *errbuf;
    cancel_ctx *cc;
} chat_t;

/* Judges a finished attempt into out; returns 1 when it is worth another (why: for the log),
 * else 0 with *rc the call's result. */
static int attempt_judge(const chat_t *c, attempt_t *a, CURLcode cr, int attempt, sw_llm_result *out, int *rc,
                         char *why, size_t whylen)
{
    out->http_status = a->status;
    int ok_status = a->status >= 200 && a->status < 300;
    if (ok_status && a->mode == BODY_UNSET) /* headers came, no body byte */
        a->mode = (a->is_sse || (!a->has_ctype && a->want_stream)) ? BODY_SSE : BODY_JSON;
    if (c->guard->refused && a->status == 0) { /* never connected: the address is not allowed */
        sw_llm_set_error(out, "the model endpoint's address %s is not allowed (a %s address); an "
                  "operator can allow it with --outbound-allow", c->guard->addr, c->guard->why);
    } else if (c->cc->cancelled) {
        if (a->mode == BODY_SSE) sw_llm_stream_end(a->stream, out); /* keeps partial text */
        sw_llm_set_error(out, "the request was cancelled");
        out->cancelled = 1;
    } else if (ok_status && a->mode == BODY_SSE) {
        int transport = cr != CURLE_OK && !a->stream_done && !a->stream_failed;
        if (transport)
            transport_text(why, whylen, cr, c->errbuf, a->status, c->timeout_ms, c->key);
        else
            snprintf(why, whylen, "the stream ended before the model answered");
        if (!a->stream_failed && sw_llm_stream_got_nothing(a->stream) && attempt < c->max_retries)
            return 1; /* nothing arrived at all: as good as a failed connection */
        *rc = sw_llm_stream_end(a->stream, out);
        if (*rc != 0 && transport && !out->ncalls && !out->content[0] && !a->stream_failed) {
            if (out->retries)
                sw_llm_set_error(out, "%s (gave up after %d %s)", why, out->retries,
                          out->retries == 1 ? "retry" : "retries");
            else
                sw_llm_set_error(out, "%s", why);
        }
    } else if (ok_status && cr == CURLE_OK) {
        *rc = sw_llm_parse_completion_redacted(a->body.p, a->body.len, out, c->key, NULL);
        if (*rc == 0 && c->cfg->stream && c->cb && c->cb->on_text && out->content[0])
            c->cb->on_text(c->cb->arg, out->content, strlen(out->content));
    } else if (ok_status && a->too_big) {
        sw_llm_set_error(out, "the model's response is too large (over %zu MiB)", LLM_MAX_BODY >> 20);
    } else if (a->status > 0 && !ok_status) {
        if (retryable_status(a->status) && attempt < c->max_retries) {
            snprintf(why, whylen, "HTTP %ld from the model endpoint", a->status);
            return 1;
        }
        http_error(out, a->status, &a->body, c->key, retryable_status(a->status) ? out->retries : 0);
    } else { /* no usable response: a connection failure or timeout */
        transport_text(why, whylen, cr, c->errbuf, a->status, c->timeout_ms, c->key);
        if (attempt < c->max_retries) return 1;
        if (out->retries)
            sw_llm_set_error(out, "%s (gave up after %d %s)", why, out->retries,
                      out->retries == 1 ? "retry" : "retries");
        else
            sw_llm_set_error(out, "%s", why);
    }
    return 0;
}

/* The wait before retry `attempt + 1`: doubling from base_ms, capped; Retry-After wins. */
static long backoff_ms(long base_ms, int attempt, long retry_after_ms)
{
    long delay = base_ms;
    for (int i = 0; i < attempt && delay < LLM_BACKOFF_CAP_MS; i++)
        delay *= 2;
    if (delay > LLM_BACKOFF_CAP_MS) delay = LLM_BACKOFF_CAP_MS;
    return retry_after_ms >= 0 ? retry_after_ms : delay;
}

/* The attempts: 0, or -1 with out->error set. */
static int chat_attempts(const chat_t *c, CURL *e, const sw_llm_callbacks *scb, long base_ms, char *errbuf,
                         sw_llm_result *out)
{
    int rc = -1;
    for (int attempt = 0;; attempt++) {
        attempt_t a = {.cc = c->cc, .want_stream = c->cfg->stream, .retry_after_ms = -1};
        a.stream = sw_llm_stream_new(scb);
        if (!a.stream) {
            sw_llm_set_error(out, "out of memory while preparing the model request");
            break;
        }
        sw_llm_stream_set_redact(a.stream, c->key);
        errbuf[0] = 0;
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &a);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &a);
        CURLcode cr = poll_cancel(c->cc) ? CURLE_ABORTED_BY_CALLBACK : run_transfer(e, c->cc);
        char why[LLM_MAX_MSG + 128] = "";
        int retry = attempt_judge(c, &a, cr, attempt, out, &rc, why, sizeof why);
        sw_llm_stream_free(a.stream);
        sw_llm_buf_free(&a.body);
        if (!retry) break;
        long delay = backoff_ms(base_ms, attempt, a.retry_after_ms);
        SW_WARN("model client: %s; retry %d of %d in %ld ms", why, attempt + 1, c->max_retries, delay);
        if (sleep_cancellable(delay, c->cc)) {
            sw_llm_clear_answer(out);
            out->content = strdup("");
            sw_llm_set_error(out, "the request was cancelled");
            out->cancelled = 1;
            break;
        }
        out->retries++;
    }
    return rc;
}

int sw_llm_chat(const sw_llm_config *cfg, const json_t *messages, const json_t *tools,
                const sw_llm_callbacks *cb, sw_llm_result *out)
{
    memset(out, 0, sizeof *out);
    out->content = strdup("");
    if (!cfg || !cfg->base_url || !cfg->base_url[0] || !cfg->model || !cfg->model[0]) {
        sw_llm_set_error(out, "the model client is not configured (base URL or model missing)");
        return -1;
    }
    if (!json_is_array(messages) || (tools && !json_is_array(tools))) {
        sw_llm_set_error(out, "invalid model request (messages must be an array, tools an array)");
        return -1;
    }
    const char *key = cfg->api_key && cfg->api_key[0] ? cfg->api_key : NULL;
    int timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : LLM_DEFAULT_TIMEOUT_MS;
    int max_retries = cfg->max_retries == 0  ? LLM_DEFAULT_RETRIES
                      : cfg->max_retries < 0 ? 0
                                             : cfg->max_retries;
    long base_ms = cfg->retry_base_ms == 0  ? LLM_DEFAULT_BASE_MS
                   : cfg->retry_base_ms < 0 ? 0
                                            : cfg->retry_base_ms;
    cancel_ctx cc = {.cb = cb};
    /* on_text only for a streamed request; a plain JSON reply to one gets a single delta. */
    sw_llm_callbacks scb = {0};
    if (cb) scb = *cb;
    if (!cfg->stream) scb.on_text = NULL;

    request_t q;
    int bad = request_build(&q, cfg, messages, tools, key);
    CURL *e = bad ? NULL : curl_easy_init();
    if (!e) {
        sw_llm_set_error(out, "could not prepare the model request (out of memory or invalid text)");
        request_free(&q);
        return -1;
    }
    char errbuf[CURL_ERROR_SIZE];
    sw_netguard guard = {0};
    if (cfg->policy) sw_netguard_install(&guard, e, cfg->policy); /* a tenant's own endpoint */
    handle_setup(e, &q, timeout_ms, errbuf, &cc);
    chat_t c = {.cfg = cfg, .cb = cb, .key = key, .timeout_ms = timeout_ms, .max_retries = max_retries,
                .guard = &guard, .errbuf = errbuf, .cc = &cc};
    int rc = chat_attempts(&c, e, &scb, base_ms, errbuf, out);
    if (rc != 0 && !out->error) sw_llm_set_error(out, "the model request failed");
    if (rc == 0 && out->error) { /* cannot happen; keep the contract: error NULL on success */
        free(out->error);
        out->error = NULL;
    }
    if (!out->content) out->content = strdup("");
    curl_easy_cleanup(e);
    request_free(&q);
    return rc;
}
