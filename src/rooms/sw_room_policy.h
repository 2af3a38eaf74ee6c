/* sw_room_policy: the rules of a room, as pure functions (no store, no locks) — the membership
 * enum and its spelling on the wire and in the store, power levels, who may invite, kick, change
 * a power level, change the room's settings or join, and which membership transitions exist.
 * The rooms service (sw_room_members.c, sw_room_service.c) decides through these and nothing
 * else; HTTP handlers only map a verdict to an answer. */
#ifndef SW_ROOM_POLICY_H
#define SW_ROOM_POLICY_H

/* A participant's membership of a room. NONE: never a member (no row). */
typedef enum sw_membership {
    SW_MEMBERSHIP_NONE = 0,
    SW_MEMBERSHIP_INVITE,
    SW_MEMBERSHIP_JOIN,
    SW_MEMBERSHIP_LEAVE,
} sw_membership;

/* "" | "invite" | "join" | "leave" (the store's and the swp.room.member event's spelling). */
const char *sw_membership_name(sw_membership m);
/* The enum of a stored spelling ("" or NULL → NONE). 0, or -1 for a spelling that is none of them. */
int sw_membership_parse(const char *s, sw_membership *out);

/* Power levels (0..100). The creator of a room holds ADMIN; invitees start at MEMBER. */
enum {
    SW_POWER_MEMBER = 0,
    SW_POWER_MODERATOR = 50,
    SW_POWER_ADMIN = 100,
};
/* What each action needs. */
enum {
    SW_POWER_TO_INVITE = SW_POWER_MODERATOR,   /* also: bringing an AI into the room */
    SW_POWER_TO_KICK = SW_POWER_MODERATOR,
    SW_POWER_TO_SETTINGS = SW_POWER_MODERATOR, /* plugin toggles, AI engagement mode and prompt */
    SW_POWER_TO_SET_POWER = SW_POWER_ADMIN,
};

/* Only a joined member acts on a room. */
int sw_room_may_invite(sw_membership actor, int actor_power);
int sw_room_may_change_settings(sw_membership actor, int actor_power);
/* Kicking: the target is in the room (joined or invited) and holds less power than the actor. */
int sw_room_may_kick(sw_membership actor, int actor_power, sw_membership target, int target_power);
/* Setting target's power from target_power to new_power: the actor holds SW_POWER_TO_SET_POWER,
 * never grants more than it holds, and changes only someone below it (or itself, downwards);
 * new_power is within 0..100. self: the target is the actor. */
int sw_room_may_set_power(sw_membership actor, int actor_power, int self, sw_membership target, int target_power,
                          int new_power);

/* Rooms are invite-only: joining is accepting an invitation. */
typedef enum sw_join_verdict {
    SW_JOIN_ALREADY = 0, /* joined already: nothing changes */
    SW_JOIN_ACCEPT,      /* invited: becomes joined */
    SW_JOIN_REFUSED,     /* never invited, or left: needs an invitation */
} sw_join_verdict;
sw_join_verdict sw_room_join_verdict(sw_membership current);

/* What an invitation makes of a participant who is not joined: AIs ("model") join at once,
 * people are invited and accept by joining. */
sw_membership sw_room_invite_result(const char *participant_type);

/* Whether membership may move from → to; by_self: the participant acts on itself (join, leave,
 * decline), else another member does (invite, bring an AI in, kick). Staying JOIN → JOIN is no
 * transition (0); a repeated invitation (INVITE → INVITE) is one. */
int sw_membership_may_move(sw_membership from, sw_membership to, int by_self);

/* What sw_rooms.members remembers for (tenant, room, participant). */
typedef struct sw_member_entry {
    sw_membership membership;
    int power;
} sw_member_entry;

#endif
