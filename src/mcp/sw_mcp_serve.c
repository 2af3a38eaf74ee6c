/* sw_mcp_serve: the /v1/mcp message rules (see sw_mcp_serve.h): a POST body → its JSON-RPC
 * messages (one, or a batch in 2025-03-26) → the session checks → the lifecycle methods here,
 * the tools methods in sw_mcp_serve_tools.c → one HTTP status and JSON body. */
#include "mcp/sw_mcp_serve.h"

#include "mcp/sw_jsonrpc.h"
#include "mcp/sw_mcp_serve_sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const SW_MCP_SERVE_PROTOCOLS[] = {"2025-11-25", "2025-06-18", "2025-03-26", NULL};

/* The SDKs' code for "no such session" (the HTTP status says 404 too). */
#define RPC_SESSION_NOT_FOUND (-32001)

struct sw_mcp_serve {
    sw_mcp_serve_config cfg;
    sw_mcp_sessions *sessions;
};

sw_mcp_serve *sw_mcp_serve_new(const sw_mcp_serve_config *cfg)
{
    sw_mcp_serve *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cfg = *cfg;
    if (s->cfg.page_size <= 0) s->cfg.page_size = 100;
    if (!s->cfg.server_version) s->cfg.server_version = "0";
    s->sessions = sw_mcp_sessions_new(cfg->max_sessions, cfg->max_sessions_per_caller, cfg->session_idle_s);
    if (!s->sessions) {
        free(s);
        return NULL;
    }
    return s;
}

void sw_mcp_serve_free(sw_mcp_serve *s)
{
    if (!s) return;
    sw_mcp_sessions_free(s->sessions);
    free(s);
}

int sw_mcp_serve_sessions(sw_mcp_serve *s)
{
    return sw_mcp_sessions_count(s->sessions);
}

static int supported(const char *v)
{
    for (int i = 0; v && SW_MCP_SERVE_PROTOCOLS[i]; i++)
        if (!strcmp(v, SW_MCP_SERVE_PROTOCOLS[i])) return 1;
    return 0;
}

/* Fills out with status and msg as its body (taken; NULL: no body). */
static void reply(sw_mcp_reply *out, int status, json_t *msg)
{
    out->status = status;
    out->body = msg ? sw_rpc_dump(msg, &out->len) : NULL;
    if (msg && !out->body) { /* out of memory */
        out->status = 500;
        out->len = 0;
    }
    json_decref(msg);
}

static void reply_error(sw_mcp_reply *out, int status, const json_t *id, int code, const char *fmt, const char *arg)
{
    char msg[400];
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    reply(out, status, sw_rpc_error(id, code, msg, NULL));
}

/* The id of a message that is not valid JSON-RPC, when it can be read (for its error). */
static const json_t *readable_id(const json_t *m)
{
    const json_t *id = json_object_get(m, "id");
    return json_is_string(id) || json_is_integer(id) ? id : NULL;
}

/* ---- methods ---- */

typedef struct call_state {
    sw_mcp_serve *s;
    const sw_mcp_caller *caller;
    const char *sid;      /* the session of the call ("" for initialize) */
    const char *protocol; /* its revision */
} call_state;

static json_t *initialize(call_state *cs, const sw_rpc_msg *m, char sid_out[SW_MCP_SESSION_ID_LEN + 1])
{
    const char *want = json_string_value(json_object_get(m->params, "protocolVersion"));
    if (!json_is_object(m->params) || !want)
        return sw_rpc_error(m->id, SW_RPC_INVALID_PARAMS, "initialize needs params.protocolVersion (a string)", NULL);
    const char *v = supported(want) ? want : SW_MCP_SERVE_PROTOCOLS[0];
    if (sw_mcp_sessions_open(cs->s->sessions, cs->caller, v, sid_out) != 0)
        return sw_rpc_error(m->id, SW_RPC_INTERNAL_ERROR, "out of memory", NULL);
    json_t *res = json_pack("{s:s, s:{s:{s:b}}, s:{s:s, s:s, s:s}, s:s}", "protocolVersion", v, "capabilities",
                            "tools", "listChanged", 0, "serverInfo", "name", "scaiwave", "title", "ScaiWave",
                            "version", cs->s->cfg.server_version, "instructions",
                            "The tools of your ScaiWave tenant that you may use, with the same permissions, "
                            "approvals, timeouts and audit as everywhere else in ScaiWave.");
    return sw_rpc_result(m->id, res);
}

/* A request other than initialize, in a session: the answer (never NULL unless memory ran out). */
static json_t *request(call_state *cs, const sw_rpc_msg *m)
{
    if (!strcmp(m->method, "ping")) return sw_rpc_result(m->id, json_object());
    if (!strcmp(m->method, "initialize"))
        return sw_rpc_error(m->id, SW_RPC_INVALID_REQUEST, "initialize cannot be part of a batch", NULL);
    int is_list = !strcmp(m->method, "tools/list"), is_call = !strcmp(m->method, "tools/call");
    if (!is_list && !is_call) {
        char msg[SW_RPC_METHOD_MAX + 40];
        snprintf(msg, sizeof msg, "Method not found: %s", m->method);
        return sw_rpc_error(m->id, SW_RPC_METHOD_NOT_FOUND, msg, NULL);
    }
    if (m->params && !json_is_object(m->params))
        return sw_rpc_error(m->id, SW_RPC_INVALID_PARAMS, "params must be an object", NULL);
    sw_mcp_inflight f = {.id = m->id};
    snprintf(f.sid, sizeof f.sid, "%s", cs->sid);
    sw_mcp_call_env env = {.cfg = &cs->s->cfg, .caller = cs->caller, .cancel = &f.cancel};
    json_t *result = NULL;
    sw_mcp_rpc_err e = {0};
    int rc;
    if (is_list) {
        rc = sw_mcp_tools_list(&env, m->params, &result, &e);
    } else {
        sw_mcp_inflight_add(cs->s->sessions, &f);
        rc = sw_mcp_tools_call(&env, m->params, &result, &e);
        sw_mcp_inflight_remove(cs->s->sessions, &f);
    }
    if (rc) return sw_rpc_error(m->id, e.code, e.msg, NULL);
    return sw_rpc_result(m->id, result);
}

static void notification(call_state *cs, const sw_rpc_msg *m)
{
    if (!strcmp(m->method, "notifications/initialized")) {
        sw_mcp_sessions_initialized(cs->s->sessions, cs->sid);
    } else if (!strcmp(m->method, "notifications/cancelled")) {
        const json_t *rid = json_object_get(m->params, "requestId");
        if (json_is_string(rid) || json_is_integer(rid)) sw_mcp_inflight_cancel(cs->s->sessions, cs->sid, rid);
    } /* any other notification is ignored, as JSON-RPC asks */
}

/* One element of a batch (or the one message): its answer, or NULL (a notification or a
 * response from the client: nothing to answer). */
static json_t *one(call_state *cs, const json_t *msg)
{
    sw_rpc_msg m;
    switch (sw_rpc_classify(msg, &m)) {
    case SW_RPC_INVALID: return sw_rpc_error(readable_id(msg), SW_RPC_INVALID_REQUEST, m.reason, NULL);
    case SW_RPC_REQUEST: return request(cs, &m);
    case SW_RPC_NOTIFICATION: notification(cs, &m); return NULL;
    default: return NULL; /* a result or error: we send no requests, so nothing waits for it */
    }
}

/* ---- POST ---- */

static void batch(call_state *cs, const json_t *arr, sw_mcp_reply *out)
{
    size_t n = json_array_size(arr);
    if (strcmp(cs->protocol, "2025-03-26") != 0) {
        reply_error(out, 400, NULL, SW_RPC_INVALID_REQUEST,
                    "batches are not part of protocol revision %s (only of 2025-03-26)", cs->protocol);
        return;
    }
    if (n == 0) {
        reply_error(out, 400, NULL, SW_RPC_INVALID_REQUEST, "an empty batch%s", NULL);
        return;
    }
    if (n > SW_MCP_MAX_BATCH) {
        char lim[64];
        snprintf(lim, sizeof lim, "%zu messages; at most %d", n, SW_MCP_MAX_BATCH);
        reply_error(out, 400, NULL, SW_RPC_INVALID_REQUEST, "a batch of %s", lim);
        return;
    }
    json_t *answers = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *a = one(cs, json_array_get(arr, i));
        if (a) json_array_append_new(answers, a);
    }
    if (json_array_size(answers) == 0) {
        json_decref(answers);
        reply(out, 202, NULL);
        return;
    }
    reply(out, 200, answers);
}

/* The session checks of everything but initialize: 0, or -1 with out filled. */
static int session_checks(sw_mcp_serve *s, const sw_mcp_post *in, char protocol[16], sw_mcp_reply *out)
{
    if (!in->session_id || !*in->session_id) {
        reply_error(out, 400, NULL, SW_RPC_INVALID_REQUEST,
                    "Bad Request: send the Mcp-Session-Id header that initialize answered with%s", NULL);
        return -1;
    }
    if (sw_mcp_sessions_find(s->sessions, &in->caller, in->session_id, protocol) != 0) {
        reply_error(out, 404, NULL, RPC_SESSION_NOT_FOUND,
                    "Session not found: it ended, expired, or is not yours; initialize again%s", NULL);
        return -1;
    }
    const char *hv = in->protocol_version;
    if (hv && !supported(hv)) {
        reply_error(out, 400, NULL, SW_RPC_INVALID_REQUEST,
                    "Bad Request: unsupported MCP-Protocol-Version \"%.40s\" (supported: 2025-11-25, "
                    "2025-06-18, 2025-03-26)", hv);
        return -1;
    }
    if (hv && strcmp(hv, protocol) != 0) {
        reply_error(out, 400, NULL, SW_RPC_INVALID_REQUEST,
                    "Bad Request: MCP-Protocol-Version \"%.40s\" is not the revision this session negotiated", hv);
        return -1;
    }
    return 0;
}

void sw_mcp_serve_post(sw_mcp_serve *s, const sw_mcp_post *in, sw_mcp_reply *out)
{
    memset(out, 0, sizeof *out);
    char perr[160];
    json_t *msg = sw_rpc_parse(in->body ? in->body : "", in->body ? in->len : 0, perr, sizeof perr);
    if (!msg) {
        reply_error(out, 400, NULL, SW_RPC_PARSE_ERROR, "Parse error: %s", perr);
        return;
    }
    call_state cs = {.s = s, .caller = &in->caller, .sid = "", .protocol = ""};
    sw_rpc_msg m;
    int single = !json_is_array(msg);
    sw_rpc_kind k = single ? sw_rpc_classify(msg, &m) : SW_RPC_INVALID;
    if (single && k == SW_RPC_INVALID) {
        reply_error(out, 400, readable_id(msg), SW_RPC_INVALID_REQUEST, "Invalid Request: %s", m.reason);
    } else if (single && k == SW_RPC_REQUEST && !strcmp(m.method, "initialize")) {
        json_t *a = initialize(&cs, &m, out->session_id);
        if (json_object_get(a, "error")) out->session_id[0] = 0;
        reply(out, 200, a);
    } else {
        char protocol[16];
        if (session_checks(s, in, protocol, out) == 0) {
            cs.sid = in->session_id;
            cs.protocol = protocol;
            if (!single) {
                batch(&cs, msg, out);
            } else {
                json_t *a = one(&cs, msg);
                reply(out, a ? 200 : 202, a);
            }
        }
    }
    json_decref(msg);
}

int sw_mcp_serve_delete(sw_mcp_serve *s, const sw_mcp_caller *caller, const char *session_id)
{
    if (!session_id || !*session_id) return 400;
    return sw_mcp_sessions_close(s->sessions, caller, session_id) == 0 ? 200 : 404;
}
