/* sw_room_policy: the room rules (membership enum, power levels, who may do what, membership
 * transitions) as pure functions; see sw_room_policy.h. */
#include "rooms/sw_room_policy.h"

#include <string.h>

const char *sw_membership_name(sw_membership m)
{
    switch (m) {
    case SW_MEMBERSHIP_INVITE: return "invite";
    case SW_MEMBERSHIP_JOIN: return "join";
    case SW_MEMBERSHIP_LEAVE: return "leave";
    case SW_MEMBERSHIP_NONE: break;
    }
    return "";
}

int sw_membership_parse(const char *s, sw_membership *out)
{
    if (!s || !*s) *out = SW_MEMBERSHIP_NONE;
    else if (strcmp(s, "invite") == 0) *out = SW_MEMBERSHIP_INVITE;
    else if (strcmp(s, "join") == 0) *out = SW_MEMBERSHIP_JOIN;
    else if (strcmp(s, "leave") == 0) *out = SW_MEMBERSHIP_LEAVE;
    else return -1;
    return 0;
}

static int valid_power(int p)
{
    return p >= SW_POWER_MEMBER && p <= SW_POWER_ADMIN;
}

int sw_room_may_invite(sw_membership actor, int actor_power)
{
    return actor == SW_MEMBERSHIP_JOIN && actor_power >= SW_POWER_TO_INVITE;
}

int sw_room_may_change_settings(sw_membership actor, int actor_power)
{
    return actor == SW_MEMBERSHIP_JOIN && actor_power >= SW_POWER_TO_SETTINGS;
}

int sw_room_may_kick(sw_membership actor, int actor_power, sw_membership target, int target_power)
{
    return actor == SW_MEMBERSHIP_JOIN && actor_power >= SW_POWER_TO_KICK &&
           (target == SW_MEMBERSHIP_JOIN || target == SW_MEMBERSHIP_INVITE) && target_power < actor_power;
}

int sw_room_may_set_power(sw_membership actor, int actor_power, int self, sw_membership target, int target_power,
                          int new_power)
{
    if (actor != SW_MEMBERSHIP_JOIN || !valid_power(new_power)) return 0;
    if (self) return new_power <= actor_power; /* anyone may step down; nobody may step up */
    if (actor_power < SW_POWER_TO_SET_POWER) return 0;
    if (target != SW_MEMBERSHIP_JOIN && target != SW_MEMBERSHIP_INVITE) return 0;
    return target_power < actor_power && new_power <= actor_power;
}

sw_join_verdict sw_room_join_verdict(sw_membership current)
{
    if (current == SW_MEMBERSHIP_JOIN) return SW_JOIN_ALREADY;
    if (current == SW_MEMBERSHIP_INVITE) return SW_JOIN_ACCEPT;
    return SW_JOIN_REFUSED;
}

sw_membership sw_room_invite_result(const char *participant_type)
{
    return participant_type && strcmp(participant_type, "model") == 0 ? SW_MEMBERSHIP_JOIN : SW_MEMBERSHIP_INVITE;
}

int sw_membership_may_move(sw_membership from, sw_membership to, int by_self)
{
    if (by_self) {
        switch (to) {
        case SW_MEMBERSHIP_JOIN: return from == SW_MEMBERSHIP_INVITE; /* invite-only */
        case SW_MEMBERSHIP_LEAVE: return from == SW_MEMBERSHIP_JOIN || from == SW_MEMBERSHIP_INVITE;
        default: return 0; /* nobody invites itself or forgets a room */
        }
    }
    switch (to) {
    case SW_MEMBERSHIP_INVITE: /* invite, or invite again */
    case SW_MEMBERSHIP_JOIN:   /* an AI brought in (sw_room_invite_result) */
        return from != SW_MEMBERSHIP_JOIN;
    case SW_MEMBERSHIP_LEAVE: return from == SW_MEMBERSHIP_JOIN || from == SW_MEMBERSHIP_INVITE; /* kick */
    default: return 0;
    }
}
