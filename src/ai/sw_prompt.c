/* sw_prompt: what the model is given in a room — the tools an AI may call there (registry ∩
 * tenant-enabled ∩ loadout ∩ room toggles), the system prompt (base prompt + room addition,
 * tool etiquette, plugins' system context) and the history within its budget. */
#include "ai/sw_turn.h"
#include "ai/sw_ai_internal.h"
#include "store/sw_room_repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOOLS 128

static int in_loadout(const json_t *loadout, const char *plugin_id)
{
    if (!loadout) return 1;
    size_t i;
    json_t *v;
    json_array_foreach(loadout, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), plugin_id)) return 1;
    return 0;
}

int sw_ai_plugin_visible(void *arg, const char *plugin_id)
{
    vis_arg *v = arg;
    if (!in_loadout(v->loadout, plugin_id)) return 0;
    return sw_rooms_plugin_toggle(v->ai->rooms, v->tenant_id, v->room_id, plugin_id) != 0;
}

json_t *sw_ai_tools(sw_ai *ai, const char *tenant_id, const char *room_id, const json_t *loadout)
{
    json_t *tools = json_array();
    sw_tenant_plugins *tp = sw_plugin_states_get(ai->disp->states, tenant_id);
    vis_arg va = {ai, tenant_id, room_id, loadout};
    for (int i = 0; tp && i < tp->n; i++) {
        const sw_plugin_tenant_state *st = &tp->items[i];
        if (!st->enabled || !sw_ai_plugin_visible(&va, st->rp->p->id)) continue;
        for (int k = 0; k < st->rp->ntools && json_array_size(tools) < MAX_TOOLS; k++) {
            const sw_reg_tool *rt = &st->rp->tools[k];
            json_array_append_new(tools, json_pack("{s:s, s:{s:s, s:s, s:O}}", "type", "function", "function",
                                                   "name", rt->def->name, "description", rt->def->description,
                                                   "parameters", rt->schema));
        }
    }
    sw_tenant_plugins_release(tp);
    return tools;
}

char *sw_ai_system_prompt(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                          const char *base_prompt, const json_t *loadout)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fputs(base_prompt && *base_prompt ? base_prompt : "You are a helpful assistant in a shared chat room.", f);
    char mode[12];
    char *room_prompt = NULL;
    if (sw_room_ai_get(ai->db, tenant_id, room_id, mode, &room_prompt) == SW_REPO_OK && room_prompt && *room_prompt)
        fprintf(f, "\n\n%s", room_prompt);
    free(room_prompt);
    fprintf(f, "\n\n%s", ai->etiquette);
    /* each enabled, visible plugin that injects context */
    sw_tenant_plugins *tp = sw_plugin_states_get(ai->disp->states, tenant_id);
    vis_arg va = {ai, tenant_id, room_id, loadout};
    for (int i = 0; tp && i < tp->n; i++) {
        const sw_plugin_tenant_state *st = &tp->items[i];
        const swp_plugin *p = st->rp->p;
        if (!st->enabled || !p->injects_context || !p->get_system_context || !sw_ai_plugin_visible(&va, p->id)) continue;
        char slug[72];
        sw_rooms_tenant_slug(ai->rooms, tenant_id, slug);
        sw_call call = {.tenant_id = tenant_id, .tenant_slug = slug, .room_id = room_id, .caller_id = ai_id,
                        .initiator_id = ai_id};
        sw_call_ctx *cc = sw_call_ctx_new(ai->disp, st->rp, &call, -1);
        if (!cc) continue;
        sw_call_ctx_set_args(cc, "{}", 2, NULL);
        const char *text = NULL;
        if (p->get_system_context(&cc->pub, &text) == SWP_OK && text && *text) fprintf(f, "\n\n%s", text);
        sw_call_ctx_free(cc);
    }
    sw_tenant_plugins_release(tp);
    fclose(f);
    return buf;
}

/* ---- history ---- */

json_t *sw_ai_history(sw_ai *ai, const turn *t)
{
    int more = 0;
    json_t *evs = sw_events_page(ai->db, t->tenant_id, t->room_id, 0, 0, 60, &more); /* newest first */
    json_t *out = json_array();
    size_t used = 0;
    json_t *picked[60];
    int n = 0;
    size_t i;
    json_t *ev;
    json_array_foreach(evs, i, ev) {
        const json_t *c = json_object_get(ev, "content");
        const char *mt = json_string_value(json_object_get(c, "msgtype"));
        const char *body = json_string_value(json_object_get(c, "body"));
        if (!mt || !body || strcmp(json_string_value(json_object_get(ev, "event_type")), "swp.room.message") != 0)
            continue;
        if (strcmp(mt, "swp.text") != 0 && strcmp(mt, "swp.tool_result") != 0) continue;
        used += strlen(body);
        if (used > (size_t)ai->cfg.history_chars && n > 0) break;
        picked[n++] = ev;
        if (n == 60) break;
    }
    for (int k = n - 1; k >= 0; k--) {
        ev = picked[k];
        const json_t *c = json_object_get(ev, "content");
        const char *mt = json_string_value(json_object_get(c, "msgtype"));
        const char *sender = json_string_value(json_object_get(ev, "sender_id"));
        const char *body = json_string_value(json_object_get(c, "body"));
        if (!strcmp(mt, "swp.text") && sender && !strcmp(sender, t->ai_id)) {
            json_array_append_new(out, json_pack("{s:s, s:s}", "role", "assistant", "content", body));
        } else {
            char *txt = NULL;
            if (!strcmp(mt, "swp.tool_result")) {
                if (asprintf(&txt, "[result of /%s] %s", json_string_value(json_object_get(c, "tool")), body) < 0) txt = NULL;
            } else {
                sw_participant p;
                const char *name = sender && sw_participant_by_id(ai->db, t->tenant_id, sender, &p) == SW_REPO_OK
                                       ? p.display_name : "someone";
                if (asprintf(&txt, "%s: %s", name, body) < 0) txt = NULL;
            }
            if (txt) json_array_append_new(out, json_pack("{s:s, s:s}", "role", "user", "content", txt));
            free(txt);
        }
    }
    json_decref(evs);
    return out;
}
