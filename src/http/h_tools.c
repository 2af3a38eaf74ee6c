/* h_tools: POST /v1/tools/{tool}/call — a person runs a tool through the dispatcher, exactly as
 * a slash command does (the caller is the initiator, so it is its own approval). */
#include "http/sw_handlers.h"
#include "store/sw_repo.h"

#include <stdlib.h>
#include <string.h>

void sw_h_tool_call(sw_req *req, sw_resp *resp)
{
    json_t *body = sw_req_json(req, resp, 1);
    if (!body) return;
    const char *room_id, *plugin_id;
    if (sw_field_string(resp, body, "room_id", 0, 64, &room_id) ||
        sw_field_string(resp, body, "plugin_id", 0, 64, &plugin_id)) {
        json_decref(body);
        return;
    }
    /* a room is trusted only when the caller has joined it (as for /send), and its plugin
     * toggles apply through the rooms' one resolver */
    if (room_id && *room_id) {
        char m[8] = "";
        int power = 0;
        int rc = sw_rooms_membership(&req->app->rooms, req->auth.tenant_id, room_id, req->auth.participant_id, m,
                                     &power);
        if (rc != SW_REPO_OK || strcmp(m, "join") != 0) {
            if (rc == SW_REPO_NOT_FOUND)
                sw_resp_error(resp, SW_ERR_ROOM_NOT_FOUND, NULL, "no room with id \"%.64s\"", room_id);
            else if (rc != SW_REPO_OK)
                sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
            else
                sw_resp_error(resp, SW_ERR_NOT_MEMBER, NULL, "you are not a member of this room");
            json_decref(body);
            return;
        }
    }
    sw_rooms_scope scope = {&req->app->rooms, req->auth.tenant_id, room_id};
    /* the arguments go to the dispatcher as parsed here (never back to text); a string is text
     * for the dispatcher to read (plain text fills the first required parameter) */
    json_t *a = json_object_get(body, "arguments");
    const char *atext = json_is_string(a) ? json_string_value(a) : NULL;
    char slug[72];
    sw_rooms_tenant_slug(&req->app->rooms, req->auth.tenant_id, slug);
    sw_call call = {
        .tenant_id = req->auth.tenant_id,
        .tenant_slug = slug,
        .room_id = room_id,
        .caller_id = req->auth.participant_id,
        .initiator_id = req->auth.participant_id,
        .tool = sw_req_param(req, "tool"),
        .args = atext,
        .args_len = atext ? json_string_length(a) : 0,
        .args_json = !atext && a && !json_is_null(a) ? a : NULL,
        .only_plugin = plugin_id,
        .plugin_visible = sw_rooms_plugin_visible,
        .plugin_visible_arg = &scope,
    };
    sw_dispatch_result r;
    sw_dispatch(&req->app->disp, &call, &r);
    json_t *text = json_string(r.text ? r.text : "");
    if (!text) text = json_string("(the tool returned text that is not valid UTF-8)");
    sw_resp_data(resp, 200,
                 json_pack("{s:s, s:s, s:s, s:b, s:o, s:I}", "plugin_id", r.plugin_id, "tool", call.tool,
                           "status", r.status, "is_error", r.is_error, "result", text,
                           "duration_ms", (json_int_t)(r.duration_us / 1000)),
                 NULL);
    sw_dispatch_result_fini(&r);
    json_decref(body);
}
