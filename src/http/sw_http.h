/* sw_http: what a resource handler sees — the request (method, path parameters, body, query,
 * the caller's tenant context) and the response it fills — plus the helpers that keep every
 * answer in the API's envelope: {"data","meta"} on success, {"error":{code,message,details}}
 * on failure. */
#ifndef SW_HTTP_H
#define SW_HTTP_H

#include "app/sw_app.h"
#include "core/sw_error.h"

#include <jansson.h>
#include <stddef.h>

#define SW_MAX_BODY (1u << 20)
#define SW_MAX_PARAMS 6

struct MHD_Connection;

/* The caller, from a verified token. Tenant context is passed explicitly from here on. */
typedef struct sw_auth {
    int ok;
    char tenant_id[40];
    char participant_id[40];
    int is_admin;
    int64_t token_gen; /* the token's generation (sw_tokgen): the current one */
    const char *token; /* borrowed from the request headers */
} sw_auth;

/* What a parked long-poll waits for: stored events of these rooms (sorted, malloc'd; the
 * handler replaces them on each look) or a membership event naming the participant. */
typedef struct sw_poll_interest {
    char participant_id[40];
    char (*rooms)[40];
    int nrooms;
} sw_poll_interest;
/* Work a handler hands to another thread (a password verification): the handler allocates
 * one, stores it in *req->deferred and sets resp->defer. The server then suspends the
 * connection and calls start(d); the other thread ends with sw_req_resume(d) (its last touch),
 * and the handler is called again with *req->deferred still set, to answer and release it.
 * Should the connection end first, the server calls release(d). */
typedef struct sw_deferred {
    void (*start)(struct sw_deferred *d);
    void (*release)(struct sw_deferred *d);
    struct MHD_Connection *conn; /* set by the server before start */
} sw_deferred;

/* Resumes the suspended request of d (from any thread). */
void sw_req_resume(sw_deferred *d);

typedef struct sw_req {
    sw_app *app;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    const char *body;
    size_t body_len;
    int nparams;
    const char *param_names[SW_MAX_PARAMS];
    char *param_values[SW_MAX_PARAMS];
    sw_auth auth;
    int64_t *poll_deadline_us; /* long-poll deadline kept across a suspended request's calls */
    sw_poll_interest *poll;    /* long-poll: filled by the handler when it parks (NULL: cannot park) */
    sw_deferred **deferred;    /* the handler's deferred work, kept across its calls */
} sw_req;

typedef struct sw_resp {
    int status;
    char *body; /* malloc'd */
    size_t len;
    const char *content_type;
    const char *allow; /* for 405 */
    int close;         /* ask the client to close the connection */
    int queued;        /* the answer was queued on the connection already (WebSocket upgrade) */
    int queue_result;  /* MHD's result for it */
    int file_fd;       /* with has_file: answer with this file (MHD closes it), body unused */
    int has_file;
    unsigned long long file_size;
    const char *cache_control; /* static; default "no-store" */
    const char *csp;           /* static; a Content-Security-Policy header when set */
    int suspend;       /* no answer yet: park the request until an event that *req->poll names
                          arrives or *poll_deadline_us passes, then call the handler again */
    int defer;         /* no answer yet: *req->deferred was handed to another thread (above) */
    int retry_after;   /* > 0: a Retry-After header (seconds) */
    const char *headers[4]; /* static extra headers: name, value[, name, value] (NULL: none) */
} sw_resp;

typedef void (*sw_handler)(sw_req *req, sw_resp *resp);

/* Success: {"data": data, "meta": meta or {}}. Steals both references. */
void sw_resp_data(sw_resp *r, int status, json_t *data, json_t *meta);
/* Failure: {"error":{"code","message","details"?}} with the code's status. Steals details. */
void sw_resp_error(sw_resp *r, sw_err e, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sw_resp_text(sw_resp *r, int status, const char *content_type, char *body, size_t len);
/* Queues resp's body (taken: resp->body is NULL after) on c with the server's common headers
 * (content type, nosniff, cache control, Retry-After, headers[], ...); for an answer given
 * outside the router (the WebSocket endpoint's refusals). draining adds Connection: close.
 * Returns MHD's result (MHD_YES / MHD_NO). */
int sw_resp_queue(struct MHD_Connection *c, sw_resp *resp, int draining);

/* A path parameter by name ("plugin_id"), or NULL. */
const char *sw_req_param(const sw_req *req, const char *name);
/* A query-string argument, or NULL. */
const char *sw_req_query(const sw_req *req, const char *name);
/* The body as a JSON object. On failure fills resp (400 naming line/column, or 400 when not an
 * object) and returns NULL. An empty body is {} when allow_empty. New reference. */
json_t *sw_req_json(sw_req *req, sw_resp *resp, int allow_empty);

/* Field readers for request objects. Each returns 0 and sets *out (NULL when absent and not
 * required), or -1 after filling resp with 422 SW_VALIDATION naming the field. */
int sw_field_string(sw_resp *resp, const json_t *obj, const char *field, int required,
                    size_t max_len, const char **out);
int sw_field_bool(sw_resp *resp, const json_t *obj, const char *field, int *out, int *present);
int sw_field_object(sw_resp *resp, const json_t *obj, const char *field, const json_t **out);
int sw_field_array(sw_resp *resp, const json_t *obj, const char *field, const json_t **out);
/* A whole decimal integer from lo to hi: digits with an optional '-', nothing else, no overflow.
 * 0 and *out set, or -1. The one parser of query-string integers and numeric cursors. */
int sw_parse_int(const char *s, long long lo, long long hi, long long *out);
/* An integer query argument: def when absent; 422 SW_VALIDATION naming it when not an integer
 * from lo to hi. Returns 0 or -1 (resp filled). */
int sw_req_int(sw_req *req, sw_resp *resp, const char *name, long long def, long long lo, long long hi,
               long long *out);
/* limit/cursor paging: limit default 50, max 200; 422 when out of range. */
int sw_req_limit(sw_req *req, sw_resp *resp, int *limit);

#endif
