/* sw_room_repo: rooms, memberships, the room event log with its tenant-wide stream position,
 * and per-room plugin toggles. Every function takes the tenant id: a room of another tenant is
 * indistinguishable from a missing one. */
#ifndef SW_ROOM_REPO_H
#define SW_ROOM_REPO_H

#include "store/sw_repo.h"

#include <jansson.h>

typedef struct {
    char id[40];
    char tenant_id[40];
    char room_type[8];
    char name[264];
    char topic[1032];
    char creator_id[40];
    char created_at[40];
} sw_room;

int sw_room_insert(sw_db *db, const char *tenant_id, const char *type, const char *name,
                   const char *topic, const char *creator_id, sw_room *out);
int sw_room_get(sw_db *db, const char *tenant_id, const char *room_id, sw_room *out);
/* The room and the participant's membership in one query; membership "" when never a member. */
int sw_room_get_with_membership(sw_db *db, const char *tenant_id, const char *room_id,
                                const char *participant_id, sw_room *out, char membership[8], int *power);
int sw_room_member_count(sw_db *db, const char *tenant_id, const char *room_id);
/* Joined humans in the room (approvals decide on it). */
int sw_room_human_count(sw_db *db, const char *tenant_id, const char *room_id);
/* membership: "join" | "invite" | "leave"; NOT_FOUND when never a member. */
int sw_room_membership(sw_db *db, const char *tenant_id, const char *room_id,
                       const char *participant_id, char membership[8], int *power);
int sw_room_set_member(sw_db *db, const char *tenant_id, const char *room_id,
                       const char *participant_id, const char *membership, int power);
/* Rooms the participant has joined: fills out (up to max) and returns the count, -1 on error. */
int sw_rooms_of_member(sw_db *db, const char *tenant_id, const char *participant_id,
                       char (*out)[40], int max);
/* Room objects (with member_count, ai_mode, ai_system_prompt) the participant has joined. */
json_t *sw_rooms_list_for(sw_db *db, const char *tenant_id, const char *participant_id);
json_t *sw_room_members_json(sw_db *db, const char *tenant_id, const char *room_id);
json_t *sw_room_json(const sw_room *r, int member_count);

/* Appends an event in its own transaction: the next tenant stream position, the row, and — if
 * event_uuid repeats for (room, sender) — the existing event instead (*existed = 1). *wire gets
 * the event object {id, room_id, tenant_id, sender_id, event_type, content, stream_position,
 * origin_ts}. Must be called without an open transaction on this thread. */
int sw_event_append(sw_db *db, const char *tenant_id, const char *room_id, const char *sender_id,
                    const char *event_type, const json_t *content, const char *event_uuid,
                    json_t **wire, int *existed);
/* The same inside the caller's open transaction (group commit); nothing is committed. */
int sw_event_append_in_tx(sw_db *db, const char *tenant_id, const char *room_id, const char *sender_id,
                          const char *event_type, const json_t *content, const char *event_uuid,
                          json_t **wire, int *existed);
/* A page of a room's events. direction "back": positions < from (newest first), "forward":
 * positions > from (oldest first). from 0 = the end (back) or the start (forward). */
json_t *sw_events_page(sw_db *db, const char *tenant_id, const char *room_id, int64_t from,
                       int forward, int limit, int *has_more);
/* The rooms the participant has joined, sorted by id (strcmp), in a malloc'd array (*out, NULL
 * when none; free it). Returns the count, or -1 on a store error. */
int sw_rooms_joined(sw_db *db, const char *tenant_id, const char *participant_id, char (**out)[40]);
/* Events after `since` in the given rooms, oldest first, at most `limit`. Each room is read from
 * its (room_id, stream_position) index for at most limit + 1 positions and the page's rows are
 * then read by key, so the cost is bounded by rooms × limit, never by the tenant's size. */
json_t *sw_events_since(sw_db *db, const char *tenant_id, char (*rooms)[40], int nrooms,
                        int64_t since, int limit, int *has_more);
/* The tenant's last stream position (0 when none, -1 on a store error). */
int64_t sw_stream_position(sw_db *db, const char *tenant_id);

/* Per-room plugin toggles: 1 on, 0 off, -1 no override. */
int sw_room_plugin_toggle_get(sw_db *db, const char *tenant_id, const char *room_id,
                              const char *plugin_id);
int sw_room_plugin_toggle_set(sw_db *db, const char *tenant_id, const char *room_id,
                              const char *plugin_id, int enabled);

#endif
