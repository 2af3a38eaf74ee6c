/* sw_arena: chunked bump allocator with an optional caller-supplied first block. */
#include "core/sw_arena.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sw_arena_chunk {
    sw_arena_chunk *next;
    size_t len, used;
    _Alignas(16) char data[];
};

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

void sw_arena_init(sw_arena *a, void *buf, size_t buflen, size_t limit)
{
    memset(a, 0, sizeof *a);
    a->inline_buf = buf;
    a->inline_len = buf ? buflen : 0;
    a->limit = limit;
}

void sw_arena_fini(sw_arena *a)
{
    sw_arena_chunk *c = a->head;
    while (c) {
        sw_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
    a->inline_used = 0;
    a->total = 0;
}

void *sw_arena_alloc(sw_arena *a, size_t n)
{
    size_t need = ALIGN16(n ? n : 1);
    if (need < n) return NULL; /* overflow */
    if (a->limit && a->total + need > a->limit) return NULL;
    if (a->inline_buf) {
        size_t off = ALIGN16((size_t)(uintptr_t)(a->inline_buf + a->inline_used)) -
                     (size_t)(uintptr_t)a->inline_buf;
        if (off + need <= a->inline_len) {
            a->inline_used = off + need;
            a->total += need;
            return a->inline_buf + off;
        }
    }
    sw_arena_chunk *c = a->head;
    if (!c || c->len - c->used < need) {
        size_t len = need > 4096 ? need : 4096;
        c = malloc(sizeof *c + len);
        if (!c) return NULL;
        c->len = len;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->total += need;
    return p;
}

char *sw_arena_strndup(sw_arena *a, const char *s, size_t n)
{
    char *d = sw_arena_alloc(a, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *sw_arena_strdup(sw_arena *a, const char *s)
{
    return s ? sw_arena_strndup(a, s, strlen(s)) : NULL;
}

char *sw_arena_vprintf(sw_arena *a, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) return NULL;
    char *d = sw_arena_alloc(a, (size_t)n + 1);
    if (!d) return NULL;
    if ((size_t)n < sizeof small)
        memcpy(d, small, (size_t)n + 1);
    else
        vsnprintf(d, (size_t)n + 1, fmt, ap);
    return d;
}

char *sw_arena_printf(sw_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = sw_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return r;
}
