/* sw_audit: the tool-call audit log. Owns the audit record, its asynchronous writer (a thread
 * that batches queued records into one transaction, so a tool call only pays for a queue push)
 * and reading the log back for GET /v1/admin/audit. */
#ifndef SW_AUDIT_H
#define SW_AUDIT_H

#include "store/sw_db.h"

#include <jansson.h>
#include <stdint.h>

typedef struct sw_audit sw_audit;

typedef struct sw_audit_record {
    const char *tenant_id;
    const char *room_id;      /* or NULL */
    const char *plugin_id;    /* "" when the tool is unknown */
    const char *tool;
    const char *caller_id;
    const char *initiator_id;
    const char *args_redacted; /* JSON text */
    const char *status;        /* ok|error|denied|rejected|timeout|expired|requested|approved */
    int64_t duration_ms;
    const char *detail;        /* or NULL: a short reason */
} sw_audit_record;

sw_audit *sw_audit_new(sw_db *db);
/* Flushes what is queued, stops the writer thread. */
void sw_audit_free(sw_audit *a);
/* Copies the record onto the writer's queue. Never blocks on the store. */
void sw_audit_enqueue(sw_audit *a, const sw_audit_record *r);
/* Waits until everything queued so far is in the store (tests, shutdown, readers). */
void sw_audit_flush(sw_audit *a);
/* Reads the tenant's log, newest first. Filters may be NULL. `before` is a cursor (an audit id)
 * or NULL. Returns an array (new reference) and sets *next_cursor (malloc'd or NULL). */
json_t *sw_audit_list(sw_audit *a, const char *tenant_id, const char *plugin_id, const char *tool,
                      const char *status, const char *before, int limit, char **next_cursor);

#endif
