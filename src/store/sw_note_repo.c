/* sw_note_repo: notes and notes_fts (see sw_note_repo.h). */
#include "store/sw_note_repo.h"
#include "core/sw_id.h"
#include "core/sw_time.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_COLS "n.id, n.tenant_id, n.title, n.body, n.created_by, n.updated_by, n.created_at, n.updated_at"

void sw_note_row_fini(sw_note_row *r)
{
    if (!r) return;
    free(r->title);
    free(r->body);
    free(r->snippet);
    r->title = r->body = r->snippet = NULL;
}

void sw_note_rows_free(sw_note_row *rows, int n)
{
    for (int i = 0; rows && i < n; i++) sw_note_row_fini(&rows[i]);
    free(rows);
}

/* ---- validation ---- */

/* Number of code points in valid UTF-8 (overlongs, surrogates and > U+10FFFF refused), or -1. */
static long utf8_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p) {
        unsigned c = *p;
        int len;
        unsigned cp;
        if (c < 0x80) len = 1, cp = c;
        else if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
        else return -1;
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80) return -1;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        p += len;
        n++;
    }
    return n;
}

const char *sw_note_title_problem(const char *title)
{
    if (!title || !*title) return "must not be empty";
    long n = utf8_chars(title);
    if (n < 0) return "is not valid UTF-8";
    if (n > SW_NOTE_REPO_TITLE_MAX) return "is longer than 200 characters";
    int blank = 1;
    for (const unsigned char *p = (const unsigned char *)title; *p; p++) {
        if (*p < 0x20 || *p == 0x7F) return "must be one line (no control characters)";
        if (*p != ' ') blank = 0;
    }
    return blank ? "must not be blank" : NULL;
}

const char *sw_note_body_problem(const char *body)
{
    if (!body || !*body) return "must not be empty";
    if (strlen(body) > SW_NOTE_REPO_BODY_MAX) return "is longer than 65536 bytes";
    if (utf8_chars(body) < 0) return "is not valid UTF-8";
    return NULL;
}

/* ---- rows ---- */

static char *dup_text(sw_stmt *st, int col)
{
    const char *s = sw_stmt_text(st, col);
    return strdup(s ? s : "");
}

/* Reads NOTE_COLS starting at column 0. -1 when out of memory. */
static int note_row(sw_stmt *st, sw_note_row *r)
{
    memset(r, 0, sizeof *r);
    SW_COPY(r->id, sw_stmt_text(st, 0));
    SW_COPY(r->tenant_id, sw_stmt_text(st, 1));
    r->title = dup_text(st, 2);
    r->body = dup_text(st, 3);
    SW_COPY(r->created_by, sw_stmt_text(st, 4));
    SW_COPY(r->updated_by, sw_stmt_text(st, 5));
    SW_COPY(r->created_at, sw_stmt_text(st, 6));
    SW_COPY(r->updated_at, sw_stmt_text(st, 7));
    if (!r->title || !r->body) {
        sw_note_row_fini(r);
        return -1;
    }
    return 0;
}

json_t *sw_note_json(const sw_note_row *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", r->id, "tenant_id", r->tenant_id,
                          "title", r->title ? r->title : "", "body", r->body ? r->body : "", "created_by",
                          r->created_by, "updated_by", r->updated_by, "created_at", r->created_at,
                          "updated_at", r->updated_at);
    if (o && r->snippet) {
        json_object_set_new(o, "snippet", json_string(r->snippet));
        json_object_set_new(o, "rank", json_real(r->rank));
    }
    return o;
}

/* ---- FTS5: the full-text index (SQLite only; see the header for PostgreSQL) ---- */

static int fts_add(sw_db *db, int64_t seq, const char *title, const char *body)
{
    sw_stmt *st = sw_db_prepare(db, "INSERT INTO notes_fts (rowid, title, body) VALUES (?, ?, ?)");
    if (!st) return -1;
    sw_stmt_bind_int64(st, 1, seq);
    sw_stmt_bind_text(st, 2, title);
    sw_stmt_bind_text(st, 3, body);
    int rc = sw_stmt_step(st);
    sw_stmt_finish(st);
    return rc == SW_DB_DONE ? 0 : -1;
}

/* An external-content index forgets a row by being told the text it indexed. */
static int fts_remove(sw_db *db, int64_t seq, const char *old_title, const char *old_body)
{
    sw_stmt *st = sw_db_prepare(db, "INSERT INTO notes_fts (notes_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)");
    if (!st) return -1;
    sw_stmt_bind_int64(st, 1, seq);
    sw_stmt_bind_text(st, 2, old_title);
    sw_stmt_bind_text(st, 3, old_body);
    int rc = sw_stmt_step(st);
    sw_stmt_finish(st);
    return rc == SW_DB_DONE ? 0 : -1;
}

/* A word in the title weighs ten times one in the body (bm25 column weights; FTS5 adds them up
 * before saturating, so a heavy weight is needed for a title hit to beat a dense body); snippets
 * come from the body, with the matched words in **bold**. */
#define FTS_RANK "bm25(notes_fts, 10.0, 1.0)"
#define FTS_SNIPPET "snippet(notes_fts, 1, '**', '**', '…', 16)"
#define FTS_FROM " FROM notes_fts JOIN notes n ON n.seq = notes_fts.rowid WHERE notes_fts MATCH ? AND n.tenant_id = ?"

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int sw_note_fts_query(const char *text, int any, char *out, size_t outlen)
{
    if (!outlen) return 0;
    out[0] = 0;
    size_t used = 0;
    int terms = 0;
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    while (*p && terms < SW_NOTE_REPO_TERMS_MAX) {
        while (*p && is_space(*p)) p++;
        const unsigned char *s = p;
        int wordy = 0;
        size_t quotes = 0;
        while (*p && !is_space(*p)) {
            wordy |= isalnum(*p) || *p >= 0x80;
            quotes += *p == '"';
            p++;
        }
        size_t len = (size_t)(p - s);
        if (!len || !wordy) continue;
        const char *sep = terms ? (any ? " OR " : " ") : "";
        size_t need = strlen(sep) + len + quotes + 2;
        if (used + need + 1 > outlen) break;
        used += (size_t)snprintf(out + used, outlen - used, "%s\"", sep);
        for (const unsigned char *q = s; q < p; q++) {
            if (*q == '"') out[used++] = '"';
            out[used++] = (char)*q;
        }
        out[used++] = '"';
        out[used] = 0;
        terms++;
    }
    return terms;
}

/* 1 when the tenant has a note matching the FTS expression, 0 when not, -1 on error. */
static int fts_any(sw_db *db, const char *tenant_id, const char *expr)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT 1" FTS_FROM " LIMIT 1");
    if (!st) return -1;
    sw_stmt_bind_text(st, 1, expr);
    sw_stmt_bind_text(st, 2, tenant_id);
    int rc = sw_stmt_step(st);
    sw_stmt_finish(st);
    return rc == SW_DB_ROW ? 1 : rc == SW_DB_DONE ? 0 : -1;
}

/* Steps st (asking for limit + 1 rows) into an array of rows; with_search: the statement also
 * selects the snippet (column 8) and the bm25 rank (column 9). Always finishes st. */
static int collect(sw_stmt *st, int limit, int with_search, sw_note_row **rows, int *n, int *has_more)
{
    sw_note_row *r = calloc((size_t)limit + 1, sizeof *r);
    int k = 0, rc = SW_DB_ERROR, failed = !r;
    while (r && (rc = sw_stmt_step(st)) == SW_DB_ROW) {
        if (k == limit) {
            *has_more = 1;
            break;
        }
        if (note_row(st, &r[k]) != 0) {
            failed = 1;
            break;
        }
        k++;
        if (!with_search) continue;
        const char *bm = sw_stmt_text(st, 9);
        r[k - 1].rank = bm ? -strtod(bm, NULL) : 0;
        if (!(r[k - 1].snippet = dup_text(st, 8))) {
            failed = 1;
            break;
        }
    }
    sw_stmt_finish(st);
    if (failed || (rc != SW_DB_ROW && rc != SW_DB_DONE)) {
        sw_note_rows_free(r, k);
        *has_more = 0;
        return SW_REPO_ERROR;
    }
    *rows = r;
    *n = k;
    return SW_REPO_OK;
}

int sw_note_repo_search(sw_db *db, const char *tenant_id, const char *query, int offset, int limit,
                        sw_note_row **rows, int *n, int *has_more)
{
    *rows = NULL;
    *n = 0;
    *has_more = 0;
    if (limit < 1 || offset < 0) return SW_REPO_ERROR;
    size_t cap = (query ? strlen(query) : 0) * 2 + 8 * SW_NOTE_REPO_TERMS_MAX + 16;
    char *all = malloc(cap), *any = malloc(cap);
    if (!all || !any) {
        free(all);
        free(any);
        return SW_REPO_ERROR;
    }
    int nt = sw_note_fts_query(query, 0, all, cap);
    sw_note_fts_query(query, 1, any, cap);
    int out = SW_REPO_OK;
    if (nt == 0) goto done; /* nothing searchable: no notes match */
    const char *expr = all;
    if (nt > 1) {
        int hit = fts_any(db, tenant_id, all);
        if (hit < 0) {
            out = SW_REPO_ERROR;
            goto done;
        }
        if (!hit) expr = any; /* no note has every word: rank those with some of them */
    }
    sw_stmt *st = sw_db_prepare(db, "SELECT " NOTE_COLS ", " FTS_SNIPPET ", " FTS_RANK FTS_FROM
                                    " ORDER BY " FTS_RANK ", n.id DESC LIMIT ? OFFSET ?");
    if (!st) {
        out = SW_REPO_ERROR;
        goto done;
    }
    sw_stmt_bind_text(st, 1, expr);
    sw_stmt_bind_text(st, 2, tenant_id);
    sw_stmt_bind_int64(st, 3, (int64_t)limit + 1);
    sw_stmt_bind_int64(st, 4, offset);
    if (collect(st, limit, 1, rows, n, has_more) != SW_REPO_OK) out = SW_REPO_ERROR;
done:
    free(all);
    free(any);
    return out;
}

/* ---- portable SQL ---- */

static void now(char ts[40])
{
    sw_time_rfc3339(sw_time_now_ms(), ts, 40);
}

int sw_note_repo_get(sw_db *db, const char *tenant_id, const char *id, sw_note_row *out)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT " NOTE_COLS " FROM notes n WHERE n.tenant_id = ? AND n.id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, id);
    int rc = sw_stmt_step(st), res;
    if (rc == SW_DB_ROW) res = !out || note_row(st, out) == 0 ? SW_REPO_OK : SW_REPO_ERROR;
    else res = rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
    sw_stmt_finish(st);
    return res;
}

int sw_note_repo_insert(sw_db *db, const char *tenant_id, const char *title, const char *body,
                        const char *author_id, sw_note_row *out)
{
    if (sw_note_title_problem(title) || sw_note_body_problem(body)) return SW_REPO_ERROR;
    char id[40], ts[40];
    sw_id_new(id);
    now(ts);
    if (sw_db_begin(db) != 0) return SW_REPO_ERROR;
    sw_stmt *st = sw_db_prepare(db, "SELECT COALESCE(MAX(seq), 0) + 1 FROM notes");
    int64_t seq = -1;
    if (st) {
        if (sw_stmt_step(st) == SW_DB_ROW) seq = sw_stmt_int64(st, 0);
        sw_stmt_finish(st);
    }
    if (seq < 1 ||
        sw_db_run(db, "INSERT INTO notes (id, tenant_id, seq, title, body, created_by, updated_by, created_at,"
                      " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  "ttitttttt", id, tenant_id, seq, title, body, author_id, author_id, ts, ts) < 0 ||
        fts_add(db, seq, title, body) != 0 || sw_db_commit(db) != 0) {
        sw_db_rollback(db);
        return SW_REPO_ERROR;
    }
    if (!out) return SW_REPO_OK;
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id);
    SW_COPY(out->tenant_id, tenant_id);
    out->title = strdup(title);
    out->body = strdup(body);
    SW_COPY(out->created_by, author_id);
    SW_COPY(out->updated_by, author_id);
    snprintf(out->created_at, sizeof out->created_at, "%s", ts);
    snprintf(out->updated_at, sizeof out->updated_at, "%s", ts);
    if (!out->title || !out->body) {
        sw_note_row_fini(out);
        return SW_REPO_ERROR;
    }
    return SW_REPO_OK;
}

int sw_note_repo_update(sw_db *db, const char *tenant_id, const char *id, const char *title,
                        const char *body, const char *author_id, sw_note_row *out)
{
    if ((title && sw_note_title_problem(title)) || (body && sw_note_body_problem(body))) return SW_REPO_ERROR;
    char ts[40];
    now(ts);
    if (sw_db_begin(db) != 0) return SW_REPO_ERROR;
    sw_stmt *st = sw_db_prepare(db, "SELECT seq, title, body FROM notes WHERE tenant_id = ? AND id = ?");
    if (!st) {
        sw_db_rollback(db);
        return SW_REPO_ERROR;
    }
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, id);
    int rc = sw_stmt_step(st);
    int64_t seq = 0;
    char *old_title = NULL, *old_body = NULL;
    if (rc == SW_DB_ROW) {
        seq = sw_stmt_int64(st, 0);
        old_title = dup_text(st, 1);
        old_body = dup_text(st, 2);
    }
    sw_stmt_finish(st);
    if (rc != SW_DB_ROW || !old_title || !old_body) {
        free(old_title);
        free(old_body);
        sw_db_rollback(db);
        return rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
    }
    const char *new_title = title ? title : old_title, *new_body = body ? body : old_body;
    int bad = fts_remove(db, seq, old_title, old_body) != 0 ||
              sw_db_run(db, "UPDATE notes SET title = ?, body = ?, updated_by = ?, updated_at = ?"
                            " WHERE tenant_id = ? AND id = ?",
                        "tttttt", new_title, new_body, author_id, ts, tenant_id, id) < 0 ||
              fts_add(db, seq, new_title, new_body) != 0 || sw_db_commit(db) != 0;
    free(old_title);
    free(old_body);
    if (bad) {
        sw_db_rollback(db);
        return SW_REPO_ERROR;
    }
    return out ? sw_note_repo_get(db, tenant_id, id, out) : SW_REPO_OK;
}

int sw_note_repo_list(sw_db *db, const char *tenant_id, const char *before, int limit,
                      sw_note_row **rows, int *n, int *has_more)
{
    *rows = NULL;
    *n = 0;
    *has_more = 0;
    if (limit < 1) return SW_REPO_ERROR;
    sw_stmt *st = sw_db_prepare(db, before ? "SELECT " NOTE_COLS " FROM notes n WHERE n.tenant_id = ? AND n.id < ?"
                                             " ORDER BY n.id DESC LIMIT ?"
                                           : "SELECT " NOTE_COLS " FROM notes n WHERE n.tenant_id = ?"
                                             " ORDER BY n.id DESC LIMIT ?");
    if (!st) return SW_REPO_ERROR;
    int i = 1;
    sw_stmt_bind_text(st, i++, tenant_id);
    if (before) sw_stmt_bind_text(st, i++, before);
    sw_stmt_bind_int64(st, i, (int64_t)limit + 1);
    return collect(st, limit, 0, rows, n, has_more);
}
