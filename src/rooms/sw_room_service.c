/* sw_room_service: rooms as resources (create, read, list, members, history, sync reads) and
 * the room settings behind the settings policy; see sw_room_service.h. */
#include "rooms/sw_room_service.h"
#include "store/sw_ai_repo.h"
#include "store/sw_repo.h"

#include <stdlib.h>

int sw_rooms_create(sw_rooms *r, const char *tenant_id, const char *room_type, const char *name, const char *topic,
                    const char *creator_id, sw_room *out)
{
    if (sw_room_insert(r->db, tenant_id, room_type, name, topic, creator_id, out) != 0) return -1;
    return sw_rooms_set_member(r, tenant_id, out->id, creator_id, creator_id, SW_MEMBERSHIP_JOIN, SW_POWER_ADMIN);
}

int sw_rooms_get_for(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id,
                     sw_room *out, sw_membership *membership, int *power)
{
    char m[8] = "";
    int p = 0;
    int rc = sw_room_get_with_membership(r->db, tenant_id, room_id, participant_id, out, m, &p);
    if (rc != SW_REPO_OK) return rc;
    if (sw_membership_parse(m, membership) != 0) return SW_REPO_ERROR;
    if (power) *power = p;
    return SW_REPO_OK;
}

json_t *sw_rooms_view(sw_rooms *r, const char *tenant_id, const sw_room *room)
{
    json_t *o = sw_room_json(room, sw_room_member_count(r->db, tenant_id, room->id));
    char mode[12] = "";
    char *prompt = NULL;
    if (o && sw_room_ai_get(r->db, tenant_id, room->id, mode, &prompt) == SW_REPO_OK) {
        json_object_set_new(o, "ai_mode", json_string(mode));
        json_object_set_new(o, "ai_system_prompt", prompt ? json_string(prompt) : json_null());
    }
    free(prompt);
    return o;
}

json_t *sw_rooms_directory(sw_rooms *r, const char *tenant_id, const char *participant_id)
{
    return sw_rooms_list_for(r->db, tenant_id, participant_id);
}

json_t *sw_rooms_member_list(sw_rooms *r, const char *tenant_id, const char *room_id)
{
    return sw_room_members_json(r->db, tenant_id, room_id);
}

json_t *sw_rooms_history(sw_rooms *r, const char *tenant_id, const char *room_id, int64_t from, int forward,
                         int limit, int *has_more)
{
    return sw_events_page(r->db, tenant_id, room_id, from, forward, limit, has_more);
}

int sw_rooms_joined_ids(sw_rooms *r, const char *tenant_id, const char *participant_id, char (**out)[40])
{
    return sw_rooms_joined(r->db, tenant_id, participant_id, out);
}

int sw_rooms_joined_into(sw_rooms *r, const char *tenant_id, const char *participant_id, char (*out)[40], int max)
{
    return sw_rooms_of_member(r->db, tenant_id, participant_id, out, max);
}

json_t *sw_rooms_events_after(sw_rooms *r, const char *tenant_id, char (*rooms)[40], int nrooms, int64_t since,
                              int limit, int *has_more)
{
    return sw_events_since(r->db, tenant_id, rooms, nrooms, since, limit, has_more);
}

sw_room_verdict sw_rooms_set_plugin(sw_rooms *r, const char *tenant_id, const char *room_id,
                                    const sw_room_actor *actor, const char *plugin_id, int enabled)
{
    if (!sw_room_may_change_settings(actor->membership, actor->power)) return SW_ROOM_FORBIDDEN;
    return sw_rooms_toggle_plugin(r, tenant_id, room_id, plugin_id, enabled) == 0 ? SW_ROOM_OK : SW_ROOM_STORE_ERROR;
}

sw_room_verdict sw_rooms_set_ai_mode(sw_rooms *r, const char *tenant_id, const char *room_id,
                                     const sw_room_actor *actor, const char *mode)
{
    if (!sw_room_may_change_settings(actor->membership, actor->power)) return SW_ROOM_FORBIDDEN;
    return sw_room_ai_set(r->db, tenant_id, room_id, mode, NULL) == SW_REPO_OK ? SW_ROOM_OK : SW_ROOM_STORE_ERROR;
}

sw_room_verdict sw_rooms_set_ai_prompt(sw_rooms *r, const char *tenant_id, const char *room_id,
                                       const sw_room_actor *actor, const char *prompt)
{
    if (!sw_room_may_change_settings(actor->membership, actor->power)) return SW_ROOM_FORBIDDEN;
    return sw_room_ai_set(r->db, tenant_id, room_id, NULL, prompt ? prompt : "") == SW_REPO_OK ? SW_ROOM_OK
                                                                                              : SW_ROOM_STORE_ERROR;
}
