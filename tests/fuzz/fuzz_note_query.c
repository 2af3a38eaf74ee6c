/* fuzz_note_query: libFuzzer target for the note search query building of
 * src/store/sw_note_repo.c: sw_note_fts_query turns the text of GET /v1/notes?q=… into an FTS5
 * expression (each word double-quoted, quotes doubled, joined by " " or " OR "), and the search
 * text must never reach FTS5 as syntax.
 *
 * Input: byte 0 chooses the output buffer size (small sizes exercise truncation) and all/any;
 * the rest is the search text. Oracle: the return value is the number of quoted terms in the
 * output, at most SW_NOTE_REPO_TERMS_MAX; the output fits the buffer; every term is a
 * well-formed FTS5 string; and the expression, run as `notes_fts MATCH ?` against an in-memory
 * table made exactly like migration 6's, never fails with an FTS5 syntax error. Run:
 *   ./fuzz_note_query -max_total_time=60 corpus/fuzz_note_query */
#include "store/sw_note_repo.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static sqlite3 *g_db;
static sqlite3_stmt *g_match;

static void open_db(void)
{
    if (sqlite3_open(":memory:", &g_db) != SQLITE_OK) __builtin_trap();
    const char *ddl =
        "CREATE TABLE notes (seq INTEGER PRIMARY KEY, title TEXT, body TEXT);"
        "CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, content='notes', content_rowid='seq',"
        "  tokenize='porter unicode61 remove_diacritics 2');"
        "INSERT INTO notes (seq, title, body) VALUES (1, 'Holiday rota', 'Mia covers the first week.');"
        "INSERT INTO notes_fts (rowid, title, body) VALUES (1, 'Holiday rota', 'Mia covers the first week.');";
    if (sqlite3_exec(g_db, ddl, NULL, NULL, NULL) != SQLITE_OK) __builtin_trap();
    if (sqlite3_prepare_v2(g_db, "SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?", -1, &g_match,
                           NULL) != SQLITE_OK)
        __builtin_trap();
}

/* Counts the quoted terms of out and checks their shape: "…" with inner quotes doubled,
 * separated by " " (all) or " OR " (any). -1 when malformed. */
static int count_terms(const char *out, int any)
{
    const char *p = out;
    int terms = 0;
    while (*p) {
        if (terms) {
            const char *sep = any ? " OR " : " ";
            if (strncmp(p, sep, strlen(sep)) != 0) return -1;
            p += strlen(sep);
        }
        if (*p++ != '"') return -1;
        for (;;) {
            if (!*p) return -1;
            if (*p == '"') {
                if (p[1] == '"') {
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            p++;
        }
        terms++;
    }
    return terms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_db) open_db();
    if (size < 1 || size > 4 * SW_NOTE_REPO_QUERY_MAX) return 0;
    int any = data[0] & 1;
    size_t cap = (data[0] & 0x80) ? (size_t)(data[0] >> 1 & 0x3f) : size * 2 + 8 * SW_NOTE_REPO_TERMS_MAX + 16;
    char *text = malloc(size);
    char *out = malloc(cap + 1);
    if (!text || !out) __builtin_trap();
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    out[cap] = 0x5a; /* canary just past the buffer */

    int n = sw_note_fts_query(text, any, out, cap);
    if (out[cap] != 0x5a) __builtin_trap();
    if (n < 0 || n > SW_NOTE_REPO_TERMS_MAX) __builtin_trap();
    if (cap > 0) {
        if (strlen(out) >= cap) __builtin_trap();
        if (count_terms(out, any) != n) __builtin_trap();
    }
    if (n > 0) {
        sqlite3_reset(g_match);
        sqlite3_bind_text(g_match, 1, out, -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(g_match)) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) __builtin_trap(); /* the text reached FTS5 as syntax */
        sqlite3_clear_bindings(g_match);
    }
    free(text);
    free(out);
    return 0;
}
