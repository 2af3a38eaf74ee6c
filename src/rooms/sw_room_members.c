/* sw_room_members: room membership in the rooms service — remembered reads, stored changes
 * with their swp.room.member events, and the actions decided by sw_room_policy. */
#include "rooms/sw_room_members.h"
#include "store/sw_repo.h"
#include "store/sw_room_repo.h"

#include <string.h>

int sw_rooms_member(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id,
                    sw_membership *membership, int *power)
{
    char kb[SW_CACHE_KEY_MAX];
    const char *key = sw_cache_key(kb, tenant_id, room_id, participant_id);
    sw_member_entry e;
    uint64_t gen;
    if (sw_cache_get(r->members, key, &e, &gen)) {
        *membership = e.membership;
        if (power) *power = e.power;
        return SW_REPO_OK;
    }
    sw_room room;
    char m[8] = "";
    int p = 0;
    int rc = sw_room_get_with_membership(r->db, tenant_id, room_id, participant_id, &room, m, &p);
    if (rc != SW_REPO_OK) return rc;
    if (sw_membership_parse(m, &e.membership) != 0) return SW_REPO_ERROR;
    e.power = p;
    sw_cache_put(r->members, key, &e, gen);
    *membership = e.membership;
    if (power) *power = p;
    return SW_REPO_OK;
}

/* The string form, for callers that have not moved to the enum (src/ai/sw_approvals.c). */
int sw_rooms_membership(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id,
                        char membership[8], int *power)
{
    sw_membership m;
    int rc = sw_rooms_member(r, tenant_id, room_id, participant_id, &m, power);
    if (rc == SW_REPO_OK) strcpy(membership, sw_membership_name(m));
    return rc;
}

int sw_rooms_set_member(sw_rooms *r, const char *tenant_id, const char *room_id, const char *actor_id,
                        const char *participant_id, sw_membership membership, int power)
{
    char kb[SW_CACHE_KEY_MAX];
    const char *name = sw_membership_name(membership);
    int set = sw_room_set_member(r->db, tenant_id, room_id, participant_id, name, power);
    sw_cache_forget(r->members, sw_cache_key(kb, tenant_id, room_id, participant_id));
    if (set != 0) return -1;
    json_t *content = json_pack("{s:s, s:s, s:i}", "participant_id", participant_id, "membership", name,
                                "power_level", power);
    int rc = sw_rooms_append(r, tenant_id, room_id, actor_id, "swp.room.member", content, NULL, NULL, NULL);
    json_decref(content);
    return rc;
}

/* Moves participant_id to `to` when the policy allows the move (staying joined is no change). */
static sw_room_verdict move(sw_rooms *r, const char *tenant_id, const char *room_id, const char *actor_id,
                            const char *participant_id, sw_membership from, sw_membership to, int power)
{
    if (from == to && to == SW_MEMBERSHIP_JOIN) return SW_ROOM_OK;
    if (!sw_membership_may_move(from, to, strcmp(actor_id, participant_id) == 0)) return SW_ROOM_REFUSED;
    return sw_rooms_set_member(r, tenant_id, room_id, actor_id, participant_id, to, power) == 0 ? SW_ROOM_OK
                                                                                                : SW_ROOM_STORE_ERROR;
}

sw_room_verdict sw_rooms_invite(sw_rooms *r, const char *tenant_id, const char *room_id, const sw_room_actor *actor,
                                const char *participant_id)
{
    if (!sw_room_may_invite(actor->membership, actor->power)) return SW_ROOM_FORBIDDEN;
    sw_participant p;
    int rc = sw_participant_by_id(r->db, tenant_id, participant_id, &p);
    if (rc == SW_REPO_NOT_FOUND) return SW_ROOM_NO_PARTICIPANT;
    if (rc != SW_REPO_OK) return SW_ROOM_STORE_ERROR;
    sw_membership now;
    if (sw_rooms_member(r, tenant_id, room_id, p.id, &now, NULL) != SW_REPO_OK) return SW_ROOM_STORE_ERROR;
    if (now == SW_MEMBERSHIP_JOIN) return SW_ROOM_OK;
    return move(r, tenant_id, room_id, actor->participant_id, p.id, now, sw_room_invite_result(p.participant_type),
                SW_POWER_MEMBER);
}

sw_room_verdict sw_rooms_bring_ai(sw_rooms *r, const char *tenant_id, const char *room_id, const sw_room_actor *actor,
                                  const char *ai_id)
{
    sw_membership now;
    if (sw_rooms_member(r, tenant_id, room_id, ai_id, &now, NULL) != SW_REPO_OK) return SW_ROOM_STORE_ERROR;
    if (now == SW_MEMBERSHIP_JOIN) return SW_ROOM_OK;
    if (actor->membership != SW_MEMBERSHIP_JOIN) return SW_ROOM_FORBIDDEN;
    if (now != SW_MEMBERSHIP_INVITE && !sw_room_may_invite(actor->membership, actor->power)) /* adding it = inviting */
        return SW_ROOM_FORBIDDEN;
    return move(r, tenant_id, room_id, actor->participant_id, ai_id, now, SW_MEMBERSHIP_JOIN, SW_POWER_MEMBER);
}

sw_room_verdict sw_rooms_join(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id)
{
    sw_membership now;
    int power = 0;
    if (sw_rooms_member(r, tenant_id, room_id, participant_id, &now, &power) != SW_REPO_OK) return SW_ROOM_STORE_ERROR;
    switch (sw_room_join_verdict(now)) {
    case SW_JOIN_ALREADY: return SW_ROOM_OK;
    case SW_JOIN_REFUSED: return SW_ROOM_REFUSED;
    case SW_JOIN_ACCEPT: break;
    }
    return move(r, tenant_id, room_id, participant_id, participant_id, now, SW_MEMBERSHIP_JOIN, power);
}

sw_room_verdict sw_rooms_leave(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id)
{
    sw_membership now;
    int power = 0;
    if (sw_rooms_member(r, tenant_id, room_id, participant_id, &now, &power) != SW_REPO_OK) return SW_ROOM_STORE_ERROR;
    return move(r, tenant_id, room_id, participant_id, participant_id, now, SW_MEMBERSHIP_LEAVE, power);
}
