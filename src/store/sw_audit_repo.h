/* sw_audit_repo: tool_audit, the rows of the tool-call audit log: written in batches (one
 * transaction, one prepared statement) and read back newest first, always within one tenant. */
#ifndef SW_AUDIT_REPO_H
#define SW_AUDIT_REPO_H

#include "store/sw_db.h"

#include <jansson.h>
#include <stdint.h>

typedef struct sw_audit_row {
    const char *id, *tenant_id, *ts;
    const char *room_id;       /* or NULL */
    const char *plugin_id, *tool;
    const char *caller_id, *initiator_id;
    const char *args_redacted; /* JSON text */
    const char *status;
    int64_t duration_ms;
    const char *detail;        /* or NULL */
} sw_audit_row;

/* Fills *row with the next row to write and returns 1, or returns 0 when there is none left. */
typedef int (*sw_audit_row_next)(void *arg, sw_audit_row *row);

/* Writes every row next() yields in one transaction (or inside the caller's, when one is open).
 * Returns the number of rows that could not be written (each one logged), or -1 when none could. */
int sw_audit_repo_insert(sw_db *db, sw_audit_row_next next, void *arg);

typedef struct sw_audit_filter {
    const char *plugin_id, *tool, *status; /* NULL: any */
    const char *before;                    /* a cursor (an audit id) or NULL */
    int limit;
} sw_audit_filter;

/* The tenant's rows, newest first: an array (new reference) or NULL on a store error; sets
 * *next_cursor (malloc'd) when there are more. */
json_t *sw_audit_repo_list(sw_db *db, const char *tenant_id, const sw_audit_filter *f, char **next_cursor);

#endif
