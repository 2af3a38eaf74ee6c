/* sw_sse: incremental Server-Sent Events parser (see sw_sse.h). */
#include "core/sw_sse.h"

#include <stdlib.h>
#include <string.h>

void sw_sse_init(sw_sse *p, size_t max, sw_sse_event_fn fn, void *arg)
{
    memset(p, 0, sizeof *p);
    p->fn = fn;
    p->arg = arg;
    p->max = max ? max : SW_SSE_MAX_DEFAULT;
    p->retry_ms = -1;
}

void sw_sse_fini(sw_sse *p)
{
    free(p->line);
    free(p->data);
    free(p->event);
    free(p->id);
    memset(p, 0, sizeof *p);
    p->retry_ms = -1;
}

int sw_sse_pending(const sw_sse *p)
{
    return p->line_len > 0 || p->data_len > 0 || p->event_len > 0;
}

long sw_sse_retry_ms(const sw_sse *p)
{
    return p->retry_ms;
}

const char *sw_sse_last_id(const sw_sse *p)
{
    return p->id_len ? p->id : "";
}

/* Makes room for `need` bytes plus a NUL in *buf. */
static int reserve(char **buf, size_t *cap, size_t need)
{
    if (need + 1 <= *cap) return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need + 1)
        nc *= 2;
    char *nb = realloc(*buf, nc);
    if (!nb) return -1;
    *buf = nb;
    *cap = nc;
    return 0;
}

/* Replaces *buf with s[0..n) (NUL-terminated). */
static int set_buf(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (reserve(buf, cap, n) != 0) return -1;
    if (n) memcpy(*buf, s, n);
    (*buf)[n] = 0;
    *len = n;
    return 0;
}

static sw_sse_status dispatch(sw_sse *p)
{
    if (p->data_len == 0) { /* no data: the event is dropped, its type forgotten */
        p->event_len = 0;
        return SW_SSE_OK;
    }
    p->data_len--; /* the LF after the last data line */
    p->data[p->data_len] = 0;
    if (p->event_len) p->event[p->event_len] = 0;
    sw_sse_event ev = {.event = p->event_len ? p->event : "message",
                       .data = p->data,
                       .data_len = p->data_len,
                       .id = p->id_len ? p->id : ""};
    int rc = p->fn ? p->fn(p->arg, &ev) : 0;
    p->data_len = 0;
    p->event_len = 0;
    return rc ? SW_SSE_STOPPED : SW_SSE_OK;
}

static int field_is(const char *f, size_t n, const char *name)
{
    size_t l = strlen(name);
    return n == l && memcmp(f, name, l) == 0;
}

static sw_sse_status process_line(sw_sse *p, const char *s, size_t n)
{
    if (!p->started) {
        p->started = 1;
        if (n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF) {
            s += 3;
            n -= 3;
        }
    }
    if (n == 0) return dispatch(p);
    if (s[0] == ':') return SW_SSE_OK; /* comment */
    const char *colon = memchr(s, ':', n);
    size_t flen = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vlen = (size_t)(s + n - v);
    if (vlen && v[0] == ' ') {
        v++;
        vlen--;
    }
    if (field_is(s, flen, "data")) {
        if (p->data_len + vlen > p->max) return SW_SSE_E_TOO_BIG;
        if (reserve(&p->data, &p->data_cap, p->data_len + vlen + 1) != 0) return SW_SSE_E_NOMEM;
        if (vlen) memcpy(p->data + p->data_len, v, vlen);
        p->data_len += vlen;
        p->data[p->data_len++] = '\n';
    } else if (field_is(s, flen, "event")) {
        /* a type with a NUL byte cannot be a C string: the field is ignored, as for id */
        if (!memchr(v, 0, vlen) && set_buf(&p->event, &p->event_len, &p->event_cap, v, vlen) != 0)
            return SW_SSE_E_NOMEM;
    } else if (field_is(s, flen, "id")) {
        if (!memchr(v, 0, vlen) && set_buf(&p->id, &p->id_len, &p->id_cap, v, vlen) != 0)
            return SW_SSE_E_NOMEM;
    } else if (field_is(s, flen, "retry")) {
        long ms = 0;
        size_t i = 0;
        for (; i < vlen && v[i] >= '0' && v[i] <= '9'; i++) {
            if (ms > 100000000L) break; /* absurd: ignore the field */
            ms = ms * 10 + (v[i] - '0');
        }
        if (vlen && i == vlen) p->retry_ms = ms;
    }
    /* any other field is ignored */
    return SW_SSE_OK;
}

/* The first CR or LF in [s, end), or NULL. */
static const char *find_eol(const char *s, const char *end)
{
    size_t n = (size_t)(end - s);
    const char *lf = memchr(s, '\n', n);
    const char *cr = memchr(s, '\r', lf ? (size_t)(lf - s) : n);
    return cr ? cr : lf;
}

sw_sse_status sw_sse_feed(sw_sse *p, const void *buf, size_t len)
{
    if (p->status != SW_SSE_OK) return p->status;
    const char *s = buf, *end = s + len;
    sw_sse_status rc = SW_SSE_OK;
    while (s < end) {
        if (p->after_cr) {
            p->after_cr = 0;
            if (*s == '\n') { /* the LF of a CRLF split across feeds */
                s++;
                continue;
            }
        }
        const char *eol = find_eol(s, end);
        size_t n = (size_t)((eol ? eol : end) - s);
        if (p->line_len + n > p->max) {
            rc = SW_SSE_E_TOO_BIG;
            break;
        }
        if (!eol || p->line_len) { /* carry over (or complete) a buffered line */
            if (reserve(&p->line, &p->line_cap, p->line_len + n) != 0) {
                rc = SW_SSE_E_NOMEM;
                break;
            }
            if (n) memcpy(p->line + p->line_len, s, n);
            p->line_len += n;
            if (!eol) break;
        }
        const char *ls = p->line_len ? p->line : s;
        size_t ll = p->line_len ? p->line_len : n;
        if (*eol == '\r') p->after_cr = 1;
        s = eol + 1;
        rc = process_line(p, ls, ll);
        p->line_len = 0;
        if (rc != SW_SSE_OK) break;
    }
    p->status = rc;
    return rc;
}
