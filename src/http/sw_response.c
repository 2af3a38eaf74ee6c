/* sw_response: the API envelope and the request helpers of sw_http.h. */
#include "http/sw_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_json(sw_resp *r, int status, json_t *o)
{
    free(r->body);
    r->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!r->body) {
        r->body = strdup("{\"error\":{\"code\":\"SW_INTERNAL\",\"message\":\"out of memory\"}}");
        status = 500;
    }
    r->len = r->body ? strlen(r->body) : 0;
    r->status = status;
    r->content_type = "application/json; charset=utf-8";
}

void sw_resp_data(sw_resp *r, int status, json_t *data, json_t *meta)
{
    json_t *o = json_object();
    json_object_set_new(o, "data", data ? data : json_null());
    json_object_set_new(o, "meta", meta ? meta : json_object());
    set_json(r, status, o);
}

void sw_resp_error(sw_resp *r, sw_err e, json_t *details, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *m = json_string(msg);
    if (!m) m = json_string("request refused (the message contained invalid UTF-8)");
    json_t *err = json_object();
    json_object_set_new(err, "code", json_string(sw_err_code(e)));
    json_object_set_new(err, "message", m);
    if (details) json_object_set_new(err, "details", details);
    json_t *o = json_object();
    json_object_set_new(o, "error", err);
    set_json(r, sw_err_status(e), o);
}

void sw_resp_text(sw_resp *r, int status, const char *content_type, char *body, size_t len)
{
    free(r->body);
    r->body = body;
    r->len = len;
    r->status = status;
    r->content_type = content_type;
}

const char *sw_req_param(const sw_req *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0) return req->param_values[i];
    return NULL;
}

const char *sw_req_query(const sw_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

json_t *sw_req_json(sw_req *req, sw_resp *resp, int allow_empty)
{
    size_t i = 0;
    while (i < req->body_len && (req->body[i] == ' ' || req->body[i] == '\n' ||
                                 req->body[i] == '\r' || req->body[i] == '\t'))
        i++;
    if (i == req->body_len) {
        if (allow_empty) return json_object();
        sw_resp_error(resp, SW_ERR_BAD_REQUEST, NULL, "the request needs a JSON object body");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        sw_resp_error(resp, SW_ERR_BAD_REQUEST,
                      json_pack("{s:i, s:i}", "line", je.line, "column", je.column),
                      "malformed JSON at line %d, column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        sw_resp_error(resp, SW_ERR_BAD_REQUEST, NULL, "the request body must be a JSON object");
        return NULL;
    }
    return j;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int invalid(sw_resp *resp, const char *field, const char *msg, const json_t *v)
{
    sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", field), "%s: %s%s%s", field,
                  msg, v ? ", got " : "", v ? type_name(v) : "");
    return -1;
}

int sw_field_string(sw_resp *resp, const json_t *obj, const char *field, int required,
                    size_t max_len, const char **out)
{
    const json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required) return invalid(resp, field, "is required", NULL);
        return 0;
    }
    if (!json_is_string(v)) return invalid(resp, field, "expected a string", v);
    if (max_len && json_string_length(v) > max_len) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", field),
                      "%s: longer than %zu bytes", field, max_len);
        return -1;
    }
    if (required && json_string_length(v) == 0) return invalid(resp, field, "must not be empty", NULL);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return invalid(resp, field, "must not contain NUL characters", NULL);
    *out = json_string_value(v);
    return 0;
}

int sw_field_bool(sw_resp *resp, const json_t *obj, const char *field, int *out, int *present)
{
    const json_t *v = json_object_get(obj, field);
    *present = v != NULL;
    if (!v) return 0;
    if (!json_is_boolean(v)) return invalid(resp, field, "expected a boolean", v);
    *out = json_is_true(v);
    return 0;
}

int sw_field_object(sw_resp *resp, const json_t *obj, const char *field, const json_t **out)
{
    const json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_object(v)) return invalid(resp, field, "expected an object", v);
    *out = v;
    return 0;
}

int sw_field_array(sw_resp *resp, const json_t *obj, const char *field, const json_t **out)
{
    const json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_array(v)) return invalid(resp, field, "expected an array", v);
    *out = v;
    return 0;
}

int sw_parse_int(const char *s, long long lo, long long hi, long long *out)
{
    /* strtoll alone would take leading spaces and '+', and saturate on overflow */
    if (!s) return -1;
    const char *d = s + (*s == '-');
    if (*d < '0' || *d > '9') return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int sw_req_int(sw_req *req, sw_resp *resp, const char *name, long long def, long long lo, long long hi,
               long long *out)
{
    const char *s = sw_req_query(req, name);
    *out = def;
    if (!s) return 0;
    long long v;
    if (sw_parse_int(s, lo, hi, &v) != 0) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", name),
                      "%s: expected an integer from %lld to %lld", name, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int sw_req_limit(sw_req *req, sw_resp *resp, int *limit)
{
    long long v;
    if (sw_req_int(req, resp, "limit", 50, 1, 200, &v) != 0) return -1;
    *limit = (int)v;
    return 0;
}
