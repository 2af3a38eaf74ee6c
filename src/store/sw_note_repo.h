/* sw_note_repo: the tenant's notes (table notes) and their full-text index (notes_fts), for the
 * notes host services (src/plugins/sw_host_notes.c) and /v1/notes. Every function takes the
 * tenant id: a note of another tenant is indistinguishable from a missing one. The index is
 * kept in step here, inside the same transaction as every insert and update.
 *
 * Search text is never passed to the search engine as syntax: sw_note_fts_query turns it into
 * quoted terms. All the SQLite-specific SQL (FTS5 MATCH, bm25, snippet, the index commands) is
 * in the few functions marked "FTS5" in sw_note_repo.c; the PostgreSQL driver will replace them
 * with a tsvector column, @@ plainto_tsquery-style terms, ts_rank and ts_headline. */
#ifndef SW_NOTE_REPO_H
#define SW_NOTE_REPO_H

#include "store/sw_repo.h"

#include <jansson.h>
#include <stddef.h>

#define SW_NOTE_REPO_TITLE_MAX 200   /* characters */
#define SW_NOTE_REPO_BODY_MAX 65536  /* bytes */
#define SW_NOTE_REPO_QUERY_MAX 1000  /* bytes of search text */
#define SW_NOTE_REPO_TERMS_MAX 32    /* search terms used; the rest are ignored */

typedef struct {
    char id[40];
    char tenant_id[40];
    char *title;   /* malloc'd */
    char *body;    /* malloc'd */
    char *snippet; /* malloc'd; search results only, else NULL */
    char created_by[40];
    char updated_by[40];
    char created_at[40];
    char updated_at[40];
    double rank;   /* search results: relevance, higher is better (-bm25); else 0 */
} sw_note_row;

void sw_note_row_fini(sw_note_row *r);
void sw_note_rows_free(sw_note_row *rows, int n);

/* Validation shared by the host services and the API: NULL when acceptable, else a short
 * reason ("is longer than 200 characters"). */
const char *sw_note_title_problem(const char *title);
const char *sw_note_body_problem(const char *body);

/* Creates a note. SW_REPO_OK and *out (may be NULL), or SW_REPO_ERROR. */
int sw_note_repo_insert(sw_db *db, const char *tenant_id, const char *title, const char *body,
                        const char *author_id, sw_note_row *out);
/* SW_REPO_OK, SW_REPO_NOT_FOUND or SW_REPO_ERROR. */
int sw_note_repo_get(sw_db *db, const char *tenant_id, const char *id, sw_note_row *out);
/* Changes the title and/or the body (NULL keeps the stored one). */
int sw_note_repo_update(sw_db *db, const char *tenant_id, const char *id, const char *title,
                        const char *body, const char *author_id, sw_note_row *out);

/* Full-text search over title and body, best first. Every term must match when some note
 * matches them all; otherwise notes matching any term are ranked. `offset` pages. Fills *rows
 * (malloc'd array, free with sw_note_rows_free) and *n; *has_more when another page exists.
 * Search text without a usable word gives no rows. SW_REPO_OK or SW_REPO_ERROR. */
int sw_note_repo_search(sw_db *db, const char *tenant_id, const char *query, int offset, int limit,
                        sw_note_row **rows, int *n, int *has_more);
/* The tenant's notes, newest first; `before` (a note id, the cursor) or NULL. */
int sw_note_repo_list(sw_db *db, const char *tenant_id, const char *before, int limit,
                      sw_note_row **rows, int *n, int *has_more);

/* FTS5 query text for `text`: each word double-quoted (quotes inside doubled), words without a
 * letter or digit dropped, at most SW_NOTE_REPO_TERMS_MAX; joined by " " (all must match) or
 * " OR " (any). Returns the number of terms (0: nothing to search for); out is "" then.
 * Exposed for the tests. */
int sw_note_fts_query(const char *text, int any, char *out, size_t outlen);

/* {id, tenant_id, title, body, created_by, updated_by, created_at, updated_at} plus
 * {snippet, rank} for search results. New reference. */
json_t *sw_note_json(const sw_note_row *r);

#endif
