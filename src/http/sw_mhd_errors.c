/* sw_mhd_errors: libmicrohttpd's own error answers in the API's JSON envelope. MHD answers some
 * requests without calling us — a request line or headers too large for the connection's
 * memory (414/431), malformed framing (400), a chunk header longer than its read buffer (an
 * "internal error" 500, for a long chunk extension), an unsupported version (505) — with a
 * fixed HTML page that no option replaces. It builds those with MHD_create_response_from_buffer
 * and MHD_queue_response through its PLT, so this file defines both: a page from MHD's own
 * read-only data becomes the envelope (Content-Type JSON), and the 500 — always the client's
 * over-long line, since the access handler consumes every byte it is given — becomes a 400.
 * Every other call passes straight to libmicrohttpd (dlsym(RTLD_NEXT)). */
#include "core/sw_error.h"
#include "http/sw_http.h"

#include <dlfcn.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct MHD_Response *(*from_buffer_fn)(size_t, void *, enum MHD_ResponseMemoryMode);
typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);

static from_buffer_fn real_from_buffer;
static queue_fn real_queue;
static void *mhd_base; /* where libmicrohttpd is loaded */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The error response MHD just built on this thread (it queues it right away). */
static _Thread_local struct MHD_Response *own_error;

static void resolve(void)
{
    real_from_buffer = (from_buffer_fn)(uintptr_t)dlsym(RTLD_NEXT, "MHD_create_response_from_buffer");
    real_queue = (queue_fn)(uintptr_t)dlsym(RTLD_NEXT, "MHD_queue_response");
    Dl_info info;
    if (real_from_buffer && dladdr((void *)(uintptr_t)real_from_buffer, &info)) mhd_base = info.dli_fbase;
}

/* A fixed page of libmicrohttpd's (its read-only data), not a buffer of ours. */
static int is_mhd_page(const void *buffer, enum MHD_ResponseMemoryMode mode)
{
    if (mode != MHD_RESPMEM_PERSISTENT || !buffer || !mhd_base) return 0;
    Dl_info info;
    return dladdr(buffer, &info) && info.dli_fbase == mhd_base;
}

/* What the page says, as the envelope's code and message. */
static sw_err classify(const char *page, size_t len, const char **msg)
{
    char text[512];
    snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text ? len : sizeof text - 1), page);
    if (strstr(text, "too big")) {
        *msg = "the request line or its headers are larger than the server accepts";
        return SW_ERR_BAD_REQUEST;
    }
    if (strstr(text, "Host")) {
        *msg = "an HTTP/1.1 request needs a Host header";
        return SW_ERR_BAD_REQUEST;
    }
    if (strstr(text, "chunk size")) {
        *msg = "a chunk of the request body is larger than the server accepts";
        return SW_ERR_CONTENT_TOO_LARGE;
    }
    if (strstr(text, "chunked")) {
        *msg = "the request body's chunked encoding is malformed";
        return SW_ERR_BAD_REQUEST;
    }
    if (strstr(text, "Content-Length") && strstr(text, "too large")) {
        *msg = "the request body is larger than the server accepts";
        return SW_ERR_CONTENT_TOO_LARGE;
    }
    if (strstr(text, "Content-Length")) {
        *msg = "the request's Content-Length is malformed";
        return SW_ERR_BAD_REQUEST;
    }
    if (strstr(text, "Internal server error")) {
        *msg = "a line of the request body's framing (a chunk size with its extensions) is longer than the "
               "server reads";
        return SW_ERR_BAD_REQUEST;
    }
    if (strstr(text, "version")) {
        *msg = "this HTTP version is not supported; use HTTP/1.1";
        return SW_ERR_BAD_REQUEST;
    }
    *msg = "the server could not read this request";
    return SW_ERR_BAD_REQUEST;
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
    pthread_once(&once, resolve);
    if (!real_from_buffer) return NULL;
    own_error = NULL;
    if (!is_mhd_page(buffer, mode)) return real_from_buffer(size, buffer, mode);
    const char *msg;
    sw_err e = classify(buffer, size, &msg);
    sw_resp resp = {0};
    sw_resp_error(&resp, e, NULL, "%s", msg);
    struct MHD_Response *r = resp.body ? real_from_buffer(resp.len, resp.body, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(resp.body);
        return real_from_buffer(size, buffer, mode); /* out of memory: MHD's page, as before */
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    own_error = r;
    return r;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
    pthread_once(&once, resolve);
    if (!real_queue) return MHD_NO;
    if (response && response == own_error) {
        own_error = NULL;
        if (status_code == MHD_HTTP_INTERNAL_SERVER_ERROR) status_code = MHD_HTTP_BAD_REQUEST;
    }
    return real_queue(connection, status_code, response);
}
