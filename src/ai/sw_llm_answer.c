/* sw_llm_answer: the model client's answer side (see sw_llm.h) — buffers and results, error
 * texts, and the answer assembler shared by the streamed (SSE via sw_sse) and the plain JSON
 * paths: text deltas, tool calls assembled by index, limits, finish reasons. */
#include "ai/sw_llm.h"
#include "ai/sw_llm_internal.h"
#include "core/sw_sse.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLM_MAX_ANSWER ((size_t)16 << 20)   /* content + tool-call text of one answer */
#define LLM_MAX_CALLS 256

/* ---- buffers and results ------------------------------------------------------------------ */

int sw_llm_buf_add(buf_t *b, const char *s, size_t n)
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

int sw_llm_buf_adds(buf_t *b, const char *s)
{
    return sw_llm_buf_add(b, s, strlen(s));
}

char *sw_llm_buf_take(buf_t *b)
{
    char *r = b->p ? b->p : strdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return r;
}

void sw_llm_buf_free(buf_t *b)
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

void sw_llm_clear_answer(sw_llm_result *r)
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

void sw_llm_set_error(sw_llm_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sw_llm_set_error(sw_llm_result *r, const char *fmt, ...)
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
void sw_llm_clean_text(char *dst, size_t cap, const char *msg, size_t len, const char *key)
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
void sw_llm_body_message(char *dst, size_t cap, const char *body, size_t len, const char *key)
{
    dst[0] = 0;
    if (!body || !len) return;
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *m = json_is_object(j) ? endpoint_message(j) : NULL;
    if (m && *m) {
        char clean[LLM_MAX_MSG + 8];
        sw_llm_clean_text(clean, sizeof clean, m, strlen(m), key);
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
    if (sw_llm_buf_add(&s->content, t, n) != 0) {
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
    if (sw_llm_buf_add(b, t, n) != 0) {
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
        if (m) sw_llm_clean_text(clean, sizeof clean, m, strlen(m), s->redact);
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
            sw_llm_clean_text(clean, sizeof clean, m, strlen(m), s->redact);
        else
            sw_llm_clean_text(clean, sizeof clean, d, n, s->redact);
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

void sw_llm_stream_set_redact(sw_llm_stream *s, const char *key)
{
    s->redact = key;
}

int sw_llm_stream_got_nothing(const sw_llm_stream *s)
{
    return !s->done && !s->finish[0] && !stream_has_answer(s);
}

int sw_llm_stream_end(sw_llm_stream *s, sw_llm_result *out)
{
    sw_llm_clear_answer(out);
    if (s->ncalls > 1) qsort(s->calls, (size_t)s->ncalls, sizeof *s->calls, by_index);
    out->content = sw_llm_buf_take(&s->content);
    int oom = !out->content;
    if (s->ncalls) {
        out->calls = calloc((size_t)s->ncalls, sizeof *out->calls);
        if (out->calls) {
            out->ncalls = s->ncalls;
            for (int i = 0; i < s->ncalls; i++) {
                out->calls[i].id = sw_llm_buf_take(&s->calls[i].id);
                out->calls[i].name = sw_llm_buf_take(&s->calls[i].name);
                out->calls[i].arguments = sw_llm_buf_take(&s->calls[i].args);
                oom |= !out->calls[i].id || !out->calls[i].name || !out->calls[i].arguments;
            }
        } else {
            oom = 1;
        }
    }
    snprintf(out->finish_reason, sizeof out->finish_reason, "%s", s->finish);
    if (oom) {
        sw_llm_set_error(out, "out of memory while reading the model's answer");
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
        sw_llm_set_error(out, "the model returned an empty answer%s%s%s", s->finish[0] ? " (" : "",
                  s->finish, s->finish[0] ? ")" : "");
    else
        sw_llm_set_error(out, "the stream ended before the model answered");
    return -1;
}

void sw_llm_stream_free(sw_llm_stream *s)
{
    if (!s) return;
    sw_sse_fini(&s->sse);
    sw_llm_buf_free(&s->content);
    for (int i = 0; i < s->ncalls; i++) {
        sw_llm_buf_free(&s->calls[i].id);
        sw_llm_buf_free(&s->calls[i].name);
        sw_llm_buf_free(&s->calls[i].args);
    }
    free(s->calls);
    free(s->error);
    free(s);
}

/* The non-streamed answer, through the same assembler (limits, index order, errors). */
int sw_llm_parse_completion_redacted(const char *body, size_t len, sw_llm_result *out, const char *key,
                                     const sw_llm_callbacks *cb)
{
    sw_llm_stream *s = sw_llm_stream_new(cb);
    if (!s) {
        sw_llm_clear_answer(out);
        out->content = strdup("");
        sw_llm_set_error(out, "out of memory while reading the model's answer");
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
    return sw_llm_parse_completion_redacted(body, len, out, NULL, NULL);
}
