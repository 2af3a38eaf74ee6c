/* sw_engage: which AI answers which person's message (room mode "always", or an @mention),
 * whether an AI has a model to answer with, and starting its turn (sw_turn.c's registry). */
#include "ai/sw_turn.h"
#include "ai/sw_ai_internal.h"
#include "core/sw_error.h"
#include "store/sw_room_repo.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_AIS_PER_ROOM 16

/* 1 when the room may have AI members (cached), 0 when it has none. */
static int room_has_ai(sw_ai *ai, const char *tenant_id, const char *room_id)
{
    char kb[SW_CACHE_KEY_MAX];
    const char *key = sw_cache_key(kb, room_id, NULL, NULL); /* room ids are unique across tenants */
    int v;
    uint64_t gen;
    if (sw_cache_get(ai->has_ai, key, &v, &gen)) return v;
    char one[1][40];
    int n = sw_room_ai_members(ai->db, tenant_id, room_id, one, 1);
    if (n < 0) return 1; /* unknown: let the caller look properly */
    v = n > 0;
    sw_cache_put(ai->has_ai, key, &v, gen);
    return v;
}

int sw_ai_has_model(sw_ai *ai, const char *tenant_id, const char *ai_id)
{
    sw_model_config mc;
    if (sw_model_config_get(ai->db, tenant_id, ai_id, &mc) != SW_REPO_OK) return 0;
    int ok = (mc.base_url[0] || ai->default_base_url) && mc.model[0];
    sw_model_config_fini(&mc);
    return ok;
}

int sw_ai_engage(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id, const char *initiator_id)
{
    if (!sw_ai_has_model(ai, tenant_id, ai_id)) return SW_ERR_AI_NO_MODEL;
    return sw_ai_start_turn(ai, tenant_id, room_id, ai_id, initiator_id, TURN_REFUSE_BUSY, NULL, NULL);
}

/* "@local_id" as a whole word in body */
static int mentions(const char *body, const char *local_id)
{
    size_t n = strlen(local_id);
    for (const char *p = strchr(body, '@'); p; p = strchr(p + 1, '@')) {
        if (strncasecmp(p + 1, local_id, n) == 0) {
            char c = p[1 + n];
            if (!(isalnum((unsigned char)c) || c == '_' || c == '-')) return 1;
        }
    }
    return 0;
}

void sw_ai_on_message(void *arg, const json_t *ev)
{
    sw_ai *ai = arg;
    const char *tenant_id = json_string_value(json_object_get(ev, "tenant_id"));
    const char *room_id = json_string_value(json_object_get(ev, "room_id"));
    const char *sender = json_string_value(json_object_get(ev, "sender_id"));
    const char *body = json_string_value(json_object_get(json_object_get(ev, "content"), "body"));
    if (!tenant_id || !room_id || !sender || !body) return;
    char ais[MAX_AIS_PER_ROOM][40];
    if (!room_has_ai(ai, tenant_id, room_id)) return;
    int n = sw_room_ai_members(ai->db, tenant_id, room_id, ais, MAX_AIS_PER_ROOM);
    if (n <= 0) return;
    char mode[12] = "mention";
    sw_room_ai_get(ai->db, tenant_id, room_id, mode, NULL);
    for (int i = 0; i < n; i++) {
        sw_participant p;
        if (sw_participant_by_id(ai->db, tenant_id, ais[i], &p) != SW_REPO_OK) continue;
        if (strcmp(mode, "always") != 0 && !mentions(body, p.local_id)) continue;
        if (!sw_ai_has_model(ai, tenant_id, ais[i])) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s cannot answer: it has no model endpoint. An admin can set one under Admin → AI.",
                     p.display_name);
            json_t *c = json_pack("{s:s, s:s}", "msgtype", "swp.system", "body", msg);
            sw_rooms_append(ai->rooms, tenant_id, room_id, "system", "swp.room.message", c, NULL, NULL, NULL);
            json_decref(c);
            continue;
        }
        sw_ai_start_turn(ai, tenant_id, room_id, ais[i], sender, TURN_REPLACE, NULL, NULL);
    }
}
