/* sw_ai_repo: model_configs and room_ai_settings. */
#include "store/sw_ai_repo.h"
#include "core/sw_secretbox.h"
#include "core/sw_time.h"
#include "store/sw_reseal.h"
#include "store/sw_room_repo.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void sw_model_config_fini(sw_model_config *m)
{
    free(m->system_prompt);
    m->system_prompt = NULL;
    json_decref(m->plugins);
    m->plugins = NULL;
}

/* The stored api_key, opened where it is used (the AI client's key comes from here); a listing
 * (open 0) only notes that there is one and whether this server could open it. */
static void open_api_key(sw_db *db, const char *stored, sw_model_config *out, int open)
{
    if (!sw_secretbox_is_sealed(stored)) { /* NULL, or a legacy clear value (sealed at start) */
        SW_COPY(out->api_key, stored);
        return;
    }
    char *plain = NULL;
    if (!open) {
        out->api_key_unreadable = !sw_secretbox_can_open(sw_db_secretbox(db), stored);
        if (strlen(stored) < sizeof out->api_key_sealed) SW_COPY(out->api_key_sealed, stored);
    } else if (sw_secretbox_open(sw_db_secretbox(db), stored, &plain) >= 0) {
        SW_COPY(out->api_key, plain);
        sodium_memzero(plain, strlen(plain));
        free(plain);
    } else {
        out->api_key_unreadable = 1;
        if (strlen(stored) < sizeof out->api_key_sealed) SW_COPY(out->api_key_sealed, stored);
    }
}

static int config_read(sw_db *db, const char *tenant_id, const char *participant_id, sw_model_config *out,
                       int open)
{
    memset(out, 0, sizeof *out);
    sw_stmt *st = sw_db_prepare(db, "SELECT participant_id, tenant_id, model, base_url, api_key, system_prompt,"
                                    " temperature_milli, stream, plugins FROM model_configs"
                                    " WHERE tenant_id = ? AND participant_id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, participant_id);
    int rc = sw_stmt_step(st);
    if (rc == SW_DB_ROW) {
        SW_COPY(out->participant_id, sw_stmt_text(st, 0));
        SW_COPY(out->tenant_id, sw_stmt_text(st, 1));
        SW_COPY(out->model, sw_stmt_text(st, 2));
        SW_COPY(out->base_url, sw_stmt_text(st, 3));
        open_api_key(db, sw_stmt_text(st, 4), out, open);
        out->system_prompt = sw_stmt_text(st, 5) ? strdup(sw_stmt_text(st, 5)) : NULL;
        out->temperature_milli = sw_stmt_is_null(st, 6) ? -1 : (int)sw_stmt_int64(st, 6);
        out->stream = (int)sw_stmt_int64(st, 7);
        out->plugins = sw_stmt_text(st, 8) ? json_loads(sw_stmt_text(st, 8), 0, NULL) : NULL;
        if (out->plugins && !json_is_array(out->plugins)) {
            json_decref(out->plugins);
            out->plugins = NULL;
        }
    }
    sw_stmt_finish(st);
    return rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
}

int sw_model_config_get(sw_db *db, const char *tenant_id, const char *participant_id, sw_model_config *out)
{
    return config_read(db, tenant_id, participant_id, out, 1);
}

int sw_model_config_put(sw_db *db, const sw_model_config *m)
{
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    char *plugins = m->plugins ? json_dumps(m->plugins, JSON_COMPACT) : NULL;
    const sw_secretbox *sb = sw_db_secretbox(db);
    char *sealed = m->api_key[0] && sb ? sw_secretbox_seal(sb, m->api_key) : NULL;
    const char *key = sealed                ? sealed
                      : m->api_key[0] && sb ? NULL /* out of memory: never store it clear */
                      : m->api_key[0]       ? m->api_key
                      : m->api_key_sealed[0] ? m->api_key_sealed /* unreadable here: kept as it was */
                                            : NULL;
    if (m->api_key[0] && sb && !sealed) {
        free(plugins);
        return SW_REPO_ERROR;
    }
    sw_stmt *st = sw_db_prepare(
        db, "INSERT INTO model_configs (participant_id, tenant_id, model, base_url, api_key, system_prompt,"
            " temperature_milli, stream, plugins, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (participant_id) DO UPDATE SET model = excluded.model, base_url = excluded.base_url,"
            " api_key = excluded.api_key, system_prompt = excluded.system_prompt,"
            " temperature_milli = excluded.temperature_milli, stream = excluded.stream,"
            " plugins = excluded.plugins, updated_at = excluded.updated_at");
    int rc = SW_DB_ERROR;
    if (st) {
        sw_stmt_bind_text(st, 1, m->participant_id);
        sw_stmt_bind_text(st, 2, m->tenant_id);
        sw_stmt_bind_text(st, 3, m->model);
        sw_stmt_bind_text(st, 4, m->base_url[0] ? m->base_url : NULL);
        sw_stmt_bind_text(st, 5, key);
        sw_stmt_bind_text(st, 6, m->system_prompt);
        if (m->temperature_milli >= 0) sw_stmt_bind_int64(st, 7, m->temperature_milli);
        else sw_stmt_bind_null(st, 7);
        sw_stmt_bind_int64(st, 8, m->stream ? 1 : 0);
        sw_stmt_bind_text(st, 9, plugins);
        sw_stmt_bind_text(st, 10, ts);
        rc = sw_stmt_step(st);
        sw_stmt_finish(st);
    }
    free(plugins);
    free(sealed);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}

json_t *sw_model_config_json(const sw_model_config *m)
{
    int has_key = m->api_key[0] != 0 || m->api_key_sealed[0] != 0 || m->api_key_unreadable;
    json_t *o = json_pack("{s:s, s:s?, s:b, s:s?, s:b}", "model", m->model, "base_url",
                          m->base_url[0] ? m->base_url : NULL, "has_api_key", has_key,
                          "system_prompt", m->system_prompt, "stream", m->stream);
    json_object_set_new(o, "api_key", has_key ? json_string("********") : json_null());
    /* sealed with a key this server does not hold (a store copied without its key): set it again */
    if (m->api_key_unreadable) json_object_set_new(o, "api_key_unreadable", json_true());
    json_object_set_new(o, "temperature", m->temperature_milli >= 0 ? json_real(m->temperature_milli / 1000.0) : json_null());
    json_object_set_new(o, "plugins", m->plugins ? json_incref(m->plugins) : json_null());
    return o;
}

json_t *sw_participants_json(sw_db *db, const char *tenant_id)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT id, local_id, display_name, participant_type, roles, created_at"
                                    " FROM participants WHERE tenant_id = ? ORDER BY local_id");
    if (!st) return NULL;
    sw_stmt_bind_text(st, 1, tenant_id);
    json_t *arr = json_array();
    int rc;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "participant_id", sw_stmt_text(st, 0),
                                             "local_id", sw_stmt_text(st, 1), "display_name", sw_stmt_text(st, 2),
                                             "participant_type", sw_stmt_text(st, 3), "roles", sw_stmt_text(st, 4),
                                             "created_at", sw_stmt_text(st, 5)));
    sw_stmt_finish(st);
    if (rc < 0) {
        json_decref(arr);
        return NULL;
    }
    size_t i;
    json_t *p;
    json_array_foreach(arr, i, p) {
        if (strcmp(json_string_value(json_object_get(p, "participant_type")), "model") != 0) continue;
        sw_model_config m;
        if (config_read(db, tenant_id, json_string_value(json_object_get(p, "participant_id")), &m, 0) == SW_REPO_OK) {
            json_object_set_new(p, "model_config", sw_model_config_json(&m));
            sw_model_config_fini(&m);
        }
    }
    return arr;
}

int sw_room_ai_get(sw_db *db, const char *tenant_id, const char *room_id, char mode[12], char **prompt)
{
    if (prompt) *prompt = NULL;
    sw_stmt *st = sw_db_prepare(db, "SELECT mode, system_prompt FROM room_ai_settings WHERE tenant_id = ? AND room_id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, room_id);
    int rc = sw_stmt_step(st);
    if (rc == SW_DB_ROW) {
        snprintf(mode, 12, "%s", sw_stmt_text(st, 0));
        if (prompt && sw_stmt_text(st, 1)) *prompt = strdup(sw_stmt_text(st, 1));
    }
    sw_stmt_finish(st);
    if (rc == SW_DB_DONE) {
        sw_room room;
        int r = sw_room_get(db, tenant_id, room_id, &room);
        if (r != SW_REPO_OK) return r;
        snprintf(mode, 12, "%s", strcmp(room.room_type, "dm") == 0 ? "always" : "mention");
        return SW_REPO_OK;
    }
    return rc == SW_DB_ROW ? SW_REPO_OK : SW_REPO_ERROR;
}

int sw_room_ai_set(sw_db *db, const char *tenant_id, const char *room_id, const char *mode, const char *prompt)
{
    char cur_mode[12];
    char *cur_prompt = NULL;
    if (sw_room_ai_get(db, tenant_id, room_id, cur_mode, &cur_prompt) != SW_REPO_OK) return SW_REPO_ERROR;
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    int rc = sw_db_run(db,
                       "INSERT INTO room_ai_settings (room_id, tenant_id, mode, system_prompt, updated_at)"
                       " VALUES (?, ?, ?, ?, ?) ON CONFLICT (room_id) DO UPDATE SET mode = excluded.mode,"
                       " system_prompt = excluded.system_prompt, updated_at = excluded.updated_at",
                       "ttttt", room_id, tenant_id, mode ? mode : cur_mode, prompt ? prompt : cur_prompt, ts);
    free(cur_prompt);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}

int sw_room_ai_members(sw_db *db, const char *tenant_id, const char *room_id, char (*out)[40], int max)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT m.participant_id FROM room_members m JOIN participants p"
                                    " ON p.id = m.participant_id WHERE m.tenant_id = ? AND m.room_id = ?"
                                    " AND m.membership = 'join' AND p.participant_type = 'model' ORDER BY p.local_id");
    if (!st) return -1;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, room_id);
    int n = 0, rc;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW && n < max) snprintf(out[n++], 40, "%s", sw_stmt_text(st, 0));
    sw_stmt_finish(st);
    return rc < 0 ? -1 : n;
}

typedef struct {
    const sw_secretbox *sb;
    int *unreadable;
} reseal_arg;

static int reseal_api_key(void *arg, const char *const *keys, const char *value, char **out)
{
    (void)keys;
    reseal_arg *a = arg;
    int r = sw_secretbox_reseal(a->sb, value, out);
    if (r == SW_SECRET_UNREADABLE) (*a->unreadable)++;
    if (r == SW_SECRET_NOMEM) return -1;
    if (r == 1) return 1;
    free(*out);
    *out = NULL;
    return 0;
}

int sw_model_configs_seal_all(sw_db *db, int *changed, int *unreadable)
{
    *changed = *unreadable = 0;
    reseal_arg a = {sw_db_secretbox(db), unreadable};
    if (!a.sb) return SW_REPO_OK;
    int rc = sw_reseal_rows(db, "SELECT participant_id, api_key FROM model_configs WHERE api_key IS NOT NULL", 1,
                            "UPDATE model_configs SET api_key = ? WHERE participant_id = ?", reseal_api_key, &a,
                            changed);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}
