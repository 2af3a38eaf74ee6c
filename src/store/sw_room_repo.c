/* sw_room_repo: rooms, room_members, events (and their stream positions), room_plugin_toggles. */
#include "store/sw_room_repo.h"
#include "store/sw_rows.h"
#include "core/sw_id.h"
#include "core/sw_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOM_COLS "id, tenant_id, room_type, name, topic, creator_id, created_at"

static void room_row(sw_stmt *st, sw_room *r)
{
    SW_COPY(r->id, sw_stmt_text(st, 0));
    SW_COPY(r->tenant_id, sw_stmt_text(st, 1));
    SW_COPY(r->room_type, sw_stmt_text(st, 2));
    SW_COPY(r->name, sw_stmt_text(st, 3));
    SW_COPY(r->topic, sw_stmt_text(st, 4));
    SW_COPY(r->creator_id, sw_stmt_text(st, 5));
    SW_COPY(r->created_at, sw_stmt_text(st, 6));
}

static void now(char ts[40])
{
    sw_time_rfc3339(sw_time_now_ms(), ts, 40);
}

int sw_room_insert(sw_db *db, const char *tenant_id, const char *type, const char *name,
                   const char *topic, const char *creator_id, sw_room *out)
{
    sw_room r;
    memset(&r, 0, sizeof r);
    sw_id_new(r.id);
    SW_COPY(r.tenant_id, tenant_id);
    SW_COPY(r.room_type, type);
    SW_COPY(r.name, name);
    SW_COPY(r.topic, topic);
    SW_COPY(r.creator_id, creator_id);
    now(r.created_at);
    int rc = sw_db_run(db, "INSERT INTO rooms (" ROOM_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?)", "ttttttt",
                       r.id, r.tenant_id, r.room_type, r.name, topic, r.creator_id, r.created_at);
    if (rc < 0) return SW_REPO_ERROR;
    if (out) *out = r;
    return SW_REPO_OK;
}

int sw_room_get(sw_db *db, const char *tenant_id, const char *room_id, sw_room *out)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT " ROOM_COLS " FROM rooms WHERE tenant_id = ? AND id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, room_id);
    int rc = sw_stmt_step(st);
    if (rc == SW_DB_ROW && out) room_row(st, out);
    sw_stmt_finish(st);
    return rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
}

int sw_room_get_with_membership(sw_db *db, const char *tenant_id, const char *room_id,
                                const char *participant_id, sw_room *out, char membership[8], int *power)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT r.id, r.tenant_id, r.room_type, r.name, r.topic, r.creator_id,"
                                    " r.created_at, m.membership, m.power_level FROM rooms r"
                                    " LEFT JOIN room_members m ON m.room_id = r.id AND m.participant_id = ?"
                                    " WHERE r.tenant_id = ? AND r.id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, participant_id);
    sw_stmt_bind_text(st, 2, tenant_id);
    sw_stmt_bind_text(st, 3, room_id);
    int rc = sw_stmt_step(st);
    if (rc == SW_DB_ROW) {
        room_row(st, out);
        snprintf(membership, 8, "%s", sw_stmt_text(st, 7) ? sw_stmt_text(st, 7) : "");
        *power = sw_stmt_is_null(st, 8) ? 0 : (int)sw_stmt_int64(st, 8);
    }
    sw_stmt_finish(st);
    return rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
}

static int count(sw_db *db, const char *sql, const char *a, const char *b)
{
    sw_stmt *st = sw_db_prepare(db, sql);
    if (!st) return -1;
    sw_stmt_bind_text(st, 1, a);
    sw_stmt_bind_text(st, 2, b);
    int n = sw_stmt_step(st) == SW_DB_ROW ? (int)sw_stmt_int64(st, 0) : -1;
    sw_stmt_finish(st);
    return n;
}

int sw_room_member_count(sw_db *db, const char *tenant_id, const char *room_id)
{
    return count(db, "SELECT COUNT(*) FROM room_members WHERE tenant_id = ? AND room_id = ? AND membership = 'join'",
                 tenant_id, room_id);
}

int sw_room_human_count(sw_db *db, const char *tenant_id, const char *room_id)
{
    return count(db, "SELECT COUNT(*) FROM room_members m JOIN participants p ON p.id = m.participant_id"
                     " WHERE m.tenant_id = ? AND m.room_id = ? AND m.membership = 'join'"
                     " AND p.participant_type = 'human'",
                 tenant_id, room_id);
}

int sw_room_membership(sw_db *db, const char *tenant_id, const char *room_id,
                       const char *participant_id, char membership[8], int *power)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT membership, power_level FROM room_members"
                                    " WHERE tenant_id = ? AND room_id = ? AND participant_id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, room_id);
    sw_stmt_bind_text(st, 3, participant_id);
    int rc = sw_stmt_step(st);
    if (rc == SW_DB_ROW) {
        if (membership) snprintf(membership, 8, "%s", sw_stmt_text(st, 0) ? sw_stmt_text(st, 0) : "");
        if (power) *power = (int)sw_stmt_int64(st, 1);
    }
    sw_stmt_finish(st);
    return rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
}

int sw_room_set_member(sw_db *db, const char *tenant_id, const char *room_id,
                       const char *participant_id, const char *membership, int power)
{
    char ts[40];
    now(ts);
    int rc = sw_db_run(db,
                       "INSERT INTO room_members (tenant_id, room_id, participant_id, membership,"
                       " power_level, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                       " ON CONFLICT (room_id, participant_id) DO UPDATE SET"
                       " membership = excluded.membership, power_level = excluded.power_level,"
                       " updated_at = excluded.updated_at",
                       "ttttit", tenant_id, room_id, participant_id, membership, (int64_t)power, ts);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}

int sw_rooms_of_member(sw_db *db, const char *tenant_id, const char *participant_id,
                       char (*out)[40], int max)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT room_id FROM room_members WHERE tenant_id = ?"
                                    " AND participant_id = ? AND membership = 'join'");
    if (!st) return -1;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, participant_id);
    int n = 0, rc;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW && n < max) snprintf(out[n++], 40, "%s", sw_stmt_text(st, 0));
    sw_stmt_finish(st);
    return rc < 0 ? -1 : n;
}

json_t *sw_room_json(const sw_room *r, int member_count)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:i}", "id", r->id, "tenant_id", r->tenant_id,
                     "room_type", r->room_type, "name", r->name, "topic", r->topic[0] ? r->topic : NULL,
                     "creator_id", r->creator_id, "created_at", r->created_at, "member_count", member_count);
}

json_t *sw_rooms_list_for(sw_db *db, const char *tenant_id, const char *participant_id)
{
    sw_stmt *st = sw_db_prepare(
        db, "SELECT r.id, r.tenant_id, r.room_type, r.name, r.topic, r.creator_id, r.created_at,"
            " (SELECT COUNT(*) FROM room_members c WHERE c.room_id = r.id AND c.membership = 'join'),"
            " a.mode, a.system_prompt"
            " FROM rooms r JOIN room_members m ON m.room_id = r.id"
            " LEFT JOIN room_ai_settings a ON a.room_id = r.id"
            " WHERE m.tenant_id = ? AND m.participant_id = ? AND m.membership = 'join' ORDER BY r.id");
    if (!st) return NULL;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, participant_id);
    json_t *arr = json_array();
    int rc;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW) {
        sw_room r;
        room_row(st, &r);
        json_t *o = sw_room_json(&r, (int)sw_stmt_int64(st, 7));
        const char *mode = sw_stmt_text(st, 8);
        json_object_set_new(o, "ai_mode", json_string(mode ? mode : strcmp(r.room_type, "dm") == 0 ? "always" : "mention"));
        json_object_set_new(o, "ai_system_prompt", sw_stmt_text(st, 9) ? json_string(sw_stmt_text(st, 9)) : json_null());
        json_array_append_new(arr, o);
    }
    sw_stmt_finish(st);
    if (rc < 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

json_t *sw_room_members_json(sw_db *db, const char *tenant_id, const char *room_id)
{
    sw_stmt *st = sw_db_prepare(
        db, "SELECT m.participant_id, m.power_level, m.membership, p.local_id, p.display_name,"
            " p.participant_type FROM room_members m JOIN participants p ON p.id = m.participant_id"
            " WHERE m.tenant_id = ? AND m.room_id = ? AND m.membership != 'leave' ORDER BY m.power_level DESC, p.local_id");
    if (!st) return NULL;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, room_id);
    json_t *arr = json_array();
    int rc;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW)
        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:s, s:{s:s, s:s, s:s}}", "participant_id", sw_stmt_text(st, 0),
                           "power_level", (json_int_t)sw_stmt_int64(st, 1), "membership", sw_stmt_text(st, 2),
                           "participant", "local_id", sw_stmt_text(st, 3), "display_name",
                           sw_stmt_text(st, 4), "participant_type", sw_stmt_text(st, 5)));
    sw_stmt_finish(st);
    if (rc < 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

#define EV_COLS "id, room_id, tenant_id, sender_id, event_type, content, stream_position, origin_ts"

static json_t *event_row(sw_stmt *st)
{
    const char *c = sw_stmt_text(st, 5);
    json_t *content = json_loads(c ? c : "{}", 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:s}", "id", sw_stmt_text(st, 0), "room_id",
                     sw_stmt_text(st, 1), "tenant_id", sw_stmt_text(st, 2), "sender_id", sw_stmt_text(st, 3),
                     "event_type", sw_stmt_text(st, 4), "content", content ? content : json_object(),
                     "stream_position", (json_int_t)sw_stmt_int64(st, 6), "origin_ts", sw_stmt_text(st, 7));
}

int sw_event_append_in_tx(sw_db *db, const char *tenant_id, const char *room_id, const char *sender_id,
                          const char *event_type, const json_t *content, const char *event_uuid,
                          json_t **wire, int *existed)
{
    *wire = NULL;
    *existed = 0;
    if (event_uuid) {
        sw_stmt *st = sw_db_prepare(db, "SELECT " EV_COLS " FROM events WHERE room_id = ? AND sender_id = ?"
                                        " AND event_uuid = ? AND tenant_id = ?");
        if (!st) return SW_REPO_ERROR;
        sw_stmt_bind_text(st, 1, room_id);
        sw_stmt_bind_text(st, 2, sender_id);
        sw_stmt_bind_text(st, 3, event_uuid);
        sw_stmt_bind_text(st, 4, tenant_id);
        int rc = sw_stmt_step(st);
        if (rc == SW_DB_ROW) *wire = event_row(st);
        sw_stmt_finish(st);
        if (rc < 0) return SW_REPO_ERROR;
        if (*wire) {
            *existed = 1;
            return SW_REPO_OK;
        }
    }
    char *ctext = json_dumps(content, JSON_COMPACT);
    if (!ctext) return SW_REPO_ERROR;
    int out = SW_REPO_ERROR;
    /* The next position is one past the tenant's last event: the events table is keyed by
     * (tenant_id, stream_position), so this is one seek, and the caller's write transaction makes
     * it ours alone. Events are never deleted, so a position is never given twice. */
    int64_t pos = sw_stream_position(db, tenant_id);
    if (pos < 0) goto done;
    pos++;
    char id[40], ts[40];
    sw_id_new(id);
    now(ts);
    if (sw_db_run(db, "INSERT INTO events (" EV_COLS ", event_uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  "tttttt" "itt", id, room_id, tenant_id, sender_id, event_type, ctext, pos, ts, event_uuid) < 0)
        goto done;
    *wire = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:I, s:s}", "id", id, "room_id", room_id, "tenant_id",
                      tenant_id, "sender_id", sender_id, "event_type", event_type, "content", content,
                      "stream_position", (json_int_t)pos, "origin_ts", ts);
    out = *wire ? SW_REPO_OK : SW_REPO_ERROR;
done:
    free(ctext);
    return out;
}

int sw_event_append(sw_db *db, const char *tenant_id, const char *room_id, const char *sender_id,
                    const char *event_type, const json_t *content, const char *event_uuid,
                    json_t **wire, int *existed)
{
    *wire = NULL;
    *existed = 0;
    if (sw_db_begin(db) != 0) return SW_REPO_ERROR;
    int rc = sw_event_append_in_tx(db, tenant_id, room_id, sender_id, event_type, content, event_uuid, wire, existed);
    if (rc == SW_REPO_OK && sw_db_commit(db) == 0) return SW_REPO_OK;
    if (rc != SW_REPO_OK) sw_db_rollback(db);
    json_decref(*wire);
    *wire = NULL;
    *existed = 0;
    return SW_REPO_ERROR;
}


json_t *sw_events_page(sw_db *db, const char *tenant_id, const char *room_id, int64_t from,
                       int forward, int limit, int *has_more)
{
    sw_stmt *st = sw_db_prepare(
        db, forward ? "SELECT " EV_COLS " FROM events WHERE tenant_id = ? AND room_id = ?"
                      " AND stream_position > ? ORDER BY stream_position ASC LIMIT ?"
                    : "SELECT " EV_COLS " FROM events WHERE tenant_id = ? AND room_id = ?"
                      " AND stream_position < ? ORDER BY stream_position DESC LIMIT ?");
    if (!st) return NULL;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, room_id);
    sw_stmt_bind_int64(st, 3, forward ? from : (from > 0 ? from : INT64_MAX));
    sw_stmt_bind_int64(st, 4, limit + 1);
    return sw_rows_collect(st, limit, has_more, event_row);
}

static int cmp_room(const void *a, const void *b)
{
    return strcmp(a, b);
}

int sw_rooms_joined(sw_db *db, const char *tenant_id, const char *participant_id, char (**out)[40])
{
    *out = NULL;
    sw_stmt *st = sw_db_prepare(db, "SELECT room_id FROM room_members WHERE tenant_id = ?"
                                    " AND participant_id = ? AND membership = 'join'");
    if (!st) return -1;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, participant_id);
    char (*v)[40] = NULL;
    int n = 0, cap = 0, rc;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW) {
        if (n == cap) {
            int nc = cap ? cap * 2 : 8;
            char (*nv)[40] = realloc(v, (size_t)nc * sizeof *v);
            if (!nv) {
                rc = -1;
                break;
            }
            v = nv;
            cap = nc;
        }
        snprintf(v[n++], 40, "%s", sw_stmt_text(st, 0));
    }
    sw_stmt_finish(st);
    if (rc < 0) {
        free(v);
        return -1;
    }
    if (n > 1) qsort(v, (size_t)n, sizeof *v, cmp_room);
    *out = v;
    return n;
}

static int cmp_pos(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The first `keep` positions after since over the rooms, ascending, into pos (room by room,
 * each bounded by the keep-th smallest found so far). Returns how many, or -1. */
static int first_positions(sw_db *db, const char *tenant_id, char (*rooms)[40], int nrooms, int64_t since,
                           int keep, int64_t *pos)
{
    int n = 0;
    int64_t upto = INT64_MAX;
    int64_t *buf = malloc((size_t)keep * 2 * sizeof *buf);
    if (!buf) return -1;
    for (int r = 0; r < nrooms; r++) {
        sw_stmt *st = sw_db_prepare(db, "SELECT stream_position FROM events WHERE room_id = ?"
                                        " AND stream_position > ? AND stream_position <= ? AND tenant_id = ?"
                                        " ORDER BY stream_position ASC LIMIT ?");
        if (!st) {
            free(buf);
            return -1;
        }
        sw_stmt_bind_text(st, 1, rooms[r]);
        sw_stmt_bind_int64(st, 2, since);
        sw_stmt_bind_int64(st, 3, upto);
        sw_stmt_bind_text(st, 4, tenant_id);
        sw_stmt_bind_int64(st, 5, keep);
        int rc;
        while ((rc = sw_stmt_step(st)) == SW_DB_ROW && n < keep * 2) buf[n++] = sw_stmt_int64(st, 0);
        sw_stmt_finish(st);
        if (rc < 0) {
            free(buf);
            return -1;
        }
        if (n > keep || r == nrooms - 1) { /* keep the smallest `keep` of what was found */
            qsort(buf, (size_t)n, sizeof *buf, cmp_pos);
            if (n > keep) n = keep;
            if (n == keep) upto = buf[n - 1];
        }
    }
    memcpy(pos, buf, (size_t)n * sizeof *pos);
    free(buf);
    return n;
}

json_t *sw_events_since(sw_db *db, const char *tenant_id, char (*rooms)[40], int nrooms,
                        int64_t since, int limit, int *has_more)
{
    *has_more = 0;
    int64_t *pos = malloc((size_t)(limit + 1) * sizeof *pos);
    if (!pos) return NULL;
    int n = nrooms > 0 ? first_positions(db, tenant_id, rooms, nrooms, since, limit + 1, pos) : 0;
    json_t *out = n >= 0 ? json_array() : NULL;
    if (n > limit) {
        *has_more = 1;
        n = limit;
    }
    for (int i = 0; out && i < n; i++) {
        sw_stmt *st = sw_db_prepare(db, "SELECT " EV_COLS " FROM events WHERE tenant_id = ? AND stream_position = ?");
        if (!st) break;
        sw_stmt_bind_text(st, 1, tenant_id);
        sw_stmt_bind_int64(st, 2, pos[i]);
        int rc = sw_stmt_step(st);
        json_t *row = rc == SW_DB_ROW ? event_row(st) : NULL;
        sw_stmt_finish(st);
        if (!row) break;
        json_array_append_new(out, row);
    }
    if (out && (int)json_array_size(out) != n) { /* a store error or a vanished row */
        json_decref(out);
        out = NULL;
    }
    free(pos);
    return out;
}

int64_t sw_stream_position(sw_db *db, const char *tenant_id)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT stream_position FROM events WHERE tenant_id = ?"
                                    " ORDER BY stream_position DESC LIMIT 1");
    if (!st) return -1;
    sw_stmt_bind_text(st, 1, tenant_id);
    int rc = sw_stmt_step(st);
    int64_t p = rc == SW_DB_ROW ? sw_stmt_int64(st, 0) : rc < 0 ? -1 : 0;
    sw_stmt_finish(st);
    return p;
}

int sw_room_plugin_toggle_get(sw_db *db, const char *tenant_id, const char *room_id, const char *plugin_id)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT enabled FROM room_plugin_toggles WHERE tenant_id = ?"
                                    " AND room_id = ? AND plugin_id = ?");
    if (!st) return -1;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, room_id);
    sw_stmt_bind_text(st, 3, plugin_id);
    int v = sw_stmt_step(st) == SW_DB_ROW ? (int)sw_stmt_int64(st, 0) : -1;
    sw_stmt_finish(st);
    return v;
}

int sw_room_plugin_toggle_set(sw_db *db, const char *tenant_id, const char *room_id,
                              const char *plugin_id, int enabled)
{
    char ts[40];
    now(ts);
    int rc = sw_db_run(db,
                       "INSERT INTO room_plugin_toggles (tenant_id, room_id, plugin_id, enabled, updated_at)"
                       " VALUES (?, ?, ?, ?, ?) ON CONFLICT (room_id, plugin_id) DO UPDATE SET"
                       " enabled = excluded.enabled, updated_at = excluded.updated_at",
                       "tttit", tenant_id, room_id, plugin_id, (int64_t)(enabled ? 1 : 0), ts);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}
