/* fuzz_jsonrpc: the MCP JSON-RPC framing (src/mcp/sw_jsonrpc.c) on any bytes: a message, a
 * batch, broken JSON, invalid UTF-8. Invariants: parsing and classifying never crash; a message
 * classified as a request, notification, result or error, rebuilt with the builders, dumps to
 * one line that parses and classifies the same (kind, method, id); an invalid one has a reason. */
#include "mcp/sw_jsonrpc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static json_t *rebuild(const sw_rpc_msg *m)
{
    switch (m->kind) {
    case SW_RPC_REQUEST:
        return sw_rpc_request(m->id, m->method, json_deep_copy(m->params));
    case SW_RPC_NOTIFICATION:
        return sw_rpc_notification(m->method, json_deep_copy(m->params));
    case SW_RPC_RESULT:
        return sw_rpc_result(m->id, json_deep_copy(m->result));
    case SW_RPC_ERROR:
        return sw_rpc_error(json_is_null(m->id) ? NULL : m->id, (int)m->error_code, m->error_message,
                            json_deep_copy(m->error_data));
    default:
        return NULL;
    }
}

static void check_one(const json_t *v)
{
    sw_rpc_msg m;
    sw_rpc_kind k = sw_rpc_classify(v, &m);
    if (k == SW_RPC_INVALID) {
        if (!m.reason || !*m.reason) __builtin_trap();
        return;
    }
    /* error codes outside int are not rebuilt faithfully: that is the builder's contract */
    if (k == SW_RPC_ERROR && (m.error_code > INT32_MAX || m.error_code < INT32_MIN)) return;
    json_t *again = rebuild(&m);
    if (!again) __builtin_trap();
    size_t len = 0;
    char *line = sw_rpc_dump(again, &len);
    if (!line || memchr(line, '\n', len)) __builtin_trap();
    json_t *back = sw_rpc_parse(line, len, NULL, 0);
    sw_rpc_msg m2;
    if (!back || sw_rpc_classify(back, &m2) != k) __builtin_trap();
    if (m.method && strcmp(m.method, m2.method) != 0) __builtin_trap();
    if (m.id && !json_equal(m.id, m2.id)) __builtin_trap();
    json_decref(back);
    free(line);
    json_decref(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0;
    char err[160];
    json_t *v = sw_rpc_parse((const char *)data, size, err, sizeof err);
    if (!v) {
        if (!err[0]) __builtin_trap();
        return 0;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (i >= 64) break;
            check_one(e);
        }
    } else {
        check_one(v);
    }
    json_decref(v);
    return 0;
}
