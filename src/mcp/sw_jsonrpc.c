/* sw_jsonrpc: JSON-RPC 2.0 framing (see sw_jsonrpc.h). */
#include "mcp/sw_jsonrpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *sw_rpc_parse(const char *buf, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *v = json_loadb(buf ? buf : "", buf ? len : 0, 0, &je);
    if (!v && err && errlen) {
        snprintf(err, errlen, "line %d, column %d: %s", je.line, je.column, je.text);
        /* jansson quotes the bad token as it was: keep the reason valid UTF-8 (it goes into an
         * error message, a JSON string) by showing each non-ASCII or control byte as '?' */
        for (char *p = err; *p; p++)
            if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20) *p = '?';
    }
    return v;
}

static int id_valid(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id);
}

static sw_rpc_kind invalid(sw_rpc_msg *out, const char *why)
{
    out->kind = SW_RPC_INVALID;
    out->reason = why;
    return SW_RPC_INVALID;
}

static sw_rpc_kind classify_call(const json_t *msg, const json_t *method, sw_rpc_msg *out)
{
    const char *m = json_string_value(method);
    size_t mlen = json_string_length(method);
    if (!m || mlen == 0) return invalid(out, "\"method\" must be a non-empty string");
    if (mlen > SW_RPC_METHOD_MAX) return invalid(out, "\"method\" is too long");
    if (strlen(m) != mlen) return invalid(out, "\"method\" holds a NUL byte");
    if (json_object_get(msg, "result") || json_object_get(msg, "error"))
        return invalid(out, "a message cannot be both a call and a response");
    const json_t *params = json_object_get(msg, "params");
    if (params && !json_is_object(params) && !json_is_array(params))
        return invalid(out, "\"params\" must be an object or an array");
    out->method = m;
    out->params = params;
    const json_t *id = json_object_get(msg, "id");
    if (!id) return out->kind = SW_RPC_NOTIFICATION;
    if (!id_valid(id)) return invalid(out, "\"id\" must be a string or an integer");
    out->id = id;
    return out->kind = SW_RPC_REQUEST;
}

static sw_rpc_kind classify_response(const json_t *msg, sw_rpc_msg *out)
{
    const json_t *id = json_object_get(msg, "id");
    const json_t *result = json_object_get(msg, "result");
    const json_t *error = json_object_get(msg, "error");
    if (result && error) return invalid(out, "a response cannot hold both \"result\" and \"error\"");
    if (result) {
        if (!id_valid(id)) return invalid(out, "a result's \"id\" must be a string or an integer");
        out->id = id;
        out->result = result;
        return out->kind = SW_RPC_RESULT;
    }
    if (!error) return invalid(out, "neither \"method\", \"result\" nor \"error\"");
    if (!id || (!json_is_null(id) && !id_valid(id)))
        return invalid(out, "an error's \"id\" must be a string, an integer or null");
    const json_t *code = json_object_get(error, "code");
    if (!json_is_object(error) || !json_is_integer(code))
        return invalid(out, "\"error\" must be an object with an integer \"code\"");
    const char *message = json_string_value(json_object_get(error, "message"));
    out->id = id;
    out->error_code = json_integer_value(code);
    out->error_message = message ? message : "";
    out->error_data = json_object_get(error, "data");
    return out->kind = SW_RPC_ERROR;
}

sw_rpc_kind sw_rpc_classify(const json_t *msg, sw_rpc_msg *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(msg)) return invalid(out, "a message must be a JSON object");
    const json_t *ver = json_object_get(msg, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0 || json_string_length(ver) != 3)
        return invalid(out, "\"jsonrpc\" must be \"2.0\"");
    const json_t *method = json_object_get(msg, "method");
    if (method) return classify_call(msg, method, out);
    return classify_response(msg, out);
}

static json_t *envelope(void)
{
    return json_pack("{s:s}", "jsonrpc", "2.0");
}

/* json_object_set_new releases the value when it fails, so every error path below releases
 * only what was not handed over yet. */
json_t *sw_rpc_request(const json_t *id, const char *method, json_t *params)
{
    json_t *m = envelope();
    if (!m || json_object_set_new(m, "id", json_deep_copy(id)) ||
        json_object_set_new(m, "method", json_string(method))) {
        json_decref(params);
        json_decref(m);
        return NULL;
    }
    if (params && json_object_set_new(m, "params", params)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

json_t *sw_rpc_notification(const char *method, json_t *params)
{
    json_t *m = envelope();
    if (!m || json_object_set_new(m, "method", json_string(method))) {
        json_decref(params);
        json_decref(m);
        return NULL;
    }
    if (params && json_object_set_new(m, "params", params)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

json_t *sw_rpc_result(const json_t *id, json_t *result)
{
    json_t *m = envelope();
    if (!result) result = json_object();
    if (!m || json_object_set_new(m, "id", json_deep_copy(id))) {
        json_decref(result);
        json_decref(m);
        return NULL;
    }
    if (json_object_set_new(m, "result", result)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

json_t *sw_rpc_error(const json_t *id, int code, const char *message, json_t *data)
{
    json_t *err = json_pack("{s:i,s:s}", "code", code, "message", message ? message : "");
    if (!err && message) /* not valid UTF-8: say so rather than lose the whole answer */
        err = json_pack("{s:i,s:s}", "code", code, "message", "(an error message that was not valid UTF-8)");
    if (!err) {
        json_decref(data);
        return NULL;
    }
    if (data && json_object_set_new(err, "data", data)) {
        json_decref(err);
        return NULL;
    }
    json_t *m = envelope();
    if (!m || json_object_set_new(m, "id", id ? json_deep_copy(id) : json_null())) {
        json_decref(err);
        json_decref(m);
        return NULL;
    }
    if (json_object_set_new(m, "error", err)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

char *sw_rpc_dump(const json_t *msg, size_t *len)
{
    char *s = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s && len) *len = strlen(s);
    return s;
}
