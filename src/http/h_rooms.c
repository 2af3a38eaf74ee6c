/* h_rooms: rooms, members, messages, per-room plugin toggles and the commands list. A room of
 * another tenant answers exactly like a missing one (404); a room of the caller's tenant that
 * the caller has not joined answers 403 SW_NOT_MEMBER. */
#include "http/sw_handlers.h"
#include "plugins/sw_slash.h"
#include "rooms/sw_room_service.h"
#include "store/sw_repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONTENT (64u << 10)

/* Loads the path's room; need_join: the caller must have joined it. Fills resp on failure. */
int sw_http_room(sw_req *req, sw_resp *resp, sw_room *room, int need_join, int *power)
{
    const char *id = sw_req_param(req, "room_id");
    sw_membership m = SW_MEMBERSHIP_NONE;
    int p = 0;
    int rc = id ? sw_rooms_get_for(&req->app->rooms, req->auth.tenant_id, id, req->auth.participant_id, room, &m, &p)
                : SW_REPO_NOT_FOUND;
    if (rc == SW_REPO_NOT_FOUND) {
        sw_resp_error(resp, SW_ERR_ROOM_NOT_FOUND, NULL, "no room with id \"%.64s\"", id ? id : "");
        return -1;
    }
    if (rc != SW_REPO_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return -1;
    }
    if (power) *power = p;
    if (need_join && m != SW_MEMBERSHIP_JOIN) {
        sw_resp_error(resp, SW_ERR_NOT_MEMBER, NULL, "you are not a member of this room");
        return -1;
    }
    return 0;
}

sw_room_actor sw_http_actor(const sw_req *req, int power)
{
    return (sw_room_actor){req->auth.participant_id, SW_MEMBERSHIP_JOIN, power};
}

static void room_answer(sw_req *req, sw_resp *resp, const sw_room *room, int status)
{
    sw_resp_data(resp, status, sw_rooms_view(&req->app->rooms, req->auth.tenant_id, room), NULL);
}

void sw_h_rooms_create(sw_req *req, sw_resp *resp)
{
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const char *type, *name, *topic;
    if (sw_field_string(resp, body, "room_type", 1, 8, &type) || sw_field_string(resp, body, "name", 1, 255, &name) ||
        sw_field_string(resp, body, "topic", 0, 1024, &topic))
        goto out;
    if (strcmp(type, "group") != 0 && strcmp(type, "dm") != 0) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "room_type"),
                      "room_type: expected \"group\" or \"dm\"");
        goto out;
    }
    sw_room room;
    if (sw_rooms_create(&req->app->rooms, req->auth.tenant_id, type, name, topic, req->auth.participant_id, &room) !=
        0) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        goto out;
    }
    room_answer(req, resp, &room, 201);
out:
    json_decref(body);
}

void sw_h_room_get(sw_req *req, sw_resp *resp)
{
    sw_room room;
    if (sw_http_room(req, resp, &room, 1, NULL) == 0) room_answer(req, resp, &room, 200);
}

void sw_h_directory_rooms(sw_req *req, sw_resp *resp)
{
    json_t *rooms = sw_rooms_directory(&req->app->rooms, req->auth.tenant_id, req->auth.participant_id);
    if (!rooms) sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
    else sw_resp_data(resp, 200, rooms, json_pack("{s:b, s:n}", "has_more", 0, "next_cursor"));
}

void sw_h_room_members(sw_req *req, sw_resp *resp)
{
    sw_room room;
    if (sw_http_room(req, resp, &room, 1, NULL) != 0) return;
    json_t *m = sw_rooms_member_list(&req->app->rooms, req->auth.tenant_id, room.id);
    if (!m) sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
    else sw_resp_data(resp, 200, m, NULL);
}

void sw_h_room_invite(sw_req *req, sw_resp *resp)
{
    sw_room room;
    int power = 0;
    if (sw_http_room(req, resp, &room, 1, &power) != 0) return;
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const char *pid;
    if (sw_field_string(resp, body, "participant_id", 1, 64, &pid)) goto out;
    /* AI participants join when invited; people accept with /join */
    sw_room_actor actor = sw_http_actor(req, power);
    switch (sw_rooms_invite(&req->app->rooms, req->auth.tenant_id, room.id, &actor, pid)) {
    case SW_ROOM_OK: room_answer(req, resp, &room, 200); break;
    case SW_ROOM_FORBIDDEN:
        sw_resp_error(resp, SW_ERR_AUTH_INSUFFICIENT_PERMISSION, NULL, "inviting needs power level %d in this room",
                      SW_POWER_TO_INVITE);
        break;
    case SW_ROOM_NO_PARTICIPANT:
        sw_resp_error(resp, SW_ERR_NOT_FOUND, json_pack("{s:s}", "field", "participant_id"),
                      "no participant with id \"%.64s\"", pid);
        break;
    default: sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer"); break;
    }
out:
    json_decref(body);
}

void sw_h_room_join(sw_req *req, sw_resp *resp)
{
    sw_room room;
    if (sw_http_room(req, resp, &room, 0, NULL) != 0) return;
    switch (sw_rooms_join(&req->app->rooms, req->auth.tenant_id, room.id, req->auth.participant_id)) {
    case SW_ROOM_OK: room_answer(req, resp, &room, 200); break;
    case SW_ROOM_REFUSED:
        sw_resp_error(resp, SW_ERR_NOT_MEMBER, NULL, "this room is invite-only; ask a member to invite you");
        break;
    default: sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer"); break;
    }
}

void sw_h_room_leave(sw_req *req, sw_resp *resp)
{
    sw_room room;
    if (sw_http_room(req, resp, &room, 1, NULL) != 0) return;
    if (sw_rooms_leave(&req->app->rooms, req->auth.tenant_id, room.id, req->auth.participant_id) != SW_ROOM_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    sw_resp_data(resp, 200, json_pack("{s:s, s:s}", "room_id", room.id, "membership", "leave"), NULL);
}

void sw_h_room_send(sw_req *req, sw_resp *resp)
{
    if (req->body_len > MAX_CONTENT + 4096) {
        sw_resp_error(resp, SW_ERR_CONTENT_TOO_LARGE, json_pack("{s:i}", "max_bytes", MAX_CONTENT),
                      "message content is larger than %u bytes", MAX_CONTENT);
        return;
    }
    /* the hot path: membership from the room service's memory, not a query per message */
    const char *room_id = sw_req_param(req, "room_id");
    sw_membership m = SW_MEMBERSHIP_NONE;
    int rc = room_id ? sw_rooms_member(&req->app->rooms, req->auth.tenant_id, room_id, req->auth.participant_id, &m,
                                       NULL)
                     : SW_REPO_NOT_FOUND;
    if (rc == SW_REPO_NOT_FOUND) {
        sw_resp_error(resp, SW_ERR_ROOM_NOT_FOUND, NULL, "no room with id \"%.64s\"", room_id ? room_id : "");
        return;
    }
    if (rc != SW_REPO_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    if (m != SW_MEMBERSHIP_JOIN) {
        sw_resp_error(resp, SW_ERR_NOT_MEMBER, NULL, "you are not a member of this room");
        return;
    }
    sw_room room;
    snprintf(room.id, sizeof room.id, "%s", room_id);
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const json_t *content;
    const char *uuid, *msgtype, *text;
    if (sw_field_object(resp, body, "content", &content) || sw_field_string(resp, body, "event_uuid", 0, 128, &uuid))
        goto out;
    if (!content) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "content"), "content: is required");
        goto out;
    }
    if (sw_field_string(resp, content, "msgtype", 1, 64, &msgtype) ||
        sw_field_string(resp, content, "body", 1, 0, &text))
        goto out;
    if (strcmp(msgtype, "swp.text") != 0) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "content.msgtype"),
                      "content.msgtype: people send \"swp.text\"");
        goto out;
    }
    size_t clen = 0;
    if (req->body_len > MAX_CONTENT) { /* a smaller body cannot hold larger content */
        char *ctext = json_dumps(content, JSON_COMPACT);
        clen = ctext ? strlen(ctext) : 0;
        free(ctext);
    }
    if (clen > MAX_CONTENT) {
        sw_resp_error(resp, SW_ERR_CONTENT_TOO_LARGE, json_pack("{s:i}", "max_bytes", MAX_CONTENT),
                      "message content is larger than %u bytes", MAX_CONTENT);
        goto out;
    }
    json_t *ev = NULL;
    int sent = sw_rooms_send_message(&req->app->rooms, req->auth.tenant_id, NULL, room.id,
                                     req->auth.participant_id, req->auth.token, content, uuid, &ev);
    if (sent == SW_ROOMS_OVERLOADED) {
        resp->retry_after = 1;
        sw_resp_error(resp, SW_ERR_OVERLOADED, json_pack("{s:i}", "retry_after", 1),
                      "too many slash commands are waiting to run; the message was not stored, "
                      "send it again (with the same event_uuid) later");
        goto out;
    }
    if (sent != 0) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer; the message was not stored");
        goto out;
    }
    sw_resp_data(resp, 200, ev, NULL);
out:
    json_decref(body);
}

void sw_h_room_messages(sw_req *req, sw_resp *resp)
{
    sw_room room;
    if (sw_http_room(req, resp, &room, 1, NULL) != 0) return;
    int limit;
    if (sw_req_limit(req, resp, &limit) != 0) return;
    const char *dir = sw_req_query(req, "direction"), *from = sw_req_query(req, "from");
    int forward = 0;
    if (dir && strcmp(dir, "forward") == 0) forward = 1;
    else if (dir && strcmp(dir, "back") != 0) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "direction"),
                      "direction: expected \"back\" or \"forward\"");
        return;
    }
    long long f = 0;
    if (from) {
        if (sw_parse_int(from, 0, INT64_MAX, &f) != 0) {
            sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "from"),
                          "from: expected a stream position (a non-negative integer)");
            return;
        }
    }
    int more = 0;
    json_t *evs = sw_rooms_history(&req->app->rooms, req->auth.tenant_id, room.id, f, forward, limit, &more);
    if (!evs) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    json_t *last = json_array_get(evs, json_array_size(evs) - 1);
    json_t *next = more && last ? json_sprintf("%lld", (long long)json_integer_value(json_object_get(last, "stream_position")))
                                : json_null();
    sw_resp_data(resp, 200, evs, json_pack("{s:b, s:o}", "has_more", more, "next_cursor", next));
}

void sw_h_room_plugin_toggle(sw_req *req, sw_resp *resp)
{
    sw_room room;
    int power = 0;
    if (sw_http_room(req, resp, &room, 1, &power) != 0) return;
    const char *pid = sw_req_param(req, "plugin_id");
    if (!pid || !sw_http_plugin_known(req, pid)) {
        sw_resp_error(resp, SW_ERR_PLUGIN_NOT_FOUND, NULL, "no plugin with id \"%.64s\"", pid ? pid : "");
        return;
    }
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    int enabled = 0, present = 0;
    if (sw_field_bool(resp, body, "enabled", &enabled, &present)) goto out;
    if (!present) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "enabled"), "enabled: is required");
        goto out;
    }
    sw_room_actor actor = sw_http_actor(req, power);
    sw_room_verdict v = sw_rooms_set_plugin(&req->app->rooms, req->auth.tenant_id, room.id, &actor, pid, enabled);
    if (v == SW_ROOM_FORBIDDEN) {
        sw_resp_error(resp, SW_ERR_AUTH_INSUFFICIENT_PERMISSION, NULL, "this needs power level %d in the room",
                      SW_POWER_TO_SETTINGS);
        goto out;
    }
    if (v != SW_ROOM_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        goto out;
    }
    sw_resp_data(resp, 200, json_pack("{s:s, s:s, s:b}", "room_id", room.id, "plugin_id", pid, "enabled", enabled), NULL);
out:
    json_decref(body);
}

void sw_h_commands(sw_req *req, sw_resp *resp)
{
    const char *room_id = sw_req_query(req, "room_id");
    sw_room room;
    sw_membership m = SW_MEMBERSHIP_NONE;
    int rc = room_id ? sw_rooms_get_for(&req->app->rooms, req->auth.tenant_id, room_id, req->auth.participant_id, &room,
                                        &m, NULL)
                     : SW_REPO_OK;
    if (rc == SW_REPO_NOT_FOUND) {
        sw_resp_error(resp, SW_ERR_ROOM_NOT_FOUND, NULL, "no room with id \"%.64s\"", room_id);
        return;
    }
    if (rc != SW_REPO_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    if (room_id && m != SW_MEMBERSHIP_JOIN) {
        sw_resp_error(resp, SW_ERR_NOT_MEMBER, NULL, "you are not a member of this room");
        return;
    }
    sw_resp_data(resp, 200, sw_rooms_commands(&req->app->rooms, req->auth.tenant_id, room_id), NULL);
}
