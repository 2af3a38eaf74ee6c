/* fuzz_sse: libFuzzer target for the SSE framing (src/core/sw_sse.c) and the streamed-answer
 * assembler sw_llm uses (sw_llm_stream_*, src/ai/sw_llm.c), plus the plain JSON answer parser.
 *
 * Input layout: byte 0 = flags, bytes 1..4 = seed of the split pattern, the rest = body.
 *   flags & 1 == 0  "raw": the body is the byte stream as it came off the wire.
 *   flags & 1 == 1  "program": the body is a list of ops [kind | style << 4][len][payload]
 *                   that generate a well-formed OpenAI stream (content deltas, tool-call deltas
 *                   by index with id/name/argument fragments, finish_reason, [DONE], comments,
 *                   usage chunks, keep-alives, JSON split over two data lines, LF/CRLF/CR event
 *                   ends), so the fuzzer reaches the assembler without having to learn JSON; an
 *                   independent model of what the answer must be is kept alongside.
 *   (flags >> 1) & 7 picks the SSE limit for the framing check (small limits reach the
 *   oversize paths).
 * Oracles:
 *   - sw_sse: the same events (type, id, data) and final status whether the stream is fed whole,
 *     in random pieces or byte by byte;
 *   - sw_llm_stream: the same result (return code, content, calls, finish_reason, truncated,
 *     error) for whole / random pieces / byte by byte; the on_text deltas concatenate to the
 *     content; success iff content or calls; no error on success;
 *   - program mode: the result equals the model (content, calls in index order with the first
 *     id/name and the concatenated arguments, finish_reason, truncated);
 *   - sw_llm_parse_completion on the raw body: no crash, rc/error consistent.
 * Run: CC=clang-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSW_FUZZ=ON \
 *        -DSW_SANITIZE=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link && \
 *      cmake --build build-fuzz --target fuzz_sse && build-fuzz/fuzz_sse -max_total_time=70 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ai/sw_llm.h"
#include "core/sw_sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) __builtin_trap();                                                                \
    } while (0)

/* ---- small growable byte buffer ------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
} bb;

static void bb_add(bb *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1)
            nc *= 2;
        b->p = realloc(b->p, nc);
        CHECK(b->p);
        b->cap = nc;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void bb_adds(bb *b, const char *s)
{
    bb_add(b, s, strlen(s));
}

static void bb_free(bb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- split patterns ------------------------------------------------------------------------ */

static uint32_t rng(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Piece length for split mode: 0 = whole, 1 = byte by byte, 2 = random 1..17, 3 = random 1..300 */
static size_t piece(int mode, uint32_t *seed, size_t left)
{
    size_t n = mode == 0   ? left
               : mode == 1 ? 1
               : mode == 2 ? 1 + rng(seed) % 17
                           : 1 + rng(seed) % 300;
    return n < left ? n : left;
}

/* ---- sw_sse: the events as one string ------------------------------------------------------ */

static int rec_event(void *arg, const sw_sse_event *ev)
{
    bb *b = arg;
    CHECK(ev->data[ev->data_len] == 0);
    CHECK(ev->event[0] != 0);
    bb_adds(b, ev->event);
    bb_add(b, "\x01", 1);
    bb_adds(b, ev->id);
    bb_add(b, "\x01", 1);
    uint32_t n = (uint32_t)ev->data_len;
    bb_add(b, &n, sizeof n);
    bb_add(b, ev->data, ev->data_len);
    return 0;
}

static sw_sse_status sse_run(const char *in, size_t n, size_t max, int mode, uint32_t seed, bb *out,
                             int *pending)
{
    sw_sse p;
    sw_sse_init(&p, max, rec_event, out);
    sw_sse_status st = SW_SSE_OK;
    size_t at = 0;
    do {
        size_t k = piece(mode, &seed, n - at);
        st = sw_sse_feed(&p, in + at, k);
        at += k;
    } while (at < n);
    *pending = sw_sse_pending(&p);
    sw_sse_fini(&p);
    return st;
}

static void check_sse(const char *in, size_t n, size_t max, uint32_t seed)
{
    bb ref = {0};
    int ref_pending;
    sw_sse_status ref_st = sse_run(in, n, max, 0, seed, &ref, &ref_pending);
    CHECK(ref_st == SW_SSE_OK || ref_st == SW_SSE_E_TOO_BIG);
    for (int mode = 1; mode <= 3; mode++) {
        if (mode == 1 && n > 8192) continue;
        bb got = {0};
        int pending;
        sw_sse_status st = sse_run(in, n, max, mode, seed, &got, &pending);
        CHECK(st == ref_st);
        CHECK(got.len == ref.len && (ref.len == 0 || memcmp(got.p, ref.p, ref.len) == 0));
        if (st == SW_SSE_OK) CHECK(pending == ref_pending);
        bb_free(&got);
    }
    bb_free(&ref);
}

/* ---- sw_llm_stream: the result as one string ----------------------------------------------- */

static void on_text(void *arg, const char *d, size_t n)
{
    CHECK(n > 0);
    bb_add(arg, d, n);
}

static int llm_run(const char *in, size_t n, int mode, uint32_t seed, sw_llm_result *r)
{
    bb deltas = {0};
    sw_llm_callbacks cb = {.on_text = on_text, .arg = &deltas};
    sw_llm_stream *s = sw_llm_stream_new(&cb);
    CHECK(s);
    size_t at = 0;
    int fr = 0;
    do {
        size_t k = piece(mode, &seed, n - at);
        fr = sw_llm_stream_feed(s, in + at, k);
        CHECK(fr >= -1 && fr <= 1);
        at += k;
        if (fr != 0 && (rng(&seed) & 1)) break; /* stopping early or feeding on: same result */
    } while (at < n);
    memset(r, 0, sizeof *r);
    int rc = sw_llm_stream_end(s, r);
    sw_llm_stream_free(s);
    CHECK(r->content);
    /* what went to on_text is exactly the content */
    CHECK(deltas.len == strlen(r->content));
    CHECK(deltas.len == 0 || memcmp(deltas.p, r->content, deltas.len) == 0);
    bb_free(&deltas);
    if (rc == 0) {
        CHECK(r->error == NULL);
        CHECK(r->content[0] || r->ncalls > 0);
    } else {
        CHECK(rc == -1 && r->error && r->error[0]);
    }
    CHECK(strlen(r->finish_reason) < sizeof r->finish_reason);
    for (int i = 0; i < r->ncalls; i++)
        CHECK(r->calls[i].id && r->calls[i].name && r->calls[i].arguments);
    return rc;
}

static void same_result(const sw_llm_result *a, int ra, const sw_llm_result *b, int rb)
{
    CHECK(ra == rb);
    CHECK(strcmp(a->content, b->content) == 0);
    CHECK(a->ncalls == b->ncalls);
    for (int i = 0; i < a->ncalls; i++) {
        CHECK(strcmp(a->calls[i].id, b->calls[i].id) == 0);
        CHECK(strcmp(a->calls[i].name, b->calls[i].name) == 0);
        CHECK(strcmp(a->calls[i].arguments, b->calls[i].arguments) == 0);
    }
    CHECK(strcmp(a->finish_reason, b->finish_reason) == 0);
    CHECK(a->truncated == b->truncated);
    CHECK((a->error == NULL) == (b->error == NULL));
    if (a->error) CHECK(strcmp(a->error, b->error) == 0);
}

/* ---- program mode: a generated stream and its model ---------------------------------------- */

#define MAXIDX 8

typedef struct {
    bb content;
    int seen[MAXIDX];
    bb id[MAXIDX], name[MAXIDX], args[MAXIDX];
    char finish[32];
    int done; /* a [DONE] was generated: everything after it is ignored */
} model;

/* A JSON string value from payload bytes: NULs become 'x', invalid UTF-8 is dropped by jansson's
 * check (then the string is empty). `ascii` maps bytes to [a-z_] (ids, names, finish reasons). */
static json_t *jstr(const uint8_t *p, size_t n, int ascii, bb *plain)
{
    char *t = malloc(n + 1);
    CHECK(t);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        t[i] = ascii ? (char)("abcdefghijklmnopqrstuvwxyz_"[c % 27]) : c ? (char)c : 'x';
    }
    json_t *s = json_stringn(t, n);
    if (!s) s = json_string("");
    CHECK(s);
    if (plain) bb_add(plain, json_string_value(s), json_string_length(s));
    free(t);
    return s;
}

static void emit_data(bb *out, json_t *chunk, uint8_t style)
{
    char *d = json_dumps(chunk, JSON_COMPACT);
    CHECK(d);
    json_decref(chunk);
    if (style & 4) { /* the JSON over two data lines, split after the opening brace */
        bb_adds(out, "data: {\ndata:");
        bb_adds(out, d + 1);
    } else {
        bb_adds(out, (style & 8) ? "data:" : "data: ");
        bb_adds(out, d);
    }
    free(d);
    static const char *ends[] = {"\n\n", "\r\n\r\n", "\r\r", "\n\r\n"};
    bb_adds(out, ends[style & 3]);
}

static json_t *chunk_with(json_t *delta, json_t *finish)
{
    return json_pack("{s:s, s:[{s:i, s:o, s:o}]}", "object", "chat.completion.chunk", "choices",
                     "index", 0, "delta", delta, "finish_reason", finish ? finish : json_null());
}

/* Reads ops from p[0..n) and writes the stream to out and the expectation to m. */
static void generate(const uint8_t *p, size_t n, bb *out, model *m)
{
    size_t i = 0;
    while (i + 2 <= n) {
        uint8_t op = p[i], len = p[i + 1] % 24;
        i += 2;
        if (len > n - i) len = (uint8_t)(n - i);
        const uint8_t *pl = p + i;
        i += len;
        uint8_t style = op >> 4;
        switch ((op & 15) % 10) {
        case 0: { /* content delta */
            json_t *s = jstr(pl, len, 0, m->done ? NULL : &m->content);
            emit_data(out, chunk_with(json_pack("{s:o}", "content", s), NULL), style);
            break;
        }
        case 1:   /* tool-call delta: index from the first payload byte, id/name by flags */
        case 2: { /* (twice as likely) */
            int idx = len ? pl[0] % MAXIDX : 0;
            uint8_t fl = len > 1 ? pl[1] : 0;
            const uint8_t *a = len > 2 ? pl + 2 : pl;
            size_t an = len > 2 ? len - 2u : 0;
            json_t *fn = json_object();
            json_t *tc = json_pack("{s:i}", "index", idx);
            CHECK(fn && tc);
            int live = !m->done;
            if (live) m->seen[idx] = 1;
            if (fl & 1) {
                bb v = {0};
                json_object_set_new(tc, "id", jstr(a, an < 5 ? an : 5, 1, &v));
                if (live && m->id[idx].len == 0) bb_add(&m->id[idx], v.p, v.len);
                bb_free(&v);
            }
            if (fl & 2) {
                bb v = {0};
                json_object_set_new(fn, "name", jstr(a, an < 7 ? an : 7, 1, &v));
                if (live && m->name[idx].len == 0) bb_add(&m->name[idx], v.p, v.len);
                bb_free(&v);
            }
            if (!(fl & 4)) {
                bb v = {0};
                json_object_set_new(fn, "arguments", jstr(a, an, 0, &v));
                if (live) bb_add(&m->args[idx], v.p, v.len);
                bb_free(&v);
            }
            json_object_set_new(tc, "function", fn);
            if (fl & 8) json_object_set_new(tc, "type", json_string("function"));
            emit_data(out, chunk_with(json_pack("{s:[o]}", "tool_calls", tc), NULL), style);
            break;
        }
        case 3: { /* finish_reason */
            bb v = {0};
            json_t *f = jstr(pl, len < 20 ? len : 20, 1, &v);
            if (!m->done) snprintf(m->finish, sizeof m->finish, "%s", v.p ? v.p : "");
            bb_free(&v);
            emit_data(out, chunk_with(json_object(), f), style);
            break;
        }
        case 4: /* [DONE] */
            bb_adds(out, (style & 1) ? "data:[DONE]\r\n\r\n" : "data: [DONE]\n\n");
            m->done = 1;
            break;
        case 5: { /* a comment */
            bb_adds(out, ": ");
            for (size_t k = 0; k < len; k++) {
                char c = (char)(pl[k] == '\n' || pl[k] == '\r' ? ' ' : pl[k]);
                bb_add(out, &c, 1);
            }
            bb_adds(out, (style & 1) ? "\r\n" : "\n");
            break;
        }
        case 6: /* a usage chunk: no choices */
            emit_data(out, json_pack("{s:[], s:{s:i}}", "choices", "usage", "total_tokens", len),
                      style);
            break;
        case 7: /* a keep-alive: an empty data line */
            bb_adds(out, "data:\n\n");
            break;
        case 8: /* an event without data (dropped) and an id */
            bb_adds(out, "event: ping\nid: 42\n\n");
            break;
        default: /* blank lines between events */
            bb_adds(out, "\n\n");
            break;
        }
    }
}

static void check_model(const model *m, const sw_llm_result *r, int rc)
{
    CHECK(r->error == NULL || rc == -1);
    CHECK(strcmp(r->content, m->content.p ? m->content.p : "") == 0);
    int k = 0;
    for (int idx = 0; idx < MAXIDX; idx++) {
        if (!m->seen[idx]) continue;
        CHECK(k < r->ncalls);
        const sw_llm_tool_call *c = &r->calls[k++];
        CHECK(strcmp(c->id, m->id[idx].p ? m->id[idx].p : "") == 0);
        CHECK(strcmp(c->name, m->name[idx].p ? m->name[idx].p : "") == 0);
        CHECK(strcmp(c->arguments, m->args[idx].p ? m->args[idx].p : "") == 0);
    }
    CHECK(k == r->ncalls);
    CHECK(strcmp(r->finish_reason, m->finish) == 0);
    int complete = m->done || m->finish[0];
    CHECK(r->truncated == !complete);
    CHECK(rc == ((m->content.len || k) ? 0 : -1));
}

static void model_free(model *m)
{
    bb_free(&m->content);
    for (int i = 0; i < MAXIDX; i++) {
        bb_free(&m->id[i]);
        bb_free(&m->name[i]);
        bb_free(&m->args[i]);
    }
}

/* ---- entry --------------------------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5 || size > 64 * 1024) return 0;
    uint8_t flags = data[0];
    uint32_t seed = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                    (uint32_t)data[4] << 24;
    const uint8_t *body = data + 5;
    size_t n = size - 5;
    static const size_t limits[8] = {0, 1, 2, 7, 16, 64, 300, 4096};
    size_t max = limits[(flags >> 1) & 7];

    bb stream = {0};
    model m = {0};
    int program = flags & 1;
    if (program) {
        generate(body, n, &stream, &m);
    } else {
        bb_add(&stream, body, n);
    }

    check_sse(stream.p ? stream.p : "", stream.len, max, seed);

    sw_llm_result ref;
    int rref = llm_run(stream.p ? stream.p : "", stream.len, 0, seed, &ref);
    if (program) check_model(&m, &ref, rref);
    for (int mode = 1; mode <= 3; mode++) {
        if (mode == 1 && stream.len > 8192) continue;
        sw_llm_result r;
        int rc = llm_run(stream.p ? stream.p : "", stream.len, mode, seed, &r);
        same_result(&ref, rref, &r, rc);
        sw_llm_result_fini(&r);
    }
    sw_llm_result_fini(&ref);

    if (!program) { /* the body as a non-streamed answer */
        sw_llm_result r = {0};
        int rc = sw_llm_parse_completion((const char *)body, n, &r);
        CHECK(r.content);
        CHECK(rc == 0 ? (r.error == NULL && (r.content[0] || r.ncalls))
                      : (rc == -1 && r.error != NULL));
        sw_llm_result_fini(&r);
    }
    model_free(&m);
    bb_free(&stream);
    return 0;
}
