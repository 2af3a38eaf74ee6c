/* sw_ws_roomset: what one WebSocket client is subscribed to — its sorted set of joined rooms —
 * and how it follows membership. The set is read from the store once, at connect time, on the
 * request's MHD thread (sw_ws_roomset_load); from then on it changes only by the swp.room.member
 * events the stream delivers (sw_ws_member_change_of + sw_ws_roomset_set), never by a store read
 * on the WebSocket thread. The member log keeps the last SW_WS_MEMBER_LOG membership changes so
 * a client adopted after some were processed (published between its load and its adoption) can
 * replay the ones that name it. */
#ifndef SW_WS_ROOMSET_H
#define SW_WS_ROOMSET_H

#include "events/sw_bus.h"

#include <stdint.h>

typedef char sw_ws_room_id[40];

/* Fills up to max room ids (NUL-terminated, char[40] each) the participant has joined and returns
 * the count, or -1 on error. Called only at connect time, on the request's MHD thread (never on
 * the WebSocket thread). Must be thread-safe. */
typedef int (*sw_ws_rooms_fn)(void *arg, const char *tenant_id, const char *participant_id,
                              char (*out)[40], int max);

typedef struct sw_ws_roomset {
    sw_ws_room_id *ids; /* sorted, malloc'd, exactly n (NULL when empty) */
    int n;
} sw_ws_roomset;

#define SW_WS_ROOMS_MAX 65536 /* rooms one client follows at most */

/* Reads the participant's rooms through fn (growing the buffer while it comes back full) into
 * *s (which must be empty). 0, or -1 when fn fails or memory runs out. fn NULL: empty set. */
int sw_ws_roomset_load(sw_ws_roomset *s, sw_ws_rooms_fn fn, void *arg, const char *tenant_id,
                       const char *participant_id);
int sw_ws_roomset_has(const sw_ws_roomset *s, const char *room_id);
/* Adds (member) or removes (!member) room_id. 0, or -1 when out of memory or past
 * SW_WS_ROOMS_MAX (the set is then unchanged). */
int sw_ws_roomset_set(sw_ws_roomset *s, const char *room_id, int member);
void sw_ws_roomset_clear(sw_ws_roomset *s);

/* A membership change as a stored swp.room.member event states it: who, which room, and
 * whether the membership is now "join" (anything else — invite, leave — is not joined). */
typedef struct sw_ws_member_change {
    char tenant_id[40], participant_id[40], room_id[40];
    int joined;
} sw_ws_member_change;

/* 1 and *out filled when ev is a stored swp.room.member event naming a participant, a room and
 * a membership; 0 otherwise (any other event, or a malformed one). */
int sw_ws_member_change_of(const sw_event *ev, sw_ws_member_change *out);

#define SW_WS_MEMBER_LOG 1024
typedef struct sw_ws_member_log {
    uint64_t seq;              /* member events recorded so far (the last one's number) */
    sw_ws_member_change *ring; /* ring[seq % SW_WS_MEMBER_LOG]; allocated at the first record */
} sw_ws_member_log;

/* Records member event number ++seq: m, or NULL for a swp.room.member event that changes nothing
 * (malformed). One thread only. */
void sw_ws_member_log_add(sw_ws_member_log *l, const sw_ws_member_change *m);
/* Applies to s, in order, every recorded change after number `since` that names (tenant,
 * participant). 0, or -1 when some of them are no longer in the log (or memory ran out). */
int sw_ws_member_log_replay(const sw_ws_member_log *l, uint64_t since, const char *tenant_id,
                            const char *participant_id, sw_ws_roomset *s);
void sw_ws_member_log_free(sw_ws_member_log *l);

#endif
