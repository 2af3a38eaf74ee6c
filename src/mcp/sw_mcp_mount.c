/* sw_mcp_mount: one MCP server's tools/list as the plugin mcp.<id> (an sw_reg_plugin built
 * outside the registry, shown in its tenant's snapshot only) and its calls: the dispatcher has
 * validated the arguments against the tool's inputSchema, checked policies and keeps the hard
 * deadline; here the call becomes tools/call on the live session with the server's timeout_ms
 * (progress extends it up to max_timeout_ms), cancelled when the call is (Stop, the dispatcher's
 * deadline) so the server gets notifications/cancelled. */
#include "mcp/sw_mcp_internal.h"
#include "plugins/sw_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sw_mcp_mount_release(sw_mcp_mount *mt)
{
    if (!mt || __atomic_sub_fetch(&mt->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    sw_reg_plugin_fini(&mt->rp);
    free(mt->tools);
    json_decref(mt->strings);
    sw_mcp_srv_release(mt->srv);
    free(mt);
}

/* A string kept alive by the mount. */
static const char *keep(sw_mcp_mount *mt, const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (!j) return "";
    json_array_append_new(mt->strings, j);
    return json_string_value(j);
}

typedef struct call_cancel {
    swp_ctx *ctx;
    sw_mcp_sess *sess;
} call_cancel;

static int is_cancelled(void *arg)
{
    call_cancel *c = arg;
    return __atomic_load_n(&c->sess->closing, __ATOMIC_ACQUIRE) || swp_cancelled(c->ctx);
}

static int execute(swp_ctx *ctx, const char *tool, const char *args, swp_result *out)
{
    sw_mcp_mount *mt = ctx->plugin_state;
    sw_mcp_srv *s = mt->srv;
    sw_mcp_sess *sess = sw_mcp_srv_session(s);
    pthread_mutex_lock(&s->mu);
    int timeout = sw_mcp_config_int(s->config, "timeout_ms", 30000);
    int max_timeout = sw_mcp_config_int(s->config, "max_timeout_ms", 300000);
    size_t max_bytes = (size_t)sw_mcp_config_int(s->config, "max_result_bytes", 262144);
    char status[16], reason[300];
    snprintf(status, sizeof status, "%s", s->status);
    snprintf(reason, sizeof reason, "%s", s->reason);
    pthread_mutex_unlock(&s->mu);
    char *text = NULL;
    if (!sess) {
        out->is_error = 1;
        out->text = swp_printf(ctx, "Tool %s is not available: the MCP server %s is %s%s%s.\n"
                               "Fallback suggestions: try again in a moment, or answer without this tool.",
                               tool, s->id, status, reason[0] ? ": " : "", reason);
        return SWP_OK;
    }
    json_t *params = json_pack("{s:s, s:o}", "name", tool, "arguments", json_loads(args ? args : "{}", 0, NULL));
    call_cancel cc = {ctx, sess};
    sw_mcp_call_opts opts = {.timeout_ms = timeout, .max_timeout_ms = max_timeout, .cancelled = is_cancelled,
                             .cancel_arg = &cc};
    json_t *res = NULL;
    char err[300] = "";
    sw_mcp_status st = params ? sw_mcp_client_request(sess->client, "tools/call", params, &opts, &res, err, sizeof err)
                              : SW_MCP_IO;
    if (st == SW_MCP_OK) {
        text = sw_mcp_result_text(res, tool, max_bytes, &out->is_error);
    } else {
        if (st == SW_MCP_CANCELLED && __atomic_load_n(&sess->closing, __ATOMIC_ACQUIRE)) st = SW_MCP_CLOSED;
        text = sw_mcp_error_text(tool, s->id, st, res, err, timeout);
        out->is_error = 1;
    }
    json_decref(res);
    sw_mcp_sess_release(sess);
    out->text = text ? swp_strdup(ctx, text) : NULL;
    free(text);
    if (!out->text) return SWP_E_NOMEM;
    if (st == SW_MCP_CANCELLED && swp_cancelled(ctx)) return SWP_E_CANCELLED;
    return SWP_OK;
}

/* "[/echo <message> [other]]" from the schema's properties (required ones first, in order). */
static const char *usage_of(sw_mcp_mount *mt, const char *name, const json_t *schema)
{
    char u[600];
    int n = snprintf(u, sizeof u, "[/%s", name);
    const json_t *req = json_object_get(schema, "required");
    size_t i;
    json_t *r;
    json_array_foreach(req, i, r) if (json_is_string(r) && n < (int)sizeof u - 80)
        n += snprintf(u + n, sizeof u - (size_t)n, " <%.64s>", json_string_value(r));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(schema, "properties"), k, v) {
        int is_req = 0;
        json_array_foreach(req, i, r) is_req |= json_is_string(r) && strcmp(json_string_value(r), k) == 0;
        if (!is_req && n < (int)sizeof u - 80) n += snprintf(u + n, sizeof u - (size_t)n, " [%.64s]", k);
    }
    snprintf(u + n, sizeof u - (size_t)n, "]");
    return keep(mt, u);
}

/* Why tool t cannot be mounted (NULL when it can); *schema_text the schema as JSON text. */
static const char *unusable(const json_t *t, json_t *seen, char *why, size_t len, char **schema_text)
{
    const char *name = json_string_value(json_object_get(t, "name"));
    if (!name || !sw_tool_name_valid(name)) return "the name is not ^[a-zA-Z0-9_-]{1,64}$";
    if (json_object_get(seen, name)) return "the server lists this name twice";
    const json_t *schema = json_object_get(t, "inputSchema");
    const char *type = json_string_value(json_object_get(schema, "type"));
    if (!json_is_object(schema) || !type || strcmp(type, "object") != 0)
        return "inputSchema is not an object schema ({\"type\":\"object\",...})";
    char serr[200];
    sw_schema *sc = sw_schema_compile(schema, SW_SCHEMA_DRAFT2020, 0, serr, sizeof serr); /* as the registry will */
    if (!sc) {
        snprintf(why, len, "inputSchema cannot be compiled: %s", serr);
        return why;
    }
    sw_schema_free(sc);
    *schema_text = json_dumps(schema, JSON_COMPACT);
    return *schema_text ? NULL : "out of memory";
}

sw_mcp_mount *sw_mcp_mount_build(sw_mcp_srv *s, const json_t *server_info, const json_t *tools, json_t **view,
                                 char *err, size_t errlen)
{
    sw_mcp_mount *mt = calloc(1, sizeof *mt);
    *view = json_array();
    size_t nt = json_array_size(tools);
    if (!mt || !*view || !(mt->tools = calloc(nt + 1, sizeof *mt->tools)) || !(mt->strings = json_array())) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    mt->refs = 1;
    pthread_mutex_lock(&s->mu); /* a PATCH may replace s->config meanwhile */
    int max_timeout = sw_mcp_config_int(s->config, "max_timeout_ms", 300000);
    pthread_mutex_unlock(&s->mu);
    json_t *seen = json_object();
    int k = 0;
    for (size_t i = 0; i < nt; i++) {
        const json_t *t = json_array_get(tools, i);
        const char *name = json_string_value(json_object_get(t, "name"));
        char why[300], *schema_text = NULL;
        const char *bad = unusable(t, seen, why, sizeof why, &schema_text);
        if (bad) {
            json_array_append_new(*view, json_pack("{s:s, s:b, s:s}", "name", name ? name : "", "available", 0,
                                                   "reason", bad));
            continue;
        }
        json_object_set_new(seen, name, json_true());
        const char *desc = json_string_value(json_object_get(t, "description"));
        const json_t *ann = json_object_get(t, "annotations");
        swp_tool *d = &mt->tools[k++];
        d->name = keep(mt, name);
        d->description = keep(mt, desc && *desc ? desc : name);
        d->parameters = keep(mt, schema_text);
        d->usage = usage_of(mt, name, json_object_get(t, "inputSchema"));
        free(schema_text);
        /* annotations are untrusted hints: only readOnlyHint true makes a tool side-effect free */
        d->side_effects = !json_is_true(json_object_get(ann, "readOnlyHint"));
        /* the dispatcher's hard deadline: the session's own timeout (extended by progress up to
         * max_timeout_ms) answers first, with notifications/cancelled sent */
        d->timeout_ms = max_timeout + 2000;
        json_array_append_new(*view, json_pack("{s:s, s:b}", "name", name, "available", 1));
    }
    json_decref(seen);
    const char *sname = json_string_value(json_object_get(json_object_get(server_info, "serverInfo"), "name"));
    const char *sver = json_string_value(json_object_get(json_object_get(server_info, "serverInfo"), "version"));
    char desc[300];
    snprintf(desc, sizeof desc, "MCP server %s (%s)%s%.200s", s->id, s->transport == SW_MCP_STDIO ? "stdio" : "http",
             sname ? ": " : "", sname ? sname : "");
    mt->plugin = (swp_plugin){SWP_PLUGIN_INIT, .id = s->plugin_id, .name = keep(mt, sname && *sname ? sname : s->id),
                              .version = keep(mt, sver && sw_semver_valid(sver) ? sver : "0.0.0"),
                              .description = keep(mt, desc), .tools = mt->tools, .execute_tool = execute};
    if (sw_reg_plugin_build(&mt->rp, &mt->plugin, "mcp", err, errlen) != 0) goto fail;
    mt->rp.state = mt;
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
    mt->srv = s;
    return mt;
fail:
    if (mt) {
        free(mt->tools);
        json_decref(mt->strings);
        free(mt);
    }
    json_decref(*view);
    *view = NULL;
    return NULL;
}
