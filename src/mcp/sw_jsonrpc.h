/* sw_jsonrpc: JSON-RPC 2.0 framing for MCP, both directions (the client session and the
 * /v1/mcp endpoint). Owns: parsing a message's bytes into a jansson value, telling what a value
 * is (request, notification, result, error — or why it is not a JSON-RPC 2.0 message), and
 * building the four kinds of message. Thin glue over jansson: no I/O, no state, thread-safe.
 * A batch (a JSON array) is parsed but never classified as a whole: callers that accept
 * batches (protocol 2025-03-26 only) classify each element. */
#ifndef SW_JSONRPC_H
#define SW_JSONRPC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SW_RPC_PARSE_ERROR (-32700)
#define SW_RPC_INVALID_REQUEST (-32600)
#define SW_RPC_METHOD_NOT_FOUND (-32601)
#define SW_RPC_INVALID_PARAMS (-32602)
#define SW_RPC_INTERNAL_ERROR (-32603)

/* The longest method name accepted (MCP's are short; a longer one is an invalid request). */
#define SW_RPC_METHOD_MAX 256

typedef enum sw_rpc_kind {
    SW_RPC_INVALID = 0,   /* not a JSON-RPC 2.0 message: see reason */
    SW_RPC_REQUEST,       /* method + id */
    SW_RPC_NOTIFICATION,  /* method, no id */
    SW_RPC_RESULT,        /* id + result */
    SW_RPC_ERROR,         /* id (JSON null when the peer could not read one) + error */
} sw_rpc_kind;

/* What sw_rpc_classify found; every pointer borrows from the classified value. */
typedef struct sw_rpc_msg {
    sw_rpc_kind kind;
    const char *method;  /* REQUEST, NOTIFICATION */
    const json_t *id;    /* REQUEST, RESULT: a string or an integer; ERROR: that or JSON null */
    const json_t *params; /* REQUEST, NOTIFICATION: an object, an array, or NULL when absent */
    const json_t *result; /* RESULT: any value */
    int64_t error_code;          /* ERROR */
    const char *error_message;   /* ERROR ("" when the peer sent none) */
    const json_t *error_data;    /* ERROR: NULL when absent */
    const char *reason;  /* INVALID: why, for the log or an error's message (static text) */
} sw_rpc_msg;

/* Parses len bytes of JSON text (one message or a batch). Returns a new reference, or NULL with
 * a short reason in err ("line 1, column 5: ..."; err may be NULL). Embedded NUL bytes in
 * strings are refused, as is anything after the value. */
json_t *sw_rpc_parse(const char *buf, size_t len, char *err, size_t errlen);

/* Tells what msg is and fills *out (zeroed first). An id must be a string or an integer (MCP
 * forbids null ids in requests); params must be an object or an array; "jsonrpc" must be
 * exactly "2.0"; a message cannot be both a request and a response. */
sw_rpc_kind sw_rpc_classify(const json_t *msg, sw_rpc_msg *out);

/* Builders: each returns a new reference (NULL only when memory ran out). `params`, `result`
 * and `data` are stolen (NULL: absent; for a result, NULL means {}); `id` is copied. */
json_t *sw_rpc_request(const json_t *id, const char *method, json_t *params);
json_t *sw_rpc_notification(const char *method, json_t *params);
json_t *sw_rpc_result(const json_t *id, json_t *result);
/* id NULL → "id": null (the answer to a message whose id could not be read). */
json_t *sw_rpc_error(const json_t *id, int code, const char *message, json_t *data);

/* Compact JSON text of msg on one line (a newline inside a string is escaped, so it can be
 * framed by newlines on stdio), malloc'd, *len set when len is not NULL; NULL when out of memory. */
char *sw_rpc_dump(const json_t *msg, size_t *len);

#endif
