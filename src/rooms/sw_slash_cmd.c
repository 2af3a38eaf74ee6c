/* sw_slash_cmd: the slash interpreter (see sw_slash_cmd.h): /help, unknown and turned-off
 * commands, running a command through the dispatcher and posting its result. */
#include "rooms/sw_slash_cmd.h"
#include "core/sw_text.h"
#include "plugins/sw_resolve.h"
#include "plugins/sw_slash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUGGEST_DISTANCE 3 /* "Did you mean" only for names closer than this */

typedef struct {
    sw_rooms *r;
    char tenant_id[40], tenant_slug[72], room_id[40], sender_id[40];
    char *body;
    char tool[72];
    sw_pool_job node; /* the pool's queue node: no allocation of its own */
} slash_job;

static void system_message(sw_rooms *r, const char *tenant_id, const char *room_id, const char *text)
{
    json_t *c = json_pack("{s:s, s:s}", "msgtype", "swp.system", "body", text);
    if (c) sw_rooms_append_async(r, tenant_id, room_id, "system", "swp.room.message", c);
    json_decref(c);
}

json_t *sw_rooms_commands(sw_rooms *r, const char *tenant_id, const char *room_id)
{
    json_t *arr = json_array();
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name", "help", "usage", "[/help]",
                                         "description", "List the commands you can use here.", "source",
                                         "builtin"));
    sw_tenant_plugins *tp = sw_plugin_states_get(r->disp->states, tenant_id);
    if (!tp) return arr;
    sw_rooms_scope scope = {r, tenant_id, room_id};
    sw_resolve_filter f = {.visible = sw_rooms_plugin_visible, .visible_arg = &scope};
    for (int i = 0; i < tp->n; i++) {
        const sw_plugin_tenant_state *st = &tp->items[i];
        if (sw_resolve_usable(st, &f) != 1) continue;
        for (int k = 0; k < st->rp->ntools; k++) {
            const swp_tool *t = st->rp->tools[k].def;
            if (!t->usage) continue;
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "name", t->name, "usage",
                                                 t->usage, "description", t->description, "source", "plugin",
                                                 "plugin_id", st->rp->p->id, "side_effects", t->side_effects));
        }
    }
    sw_tenant_plugins_release(tp);
    return arr;
}

/* Stores a command's result as a swp.tool_result message from the plugin. */
static void post_result(slash_job *j, const sw_dispatch_result *res)
{
    json_t *body = json_string(res->text ? res->text : "");
    if (!body) body = json_string("(the tool returned text that is not valid UTF-8)");
    json_t *content = json_pack("{s:s, s:s, s:s, s:o, s:b, s:s}", "msgtype", "swp.tool_result", "plugin_id",
                                res->plugin_id, "tool", j->tool, "body", body, "is_error", res->is_error,
                                "status", res->status);
    char sender[96];
    snprintf(sender, sizeof sender, "plugin:%s", res->plugin_id);
    if (content) sw_rooms_append_async(j->r, j->tenant_id, j->room_id, sender, "swp.room.message", content);
    json_decref(content);
}

/* The watchdog's answer when the tool overran its timeout (the tool is still running). */
static void slash_timeout(void *arg, const sw_dispatch_result *res)
{
    post_result(arg, res);
}

static void help_reply(slash_job *j)
{
    char msg[1024];
    json_t *cmds = sw_rooms_commands(j->r, j->tenant_id, j->room_id);
    size_t used = (size_t)snprintf(msg, sizeof msg, "Commands here:");
    size_t i;
    json_t *c;
    json_array_foreach(cmds, i, c) {
        int n = snprintf(msg + used, sizeof msg - used, "\n%s — %s", json_string_value(json_object_get(c, "usage")),
                         json_string_value(json_object_get(c, "description")));
        if (n < 0 || (size_t)n >= sizeof msg - used) break;
        used += (size_t)n;
    }
    system_message(j->r, j->tenant_id, j->room_id, msg);
    json_decref(cmds);
}

/* A command that cannot run here: disabled, turned off in the room, or unknown ("did you mean"
 * among /help and the commands usable here, the nearer wins, /help on a tie). */
static void not_run_reply(slash_job *j, const char *name, const sw_resolved *res)
{
    char msg[1024];
    if (res && (res->status == SW_RESOLVE_DISABLED || res->status == SW_RESOLVE_HIDDEN)) {
        snprintf(msg, sizeof msg, "/%s is not available in this room: the plugin %s is %s. Nothing was run.", name,
                 res->state->rp->p->id,
                 res->status == SW_RESOLVE_HIDDEN ? "turned off in this room" : "disabled in this tenant");
    } else {
        const char *best = NULL;
        size_t bd = SUGGEST_DISTANCE, dh = sw_edit_distance(name, "help");
        if (dh < bd) {
            bd = dh;
            best = "help";
        }
        if (res && res->suggestion && res->suggestion_distance < bd) best = res->suggestion;
        snprintf(msg, sizeof msg, "Unknown command /%.64s.%s%s%s Type /help for the list. Nothing was run.", name,
                 best ? " Did you mean /" : "", best ? best : "", best ? "?" : "");
    }
    system_message(j->r, j->tenant_id, j->room_id, msg);
}

static void run_slash(slash_job *j)
{
    sw_rooms *r = j->r;
    char name[72], msg[1024];
    const char *rest = "";
    if (!sw_slash_split(j->body, name, sizeof name, &rest)) return;
    if (!strcmp(name, "help")) {
        help_reply(j);
        return;
    }
    sw_tenant_plugins *tp = sw_plugin_states_get(r->disp->states, j->tenant_id);
    sw_rooms_scope scope = {r, j->tenant_id, j->room_id};
    sw_resolve_filter f = {.visible = sw_rooms_plugin_visible, .visible_arg = &scope, .commands = 1,
                           .max_distance = SUGGEST_DISTANCE};
    sw_resolved res;
    if (!tp || sw_resolve_tool(tp, name, &f, &res) != SW_RESOLVE_OK) { /* the one resolution */
        not_run_reply(j, name, tp ? &res : NULL);
        sw_tenant_plugins_release(tp);
        return;
    }
    char err[200];
    json_t *args = sw_slash_args(res.tool, rest, err, sizeof err);
    if (!args) {
        snprintf(msg, sizeof msg, "/%s: %s. Usage: %s", name, err, res.tool->def->usage ? res.tool->def->usage : name);
        system_message(r, j->tenant_id, j->room_id, msg);
        sw_tenant_plugins_release(tp);
        return;
    }
    /* resolved and parsed once: the dispatcher takes both as they are */
    sw_call call = {.tenant_id = j->tenant_id, .tenant_slug = j->tenant_slug, .room_id = j->room_id,
                    .caller_id = j->sender_id, .initiator_id = j->sender_id,
                    .tool = name, .args_json = args, .resolved = &res, .only_plugin = res.state->rp->p->id,
                    /* this is a pool worker: run the tool right here, a watchdog keeps its timeout */
                    .on_timeout = slash_timeout, .on_timeout_arg = j};
    snprintf(j->tool, sizeof j->tool, "%s", name);
    sw_dispatch_result out;
    sw_dispatch(r->disp, &call, &out);
    json_decref(args);
    if (!out.reported) post_result(j, &out);
    sw_dispatch_result_fini(&out);
    sw_tenant_plugins_release(tp);
}

static void slash_job_run(void *arg)
{
    slash_job *j = arg;
    run_slash(j);
    sw_rooms *r = j->r;
    __atomic_sub_fetch(&r->slash_inflight, 1, __ATOMIC_ACQ_REL);
    free(j->body);
    free(j);
    sw_rooms_pending_add(r, -1);
}

void sw_slash_cmd_queue(sw_rooms *r, const char *tenant_id, const char *tenant_slug, const char *room_id,
                        const char *sender_id, const char *user_token, const char *body)
{
    (void)user_token; /* plugins never see the caller's token (token exchange instead) */
    slash_job *j = calloc(1, sizeof *j);
    if (!j) {
        __atomic_sub_fetch(&r->slash_inflight, 1, __ATOMIC_ACQ_REL);
        return;
    }
    j->r = r;
    snprintf(j->tenant_id, sizeof j->tenant_id, "%s", tenant_id);
    snprintf(j->tenant_slug, sizeof j->tenant_slug, "%s", tenant_slug ? tenant_slug : "");
    if (!j->tenant_slug[0]) sw_rooms_tenant_slug(r, tenant_id, j->tenant_slug); /* commands only need it */
    snprintf(j->room_id, sizeof j->room_id, "%s", room_id);
    snprintf(j->sender_id, sizeof j->sender_id, "%s", sender_id);
    j->body = strdup(body);
    sw_rooms_pending_add(r, 1);
    j->node.fn = slash_job_run;
    j->node.arg = j;
    if (!j->body || sw_pool_submit_job(r->pool, &j->node) != 0) slash_job_run(j);
}

void sw_slash_cmd_attach(sw_rooms *r)
{
    r->on_command = sw_slash_cmd_queue;
}
