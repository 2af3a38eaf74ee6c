/* sw_ai_repo: AI participants' model settings (model_configs) and per-room AI settings
 * (room_ai_settings: engagement mode, system-prompt addition). Tenant-scoped like every repo. */
#ifndef SW_AI_REPO_H
#define SW_AI_REPO_H

#include "store/sw_repo.h"

#include <jansson.h>

typedef struct {
    char participant_id[40];
    char tenant_id[40];
    char model[136];
    char base_url[520];      /* "" = the server default */
    char api_key[520];       /* "" = the server default; never sent to clients. Stored sealed
                              * (core/sw_secretbox.h), opened by sw_model_config_get */
    int api_key_unreadable;  /* the stored key is sealed with a key this server does not hold */
    char api_key_sealed[1024]; /* then (or in a listing, which opens nothing): the stored text,
                                * written back unchanged by put when api_key is "" */
    char *system_prompt;     /* malloc'd, may be NULL */
    int temperature_milli;   /* -1 = unset */
    int stream;
    json_t *plugins;         /* array of plugin ids (the loadout), or NULL = every enabled plugin */
} sw_model_config;

void sw_model_config_fini(sw_model_config *m);
int sw_model_config_get(sw_db *db, const char *tenant_id, const char *participant_id, sw_model_config *out);
int sw_model_config_put(sw_db *db, const sw_model_config *m);
/* Every participant of the tenant, with model settings for AIs (api_key masked, not opened). */
json_t *sw_participants_json(sw_db *db, const char *tenant_id);
json_t *sw_model_config_json(const sw_model_config *m); /* masked */
/* Seals every stored api_key that is clear (legacy) or sealed with an older key of the store's
 * secret box (sw_db_secretbox), inside the caller's transaction. *changed: rows rewritten;
 * *unreadable: keys no key of the box opens (kept). 0, or SW_REPO_ERROR. */
int sw_model_configs_seal_all(sw_db *db, int *changed, int *unreadable);

/* mode: "always" | "mention"; prompt may be NULL. Defaults when unset: "always" in a dm room,
 * "mention" in a group room. */
int sw_room_ai_get(sw_db *db, const char *tenant_id, const char *room_id, char mode[12], char **prompt);
int sw_room_ai_set(sw_db *db, const char *tenant_id, const char *room_id, const char *mode, const char *prompt);
/* AI participants that have joined the room. */
int sw_room_ai_members(sw_db *db, const char *tenant_id, const char *room_id, char (*out)[40], int max);

#endif
