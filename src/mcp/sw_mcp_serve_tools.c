/* sw_mcp_serve_tools: tools/list and tools/call of /v1/mcp. Owns: which tools the caller sees
 * (the tenant's enabled plugins through the one resolver, sw_resolve; paginated by an opaque
 * offset cursor), how a tool reads in MCP (inputSchema from its parameters, readOnlyHint /
 * destructiveHint from side_effects), the approval rule for calls from outside a room (policy
 * "ask" refuses with an error result naming the policy: nothing waits for a person over MCP,
 * nothing is auto-approved), and the call itself through the dispatcher with the caller as the
 * initiator (validation, permissions, timeout, audit: the same path as POST /v1/tools/{tool}/call). */
#include "mcp/sw_mcp_serve.h"

#include "mcp/sw_jsonrpc.h"
#include "plugins/sw_dispatch.h"
#include "plugins/sw_resolve.h"
#include "rooms/sw_rooms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *tool_json(const sw_plugin_tenant_state *st, const sw_reg_tool *rt)
{
    const swp_tool *t = rt->def;
    json_t *schema = rt->schema ? json_incref(rt->schema) : json_pack("{s:s}", "type", "object");
    return json_pack("{s:s, s:s, s:s, s:o, s:{s:b, s:b, s:b}, s:{s:s}}", "name", t->name, "title", t->name,
                     "description", t->description ? t->description : "", "inputSchema", schema, "annotations",
                     "readOnlyHint", !t->side_effects, "destructiveHint", t->side_effects != 0, "openWorldHint", 0,
                     "_meta", "scaiwave/plugin_id", st->rp->p->id);
}

/* The cursor's offset: 0 when absent; -1 when it is not one this server gave. */
static long cursor_offset(const json_t *params)
{
    const json_t *c = json_object_get(params, "cursor");
    if (!c || json_is_null(c)) return 0;
    const char *s = json_string_value(c);
    if (!s || s[0] != 'o' || !s[1] || strlen(s) > 10) return -1;
    char *end;
    long v = strtol(s + 1, &end, 10);
    return *end || v < 0 ? -1 : v;
}

int sw_mcp_tools_list(const sw_mcp_call_env *env, const json_t *params, json_t **result, sw_mcp_rpc_err *e)
{
    long off = cursor_offset(params);
    if (off < 0) {
        e->code = SW_RPC_INVALID_PARAMS;
        snprintf(e->msg, sizeof e->msg, "invalid cursor: pass back a nextCursor this server sent");
        return -1;
    }
    json_t *tools = json_array();
    long seen = 0, page = env->cfg->page_size;
    int more = 0;
    sw_tenant_plugins *tp = env->cfg->disp ? sw_plugin_states_get(env->cfg->disp->states, env->caller->tenant_id) : NULL;
    for (int i = 0; tp && i < tp->n && !more; i++) {
        const sw_plugin_tenant_state *st = &tp->items[i];
        if (sw_resolve_usable(st, NULL) != 1) continue;
        for (int k = 0; k < st->rp->ntools; k++, seen++) {
            if (seen < off) continue;
            if ((long)json_array_size(tools) >= page) {
                more = 1;
                break;
            }
            json_t *t = tool_json(st, &st->rp->tools[k]);
            if (t) json_array_append_new(tools, t);
        }
    }
    sw_tenant_plugins_release(tp);
    *result = json_pack("{s:o}", "tools", tools);
    if (more) {
        char cur[24];
        snprintf(cur, sizeof cur, "o%ld", seen);
        json_object_set_new(*result, "nextCursor", json_string(cur));
    }
    return 0;
}

static json_t *text_result(const char *text, int is_error)
{
    json_t *t = json_string(text ? text : "");
    if (!t) t = json_string("(the tool returned text that is not valid UTF-8)");
    return json_pack("{s:[{s:s, s:o}], s:b}", "content", "type", "text", "text", t, "isError", is_error);
}

/* The policy's answer when it asks for a person (NULL: the call may run). Outside a room there
 * is no card to approve and nobody waits over MCP, so "ask" refuses; the defaults
 * (auto_run_in_dm for side effects: the caller alone acts, as in a DM; auto_run_everywhere) run. */
static json_t *policy_refusal(const sw_resolved *res, const char *tool)
{
    const char *policy = json_string_value(json_object_get(res->state->tool_policies, tool));
    if (!policy || strcmp(policy, "ask") != 0) return NULL;
    char msg[900];
    const char *pid = res->state->rp->p->id;
    snprintf(msg, sizeof msg,
             "Not run: %s (plugin %s) needs a person's approval for every call (approval policy \"ask\"), and an "
             "approval cannot be given over MCP. It stays pending nowhere; nothing was run. Run it from a ScaiWave "
             "room, where the approval card appears for you, or ask a tenant admin to change the policy: "
             "PUT /v1/admin/plugins/%s/config {\"tool_policies\": {\"%s\": \"auto_run_in_dm\"}}.\n"
             "Fallback suggestions: run /%s in a ScaiWave room; ask an admin to change its approval policy.",
             tool, pid, pid, tool, tool);
    return text_result(msg, 1);
}

int sw_mcp_tools_call(const sw_mcp_call_env *env, const json_t *params, json_t **result, sw_mcp_rpc_err *e)
{
    const char *name = json_string_value(json_object_get(params, "name"));
    const json_t *args = json_object_get(params, "arguments");
    if (!name) {
        e->code = SW_RPC_INVALID_PARAMS;
        snprintf(e->msg, sizeof e->msg, "tools/call needs params.name (a string)");
        return -1;
    }
    if (args && !json_is_object(args) && !json_is_null(args)) {
        e->code = SW_RPC_INVALID_PARAMS;
        snprintf(e->msg, sizeof e->msg, "params.arguments must be an object");
        return -1;
    }
    sw_dispatcher *d = env->cfg->disp;
    sw_tenant_plugins *tp = d ? sw_plugin_states_get(d->states, env->caller->tenant_id) : NULL;
    sw_resolved res;
    if (!tp || sw_resolve_tool(tp, name, NULL, &res) != SW_RESOLVE_OK) {
        sw_tenant_plugins_release(tp);
        e->code = SW_RPC_INVALID_PARAMS;
        snprintf(e->msg, sizeof e->msg, "Unknown tool: %.64s (tools/list names the tools you may call)", name);
        return -1;
    }
    *result = policy_refusal(&res, name);
    if (*result) {
        sw_tenant_plugins_release(tp);
        return 0;
    }
    char slug[72] = "";
    if (env->cfg->rooms) sw_rooms_tenant_slug(env->cfg->rooms, env->caller->tenant_id, slug);
    sw_call call = {
        .tenant_id = env->caller->tenant_id,
        .tenant_slug = slug,
        .caller_id = env->caller->participant_id,
        .initiator_id = env->caller->participant_id,
        .cancel = env->cancel,
        .tool = name,
        .args_json = args && !json_is_null(args) ? args : NULL,
        .resolved = &res,
        .only_plugin = res.state->rp->p->id,
    };
    sw_dispatch_result r;
    sw_dispatch(d, &call, &r);
    *result = text_result(r.text, r.is_error);
    sw_dispatch_result_fini(&r);
    sw_tenant_plugins_release(tp);
    return 0;
}
