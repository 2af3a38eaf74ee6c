/* sw_arena: a bump allocator whose memory is released all at once. Used as the per-call arena
 * of a tool call (plugins allocate results from it and never free). Not thread-safe. */
#ifndef SW_ARENA_H
#define SW_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sw_arena_chunk sw_arena_chunk;
typedef struct sw_arena {
    sw_arena_chunk *head;
    char *inline_buf;  /* optional first block supplied by the owner (e.g. on the stack) */
    size_t inline_len, inline_used;
    size_t total;      /* bytes handed out */
    size_t limit;      /* 0 = unlimited; allocations past it fail */
} sw_arena;

void sw_arena_init(sw_arena *a, void *buf, size_t buflen, size_t limit);
void sw_arena_fini(sw_arena *a); /* frees every chunk; the arena may be re-initialised */
void *sw_arena_alloc(sw_arena *a, size_t n);  /* 16-byte aligned; NULL when over the limit */
char *sw_arena_strdup(sw_arena *a, const char *s);
char *sw_arena_strndup(sw_arena *a, const char *s, size_t n);
char *sw_arena_vprintf(sw_arena *a, const char *fmt, va_list ap);
char *sw_arena_printf(sw_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
