/* sw_participant_repo: the participants table (humans and AI models of a tenant). */
#include "core/sw_id.h"
#include "core/sw_time.h"
#include "store/sw_repo.h"

#include <stdio.h>
#include <string.h>

#define COLS "id, tenant_id, local_id, display_name, participant_type, roles, password_hash, created_at"

static void row(sw_stmt *st, sw_participant *p)
{
    SW_COPY(p->id, sw_stmt_text(st, 0));
    SW_COPY(p->tenant_id, sw_stmt_text(st, 1));
    SW_COPY(p->local_id, sw_stmt_text(st, 2));
    SW_COPY(p->display_name, sw_stmt_text(st, 3));
    SW_COPY(p->participant_type, sw_stmt_text(st, 4));
    SW_COPY(p->roles, sw_stmt_text(st, 5));
    SW_COPY(p->password_hash, sw_stmt_text(st, 6));
    SW_COPY(p->created_at, sw_stmt_text(st, 7));
}

int sw_participant_create(sw_db *db, const char *tenant_id, const char *local_id,
                          const char *display_name, const char *type, const char *roles,
                          const char *password_hash, sw_participant *out)
{
    sw_participant p;
    memset(&p, 0, sizeof p);
    sw_id_new(p.id);
    SW_COPY(p.tenant_id, tenant_id);
    SW_COPY(p.local_id, local_id);
    SW_COPY(p.display_name, display_name && *display_name ? display_name : local_id);
    SW_COPY(p.participant_type, type);
    SW_COPY(p.roles, roles && *roles ? roles : "member");
    SW_COPY(p.password_hash, password_hash);
    sw_time_rfc3339(sw_time_now_ms(), p.created_at, sizeof p.created_at);
    int rc = sw_db_run(db, "INSERT INTO participants (" COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       "tttttttt", p.id, p.tenant_id, p.local_id, p.display_name,
                       p.participant_type, p.roles, p.password_hash[0] ? p.password_hash : NULL,
                       p.created_at);
    if (rc == SW_DB_CONSTRAINT) return SW_REPO_CONFLICT;
    if (rc < 0) return SW_REPO_ERROR;
    if (out) *out = p;
    return SW_REPO_OK;
}

static int find(sw_db *db, const char *sql, const char *a, const char *b, sw_participant *out)
{
    sw_stmt *st = sw_db_prepare(db, sql);
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, a);
    sw_stmt_bind_text(st, 2, b);
    int rc = sw_stmt_step(st);
    if (rc == SW_DB_ROW && out) row(st, out);
    sw_stmt_finish(st);
    return rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
}

int sw_participant_by_local_id(sw_db *db, const char *tenant_id, const char *local_id,
                               sw_participant *out)
{
    return find(db, "SELECT " COLS " FROM participants WHERE tenant_id = ? AND local_id = ?",
                tenant_id, local_id, out);
}

int sw_participant_by_id(sw_db *db, const char *tenant_id, const char *id, sw_participant *out)
{
    return find(db, "SELECT " COLS " FROM participants WHERE tenant_id = ? AND id = ?", tenant_id,
                id, out);
}

int sw_participant_has_role(const sw_participant *p, const char *role)
{
    size_t n = strlen(role);
    for (const char *s = p->roles; *s;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == n && strncmp(s, role, n) == 0) return 1;
        if (!e) break;
        s = e + 1;
    }
    return 0;
}

int sw_participant_update_auth(sw_db *db, const char *tenant_id, const char *id, const char *roles,
                               const char *password_hash)
{
    int rc = sw_db_run(db,
                       "UPDATE participants SET roles = COALESCE(?, roles),"
                       " password_hash = COALESCE(?, password_hash),"
                       " token_generation = token_generation + (CASE WHEN ? IS NULL THEN 0 ELSE 1 END)"
                       " WHERE tenant_id = ? AND id = ?",
                       "ttttt", roles, password_hash, password_hash, tenant_id, id);
    if (rc < 0) return SW_REPO_ERROR;
    return sw_db_changes(db) ? SW_REPO_OK : SW_REPO_NOT_FOUND;
}

int sw_participant_token_gen(sw_db *db, const char *tenant_id, const char *id, int64_t *gen)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT token_generation FROM participants WHERE tenant_id = ? AND id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, id);
    int rc = sw_stmt_step(st);
    if (rc == SW_DB_ROW) *gen = sw_stmt_int64(st, 0);
    sw_stmt_finish(st);
    return rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
}

int sw_participant_bump_token_gen(sw_db *db, const char *tenant_id, const char *id, int64_t from)
{
    int rc = from < 0 ? sw_db_run(db,
                                  "UPDATE participants SET token_generation = token_generation + 1"
                                  " WHERE tenant_id = ? AND id = ?",
                                  "tt", tenant_id, id)
                      : sw_db_run(db,
                                  "UPDATE participants SET token_generation = token_generation + 1"
                                  " WHERE tenant_id = ? AND id = ? AND token_generation = ?",
                                  "tti", tenant_id, id, from);
    if (rc < 0) return SW_REPO_ERROR;
    /* from >= 0 and no change: that generation is gone already, which is what was asked */
    return sw_db_changes(db) || from >= 0 ? SW_REPO_OK : SW_REPO_NOT_FOUND;
}

json_t *sw_roles_json(const char *csv)
{
    json_t *a = json_array();
    const char *s = csv;
    while (s && *s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n) json_array_append_new(a, json_stringn(s, n));
        if (!e) break;
        s = e + 1;
    }
    return a;
}
