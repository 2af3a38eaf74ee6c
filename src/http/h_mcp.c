/* h_mcp: the HTTP glue of /v1/mcp (MCP Streamable HTTP; the message rules are
 * src/mcp/sw_mcp_serve.c). Owns, in this order: the Origin check (the spec's DNS-rebinding rule:
 * no Origin, a loopback one, or one of --mcp-allowed-origins, else 403 before anything else),
 * the bearer token (the route is public so the Origin comes first; no or a bad token → 401 with
 * WWW-Authenticate), and the Mcp-Session-Id / MCP-Protocol-Version headers in and out. GET has no
 * route: the router answers 405 (the spec allows a server that offers no SSE stream). */
#include "http/sw_authn.h"
#include "http/sw_handlers.h"
#include "mcp/sw_mcp_serve.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *header(const sw_req *req, const char *name)
{
    return req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name) : NULL;
}

/* Whether origin ("scheme://host[:port]") names a loopback host. */
static int loopback_origin(const char *origin)
{
    const char *p = strstr(origin, "://");
    if (!p) return 0;
    p += 3;
    static const char *const hosts[] = {"localhost", "127.0.0.1", "[::1]"};
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        size_t n = strlen(hosts[i]);
        if (!strncasecmp(p, hosts[i], n) && (p[n] == 0 || p[n] == ':' || p[n] == '/')) return 1;
    }
    return 0;
}

/* Whether origin is one of the comma-separated allowed list (exact, case-insensitive). */
static int listed_origin(const char *list, const char *origin)
{
    size_t on = strlen(origin);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && t[-1] == ' ') t--;
        if ((size_t)(t - p) == on && on && !strncasecmp(p, origin, on)) return 1;
        p = e;
    }
    return 0;
}

/* Origin, then the token: 0 with req->auth filled, or -1 with resp filled. */
static int guard(sw_req *req, sw_resp *resp)
{
    const char *origin = header(req, "Origin");
    if (origin && !loopback_origin(origin) && !listed_origin(req->app->cfg.mcp_allowed_origins, origin)) {
        sw_resp_error(resp, SW_ERR_AUTH_INSUFFICIENT_PERMISSION, NULL,
                      "Origin \"%.200s\" may not use /v1/mcp (an operator can allow it with --mcp-allowed-origins)",
                      origin);
        return -1;
    }
    size_t tlen = 0;
    const char *tok = sw_authn_bearer(header(req, MHD_HTTP_HEADER_AUTHORIZATION), &tlen);
    if (!tok) {
        sw_resp_error(resp, SW_ERR_AUTH_INVALID_TOKEN, NULL, "missing bearer token: send Authorization: Bearer <token>");
        return -1;
    }
    const char *why = NULL;
    int e = sw_authn_token(req->app, tok, tlen, &req->auth, &why);
    if (e >= 0) {
        sw_resp_error(resp, (sw_err)e, NULL, "invalid token: %s", why);
        return -1;
    }
    req->auth.token = tok;
    return 0;
}

void sw_h_mcp_post(sw_req *req, sw_resp *resp)
{
    /* the answer is queued on this thread right after the handler returns, before it serves
     * another request: the header value may live here until then */
    static __thread char sid[SW_MCP_SESSION_ID_LEN + 1];
    if (guard(req, resp)) return;
    sw_mcp_post in = {
        .caller = {req->auth.tenant_id, req->auth.participant_id},
        .body = req->body,
        .len = req->body_len,
        .session_id = header(req, "Mcp-Session-Id"),
        .protocol_version = header(req, "MCP-Protocol-Version"),
    };
    sw_mcp_reply out;
    sw_mcp_serve_post(req->app->mcp_serve, &in, &out);
    if (out.session_id[0]) {
        memcpy(sid, out.session_id, sizeof sid);
        resp->headers[0] = "Mcp-Session-Id";
        resp->headers[1] = sid;
    }
    if (!out.body) sw_resp_text(resp, out.status, NULL, strdup(""), 0);
    else sw_resp_text(resp, out.status, "application/json", out.body, out.len);
}

void sw_h_mcp_delete(sw_req *req, sw_resp *resp)
{
    if (guard(req, resp)) return;
    sw_mcp_caller caller = {req->auth.tenant_id, req->auth.participant_id};
    int st = sw_mcp_serve_delete(req->app->mcp_serve, &caller, header(req, "Mcp-Session-Id"));
    if (st == 200) sw_resp_data(resp, 200, json_pack("{s:b}", "ended", 1), NULL);
    else if (st == 400) sw_resp_error(resp, SW_ERR_BAD_REQUEST, NULL, "send the Mcp-Session-Id header of the session to end");
    else sw_resp_error(resp, SW_ERR_NOT_FOUND, NULL, "no such session (ended, expired, or not yours)");
}
