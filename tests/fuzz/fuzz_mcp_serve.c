/* fuzz_mcp_serve: the /v1/mcp message rules (src/mcp/sw_mcp_serve.c) on any bytes, for a fake
 * caller with two open sessions (2025-11-25 and 2025-03-26, so batches are reached). The first
 * byte picks the session header (none, either session, a malformed one) and the
 * MCP-Protocol-Version header (none, either revision, an unknown one); the rest is the POST
 * body. No dispatcher: tools/list is empty and tools/call finds no tool. Invariants: never a
 * crash; the status is 200, 202, 400 or 404; 202 has no body, every other answer is one line of
 * JSON that parses (an object, or for a batch an array of objects). */
#include "mcp/sw_jsonrpc.h"
#include "mcp/sw_mcp_serve.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static sw_mcp_serve *srv;
static char sid_new[SW_MCP_SESSION_ID_LEN + 1], sid_old[SW_MCP_SESSION_ID_LEN + 1];
static const sw_mcp_caller caller = {"tenant-1", "participant-1"};

static void open_session(const char *version, char *sid)
{
    char body[256];
    int n = snprintf(body, sizeof body,
                     "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"%s\"}}",
                     version);
    sw_mcp_post in = {.caller = caller, .body = body, .len = (size_t)n};
    sw_mcp_reply out;
    sw_mcp_serve_post(srv, &in, &out);
    if (out.status != 200 || strlen(out.session_id) != SW_MCP_SESSION_ID_LEN) __builtin_trap();
    memcpy(sid, out.session_id, SW_MCP_SESSION_ID_LEN + 1);
    free(out.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv) {
        sw_mcp_serve_config cfg = {.server_version = "fuzz", .page_size = 2, .max_sessions = 64};
        srv = sw_mcp_serve_new(&cfg);
        open_session("2025-11-25", sid_new);
        open_session("2025-03-26", sid_old);
    }
    if (size < 1) return 0;
    static const char *const versions[] = {NULL, "2025-11-25", "2025-03-26", "1999-01-01"};
    const char *sids[] = {NULL, sid_new, sid_old, "not-a-session"};
    sw_mcp_post in = {.caller = caller, .body = (const char *)data + 1, .len = size - 1,
                      .session_id = sids[data[0] & 3], .protocol_version = versions[(data[0] >> 2) & 3]};
    sw_mcp_reply out;
    sw_mcp_serve_post(srv, &in, &out);
    if (out.status != 200 && out.status != 202 && out.status != 400 && out.status != 404) __builtin_trap();
    if (out.status == 202) {
        if (out.body) __builtin_trap();
    } else {
        if (!out.body || memchr(out.body, '\n', out.len)) __builtin_trap();
        json_t *v = sw_rpc_parse(out.body, out.len, NULL, 0);
        if (!v || !(json_is_object(v) || json_is_array(v))) __builtin_trap();
        json_decref(v);
    }
    free(out.body);
    /* an initialize opened a session: end it again so the table stays small */
    if (out.session_id[0] && sw_mcp_serve_delete(srv, &caller, out.session_id) != 200) __builtin_trap();
    return 0;
}
