/* sw_llm: the model client. Owns one thing: a chat-completions call to an OpenAI-compatible
 * endpoint (ScaiGrid /oai/v1, OpenAI, vLLM, Ollama, llama.cpp server) — building the request,
 * streaming (SSE via sw_sse) or plain JSON, assembling text and tool calls, retrying 429/5xx and
 * connection failures with backoff, cancellation, and turning failures into a short sentence.
 * One libcurl easy handle per call (driven by a private multi handle so cancellation is polled
 * every 100 ms), so calls are thread-safe and independent; curl_global_init must have run (the app
 * does it at start-up). The API key goes only into the Authorization header: it is never logged
 * and is redacted from any endpoint message copied into an error. */
#ifndef SW_LLM_H
#define SW_LLM_H

#include <jansson.h>
#include <stddef.h>

typedef struct sw_llm_config {
    const char *base_url; /* e.g. "http://127.0.0.1:9999/v1" — POST {base_url}/chat/completions */
    const char *api_key;  /* Bearer; may be NULL/"" — never logged */
    const char *model;
    double temperature; /* < 0: omit */
    int stream;         /* 1: "stream": true, SSE; 0: plain JSON */
    int timeout_ms;     /* whole request (each attempt); 0 = 120000 */
    int max_retries;    /* for 429/5xx/connection errors; 0 = 3; < 0: no retry */
    int retry_base_ms;  /* first backoff; 0 = 500; doubles, capped at 8000; Retry-After (seconds)
                           wins when present, capped at 30 s */
    /* NULL: the endpoint is trusted (the operator's); else every connection is checked against
     * it after DNS resolution (sw_netpolicy.h) and a refused address fails at once, no retry */
    const struct sw_netpolicy *policy;
} sw_llm_config;

typedef struct sw_llm_tool_call {
    char *id;        /* "" when the endpoint gave none */
    char *name;      /* "" when the endpoint gave none */
    char *arguments; /* raw text as assembled ("" when none) */
} sw_llm_tool_call;

typedef struct sw_llm_result {
    char *content;           /* assistant text ("" when none) */
    sw_llm_tool_call *calls; /* ncalls entries, in index order */
    int ncalls;
    char finish_reason[32]; /* "stop", "tool_calls", "length", ... or "" */
    long http_status;       /* last HTTP status (0 when no response) */
    char *error;            /* NULL on success; else a short human sentence (no secrets) */
    int retries;            /* how many retries were made */
    int cancelled;          /* should_cancel asked to stop */
    /* the stream ended before [DONE]/finish_reason (partial content kept) */
    int truncated;
} sw_llm_result;

typedef struct sw_llm_callbacks {
    /* streamed text deltas (stream=1), in order; a plain JSON answer to a streamed request
     * comes as one delta */
    void (*on_text)(void *arg, const char *delta, size_t len);
    int (*should_cancel)(void *arg); /* polled at least every 100 ms */
    void *arg;
} sw_llm_callbacks;

/* messages: a JSON array of OpenAI chat messages (borrowed; must not be modified during the
 * call); tools: array of {"type":"function","function":{name,description,parameters}} or
 * NULL/empty (then no "tools" key). cb may be NULL.
 * Returns 0 when the model answered (content and/or tool calls; a truncated stream with some of
 * either counts, with truncated=1), -1 otherwise (see out->error, out->http_status,
 * out->cancelled, out->truncated); a complete but empty answer is -1 too. A response that is
 * plain JSON although a stream was asked for (or SSE although not) is accepted as what it is.
 * Always fills *out; free with sw_llm_result_fini. */
int sw_llm_chat(const sw_llm_config *cfg, const json_t *messages, const json_t *tools,
                const sw_llm_callbacks *cb, sw_llm_result *out);
void sw_llm_result_fini(sw_llm_result *r);

/* ---- The response assemblers sw_llm_chat uses, exposed for unit tests and the fuzzer ------- */

/* A streamed answer being assembled: response bytes in (any split), SSE events parsed, each
 * chunk's choices[0].delta.content appended (and passed to cb->on_text), delta.tool_calls[]
 * assembled by index (id/name kept from their first appearance, function.arguments fragments
 * concatenated), choices[0].finish_reason recorded; `data: [DONE]` ends it; `event: error` or a
 * chunk carrying "error" fails it, as does a chunk that is not a JSON object or an answer over
 * 16 MiB. */
typedef struct sw_llm_stream sw_llm_stream;

sw_llm_stream *sw_llm_stream_new(const sw_llm_callbacks *cb); /* cb may be NULL; copied */
/* Returns 0 (more wanted), 1 ([DONE] seen; later bytes are ignored) or -1 (failed; sticky). */
int sw_llm_stream_feed(sw_llm_stream *s, const void *buf, size_t len);
/* The stream is over: moves content, calls (index order), finish_reason, truncated and error
 * into out (replacing content/calls/error already there; other fields untouched). Returns 0 when
 * that is an answer (see sw_llm_chat), -1 otherwise (out->error set). Call once. */
int sw_llm_stream_end(sw_llm_stream *s, sw_llm_result *out);
void sw_llm_stream_free(sw_llm_stream *s);

/* Parses a non-streamed chat.completion body: choices[0].message.content / .tool_calls and
 * choices[0].finish_reason into out (replacing content/calls/error). Returns 0 when it is an
 * answer, -1 otherwise (out->error set). */
int sw_llm_parse_completion(const char *body, size_t len, sw_llm_result *out);

#endif
