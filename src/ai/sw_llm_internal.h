/* sw_llm_internal: what the model client's two files share (nothing outside sw_llm*.c sees it):
 * growable buffers, result helpers, error texts (endpoint messages sanitised, truncated, the API
 * key redacted) and the few questions the transport asks the answer assembler. */
#ifndef SW_LLM_INTERNAL_H
#define SW_LLM_INTERNAL_H

#include <stddef.h>

/* the types of sw_llm.h, by tag (this header is included after it; no include back) */
struct sw_llm_result;
struct sw_llm_stream;
struct sw_llm_callbacks;

#define LLM_MAX_BODY ((size_t)32 << 20)     /* a plain JSON response body */
#define LLM_MAX_ERR_BODY ((size_t)64 << 10) /* what is kept of an error response body */
#define LLM_MAX_MSG 300 /* bytes of an endpoint's message kept in an error sentence */

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

int sw_llm_buf_add(buf_t *b, const char *s, size_t n);
int sw_llm_buf_adds(buf_t *b, const char *s);
/* Hands the string over: never NULL unless out of memory ("" when empty). */
char *sw_llm_buf_take(buf_t *b);
void sw_llm_buf_free(buf_t *b);

/* Drops the answer part of r (content, calls, finish_reason, error, truncated). */
void sw_llm_clear_answer(struct sw_llm_result *r);
void sw_llm_set_error(struct sw_llm_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies msg into dst (cap bytes) for a human sentence: every occurrence of key becomes
 * "[redacted]", control characters become spaces, cut at LLM_MAX_MSG bytes on a UTF-8 boundary. */
void sw_llm_clean_text(char *dst, size_t cap, const char *msg, size_t len, const char *key);
/* ": <message>" from a JSON error body (or "" when there is none), cleaned. */
void sw_llm_body_message(char *dst, size_t cap, const char *body, size_t len, const char *key);

/* The endpoint's messages copied into errors have `key` redacted (may be NULL). */
void sw_llm_stream_set_redact(struct sw_llm_stream *s, const char *key);
/* 1 when nothing at all arrived on the stream (no [DONE], no finish reason, no content or call):
 * as good as a failed connection. */
int sw_llm_stream_got_nothing(const struct sw_llm_stream *s);
/* The non-streamed answer, through the same assembler, with key redacted from errors. */
int sw_llm_parse_completion_redacted(const char *body, size_t len, struct sw_llm_result *out, const char *key,
                                     const struct sw_llm_callbacks *cb);

#endif
