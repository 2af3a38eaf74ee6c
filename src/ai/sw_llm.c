/* sw_llm: the model client (see sw_llm.h). Layout: growable buffers and result helpers; error
 * texts (endpoint messages are sanitised, truncated and have the API key redacted before they
 * reach out->error or the log); the answer assembler shared by the streamed and the plain JSON
 * paths; the HTTP attempt (curl easy handle driven by a private multi handle, polled every
 * 100 ms for cancellation); sw_llm_chat's retry loop. */
#include "ai/sw_llm.h"
#include "ai/sw_sse.h"
#include "core/sw_log.h"
#include "core/sw_netpolicy.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LLM_MAX_ANSWER ((size_t)16 << 20)   /* content + tool-call text of one answer */
#define LLM_MAX_BODY ((size_t)32 << 20)     /* a plain JSON response body */
#define LLM_MAX_ERR_BODY ((size_t)64 << 10) /* what is kept of an error response body */
#define LLM_MAX_CALLS 256
#define LLM_MAX_MSG 300 /* bytes of an endpoint's message kept in an error sentence */
#define LLM_DEFAULT_TIMEOUT_MS 120000
#define LLM_CONNECT_TIMEOUT_MS 15000
#define LLM_DEFAULT_RETRIES 3
#define LLM_DEFAULT_BASE_MS 500
#define LLM_BACKOFF_CAP_MS 8000
#define LLM_RETRY_AFTER_CAP_MS 30000
#define LLM_POLL_MS 100

/* ---- buffers and results ------------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static int buf_add(buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 64;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) return -1;
        b->p = np;
        b->cap = nc;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

static int buf_adds(buf_t *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

/* Hands the string over: never NULL unless out of memory ("" when empty). */
static char *buf_take(buf_t *b)
{
    char *r = b->p ? b->p : strdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return r;
}

static void buf_free(buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void free_calls(sw_llm_tool_call *c, int n)
{
    for (int i = 0; i < n; i++) {
        free(c[i].id);
        free(c[i].name);
        free(c[i].arguments);
    }
    free(c);
}

void sw_llm_result_fini(sw_llm_result *r)
{
    if (!r) return;
    free(r->content);
    free_calls(r->calls, r->ncalls);
    free(r->error);
    memset(r, 0, sizeof *r);
}

/* Drops the answer part of r (content, calls, finish_reason, error, truncated). */
static void clear_answer(sw_llm_result *r)
{
    free(r->content);
    r->content = NULL;
    free_calls(r->calls, r->ncalls);
    r->calls = NULL;
    r->ncalls = 0;
    free(r->error);
    r->error = NULL;
    r->finish_reason[0] = 0;
    r->truncated = 0;
}

static void set_error(sw_llm_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(sw_llm_result *r, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    free(r->error);
    r->error = strdup(tmp);
}

/* ---- error texts -------------------------------------------------------------------------- */

/* Copies msg into dst (cap bytes) for a human sentence: every occurrence of key becomes
 * "[redacted]" (before anything is cut, so no fragment of the key survives), control characters
 * become spaces, and the text is cut at LLM_MAX_MSG bytes on a UTF-8 boundary ("..." appended). */
static void clean_text(char *dst, size_t cap, const char *msg, size_t len, const char *key)
{
    size_t klen = key ? strlen(key) : 0;
    size_t o = 0, limit = cap - 1 < LLM_MAX_MSG ? cap - 1 : LLM_MAX_MSG;
    int cut = 0;
    for (size_t i = 0; i < len;) {
        if (klen && len - i >= klen && memcmp(msg + i, key, klen) == 0) {
            static const char red[] = "[redacted]";
            if (o + sizeof red - 1 > limit) {
                cut = 1;
                break;
            }
            memcpy(dst + o, red, sizeof red - 1);
            o += sizeof red - 1;
            i += klen;
            continue;
        }
        if (o >= limit) {
            cut = 1;
            break;
        }
        unsigned char c = (unsigned char)msg[i++];
        dst[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    if (cut) {
        size_t written = o;
        if (o + 3 > limit) o = limit >= 3 ? limit - 3 : 0;
        /* cut where a character starts: dst[o], the first byte dropped, is no continuation */
        while (o > 0 && o < written && ((unsigned char)dst[o] & 0xC0) == 0x80)
            o--;
        while (o > 0 && dst[o - 1] == ' ')
            o--;
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    while (o > 0 && dst[o - 1] == ' ')
        o--;
    dst[o] = 0;
}

/* The endpoint's own words in an error document: error.message, error (a string), message or
 * detail; NULL when none. */
static const char *endpoint_message(const json_t *j)
{
    const json_t *e = json_object_get(j, "error");
    if (json_is_object(e)) {
        const json_t *m = json_object_get(e, "message");
        if (json_is_string(m)) return json_string_value(m);
    }
    if (json_is_string(e)) return json_string_value(e);
    const json_t *m = json_object_get(j, "message");
    if (json_is_string(m)) return json_string_value(m);
    m = json_object_get(j, "detail");
    if (json_is_string(m)) return json_string_value(m);
    return NULL;
}

/* ": <message>" from a JSON error body (or "" when there is none), cleaned. */
static void body_message(char *dst, size_t cap, const char *body, size_t len, const char *key)
{
    dst[0] = 0;
    if (!body || !len) return;
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *m = json_is_object(j) ? endpoint_message(j) : NULL;
    if (m && *m) {
        char clean[LLM_MAX_MSG + 8];
        clean_text(clean, sizeof clean, m, strlen(m), key);
        if (clean[0]) snprintf(dst, cap, ": %s", clean);
    }
    json_decref(j);
}

/* ---- the answer assembler ----------------------------------------------------------------- */

typedef struct {
    json_int_t index;
    buf_t id, name, args;
} call_acc;

struct sw_llm_stream {
    sw_sse sse;
    sw_llm_callbacks cb;
    const char *redact; /* the API key, for messages copied from the endpoint (may be NULL) */
    buf_t content;
    call_acc *calls; /* in order of first appearance; sorted by index at the end */
    int ncalls, cap_calls;
    size_t total; /* bytes of content, ids, names and arguments */
    char finish[32];
    int done;   /* [DONE] seen */
    int failed; /* error set; sticky */
    char *error;
};

static void stream_fail(sw_llm_stream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void stream_fail(sw_llm_stream *s, const char *fmt, ...)
{
    if (s->failed) return;
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    s->failed = 1;
    s->error = strdup(tmp);
}

/* Accounts n more bytes of answer; fails the stream beyond LLM_MAX_ANSWER. */
static int charge(sw_llm_stream *s, size_t n)
{
    if (n > LLM_MAX_ANSWER - s->total) {
        stream_fail(s, "the model's answer is too large (over %zu MiB)", LLM_MAX_ANSWER >> 20);
        return -1;
    }
    s->total += n;
    return 0;
}

static int add_text(sw_llm_stream *s, const char *t, size_t n)
{
    if (n == 0) return 0;
    if (charge(s, n) != 0) return -1;
    if (buf_add(&s->content, t, n) != 0) {
        stream_fail(s, "out of memory while reading the model's answer");
        return -1;
    }
    if (s->cb.on_text) s->cb.on_text(s->cb.arg, t, n);
    return 0;
}

static int acc_add(sw_llm_stream *s, buf_t *b, const char *t, size_t n)
{
    if (n == 0) return 0;
    if (charge(s, n) != 0) return -1;
    if (buf_add(b, t, n) != 0) {
        stream_fail(s, "out of memory while reading the model's answer");
        return -1;
    }
    return 0;
}

static call_acc *new_call(sw_llm_stream *s, json_int_t index)
{
    if (s->ncalls >= LLM_MAX_CALLS) {
        stream_fail(s, "the model sent more than %d tool calls", LLM_MAX_CALLS);
        return NULL;
    }
    if (s->ncalls == s->cap_calls) {
        int nc = s->cap_calls ? s->cap_calls * 2 : 4;
        call_acc *n = realloc(s->calls, (size_t)nc * sizeof *n);
        if (!n) {
            stream_fail(s, "out of memory while reading the model's answer");
            return NULL;
        }
        s->calls = n;
        s->cap_calls = nc;
    }
    call_acc *a = &s->calls[s->ncalls++];
    memset(a, 0, sizeof *a);
    a->index = index;
    return a;
}

/* The call a tool_calls[] item belongs to. With an "index" (the OpenAI way): that index. Without
 * one (some servers): the call with the same id, else a new call when an id is given (or there is
 * none yet), else the last call. forced >= 0 (the non-streamed path) uses that index. */
static call_acc *call_for(sw_llm_stream *s, const json_t *tc, const char *id, json_int_t forced)
{
    const json_t *ji = json_object_get(tc, "index");
    int has_index = forced >= 0 || json_is_integer(ji);
    json_int_t idx = forced >= 0 ? forced : has_index ? json_integer_value(ji) : 0;
    if (has_index) {
        for (int i = 0; i < s->ncalls; i++)
            if (s->calls[i].index == idx) return &s->calls[i];
        return new_call(s, idx);
    }
    if (id)
        for (int i = 0; i < s->ncalls; i++)
            if (s->calls[i].id.len && strcmp(s->calls[i].id.p, id) == 0) return &s->calls[i];
    if (id || s->ncalls == 0) {
        json_int_t next = 0;
        for (int i = 0; i < s->ncalls; i++) {
            if (s->calls[i].index == LLONG_MAX) {
                stream_fail(s, "the model endpoint sent an invalid tool call index");
                return NULL;
            }
            if (s->calls[i].index + 1 > next) next = s->calls[i].index + 1;
        }
        return new_call(s, next);
    }
    return &s->calls[s->ncalls - 1];
}

/* One tool_calls[] item (a delta, or a whole call when forced >= 0). 0 or -1 (stream failed). */
static int tool_delta(sw_llm_stream *s, const json_t *tc, json_int_t forced)
{
    if (!json_is_object(tc)) return 0;
    const json_t *jid = json_object_get(tc, "id");
    const char *id = json_is_string(jid) && json_string_length(jid) ? json_string_value(jid) : NULL;
    call_acc *a = call_for(s, tc, id, forced);
    if (!a) return -1;
    if (id && a->id.len == 0 && acc_add(s, &a->id, id, json_string_length(jid)) != 0) return -1;
    const json_t *fn = json_object_get(tc, "function");
    if (!json_is_object(fn)) return 0;
    const json_t *jn = json_object_get(fn, "name");
    if (json_is_string(jn) && a->name.len == 0 &&
        acc_add(s, &a->name, json_string_value(jn), json_string_length(jn)) != 0)
        return -1;
    const json_t *ja = json_object_get(fn, "arguments");
    if (json_is_string(ja)) {
        if (acc_add(s, &a->args, json_string_value(ja), json_string_length(ja)) != 0) return -1;
    } else if (json_is_object(ja) || json_is_array(ja)) { /* Ollama-style: already parsed */
        char *d = json_dumps(ja, JSON_COMPACT);
        int rc = d ? acc_add(s, &a->args, d, strlen(d)) : -1;
        free(d);
        if (rc != 0) {
            stream_fail(s, "out of memory while reading the model's answer");
            return -1;
        }
    }
    return 0;
}

static void set_finish(sw_llm_stream *s, const json_t *fr)
{
    if (!json_is_string(fr)) return;
    const char *v = json_string_value(fr);
    size_t i = 0;
    for (; v[i] && i < sizeof s->finish - 1; i++)
        s->finish[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
    s->finish[i] = 0;
}

/* One parsed chunk object. 0 or -1 (failed). */
static int handle_chunk(sw_llm_stream *s, const json_t *j)
{
    const json_t *err = json_object_get(j, "error");
    if (err && !json_is_null(err)) {
        const char *m = endpoint_message(j);
        char clean[LLM_MAX_MSG + 8] = "";
        if (m) clean_text(clean, sizeof clean, m, strlen(m), s->redact);
        stream_fail(s, "the model endpoint reported an error%s%s", clean[0] ? ": " : "", clean);
        return -1;
    }
    const json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);
    if (!json_is_object(c0)) return 0; /* e.g. a usage-only chunk */
    const json_t *delta = json_object_get(c0, "delta");
    if (json_is_object(delta)) {
        const json_t *content = json_object_get(delta, "content");
        if (json_is_string(content) &&
            add_text(s, json_string_value(content), json_string_length(content)) != 0)
            return -1;
        const json_t *tcs = json_object_get(delta, "tool_calls");
        size_t i;
        const json_t *tc;
        json_array_foreach(tcs, i, tc) if (tool_delta(s, tc, -1) != 0) return -1;
    }
    set_finish(s, json_object_get(c0, "finish_reason"));
    return 0;
}

static int is_blank(const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] != ' ' && d[i] != '\t' && d[i] != '\r' && d[i] != '\n') return 0;
    return 1;
}

static int on_event(void *arg, const sw_sse_event *ev)
{
    sw_llm_stream *s = arg;
    const char *d = ev->data;
    size_t n = ev->data_len;
    if (strcmp(ev->event, "error") == 0) {
        json_t *j = json_loadb(d, n, 0, NULL);
        const char *m = json_is_object(j) ? endpoint_message(j) : NULL;
        char clean[LLM_MAX_MSG + 8];
        if (m)
            clean_text(clean, sizeof clean, m, strlen(m), s->redact);
        else
            clean_text(clean, sizeof clean, d, n, s->redact);
        json_decref(j);
        stream_fail(s, "the model endpoint reported an error%s%s", clean[0] ? ": " : "", clean);
        return 1;
    }
    while (n && (*d == ' ' || *d == '\t'))
        d++, n--;
    while (n && (d[n - 1] == ' ' || d[n - 1] == '\t' || d[n - 1] == '\r'))
        n--;
    if (n == 6 && memcmp(d, "[DONE]", 6) == 0) {
        s->done = 1;
        return 1;
    }
    if (is_blank(d, n)) return 0; /* a keep-alive with an empty data line */
    json_t *j = json_loadb(d, n, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        stream_fail(s, "the model endpoint sent a malformed stream chunk");
        return 1;
    }
    int rc = handle_chunk(s, j);
    json_decref(j);
    return rc != 0;
}

sw_llm_stream *sw_llm_stream_new(const sw_llm_callbacks *cb)
{
    sw_llm_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (cb) s->cb = *cb;
    sw_sse_init(&s->sse, 0, on_event, s);
    return s;
}

int sw_llm_stream_feed(sw_llm_stream *s, const void *buf, size_t len)
{
    if (s->failed) return -1;
    if (s->done) return 1;
    sw_sse_status st = sw_sse_feed(&s->sse, buf, len);
    if (s->failed) return -1;
    if (s->done) return 1;
    if (st == SW_SSE_E_TOO_BIG)
        stream_fail(s, "the model endpoint sent a stream event over %zu MiB",
                    SW_SSE_MAX_DEFAULT >> 20);
    else if (st != SW_SSE_OK)
        stream_fail(s, "out of memory while reading the model's answer");
    return s->failed ? -1 : 0;
}

static int by_index(const void *a, const void *b)
{
    json_int_t x = ((const call_acc *)a)->index, y = ((const call_acc *)b)->index;
    return x < y ? -1 : x > y;
}

/* 1 when some content or a tool call has arrived. */
static int stream_has_answer(const sw_llm_stream *s)
{
    return s->content.len > 0 || s->ncalls > 0;
}

int sw_llm_stream_end(sw_llm_stream *s, sw_llm_result *out)
{
    clear_answer(out);
    if (s->ncalls > 1) qsort(s->calls, (size_t)s->ncalls, sizeof *s->calls, by_index);
    out->content = buf_take(&s->content);
    int oom = !out->content;
    if (s->ncalls) {
        out->calls = calloc((size_t)s->ncalls, sizeof *out->calls);
        if (out->calls) {
            out->ncalls = s->ncalls;
            for (int i = 0; i < s->ncalls; i++) {
                out->calls[i].id = buf_take(&s->calls[i].id);
                out->calls[i].name = buf_take(&s->calls[i].name);
                out->calls[i].arguments = buf_take(&s->calls[i].args);
                oom |= !out->calls[i].id || !out->calls[i].name || !out->calls[i].arguments;
            }
        } else {
            oom = 1;
        }
    }
    snprintf(out->finish_reason, sizeof out->finish_reason, "%s", s->finish);
    if (oom) {
        set_error(out, "out of memory while reading the model's answer");
        return -1;
    }
    if (s->failed) {
        out->error = s->error ? s->error : strdup("the model's answer could not be read");
        s->error = NULL;
        return -1;
    }
    int complete = s->done || s->finish[0];
    out->truncated = !complete;
    if (out->content[0] || out->ncalls) return 0;
    if (complete)
        set_error(out, "the model returned an empty answer%s%s%s", s->finish[0] ? " (" : "",
                  s->finish, s->finish[0] ? ")" : "");
    else
        set_error(out, "the stream ended before the model answered");
    return -1;
}

void sw_llm_stream_free(sw_llm_stream *s)
{
    if (!s) return;
    sw_sse_fini(&s->sse);
    buf_free(&s->content);
    for (int i = 0; i < s->ncalls; i++) {
        buf_free(&s->calls[i].id);
        buf_free(&s->calls[i].name);
        buf_free(&s->calls[i].args);
    }
    free(s->calls);
    free(s->error);
    free(s);
}

/* The non-streamed answer, through the same assembler (limits, index order, errors). */
static int parse_completion(const char *body, size_t len, sw_llm_result *out, const char *key,
                            const sw_llm_callbacks *cb)
{
    sw_llm_stream *s = sw_llm_stream_new(cb);
    if (!s) {
        clear_answer(out);
        out->content = strdup("");
        set_error(out, "out of memory while reading the model's answer");
        return -1;
    }
    s->redact = key;
    json_t *j = json_loadb(body ? body : "", len, 0, NULL);
    if (!json_is_object(j)) {
        stream_fail(s, "the model endpoint sent an invalid response (not a JSON object)");
    } else if (json_object_get(j, "error") && !json_is_null(json_object_get(j, "error"))) {
        handle_chunk(s, j); /* fails with the endpoint's message */
    } else {
        const json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);
        const json_t *msg = json_object_get(c0, "message");
        if (!json_is_object(msg)) {
            stream_fail(s, "the model endpoint sent a response without a message");
        } else {
            const json_t *content = json_object_get(msg, "content");
            int rc = 0;
            if (json_is_string(content))
                rc = add_text(s, json_string_value(content), json_string_length(content));
            size_t i;
            const json_t *tc;
            json_array_foreach(json_object_get(msg, "tool_calls"), i, tc)
            {
                if (rc != 0) break;
                rc = tool_delta(s, tc, (json_int_t)i);
            }
            set_finish(s, json_object_get(c0, "finish_reason"));
            s->done = 1;
        }
    }
    json_decref(j);
    int rc = sw_llm_stream_end(s, out);
    sw_llm_stream_free(s);
    return rc;
}

int sw_llm_parse_completion(const char *body, size_t len, sw_llm_result *out)
{
    return parse_completion(body, len, out, NULL, NULL);
}

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
        if (len > LLM_MAX_BODY - a->body.len || buf_add(&a->body, p, len) != 0) {
            a->too_big = 1;
            return 0;
        }
        return len;
    }
    if (a->body.len < LLM_MAX_ERR_BODY) { /* an error body: its head is enough */
        size_t k = LLM_MAX_ERR_BODY - a->body.len;
        if (buf_add(&a->body, p, len < k ? len : k) != 0) return 0;
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
    body_message(msg, sizeof msg, body->p, body->len, key);
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
    set_error(out, "%s (HTTP %ld)%s%s", what, st, msg, gave_up);
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
    clean_text(clean, sizeof clean, raw, strlen(raw), key);
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

int sw_llm_chat(const sw_llm_config *cfg, const json_t *messages, const json_t *tools,
                const sw_llm_callbacks *cb, sw_llm_result *out)
{
    memset(out, 0, sizeof *out);
    out->content = strdup("");
    if (!cfg || !cfg->base_url || !cfg->base_url[0] || !cfg->model || !cfg->model[0]) {
        set_error(out, "the model client is not configured (base URL or model missing)");
        return -1;
    }
    if (!json_is_array(messages) || (tools && !json_is_array(tools))) {
        set_error(out, "invalid model request (messages must be an array, tools an array)");
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

    char *body = build_body(cfg, messages, tools);
    buf_t url = {0}, auth = {0};
    size_t blen = strlen(cfg->base_url);
    while (blen && cfg->base_url[blen - 1] == '/')
        blen--;
    int bad = !body || buf_add(&url, cfg->base_url, blen) || buf_adds(&url, "/chat/completions");
    struct curl_slist *hdrs = NULL, *h;
    const char *hv[] = {"Content-Type: application/json",
                        cfg->stream ? "Accept: text/event-stream" : "Accept: application/json",
                        "Expect:", NULL};
    for (int i = 0; !bad && hv[i]; i++) {
        if (!(h = curl_slist_append(hdrs, hv[i])))
            bad = 1;
        else
            hdrs = h;
    }
    if (!bad && key) {
        bad = buf_adds(&auth, "Authorization: Bearer ") || buf_adds(&auth, key);
        if (!bad && !(h = curl_slist_append(hdrs, auth.p)))
            bad = 1;
        else if (!bad)
            hdrs = h;
    }
    if (auth.p) explicit_bzero(auth.p, auth.len);
    buf_free(&auth);
    CURL *e = bad ? NULL : curl_easy_init();
    if (!e) {
        set_error(out, "could not prepare the model request (out of memory or invalid text)");
        free(body);
        buf_free(&url);
        wipe_headers(hdrs);
        return -1;
    }
    char errbuf[CURL_ERROR_SIZE];
    sw_netguard guard = {0};
    if (cfg->policy) sw_netguard_install(&guard, e, cfg->policy); /* a tenant's own endpoint */
    curl_easy_setopt(e, CURLOPT_URL, url.p);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
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
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, &cc);

    int rc = -1;
    for (int attempt = 0;; attempt++) {
        attempt_t a = {.cc = &cc, .want_stream = cfg->stream, .retry_after_ms = -1};
        a.stream = sw_llm_stream_new(&scb);
        if (!a.stream) {
            set_error(out, "out of memory while preparing the model request");
            break;
        }
        a.stream->redact = key;
        errbuf[0] = 0;
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &a);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &a);
        CURLcode cr = poll_cancel(&cc) ? CURLE_ABORTED_BY_CALLBACK : run_transfer(e, &cc);
        out->http_status = a.status;
        int ok_status = a.status >= 200 && a.status < 300;
        if (ok_status && a.mode == BODY_UNSET) /* headers came, no body byte */
            a.mode = (a.is_sse || (!a.has_ctype && a.want_stream)) ? BODY_SSE : BODY_JSON;
        int retry = 0;
        char why[LLM_MAX_MSG + 128] = "";

        if (guard.refused && a.status == 0) { /* never connected: the address is not allowed */
            set_error(out, "the model endpoint's address %s is not allowed (a %s address); an "
                      "operator can allow it with --outbound-allow", guard.addr, guard.why);
        } else if (cc.cancelled) {
            if (a.mode == BODY_SSE) sw_llm_stream_end(a.stream, out); /* keeps partial text */
            set_error(out, "the request was cancelled");
            out->cancelled = 1;
        } else if (ok_status && a.mode == BODY_SSE) {
            int transport = cr != CURLE_OK && !a.stream_done && !a.stream_failed;
            if (transport)
                transport_text(why, sizeof why, cr, errbuf, a.status, timeout_ms, key);
            else
                snprintf(why, sizeof why, "the stream ended before the model answered");
            sw_llm_stream *s = a.stream;
            if (!a.stream_failed && !s->done && !s->finish[0] && !stream_has_answer(s) &&
                attempt < max_retries) {
                retry = 1; /* nothing arrived at all: as good as a failed connection */
            } else {
                rc = sw_llm_stream_end(s, out);
                if (rc != 0 && transport && !out->ncalls && !out->content[0] && !a.stream_failed) {
                    if (out->retries)
                        set_error(out, "%s (gave up after %d %s)", why, out->retries,
                                  out->retries == 1 ? "retry" : "retries");
                    else
                        set_error(out, "%s", why);
                }
            }
        } else if (ok_status && cr == CURLE_OK) {
            rc = parse_completion(a.body.p, a.body.len, out, key, NULL);
            if (rc == 0 && cfg->stream && cb && cb->on_text && out->content[0])
                cb->on_text(cb->arg, out->content, strlen(out->content));
        } else if (ok_status && a.too_big) {
            set_error(out, "the model's response is too large (over %zu MiB)", LLM_MAX_BODY >> 20);
        } else if (a.status > 0 && !ok_status) {
            if (retryable_status(a.status) && attempt < max_retries) {
                retry = 1;
                snprintf(why, sizeof why, "HTTP %ld from the model endpoint", a.status);
            } else {
                http_error(out, a.status, &a.body, key,
                           retryable_status(a.status) ? out->retries : 0);
            }
        } else { /* no usable response: a connection failure or timeout */
            transport_text(why, sizeof why, cr, errbuf, a.status, timeout_ms, key);
            if (attempt < max_retries)
                retry = 1;
            else if (out->retries)
                set_error(out, "%s (gave up after %d %s)", why, out->retries,
                          out->retries == 1 ? "retry" : "retries");
            else
                set_error(out, "%s", why);
        }
        sw_llm_stream_free(a.stream);
        buf_free(&a.body);
        if (!retry) break;

        long delay = base_ms;
        for (int i = 0; i < attempt && delay < LLM_BACKOFF_CAP_MS; i++)
            delay *= 2;
        if (delay > LLM_BACKOFF_CAP_MS) delay = LLM_BACKOFF_CAP_MS;
        if (a.retry_after_ms >= 0) delay = a.retry_after_ms;
        SW_WARN("model client: %s; retry %d of %d in %ld ms", why, attempt + 1, max_retries, delay);
        if (sleep_cancellable(delay, &cc)) {
            clear_answer(out);
            out->content = strdup("");
            set_error(out, "the request was cancelled");
            out->cancelled = 1;
            break;
        }
        out->retries++;
    }
    if (rc != 0 && !out->error) set_error(out, "the model request failed");
    if (rc == 0 && out->error) { /* cannot happen; keep the contract: error NULL on success */
        free(out->error);
        out->error = NULL;
    }
    if (!out->content) out->content = strdup("");
    curl_easy_cleanup(e);
    wipe_headers(hdrs);
    free(body);
    buf_free(&url);
    return rc;
}
