/* sw_sse: an incremental Server-Sent Events parser (the "event stream interpretation" of the
 * WHATWG HTML standard, §9.2.6). Owns only the framing: bytes go in split anywhere (mid-line,
 * mid-CRLF, mid-UTF-8), and one callback comes out per dispatched event with its type, its data
 * (the `data:` lines joined with "\n") and the last event id. Lines end in LF, CRLF or CR; lines
 * starting with ':' are comments; a leading UTF-8 BOM is dropped; an event without data is not
 * dispatched; an unfinished event at the end of the stream is discarded (never dispatched).
 * Limits: a line longer than `max` bytes or an event whose joined data exceeds `max` bytes is an
 * error (SW_SSE_E_TOO_BIG); errors and stops are sticky. No I/O, no allocation beyond its own
 * buffers, not thread-safe per parser (one parser per stream). */
#ifndef SW_SSE_H
#define SW_SSE_H

#include <stddef.h>

#define SW_SSE_MAX_DEFAULT ((size_t)1 << 20) /* 1 MiB per line and per event */

typedef struct sw_sse_event {
    const char *event; /* the event type; "message" when the event named none */
    /* the data lines joined with "\n"; NUL-terminated (it may hold NULs: use data_len) */
    const char *data;
    size_t data_len;
    const char *id; /* the last event id seen so far on the stream ("" when none) */
} sw_sse_event;

/* Called once per dispatched event; the pointers are valid only during the call. Return 0 to go
 * on, nonzero to stop the parser (sw_sse_feed then returns SW_SSE_STOPPED, now and later). */
typedef int (*sw_sse_event_fn)(void *arg, const sw_sse_event *ev);

typedef enum {
    SW_SSE_OK = 0,
    SW_SSE_STOPPED = 1,    /* the callback asked to stop */
    SW_SSE_E_TOO_BIG = -1, /* a line or an event exceeds the limit */
    SW_SSE_E_NOMEM = -2,
} sw_sse_status;

/* The parser state; the fields are private (the struct is public so it can live on the stack). */
typedef struct sw_sse {
    sw_sse_event_fn fn;
    void *arg;
    size_t max;
    char *line; /* the unfinished line carried over from the previous feed */
    size_t line_len, line_cap;
    char *data;
    size_t data_len, data_cap;
    char *event;
    size_t event_len, event_cap;
    char *id;
    size_t id_len, id_cap;
    long retry_ms; /* the last valid `retry:` field, -1 when none */
    int after_cr;  /* the last byte fed was CR: a LF right after it ends nothing */
    int started;   /* the first line has been seen (the BOM check is done) */
    int status;    /* sticky sw_sse_status */
} sw_sse;

/* max == 0 means SW_SSE_MAX_DEFAULT. */
void sw_sse_init(sw_sse *p, size_t max, sw_sse_event_fn fn, void *arg);

/* Feeds len bytes (any split). Dispatches every event completed by them, in order. Returns
 * SW_SSE_OK, SW_SSE_STOPPED (the callback returned nonzero; the rest of the bytes are ignored)
 * or a negative error. Once not OK, every later call returns the same status and does nothing. */
sw_sse_status sw_sse_feed(sw_sse *p, const void *buf, size_t len);

/* 1 when a partial line or an undispatched event is buffered (the stream stopped mid-event). */
int sw_sse_pending(const sw_sse *p);

/* The last `retry:` value in milliseconds, or -1. */
long sw_sse_retry_ms(const sw_sse *p);

/* The last event id seen so far ("" when none), also when its event carried no data (a
 * "priming" event that only sets the id). Valid until the next feed. */
const char *sw_sse_last_id(const sw_sse *p);

/* Frees the buffers; an unfinished event is discarded. The parser may be re-initialised. */
void sw_sse_fini(sw_sse *p);

#endif
