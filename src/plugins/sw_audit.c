/* sw_audit: asynchronous, batched audit-log writer and reader. The writer sleeps until a record
 * arrives, then collects for up to BATCH_MS (or BATCH_MAX records, or a flush request) and
 * writes the batch in one transaction; producers only signal it when it is idle. */
#include "plugins/sw_audit.h"
#include "core/sw_id.h"
#include "core/sw_log.h"
#include "core/sw_time.h"
#include "store/sw_rows.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MS 5
#define BATCH_MAX 1024
#define MAX_PENDING 65536 /* beyond this, producers wait for the writer: memory stays bounded */

/* One allocation per record: the strings live right after the struct. The id and the timestamp
 * are made by the writer (one FIFO, one writer: ids still follow the order of the calls). */
typedef struct rec {
    struct rec *next;
    char id[40], ts[40];
    int64_t at_ms;
    char *tenant_id, *room_id, *plugin_id, *tool, *caller_id, *initiator_id, *args, *status, *detail;
    int64_t duration_ms;
    char strings[];
} rec;

struct sw_audit {
    sw_db *db;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv, done_cv;
    rec *head, *tail;
    uint64_t queued, written;
    uint64_t pending;  /* records in the queue */
    int idle;          /* the writer waits for a first record */
    int flush_wanted;
    int stopping;
};

static void rec_free(rec *r)
{
    free(r);
}

static void write_batch(sw_audit *a, rec *batch)
{
    int in_tx = sw_db_begin(a->db) == 0;
    /* one statement for the whole batch: bind, step, reset per record */
    sw_stmt *st = sw_db_prepare(a->db,
                                "INSERT INTO tool_audit (id, tenant_id, ts, room_id, plugin_id, tool,"
                                " caller_id, initiator_id, args_redacted, status, duration_ms, detail)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (rec *r = batch; st && r; r = r->next) {
        sw_id_new(r->id);
        sw_time_rfc3339(r->at_ms, r->ts, sizeof r->ts);
        sw_stmt_bind_text(st, 1, r->id);
        sw_stmt_bind_text(st, 2, r->tenant_id);
        sw_stmt_bind_text(st, 3, r->ts);
        sw_stmt_bind_text(st, 4, r->room_id);
        sw_stmt_bind_text(st, 5, r->plugin_id ? r->plugin_id : "");
        sw_stmt_bind_text(st, 6, r->tool ? r->tool : "");
        sw_stmt_bind_text(st, 7, r->caller_id);
        sw_stmt_bind_text(st, 8, r->initiator_id);
        sw_stmt_bind_text(st, 9, r->args ? r->args : "{}");
        sw_stmt_bind_text(st, 10, r->status ? r->status : "error");
        sw_stmt_bind_int64(st, 11, r->duration_ms);
        sw_stmt_bind_text(st, 12, r->detail);
        if (sw_stmt_step(st) < 0) SW_ERROR("audit: cannot write a record: %s", sw_db_errmsg(a->db));
        sw_stmt_reset(st);
    }
    if (!st) SW_ERROR("audit: cannot prepare the insert: %s", sw_db_errmsg(a->db));
    sw_stmt_finish(st);
    if (in_tx && sw_db_commit(a->db) != 0) SW_ERROR("audit: commit failed: %s", sw_db_errmsg(a->db));
}

static void *writer(void *arg)
{
    sw_audit *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->head && !a->stopping) {
            a->idle = 1;
            pthread_cond_wait(&a->cv, &a->mu);
            a->idle = 0;
        }
        if (!a->head && a->stopping) break;
        /* collect a batch */
        struct timespec dl = sw_time_after_us(CLOCK_REALTIME, BATCH_MS * 1000LL);
        while (!a->stopping && !a->flush_wanted && a->pending < BATCH_MAX &&
               pthread_cond_timedwait(&a->cv, &a->mu, &dl) == 0)
            ;
        a->flush_wanted = 0;
        rec *batch = a->head;
        uint64_t n = a->pending;
        a->head = a->tail = NULL;
        a->pending = 0;
        pthread_mutex_unlock(&a->mu);
        write_batch(a, batch);
        while (batch) {
            rec *nx = batch->next;
            rec_free(batch);
            batch = nx;
        }
        pthread_mutex_lock(&a->mu);
        a->written += n;
        pthread_cond_broadcast(&a->done_cv);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

sw_audit *sw_audit_new(sw_db *db)
{
    sw_audit *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->db = db;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    pthread_cond_init(&a->done_cv, NULL);
    if (pthread_create(&a->thread, NULL, writer, a) != 0) {
        free(a);
        return NULL;
    }
    return a;
}

void sw_audit_free(sw_audit *a)
{
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    a->stopping = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    pthread_cond_destroy(&a->done_cv);
    free(a);
}

void sw_audit_enqueue(sw_audit *a, const sw_audit_record *r)
{
    if (!a) return;
    const char *src[9] = {r->tenant_id, r->room_id && *r->room_id ? r->room_id : NULL, r->plugin_id, r->tool,
                          r->caller_id, r->initiator_id, r->args_redacted, r->status, r->detail};
    size_t len[9], total = 0;
    for (int i = 0; i < 9; i++) total += (len[i] = src[i] ? strlen(src[i]) + 1 : 0);
    rec *x = malloc(sizeof *x + total);
    if (!x) return;
    x->next = NULL;
    x->at_ms = sw_time_now_ms();
    x->duration_ms = r->duration_ms;
    char **dst[9] = {&x->tenant_id, &x->room_id, &x->plugin_id, &x->tool, &x->caller_id,
                     &x->initiator_id, &x->args, &x->status, &x->detail};
    char *p = x->strings;
    for (int i = 0; i < 9; i++) {
        if (!src[i]) {
            *dst[i] = NULL;
            continue;
        }
        memcpy(p, src[i], len[i]);
        *dst[i] = p;
        p += len[i];
    }
    pthread_mutex_lock(&a->mu);
    while (a->pending >= MAX_PENDING && !a->stopping) {
        pthread_cond_signal(&a->cv);
        pthread_cond_wait(&a->done_cv, &a->mu);
    }
    if (a->tail) a->tail->next = x;
    else a->head = x;
    a->tail = x;
    a->queued++;
    a->pending++;
    if (a->idle || a->pending == BATCH_MAX) pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

void sw_audit_flush(sw_audit *a)
{
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    uint64_t target = a->queued;
    if (a->written < target) {
        a->flush_wanted = 1;
        pthread_cond_signal(&a->cv);
    }
    while (a->written < target) pthread_cond_wait(&a->done_cv, &a->mu);
    pthread_mutex_unlock(&a->mu);
}

static json_t *audit_row(sw_stmt *st)
{
    json_t *args = json_loads(sw_stmt_text(st, 8) ? sw_stmt_text(st, 8) : "", JSON_DECODE_ANY, NULL);
    json_t *row = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:s?, s:I, s:s?}",
                            "id", sw_stmt_text(st, 0), "ts", sw_stmt_text(st, 1),
                            "tenant_id", sw_stmt_text(st, 2), "room_id", sw_stmt_text(st, 3),
                            "plugin_id", sw_stmt_text(st, 4), "tool", sw_stmt_text(st, 5),
                            "caller_id", sw_stmt_text(st, 6), "initiator_id", sw_stmt_text(st, 7),
                            "args_redacted", args ? args : json_null(), "status", sw_stmt_text(st, 9),
                            "duration_ms", (json_int_t)sw_stmt_int64(st, 10),
                            "detail", sw_stmt_text(st, 11));
    return row;
}

json_t *sw_audit_list(sw_audit *a, const char *tenant_id, const char *plugin_id, const char *tool,
                      const char *status, const char *before, int limit, char **next_cursor)
{
    *next_cursor = NULL;
    sw_audit_flush(a); /* read-your-writes for the caller */
    sw_stmt *st = sw_db_prepare(
        a->db, "SELECT id, ts, tenant_id, room_id, plugin_id, tool, caller_id, initiator_id,"
               " args_redacted, status, duration_ms, detail FROM tool_audit"
               " WHERE tenant_id = ? AND (? IS NULL OR plugin_id = ?) AND (? IS NULL OR tool = ?)"
               " AND (? IS NULL OR status = ?) AND (? IS NULL OR id < ?)"
               " ORDER BY id DESC LIMIT ?");
    if (!st) return NULL;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, plugin_id);
    sw_stmt_bind_text(st, 3, plugin_id);
    sw_stmt_bind_text(st, 4, tool);
    sw_stmt_bind_text(st, 5, tool);
    sw_stmt_bind_text(st, 6, status);
    sw_stmt_bind_text(st, 7, status);
    sw_stmt_bind_text(st, 8, before);
    sw_stmt_bind_text(st, 9, before);
    sw_stmt_bind_int64(st, 10, limit + 1);
    int more = 0;
    json_t *arr = sw_rows_collect(st, limit, &more, audit_row);
    if (arr && more) {
        const char *last = json_string_value(json_object_get(json_array_get(arr, json_array_size(arr) - 1), "id"));
        *next_cursor = last ? strdup(last) : NULL;
    }
    return arr;
}
