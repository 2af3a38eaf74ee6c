/* sw_room_members: membership in the rooms service — reading a participant's membership
 * (remembered in sw_rooms.members), storing a change with its swp.room.member event, and the
 * membership actions (invite, bring an AI in, join, leave), each decided by sw_room_policy. */
#ifndef SW_ROOM_MEMBERS_H
#define SW_ROOM_MEMBERS_H

#include "rooms/sw_room_policy.h"
#include "rooms/sw_rooms.h"

/* Who acts on a room: a participant with its membership and power level there. */
typedef struct sw_room_actor {
    const char *participant_id;
    sw_membership membership;
    int power;
} sw_room_actor;

/* The outcome of a room action. */
typedef enum sw_room_verdict {
    SW_ROOM_OK = 0,
    SW_ROOM_FORBIDDEN,      /* the actor's power level (or membership) does not allow it */
    SW_ROOM_NO_PARTICIPANT, /* the target is no participant of the tenant */
    SW_ROOM_REFUSED,        /* the membership cannot move there (joining without an invitation) */
    SW_ROOM_STORE_ERROR,
} sw_room_verdict;

/* The participant's membership of a room of the tenant (SW_MEMBERSHIP_NONE when never a
 * member), remembered: SW_REPO_OK, SW_REPO_NOT_FOUND when the tenant has no such room, or
 * SW_REPO_ERROR. power may be NULL. */
int sw_rooms_member(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id,
                    sw_membership *membership, int *power);

/* Stores a membership (and forgets the remembered one) and appends its swp.room.member event.
 * Decides nothing: the actions below and room creation call it once the policy agreed. 0 or -1. */
int sw_rooms_set_member(sw_rooms *r, const char *tenant_id, const char *room_id, const char *actor_id,
                        const char *participant_id, sw_membership membership, int power);

/* actor invites participant_id: needs SW_POWER_TO_INVITE; an AI joins at once, a person is
 * invited (again, when invited already); a joined participant stays as it is. */
sw_room_verdict sw_rooms_invite(sw_rooms *r, const char *tenant_id, const char *room_id, const sw_room_actor *actor,
                                const char *participant_id);
/* actor brings the AI ai_id (a "model" participant the caller has checked) into the room: an
 * invited AI joins for any member; otherwise this is an invitation (SW_POWER_TO_INVITE). */
sw_room_verdict sw_rooms_bring_ai(sw_rooms *r, const char *tenant_id, const char *room_id, const sw_room_actor *actor,
                                  const char *ai_id);
/* participant_id accepts its invitation (the room is invite-only): OK when joined (now or
 * already), REFUSED when never invited or left. Its power level stays. */
sw_room_verdict sw_rooms_join(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id);
/* participant_id leaves (or declines its invitation), keeping its power level for a return. */
sw_room_verdict sw_rooms_leave(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id);

#endif
