/* Unit tests for sw_sse: every split of a sample stream (one cut, two cuts, byte by byte) gives
 * the same events; comments, LF/CRLF/CR line ends (CRLF split across feeds), multi-line data,
 * event names and their reset, ids, retry, the BOM, NUL bytes, oversize lines and events, stopping
 * from the callback, and an unfinished event at the end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sw_sse.h"

#define REQUIRE(p)                                                                                 \
    do {                                                                                           \
        assert_non_null(p);                                                                        \
        if (!(p)) abort();                                                                         \
    } while (0)

/* ---- a recorder: every event serialised as "<event>|<id>|<data>\x1e" --------------------- */

typedef struct {
    char *s;
    size_t len, cap;
    int n;
    int stop_after; /* return nonzero from the n-th event (0 = never) */
} rec;

static void rec_add(rec *r, const char *p, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->s = realloc(r->s, r->cap);
        REQUIRE(r->s);
    }
    memcpy(r->s + r->len, p, n);
    r->len += n;
    r->s[r->len] = 0;
}

static int on_ev(void *arg, const sw_sse_event *ev)
{
    rec *r = arg;
    assert_int_equal(ev->data[ev->data_len], 0); /* NUL-terminated */
    rec_add(r, ev->event, strlen(ev->event));
    rec_add(r, "|", 1);
    rec_add(r, ev->id, strlen(ev->id));
    rec_add(r, "|", 1);
    rec_add(r, ev->data, ev->data_len);
    rec_add(r, "\x1e", 1);
    r->n++;
    return r->stop_after && r->n >= r->stop_after;
}

static void rec_free(rec *r)
{
    free(r->s);
    memset(r, 0, sizeof *r);
}

/* Parses `in` fed in the pieces cut at cuts[0..ncuts) (ascending) and returns the status of the
 * last feed; the recorder gets the events. */
static sw_sse_status parse_cut(const char *in, size_t n, const size_t *cuts, int ncuts, size_t max,
                               rec *r)
{
    sw_sse p;
    sw_sse_init(&p, max, on_ev, r);
    size_t at = 0;
    sw_sse_status st = SW_SSE_OK;
    for (int i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : n;
        st = sw_sse_feed(&p, in + at, to - at);
        at = to;
    }
    sw_sse_fini(&p);
    return st;
}

static sw_sse_status parse_whole(const char *in, size_t n, size_t max, rec *r)
{
    return parse_cut(in, n, NULL, 0, max, r);
}

/* A sample using every feature: BOM, comments, the three line ends, multi-line data, event
 * names, ids, retry, a no-data event, a field without colon, UTF-8, "data" without a space. */
static const char SAMPLE[] = "\xEF\xBB\xBF"
                             ": a comment first\n"
                             "data: one\n"
                             "\n"
                             "event: delta\r\n"
                             "id: 7\r\n"
                             "data: two-a\r\n"
                             "data:two-b\r\n"
                             "\r\n"
                             "event: ignored-no-data\r"
                             "retry: 1500\r"
                             "\r"
                             "data\n"
                             "data:  spaced\n"
                             ":another comment\n"
                             "unknown: field\n"
                             "\n"
                             "data: Gr\xC3\xBC\xC3\x9F"
                             "e \xF0\x9F\x8C\x8D\n"
                             "event: error\n"
                             "\n"
                             "id\n"
                             "data: last\n"
                             "\n"
                             "data: unfinished";

static const char SAMPLE_EVENTS[] = "message||one\x1e"
                                    "delta|7|two-a\ntwo-b\x1e"
                                    "message|7|\n spaced\x1e"
                                    "error|7|Gr\xC3\xBC\xC3\x9F"
                                    "e \xF0\x9F\x8C\x8D\x1e"
                                    "message||last\x1e";

static void test_sample_whole(void **state)
{
    (void)state;
    rec r = {0};
    assert_int_equal(parse_whole(SAMPLE, sizeof SAMPLE - 1, 0, &r), SW_SSE_OK);
    assert_int_equal(r.n, 5);
    assert_string_equal(r.s, SAMPLE_EVENTS);
    rec_free(&r);
}

static void test_every_single_cut(void **state)
{
    (void)state;
    size_t n = sizeof SAMPLE - 1;
    for (size_t k = 0; k <= n; k++) {
        rec r = {0};
        assert_int_equal(parse_cut(SAMPLE, n, &k, 1, 0, &r), SW_SSE_OK);
        assert_string_equal(r.s, SAMPLE_EVENTS);
        rec_free(&r);
    }
}

static void test_every_double_cut(void **state)
{
    (void)state;
    size_t n = sizeof SAMPLE - 1;
    for (size_t a = 0; a <= n; a++)
        for (size_t b = a; b <= n; b++) {
            size_t cuts[2] = {a, b};
            rec r = {0};
            assert_int_equal(parse_cut(SAMPLE, n, cuts, 2, 0, &r), SW_SSE_OK);
            if (strcmp(r.s, SAMPLE_EVENTS) != 0) fail_msg("cuts %zu,%zu: %s", a, b, r.s);
            rec_free(&r);
        }
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    size_t n = sizeof SAMPLE - 1;
    size_t *cuts = malloc(n * sizeof *cuts);
    REQUIRE(cuts);
    for (size_t i = 0; i < n; i++)
        cuts[i] = i + 1;
    rec r = {0};
    assert_int_equal(parse_cut(SAMPLE, n, cuts, (int)n, 0, &r), SW_SSE_OK);
    assert_string_equal(r.s, SAMPLE_EVENTS);
    rec_free(&r);
    free(cuts);
}

static void test_pending_at_end(void **state)
{
    (void)state;
    rec r = {0};
    sw_sse p;
    sw_sse_init(&p, 0, on_ev, &r);
    assert_int_equal(sw_sse_feed(&p, "data: a\n\ndata: b\n", 17), SW_SSE_OK);
    assert_int_equal(r.n, 1);
    assert_true(sw_sse_pending(&p)); /* "b" awaits its blank line: never dispatched */
    sw_sse_fini(&p);
    assert_int_equal(r.n, 1);
    rec_free(&r);

    sw_sse_init(&p, 0, on_ev, &r);
    assert_int_equal(sw_sse_feed(&p, "data: a\n\n", 9), SW_SSE_OK);
    assert_false(sw_sse_pending(&p));
    assert_int_equal(sw_sse_feed(&p, "dat", 3), SW_SSE_OK);
    assert_true(sw_sse_pending(&p)); /* a partial line */
    sw_sse_fini(&p);
    rec_free(&r);
}

static void test_comments_only(void **state)
{
    (void)state;
    const char *in = ":\n: keep-alive\n\n:x\r\n\r\n";
    rec r = {0};
    assert_int_equal(parse_whole(in, strlen(in), 0, &r), SW_SSE_OK);
    assert_int_equal(r.n, 0);
    rec_free(&r);
}

static void test_line_ends(void **state)
{
    (void)state;
    const char *in[] = {"data: a\ndata: b\n\n", "data: a\r\ndata: b\r\n\r\n",
                        "data: a\rdata: b\r\r", "data: a\r\ndata: b\rdata: c\n\r\n"};
    const char *want[] = {"message||a\nb\x1e", "message||a\nb\x1e", "message||a\nb\x1e",
                          "message||a\nb\nc\x1e"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        rec r = {0};
        assert_int_equal(parse_whole(in[i], strlen(in[i]), 0, &r), SW_SSE_OK);
        assert_string_equal(r.s, want[i]);
        rec_free(&r);
    }
    /* CR at the end of one feed, LF at the start of the next: one line end, not two. */
    rec r = {0};
    sw_sse p;
    sw_sse_init(&p, 0, on_ev, &r);
    assert_int_equal(sw_sse_feed(&p, "data: a\r", 8), SW_SSE_OK);
    assert_int_equal(sw_sse_feed(&p, "\ndata: b\r", 9), SW_SSE_OK);
    assert_int_equal(r.n, 0); /* a lone LF after the CR must not dispatch */
    assert_int_equal(sw_sse_feed(&p, "\n", 1), SW_SSE_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(sw_sse_feed(&p, "\r\n", 2), SW_SSE_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.s, "message||a\nb\x1e");
    sw_sse_fini(&p);
    rec_free(&r);
}

static void test_data_fields(void **state)
{
    (void)state;
    /* "data" alone and "data:" are empty lines of data; one space after the colon is dropped. */
    const char *in = "data\n\n"
                     "data:\ndata:\n\n"
                     "data:x\n\n"
                     "data:  two spaces\n\n"
                     "data: trailing \n\n"
                     "data::colon: inside\n\n";
    rec r = {0};
    assert_int_equal(parse_whole(in, strlen(in), 0, &r), SW_SSE_OK);
    assert_string_equal(r.s, "message||\x1e"
                             "message||\n\x1e"
                             "message||x\x1e"
                             "message|| two spaces\x1e"
                             "message||trailing \x1e"
                             "message||:colon: inside\x1e");
    rec_free(&r);
}

static void test_event_names(void **state)
{
    (void)state;
    const char *in = "event: a\ndata: 1\n\n"
                     "data: 2\n\n"     /* the name does not carry over */
                     "event: lost\n\n" /* no data: nothing, and the name is forgotten */
                     "data: 3\n\n"
                     "event: x\nevent: y\ndata: 4\n\n" /* the last one wins */
                     "event\ndata: 5\n\n";             /* an empty name means "message" */
    rec r = {0};
    assert_int_equal(parse_whole(in, strlen(in), 0, &r), SW_SSE_OK);
    assert_string_equal(r.s, "a||1\x1emessage||2\x1emessage||3\x1ey||4\x1emessage||5\x1e");
    rec_free(&r);
}

static void test_id_and_retry(void **state)
{
    (void)state;
    static const char in[] = "id: 1\ndata: a\n\n"
                             "data: b\n\n"           /* the id persists */
                             "id: x\0y\ndata: c\n\n" /* an id with a NUL is ignored */
                             "id\ndata: d\n\n"       /* an empty id resets it */
                             "retry: 12x\nretry: 250\nretry: abc\ndata: e\n\n";
    rec r = {0};
    sw_sse p;
    sw_sse_init(&p, 0, on_ev, &r);
    assert_int_equal(sw_sse_retry_ms(&p), -1);
    assert_int_equal(sw_sse_feed(&p, in, sizeof in - 1), SW_SSE_OK);
    assert_int_equal(sw_sse_retry_ms(&p), 250);
    sw_sse_fini(&p);
    assert_string_equal(r.s, "message|1|a\x1emessage|1|b\x1emessage|1|c\x1e"
                             "message||d\x1emessage||e\x1e");
    rec_free(&r);
}

static void test_bom(void **state)
{
    (void)state;
    rec r = {0};
    /* split inside the BOM */
    sw_sse p;
    sw_sse_init(&p, 0, on_ev, &r);
    assert_int_equal(sw_sse_feed(&p, "\xEF", 1), SW_SSE_OK);
    assert_int_equal(sw_sse_feed(&p,
                                 "\xBB\xBF"
                                 "data: a\n\n",
                                 11),
                     SW_SSE_OK);
    sw_sse_fini(&p);
    assert_string_equal(r.s, "message||a\x1e");
    rec_free(&r);
    /* only the first BOM of the stream is special: a second one makes an unknown field */
    const char *in = "\xEF\xBB\xBF\xEF\xBB\xBF"
                     "data: a\n\n"
                     "\xEF\xBB\xBF"
                     "data: b\n\ndata: c\n\n";
    assert_int_equal(parse_whole(in, strlen(in), 0, &r), SW_SSE_OK);
    assert_string_equal(r.s, "message||c\x1e");
    rec_free(&r);
}

static void test_nul_in_data(void **state)
{
    (void)state;
    static const char in[] = "data: a\0b\n\n";
    sw_sse p;
    rec r = {0};
    sw_sse_init(&p, 0, on_ev, &r);
    assert_int_equal(sw_sse_feed(&p, in, sizeof in - 1), SW_SSE_OK);
    sw_sse_fini(&p);
    assert_int_equal(r.len, strlen("message||") + 3 + 1);
    assert_memory_equal(r.s, "message||a\0b\x1e", r.len);
    rec_free(&r);
}

static void test_oversize_line(void **state)
{
    (void)state;
    /* small limit: a line of exactly max bytes is fine, max+1 is an error, in any split */
    const char *ok = "data: 12345678\n\n"; /* "data: 12345678" = 14 bytes */
    rec r = {0};
    assert_int_equal(parse_whole(ok, strlen(ok), 14, &r), SW_SSE_OK);
    assert_int_equal(r.n, 1);
    rec_free(&r);
    const char *bad = "data: 1\n\ndata: 123456789\n\ndata: 2\n\n";
    size_t n = strlen(bad);
    for (size_t k = 0; k <= n; k++) {
        assert_int_equal(parse_cut(bad, n, &k, 1, 14, &r), SW_SSE_E_TOO_BIG);
        assert_string_equal(r.s, "message||1\x1e"); /* events before the bad line came out */
        rec_free(&r);
    }
    /* an unterminated line over the limit fails as soon as it is over, not at its end */
    sw_sse p;
    sw_sse_init(&p, 14, on_ev, &r);
    assert_int_equal(sw_sse_feed(&p, "data: 12345678", 14), SW_SSE_OK);
    assert_int_equal(sw_sse_feed(&p, "9", 1), SW_SSE_E_TOO_BIG);
    assert_int_equal(sw_sse_feed(&p, "\n\ndata: x\n\n", 11), SW_SSE_E_TOO_BIG); /* sticky */
    assert_int_equal(r.n, 0);
    sw_sse_fini(&p);
    rec_free(&r);
}

static void test_oversize_event(void **state)
{
    (void)state;
    /* max 12: lines of 12 bytes pass; joined data "123456\n12345" is 12 → fine, 13 → error */
    const char *ok = "data: 123456\ndata: 12345\n\n";
    rec r = {0};
    assert_int_equal(parse_whole(ok, strlen(ok), 12, &r), SW_SSE_OK);
    assert_string_equal(r.s, "message||123456\n12345\x1e");
    rec_free(&r);
    const char *bad = "data: 123456\ndata: 123456\n\n";
    assert_int_equal(parse_whole(bad, strlen(bad), 12, &r), SW_SSE_E_TOO_BIG);
    assert_int_equal(r.n, 0);
    rec_free(&r);
}

/* "data: " + fill bytes of 'x' + "\n\n" */
static char *data_line(size_t fill, size_t *len)
{
    char *b = malloc(fill + 9);
    REQUIRE(b);
    memcpy(b, "data: ", 6);
    memset(b + 6, 'x', fill);
    memcpy(b + 6 + fill, "\n\n", 3);
    *len = fill + 8;
    return b;
}

static void test_default_limit_1mib(void **state)
{
    (void)state;
    size_t len;
    rec r = {0};
    char *b = data_line(SW_SSE_MAX_DEFAULT - 6, &len); /* a line of exactly 1 MiB */
    assert_int_equal(parse_whole(b, len, 0, &r), SW_SSE_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.len, strlen("message||") + SW_SSE_MAX_DEFAULT - 6 + 1);
    rec_free(&r);
    free(b);
    b = data_line(SW_SSE_MAX_DEFAULT - 5, &len); /* one byte more */
    assert_int_equal(parse_whole(b, len, 0, &r), SW_SSE_E_TOO_BIG);
    assert_int_equal(r.n, 0);
    rec_free(&r);
    free(b);
}

static void test_stop_from_callback(void **state)
{
    (void)state;
    const char *in = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    rec r = {.stop_after = 2};
    sw_sse p;
    sw_sse_init(&p, 0, on_ev, &r);
    assert_int_equal(sw_sse_feed(&p, in, strlen(in)), SW_SSE_STOPPED);
    assert_int_equal(r.n, 2);
    assert_int_equal(sw_sse_feed(&p, in, strlen(in)), SW_SSE_STOPPED);
    assert_int_equal(r.n, 2);
    sw_sse_fini(&p);
    rec_free(&r);
}

/* Found by fuzz_sse: an event type holding a NUL byte came out as the empty string. The field
 * is ignored (as the standard does for an id with a NUL): the event is a "message". */
static void test_event_type_with_a_nul_is_ignored(void **state)
{
    (void)state;
    static const char in[] = "event:\0\0ab\ndata: x\n\nevent: a\0\ndata: y\n\n";
    rec r = {0};
    sw_sse p;
    sw_sse_init(&p, 0, on_ev, &r);
    assert_int_equal(sw_sse_feed(&p, in, sizeof in - 1), SW_SSE_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.s, "message||x\x1emessage||y\x1e");
    sw_sse_fini(&p);
    rec_free(&r);
}

static void test_empty_and_null_callback(void **state)
{
    (void)state;
    sw_sse p;
    sw_sse_init(&p, 0, NULL, NULL);
    assert_int_equal(sw_sse_feed(&p, "", 0), SW_SSE_OK);
    assert_int_equal(sw_sse_feed(&p, "data: x\n\n", 9), SW_SSE_OK);
    assert_false(sw_sse_pending(&p));
    sw_sse_fini(&p);
    sw_sse_fini(&p); /* idempotent */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_whole),
        cmocka_unit_test(test_every_single_cut),
        cmocka_unit_test(test_every_double_cut),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_pending_at_end),
        cmocka_unit_test(test_comments_only),
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_data_fields),
        cmocka_unit_test(test_event_names),
        cmocka_unit_test(test_id_and_retry),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_nul_in_data),
        cmocka_unit_test(test_oversize_line),
        cmocka_unit_test(test_oversize_event),
        cmocka_unit_test(test_default_limit_1mib),
        cmocka_unit_test(test_stop_from_callback),
        cmocka_unit_test(test_empty_and_null_callback),
        cmocka_unit_test(test_event_type_with_a_nul_is_ignored),
    };
    return cmocka_run_group_tests_name("sw_sse", tests, NULL, NULL);
}
