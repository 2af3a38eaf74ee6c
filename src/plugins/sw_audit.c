/* sw_audit: asynchronous, batched audit-log writer and reader. The writer sleeps until a record
 * arrives, then collects for up to BATCH_MS (or BATCH_MAX records, or a flush request) and
 * writes the batch in one transaction; producers only signal it when it is idle. */
#include "plugins/sw_audit.h"
#include "core/sw_id.h"
#include "core/sw_log.h"
#include "core/sw_time.h"
#include "store/sw_audit_repo.h"

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

/* Yields the batch's records as rows, giving each its id and timestamp as it goes. */
static int next_row(void *arg, sw_audit_row *row)
{
    rec **cur = arg;
    rec *r = *cur;
    if (!r) return 0;
    *cur = r->next;
    sw_id_new(r->id);
    sw_time_rfc3339(r->at_ms, r->ts, sizeof r->ts);
    *row = (sw_audit_row){.id = r->id, .tenant_id = r->tenant_id, .ts = r->ts, .room_id = r->room_id,
                          .plugin_id = r->plugin_id, .tool = r->tool, .caller_id = r->caller_id,
                          .initiator_id = r->initiator_id, .args_redacted = r->args, .status = r->status,
                          .duration_ms = r->duration_ms, .detail = r->detail};
    return 1;
}

static void write_batch(sw_audit *a, rec *batch)
{
    sw_audit_repo_insert(a->db, next_row, &batch); /* failures are logged by the repository */
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

json_t *sw_audit_list(sw_audit *a, const char *tenant_id, const char *plugin_id, const char *tool,
                      const char *status, const char *before, int limit, char **next_cursor)
{
    sw_audit_flush(a); /* read-your-writes for the caller */
    sw_audit_filter f = {.plugin_id = plugin_id, .tool = tool, .status = status, .before = before, .limit = limit};
    return sw_audit_repo_list(a->db, tenant_id, &f, next_cursor);
}
