/* h_ai: AI participants (Admin → AI) and a room's AI controls: engage, engagement mode,
 * system-prompt addition, stop. API keys are write-only: they read back as "********". A
 * base_url the outbound policy refuses outright (a loopback/private/metadata/... address, a
 * localhost name) is refused here; names are checked again once resolved, at connect time. */
#include "app/sw_app_people.h"
#include "http/sw_handlers.h"
#include "rooms/sw_room_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Applies the model fields of body onto m; 0, or -1 with resp filled (422 naming the field). */
static int apply_model_fields(sw_req *req, sw_resp *resp, const json_t *body, sw_model_config *m, int creating)
{
    const char *model, *base_url, *api_key, *prompt;
    if (sw_field_string(resp, body, "model", creating, 128, &model) ||
        sw_field_string(resp, body, "base_url", 0, 512, &base_url) ||
        sw_field_string(resp, body, "api_key", 0, 512, &api_key) ||
        sw_field_string(resp, body, "system_prompt", 0, 32768, &prompt))
        return -1;
    if (base_url && *base_url && strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "base_url"),
                      "base_url: expected an http:// or https:// URL (the OpenAI-compatible /v1 base)");
        return -1;
    }
    char why[300];
    int allowed = base_url && *base_url ? sw_netpolicy_check_url(req->app->netpolicy, base_url, why, sizeof why) : 1;
    if (allowed != 1) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "base_url"),
                      allowed < 0 ? "base_url: %s" : "base_url: %s; this server does not connect there for a tenant "
                                                     "(an operator can allow it with --outbound-allow)",
                      why);
        return -1;
    }
    const json_t *t = json_object_get(body, "temperature");
    if (t && !json_is_null(t) && (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 2)) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "temperature"),
                      "temperature: expected a number from 0 to 2");
        return -1;
    }
    int stream = 1, has_stream = 0;
    if (sw_field_bool(resp, body, "stream", &stream, &has_stream)) return -1;
    const json_t *plugins = json_object_get(body, "plugins");
    if (plugins && !json_is_null(plugins)) {
        if (!json_is_array(plugins)) {
            sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "plugins"),
                          "plugins: expected an array of plugin ids, or null for every enabled plugin");
            return -1;
        }
        size_t i;
        json_t *v;
        json_array_foreach(plugins, i, v) {
            if (!json_is_string(v) || !sw_http_plugin_known(req, json_string_value(v))) {
                sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "plugins"),
                              "plugins[%zu]: not a registered plugin id", i);
                return -1;
            }
        }
    }
    if (model) snprintf(m->model, sizeof m->model, "%s", model);
    if (base_url) snprintf(m->base_url, sizeof m->base_url, "%s", base_url);
    if (api_key && strcmp(api_key, "********") != 0) snprintf(m->api_key, sizeof m->api_key, "%s", api_key);
    if (json_object_get(body, "api_key") && json_is_null(json_object_get(body, "api_key"))) m->api_key[0] = 0;
    if (prompt) {
        free(m->system_prompt);
        m->system_prompt = strdup(prompt);
    }
    if (t) m->temperature_milli = json_is_null(t) ? -1 : (int)(json_number_value(t) * 1000 + 0.5);
    if (has_stream) m->stream = stream;
    if (plugins) {
        json_decref(m->plugins);
        m->plugins = json_is_null(plugins) ? NULL : json_deep_copy(plugins);
    }
    return 0;
}

static void participant_answer(sw_req *req, sw_resp *resp, const sw_participant *p, int status)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "participant_id", p->id, "local_id", p->local_id,
                          "display_name", p->display_name, "participant_type", p->participant_type, "roles", p->roles);
    sw_model_config m;
    if (sw_app_ai_model_get(req->app, req->auth.tenant_id, p->id, &m) == SW_REPO_OK) {
        json_object_set_new(o, "model_config", sw_model_config_json(&m));
        sw_model_config_fini(&m);
    }
    sw_resp_data(resp, status, o, NULL);
}

void sw_h_ai_create(sw_req *req, sw_resp *resp)
{
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const char *local_id, *display;
    sw_model_config m;
    memset(&m, 0, sizeof m);
    m.temperature_milli = -1;
    m.stream = 1;
    if (sw_field_string(resp, body, "local_id", 1, 64, &local_id) ||
        sw_field_string(resp, body, "display_name", 0, 128, &display) || apply_model_fields(req, resp, body, &m, 1))
        goto out;
    if (strspn(local_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(local_id)) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "local_id"),
                      "local_id: letters, digits, '.', '-' and '_' only (it is how people @mention the AI)");
        goto out;
    }
    sw_participant p;
    int rc = sw_app_ai_create(req->app, req->auth.tenant_id, local_id, display, &m, &p);
    if (rc == SW_REPO_CONFLICT) {
        sw_resp_error(resp, SW_ERR_CONFLICT, json_pack("{s:s}", "field", "local_id"),
                      "a participant \"%s\" already exists in this tenant", local_id);
        goto out;
    }
    if (rc != SW_REPO_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        goto out;
    }
    participant_answer(req, resp, &p, 201);
out:
    sw_model_config_fini(&m);
    json_decref(body);
}

void sw_h_ai_list(sw_req *req, sw_resp *resp)
{
    json_t *arr = sw_app_participants_json(req->app, req->auth.tenant_id);
    if (!arr) sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
    else sw_resp_data(resp, 200, arr, NULL);
}

void sw_h_ai_update(sw_req *req, sw_resp *resp)
{
    const char *id = sw_req_param(req, "participant_id");
    sw_participant p;
    if (!id || sw_app_participant(req->app, req->auth.tenant_id, id, &p) != SW_REPO_OK) {
        sw_resp_error(resp, SW_ERR_NOT_FOUND, NULL, "no participant with id \"%.64s\"", id ? id : "");
        return;
    }
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    sw_model_config m;
    memset(&m, 0, sizeof m);
    if (strcmp(p.participant_type, "model") != 0) {
        sw_resp_error(resp, SW_ERR_VALIDATION, NULL, "only AI participants have model settings");
        goto out;
    }
    if (sw_app_ai_model_get(req->app, req->auth.tenant_id, p.id, &m) != SW_REPO_OK) {
        snprintf(m.participant_id, sizeof m.participant_id, "%s", p.id);
        snprintf(m.tenant_id, sizeof m.tenant_id, "%s", req->auth.tenant_id);
        m.temperature_milli = -1;
        m.stream = 1;
    }
    if (apply_model_fields(req, resp, body, &m, 0)) goto out;
    if (!m.model[0]) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "model"), "model: is required");
        goto out;
    }
    if (sw_app_ai_model_put(req->app, &m) != SW_REPO_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        goto out;
    }
    participant_answer(req, resp, &p, 200);
out:
    sw_model_config_fini(&m);
    json_decref(body);
}

void sw_h_ai_engage(sw_req *req, sw_resp *resp)
{
    sw_room room;
    int power = 0;
    if (sw_http_room(req, resp, &room, 1, &power) != 0) return;
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const char *pid;
    if (sw_field_string(resp, body, "participant_id", 1, 64, &pid)) goto out;
    sw_participant p;
    if (sw_app_participant(req->app, req->auth.tenant_id, pid, &p) != SW_REPO_OK ||
        strcmp(p.participant_type, "model") != 0) {
        sw_resp_error(resp, SW_ERR_NOT_FOUND, json_pack("{s:s}", "field", "participant_id"),
                      "no AI participant with id \"%.64s\"", pid);
        goto out;
    }
    if (!sw_ai_has_model(req->app->ai, req->auth.tenant_id, p.id)) {
        sw_resp_error(resp, SW_ERR_AI_NO_MODEL, NULL,
                      "%s has no model endpoint: set its model and base_url under Admin → AI", p.display_name);
        goto out;
    }
    sw_room_actor actor = sw_http_actor(req, power);
    sw_room_verdict v = sw_rooms_bring_ai(&req->app->rooms, req->auth.tenant_id, room.id, &actor, p.id);
    if (v == SW_ROOM_FORBIDDEN) { /* adding it = inviting it */
        sw_resp_error(resp, SW_ERR_AUTH_INSUFFICIENT_PERMISSION, NULL,
                      "%s is not in this room: adding it needs power level %d here, as inviting does",
                      p.display_name, SW_POWER_TO_INVITE);
        goto out;
    }
    if (v != SW_ROOM_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        goto out;
    }
    int rc = sw_ai_engage(req->app->ai, req->auth.tenant_id, room.id, p.id, req->auth.participant_id);
    if (rc == SW_ERR_AI_BUSY)
        sw_resp_error(resp, SW_ERR_AI_BUSY, NULL, "%s is already answering in this room; stop it first", p.display_name);
    else if (rc)
        sw_resp_error(resp, (sw_err)rc, NULL, "the AI could not start");
    else
        sw_resp_data(resp, 202, json_pack("{s:s, s:s, s:s}", "room_id", room.id, "participant_id", p.id, "status", "thinking"), NULL);
out:
    json_decref(body);
}

void sw_h_ai_engagement(sw_req *req, sw_resp *resp)
{
    sw_room room;
    int power = 0;
    if (sw_http_room(req, resp, &room, 1, &power) != 0) return;
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const char *mode;
    if (sw_field_string(resp, body, "mode", 1, 16, &mode)) goto out;
    if (strcmp(mode, "always") != 0 && strcmp(mode, "mention") != 0) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "mode"), "mode: expected \"always\" or \"mention\"");
        goto out;
    }
    sw_room_actor actor = sw_http_actor(req, power);
    sw_room_verdict v = sw_rooms_set_ai_mode(&req->app->rooms, req->auth.tenant_id, room.id, &actor, mode);
    if (v == SW_ROOM_FORBIDDEN) {
        sw_resp_error(resp, SW_ERR_AUTH_INSUFFICIENT_PERMISSION, NULL, "this needs power level %d in the room",
                      SW_POWER_TO_SETTINGS);
        goto out;
    }
    if (v != SW_ROOM_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        goto out;
    }
    sw_resp_data(resp, 200, json_pack("{s:s, s:s}", "room_id", room.id, "mode", mode), NULL);
out:
    json_decref(body);
}

void sw_h_ai_room_prompt(sw_req *req, sw_resp *resp)
{
    sw_room room;
    int power = 0;
    if (sw_http_room(req, resp, &room, 1, &power) != 0) return;
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const char *prompt;
    if (sw_field_string(resp, body, "system_prompt", 0, 32768, &prompt)) goto out;
    sw_room_actor actor = sw_http_actor(req, power);
    sw_room_verdict v = sw_rooms_set_ai_prompt(&req->app->rooms, req->auth.tenant_id, room.id, &actor, prompt);
    if (v == SW_ROOM_FORBIDDEN) {
        sw_resp_error(resp, SW_ERR_AUTH_INSUFFICIENT_PERMISSION, NULL, "this needs power level %d in the room",
                      SW_POWER_TO_SETTINGS);
        goto out;
    }
    if (v != SW_ROOM_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        goto out;
    }
    sw_resp_data(resp, 200, json_pack("{s:s, s:s}", "room_id", room.id, "system_prompt", prompt ? prompt : ""), NULL);
out:
    json_decref(body);
}

void sw_h_ai_stop(sw_req *req, sw_resp *resp)
{
    sw_room room;
    if (sw_http_room(req, resp, &room, 1, NULL) != 0) return;
    int n = sw_ai_stop(req->app->ai, req->auth.tenant_id, room.id);
    sw_resp_data(resp, 200, json_pack("{s:s, s:i}", "room_id", room.id, "stopped", n), NULL);
}
