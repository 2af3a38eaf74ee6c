/* sw_room_service: rooms as resources in the rooms service — creating a room (its creator joins
 * with SW_POWER_ADMIN), reading one with the caller's membership, the room object shown to
 * clients, the rooms a participant has joined, members, history pages, the events a sync reads,
 * and the room settings (plugin toggles, AI engagement mode and prompt) behind the settings
 * policy. HTTP handlers call these; the SQL stays in src/store/ repositories. */
#ifndef SW_ROOM_SERVICE_H
#define SW_ROOM_SERVICE_H

#include "rooms/sw_room_members.h"
#include "store/sw_room_repo.h"

#include <jansson.h>
#include <stdint.h>

/* A new room of the tenant; creator_id joins it as its admin. 0, or -1 on a store error. */
int sw_rooms_create(sw_rooms *r, const char *tenant_id, const char *room_type, const char *name, const char *topic,
                    const char *creator_id, sw_room *out);
/* The tenant's room and participant_id's membership and power there, from the store (one query):
 * SW_REPO_OK, SW_REPO_NOT_FOUND (also for another tenant's room), SW_REPO_ERROR. */
int sw_rooms_get_for(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id,
                     sw_room *out, sw_membership *membership, int *power);
/* The room object clients see: the room, member_count, ai_mode, ai_system_prompt. */
json_t *sw_rooms_view(sw_rooms *r, const char *tenant_id, const sw_room *room);
/* The room objects participant_id has joined; NULL on a store error. */
json_t *sw_rooms_directory(sw_rooms *r, const char *tenant_id, const char *participant_id);
/* The room's members; NULL on a store error. */
json_t *sw_rooms_member_list(sw_rooms *r, const char *tenant_id, const char *room_id);
/* A page of the room's events (sw_events_page); NULL on a store error. */
json_t *sw_rooms_history(sw_rooms *r, const char *tenant_id, const char *room_id, int64_t from, int forward,
                         int limit, int *has_more);
/* The ids of the rooms participant_id has joined, sorted (malloc'd, *out NULL when none): the
 * count, or -1 on a store error. */
int sw_rooms_joined_ids(sw_rooms *r, const char *tenant_id, const char *participant_id, char (**out)[40]);
/* The same into out (at most max ids, unsorted): the count, or -1 on a store error. */
int sw_rooms_joined_into(sw_rooms *r, const char *tenant_id, const char *participant_id, char (*out)[40], int max);
/* Events after `since` in those rooms, oldest first, at most limit (sw_events_since). */
json_t *sw_rooms_events_after(sw_rooms *r, const char *tenant_id, char (*rooms)[40], int nrooms, int64_t since,
                              int limit, int *has_more);

/* Room settings: each needs sw_room_may_change_settings for the actor. mode: "always" |
 * "mention" (the caller validated it); prompt: the room's addition to the AI's system prompt. */
sw_room_verdict sw_rooms_set_plugin(sw_rooms *r, const char *tenant_id, const char *room_id,
                                    const sw_room_actor *actor, const char *plugin_id, int enabled);
sw_room_verdict sw_rooms_set_ai_mode(sw_rooms *r, const char *tenant_id, const char *room_id,
                                     const sw_room_actor *actor, const char *mode);
sw_room_verdict sw_rooms_set_ai_prompt(sw_rooms *r, const char *tenant_id, const char *room_id,
                                       const sw_room_actor *actor, const char *prompt);

#endif
