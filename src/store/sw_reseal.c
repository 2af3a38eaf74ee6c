/* sw_reseal: the read-then-write loop over a table's secret column (see sw_reseal.h). */
#include "store/sw_reseal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct row {
    struct row *next;
    char *keys[SW_RESEAL_MAX_KEYS];
    char *value;
} row;

static void rows_free(row *r, int nkeys)
{
    while (r) {
        row *n = r->next;
        for (int k = 0; k < nkeys; k++) free(r->keys[k]);
        if (r->value) sodium_memzero(r->value, strlen(r->value));
        free(r->value);
        free(r);
        r = n;
    }
}

/* Reads every row and keeps those fn changes (in order). SW_DB_DONE or an error. */
static int read_rows(sw_db *db, const char *select_sql, int nkeys, sw_reseal_fn fn, void *arg, row **out)
{
    sw_stmt *st = sw_db_prepare(db, select_sql);
    if (!st) return SW_DB_ERROR;
    row **tail = out;
    int rc;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW) {
        const char *keys[SW_RESEAL_MAX_KEYS] = {0};
        for (int k = 0; k < nkeys; k++) keys[k] = sw_stmt_text(st, k);
        char *value = NULL;
        int r = fn(arg, keys, sw_stmt_text(st, nkeys), &value);
        if (r < 0) rc = SW_DB_ERROR;
        if (r == 1) {
            row *x = calloc(1, sizeof *x);
            int ok = x != NULL && value != NULL;
            for (int k = 0; ok && k < nkeys; k++) ok = (x->keys[k] = strdup(keys[k] ? keys[k] : "")) != NULL;
            if (x) x->value = value;
            else if (value) {
                sodium_memzero(value, strlen(value));
                free(value);
            }
            if (x) {
                *tail = x;
                tail = &x->next;
            }
            if (!ok) rc = SW_DB_ERROR;
        }
        if (rc < 0) break;
    }
    sw_stmt_finish(st);
    return rc < 0 ? rc : SW_DB_DONE;
}

int sw_reseal_rows(sw_db *db, const char *select_sql, int nkeys, const char *update_sql, sw_reseal_fn fn,
                   void *arg, int *changed)
{
    *changed = 0;
    if (nkeys < 1 || nkeys > SW_RESEAL_MAX_KEYS) return SW_DB_ERROR;
    row *rows = NULL;
    int rc = read_rows(db, select_sql, nkeys, fn, arg, &rows);
    sw_stmt *st = rc < 0 || !rows ? NULL : sw_db_prepare(db, update_sql);
    if (rc >= 0 && rows && !st) rc = SW_DB_ERROR;
    for (row *r = rows; st && r && rc >= 0; r = r->next) {
        sw_stmt_bind_text(st, 1, r->value);
        for (int k = 0; k < nkeys; k++) sw_stmt_bind_text(st, 2 + k, r->keys[k]);
        rc = sw_stmt_step(st);
        sw_stmt_reset(st);
        if (rc >= 0) (*changed)++;
    }
    sw_stmt_finish(st);
    rows_free(rows, nkeys);
    return rc < 0 ? rc : SW_DB_DONE;
}
