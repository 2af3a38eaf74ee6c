/* h_plugins: Admin → Plugins (list, enable with grants, disable, settings and tool policies)
 * and the members' view of the tenant's enabled plugins. */
#include "http/sw_handlers.h"
#include "mcp/sw_mcp_manager.h"
#include "plugins/sw_setting_secret.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MASK SW_SECRET_MASK

static const char *const policies[] = {"ask", "auto_run_in_dm", "auto_run_everywhere"};

static const char *default_policy(const swp_tool *t)
{
    return t->side_effects ? "auto_run_in_dm" : "auto_run_everywhere";
}

/* The plugin row of API.md, with the tenant's state. Secrets are masked. */
static json_t *plugin_row(sw_req *req, const sw_plugin_tenant_state *st, int admin_view, const sw_secretbox *secrets)
{
    const sw_reg_plugin *rp = st->rp;
    json_t *o = sw_registry_plugin_json(rp);
    char server[64], status[16];
    if (rp->source && strcmp(rp->source, "mcp") == 0 &&
        sw_mcp_manager_plugin_info(req->app->mcp_mgr, req->auth.tenant_id, rp->p->id, server, status)) {
        json_object_set_new(o, "mcp_server", json_string(server)); /* a mounted MCP server */
        json_object_set_new(o, "status", json_string(status));
    }
    json_object_set_new(o, "enabled", json_boolean(st->enabled));
    json_object_set_new(o, "granted_permissions", sw_perms_to_json(st->enabled || st->granted ? st->granted : 0));
    json_t *tools = json_object_get(o, "tools");
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t) {
        const char *pol = json_string_value(json_object_get(st->tool_policies, rp->tools[i].def->name));
        json_object_set_new(t, "approval_policy", json_string(pol ? pol : default_policy(rp->tools[i].def)));
    }
    if (admin_view) {
        json_t *settings = json_object(), *unreadable = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(st->settings, k, v) {
            int secret = sw_setting_is_secret(rp->p, k);
            json_object_set_new(settings, k, secret ? json_string(json_string_length(v) ? MASK : "")
                                                    : json_incref(v));
            if (secret && sw_setting_unreadable(secrets, v)) json_array_append_new(unreadable, json_string(k));
        }
        json_object_set_new(o, "config", settings);
        /* secrets sealed with a key this server does not hold (a store copied without its key) */
        if (json_array_size(unreadable)) json_object_set_new(o, "unreadable_settings", unreadable);
        else json_decref(unreadable);
    } else {
        json_object_del(o, "settings");
    }
    return o;
}

static sw_tenant_plugins *snapshot(sw_req *req, sw_resp *resp)
{
    sw_tenant_plugins *tp = sw_plugin_states_get(req->app->states, req->auth.tenant_id);
    if (!tp) sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
    return tp;
}

void sw_h_admin_plugins_list(sw_req *req, sw_resp *resp)
{
    sw_tenant_plugins *tp = snapshot(req, resp);
    if (!tp) return;
    json_t *arr = json_array();
    for (int i = 0; i < tp->n; i++) json_array_append_new(arr, plugin_row(req, &tp->items[i], 1, req->app->secrets));
    sw_tenant_plugins_release(tp);
    sw_resp_data(resp, 200, arr, json_pack("{s:i}", "count", (int)json_array_size(arr)));
}

void sw_h_plugins_list(sw_req *req, sw_resp *resp)
{
    sw_tenant_plugins *tp = snapshot(req, resp);
    if (!tp) return;
    json_t *arr = json_array();
    for (int i = 0; i < tp->n; i++)
        if (tp->items[i].enabled) json_array_append_new(arr, plugin_row(req, &tp->items[i], 0, NULL));
    sw_tenant_plugins_release(tp);
    sw_resp_data(resp, 200, arr, json_pack("{s:i}", "count", (int)json_array_size(arr)));
}

/* Answers with the plugin's fresh row. */
static void respond_row(sw_req *req, sw_resp *resp, const char *plugin_id)
{
    sw_tenant_plugins *tp = snapshot(req, resp);
    if (!tp) return;
    const sw_plugin_tenant_state *st = sw_tenant_plugins_find(tp, plugin_id);
    if (st) sw_resp_data(resp, 200, plugin_row(req, st, 1, req->app->secrets), NULL);
    else sw_resp_error(resp, SW_ERR_PLUGIN_NOT_FOUND, NULL, "no plugin with id \"%.64s\"", plugin_id);
    sw_tenant_plugins_release(tp);
}

int sw_http_plugin_known(sw_req *req, const char *plugin_id)
{
    if (!plugin_id) return 0;
    if (sw_registry_find(req->app->reg, plugin_id)) return 1;
    sw_tenant_plugins *tp = sw_plugin_states_get(req->app->states, req->auth.tenant_id); /* mounted servers */
    int known = tp && sw_tenant_plugins_find(tp, plugin_id) != NULL;
    sw_tenant_plugins_release(tp);
    return known;
}

/* The plugin of the path in the tenant's view (a registered one, or one of its mounted MCP
 * servers); *tp holds it alive until the caller releases it. */
static const sw_reg_plugin *find_plugin(sw_req *req, sw_resp *resp, const char **id, sw_tenant_plugins **tp)
{
    *id = sw_req_param(req, "plugin_id");
    *tp = *id ? sw_plugin_states_get(req->app->states, req->auth.tenant_id) : NULL;
    const sw_plugin_tenant_state *st = *tp ? sw_tenant_plugins_find(*tp, *id) : NULL;
    if (!st) {
        sw_resp_error(resp, SW_ERR_PLUGIN_NOT_FOUND, NULL, "no plugin with id \"%.64s\"", *id ? *id : "");
        sw_tenant_plugins_release(*tp);
        *tp = NULL;
    }
    return st ? st->rp : NULL;
}

void sw_h_admin_plugin_enable(sw_req *req, sw_resp *resp)
{
    const char *id;
    sw_tenant_plugins *held;
    const sw_reg_plugin *rp = find_plugin(req, resp, &id, &held);
    if (!rp) return;
    json_t *body = sw_req_json(req, resp, 1);
    if (!body) goto out;
    uint32_t grant = rp->p->permissions;
    const json_t *perms;
    if (sw_field_array(resp, body, "permissions", &perms) != 0) goto out;
    if (perms) {
        char err[128];
        if (sw_perms_from_json(perms, &grant, err, sizeof err) != 0) {
            sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "permissions"),
                          "permissions: %s", err);
            goto out;
        }
        if (grant & ~rp->p->permissions) {
            sw_resp_error(resp, SW_ERR_VALIDATION,
                          json_pack("{s:s, s:o}", "field", "permissions", "declared",
                                    sw_perms_to_json(rp->p->permissions)),
                          "permissions: %s does not declare every permission given", id);
            goto out;
        }
    }
    char tool[72] = "", other[72] = "";
    int rc = sw_plugin_states_enable(req->app->states, req->auth.tenant_id, id, grant, tool, other);
    if (rc == -2) {
        sw_resp_error(resp, SW_ERR_PLUGIN_TOOL_CONFLICT,
                      json_pack("{s:s, s:s}", "tool", tool, "conflicting_plugin", other),
                      "cannot enable %s: its tool \"%s\" has the same name as a tool of the enabled "
                      "plugin %s; disable that one first",
                      id, tool, other);
    } else if (rc != 0) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
    } else {
        respond_row(req, resp, id);
    }
out:
    json_decref(body);
    sw_tenant_plugins_release(held);
}

void sw_h_admin_plugin_disable(sw_req *req, sw_resp *resp)
{
    const char *id;
    sw_tenant_plugins *held;
    if (!find_plugin(req, resp, &id, &held)) return;
    sw_tenant_plugins_release(held);
    if (sw_plugin_states_disable(req->app->states, req->auth.tenant_id, id) != 0) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    respond_row(req, resp, id);
}

void sw_h_admin_plugin_config(sw_req *req, sw_resp *resp)
{
    const char *id;
    sw_tenant_plugins *held;
    const sw_reg_plugin *rp = find_plugin(req, resp, &id, &held);
    if (!rp) return;
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) goto out;
    const json_t *settings, *pols;
    if (sw_field_object(resp, body, "settings", &settings) != 0 ||
        sw_field_object(resp, body, "tool_policies", &pols) != 0)
        goto out;
    const char *k;
    json_t *v;
    if (settings) {
        if (json_object_size(settings) > 100) {
            sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "settings"),
                          "settings: at most 100 keys");
            goto out;
        }
        json_object_foreach((json_t *)settings, k, v) {
            char field[160];
            snprintf(field, sizeof field, "settings.%.140s", k);
            if (!json_is_null(v) && (!json_is_string(v) || json_string_length(v) > 8192)) {
                sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", field),
                              "%s: expected a string of at most 8192 bytes, or null to remove it", field);
                goto out;
            }
        }
    }
    if (pols) {
        json_object_foreach((json_t *)pols, k, v) {
            char field[120];
            snprintf(field, sizeof field, "tool_policies.%.64s", k);
            if (!sw_registry_tool(rp, k)) {
                sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", field),
                              "%s: %s has no tool named \"%.64s\"", field, id, k);
                goto out;
            }
            int ok = json_is_null(v);
            for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++)
                ok |= json_is_string(v) && strcmp(json_string_value(v), policies[i]) == 0;
            if (!ok) {
                sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", field),
                              "%s: expected \"ask\", \"auto_run_in_dm\" or \"auto_run_everywhere\"", field);
                goto out;
            }
        }
    }
    if (sw_plugin_states_configure(req->app->states, req->auth.tenant_id, id, settings, pols) != 0) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        goto out;
    }
    respond_row(req, resp, id);
out:
    json_decref(body);
    sw_tenant_plugins_release(held);
}
