/* sw_db: driver-independent part of the SQL API: per-thread connections (pthread key), the
 * per-connection statement cache keyed by SQL text, transactions and sw_db_run. */
#include "store/sw_db.h"
#include "store/sw_db_driver.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 256 /* power of two */

struct sw_stmt {
    void *drv;
    struct conn *conn;
    int cached;
    int in_use;
};

typedef struct {
    uint64_t hash;
    char *sql;
    sw_stmt *st;
} cache_slot;

typedef struct conn {
    struct conn *next, *prev;
    sw_db *db;
    void *drv;
    int in_tx;
    cache_slot cache[CACHE_SLOTS];
} conn;

struct sw_db {
    const sw_db_driver *drv;
    char target[1100];
    char synchronous[16];
    sw_db_options opts; /* points into this struct */
    pthread_key_t key;
    pthread_mutex_t mu;
    conn *conns;
    char open_err[256];
    const struct sw_secretbox *secrets; /* see sw_db_set_secretbox */
};

static void conn_free(conn *c)
{
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (c->cache[i].st) {
            c->db->drv->finalize(c->cache[i].st->drv);
            free(c->cache[i].st);
            free(c->cache[i].sql);
        }
    }
    c->db->drv->disconnect(c->drv);
    free(c);
}

static void conn_unlink(conn *c)
{
    sw_db *db = c->db;
    pthread_mutex_lock(&db->mu);
    if (c->prev) c->prev->next = c->next;
    else db->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    pthread_mutex_unlock(&db->mu);
}

static void thread_exit_cb(void *p)
{
    conn *c = p;
    conn_unlink(c);
    conn_free(c);
}

static conn *get_conn(sw_db *db)
{
    conn *c = pthread_getspecific(db->key);
    if (c) return c;
    c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->db = db;
    c->drv = db->drv->connect(db->target, &db->opts, db->open_err, sizeof db->open_err);
    if (!c->drv) {
        free(c);
        return NULL;
    }
    pthread_mutex_lock(&db->mu);
    c->next = db->conns;
    if (db->conns) db->conns->prev = c;
    db->conns = c;
    pthread_mutex_unlock(&db->mu);
    pthread_setspecific(db->key, c);
    return c;
}

sw_db *sw_db_open(const char *url, char *err, size_t errlen)
{
    return sw_db_open_with(url, NULL, err, errlen);
}

sw_db *sw_db_open_with(const char *url, const sw_db_options *opts, char *err, size_t errlen)
{
    const sw_db_driver *drv = NULL;
    const char *target = url;
    if (strncmp(url, "sqlite:", 7) == 0) {
        drv = &sw_db_sqlite_driver;
        target = url + 7;
        if (strncmp(target, "//", 2) == 0) target += 2; /* sqlite:///abs/path */
    } else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        snprintf(err, errlen, "the PostgreSQL driver is not built yet; use sqlite:PATH");
        return NULL;
    } else if (!strstr(url, "://")) {
        drv = &sw_db_sqlite_driver;
    } else {
        snprintf(err, errlen, "unsupported store URL scheme in \"%.64s\"", url);
        return NULL;
    }
    sw_db *db = calloc(1, sizeof *db);
    if (!db) return NULL;
    db->drv = drv;
    snprintf(db->target, sizeof db->target, "%s", target);
    const char *sync = opts && opts->synchronous ? opts->synchronous : "";
    if (strlen(sync) >= sizeof db->synchronous) sync = "?"; /* refused by the driver */
    snprintf(db->synchronous, sizeof db->synchronous, "%s", sync);
    db->opts.synchronous = db->synchronous;
    pthread_mutex_init(&db->mu, NULL);
    pthread_key_create(&db->key, thread_exit_cb);
    if (!get_conn(db)) { /* open once now so configuration errors surface at start */
        snprintf(err, errlen, "%s", db->open_err);
        pthread_key_delete(db->key);
        free(db);
        return NULL;
    }
    return db;
}

void sw_db_close(sw_db *db)
{
    if (!db) return;
    pthread_key_delete(db->key); /* no destructor runs after this */
    conn *c = db->conns;
    while (c) {
        conn *n = c->next;
        conn_free(c);
        c = n;
    }
    pthread_mutex_destroy(&db->mu);
    free(db);
}

const char *sw_db_driver_name(const sw_db *db)
{
    return db->drv->name;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

sw_stmt *sw_db_prepare(sw_db *db, const char *sql)
{
    conn *c = get_conn(db);
    if (!c) return NULL;
    uint64_t h = fnv1a(sql);
    unsigned i = (unsigned)h & (CACHE_SLOTS - 1);
    for (int probe = 0; probe < 8; probe++, i = (i + 1) & (CACHE_SLOTS - 1)) {
        cache_slot *s = &c->cache[i];
        if (!s->st) {
            void *d = db->drv->prepare(c->drv, sql);
            if (!d) return NULL;
            sw_stmt *st = calloc(1, sizeof *st);
            char *copy = strdup(sql);
            if (!st || !copy) {
                free(st);
                free(copy);
                db->drv->finalize(d);
                return NULL;
            }
            st->drv = d;
            st->conn = c;
            st->cached = 1;
            st->in_use = 1;
            s->hash = h;
            s->sql = copy;
            s->st = st;
            return st;
        }
        if (s->hash == h && strcmp(s->sql, sql) == 0) {
            if (s->st->in_use) break; /* nested use of the same SQL: take an uncached one */
            s->st->in_use = 1;
            return s->st;
        }
    }
    void *d = db->drv->prepare(c->drv, sql);
    if (!d) return NULL;
    sw_stmt *st = calloc(1, sizeof *st);
    if (!st) {
        db->drv->finalize(d);
        return NULL;
    }
    st->drv = d;
    st->conn = c;
    st->in_use = 1;
    return st;
}

#define DRV(st) ((st)->conn->db->drv)

int sw_stmt_bind_text(sw_stmt *st, int idx, const char *s)
{
    return s ? DRV(st)->bind_text(st->drv, idx, s, strlen(s)) : DRV(st)->bind_null(st->drv, idx);
}
int sw_stmt_bind_textn(sw_stmt *st, int idx, const char *s, size_t n)
{
    return DRV(st)->bind_text(st->drv, idx, s, n);
}
int sw_stmt_bind_int64(sw_stmt *st, int idx, int64_t v)
{
    return DRV(st)->bind_int64(st->drv, idx, v);
}
int sw_stmt_bind_null(sw_stmt *st, int idx)
{
    return DRV(st)->bind_null(st->drv, idx);
}
int sw_stmt_step(sw_stmt *st)
{
    return DRV(st)->step(st->drv);
}
const char *sw_stmt_text(sw_stmt *st, int col)
{
    return DRV(st)->column_text(st->drv, col);
}
int64_t sw_stmt_int64(sw_stmt *st, int col)
{
    return DRV(st)->column_int64(st->drv, col);
}
int sw_stmt_is_null(sw_stmt *st, int col)
{
    return DRV(st)->column_is_null(st->drv, col);
}

void sw_stmt_reset(sw_stmt *st)
{
    DRV(st)->reset(st->drv);
}

void sw_stmt_finish(sw_stmt *st)
{
    if (!st) return;
    if (st->cached) {
        DRV(st)->reset(st->drv);
        st->in_use = 0;
    } else {
        DRV(st)->finalize(st->drv);
        free(st);
    }
}

int sw_db_run(sw_db *db, const char *sql, const char *types, ...)
{
    sw_stmt *st = sw_db_prepare(db, sql);
    if (!st) return SW_DB_ERROR;
    va_list ap;
    va_start(ap, types);
    int idx = 1, rc = 0;
    for (const char *t = types ? types : ""; *t && rc == 0; t++, idx++) {
        if (*t == 't') rc = sw_stmt_bind_text(st, idx, va_arg(ap, const char *));
        else if (*t == 'i') rc = sw_stmt_bind_int64(st, idx, va_arg(ap, int64_t));
        else rc = sw_stmt_bind_null(st, idx);
    }
    va_end(ap);
    if (rc == 0) rc = sw_stmt_step(st);
    sw_stmt_finish(st);
    return rc;
}

int sw_db_exec(sw_db *db, const char *sql)
{
    conn *c = get_conn(db);
    return c ? db->drv->exec(c->drv, sql) : SW_DB_ERROR;
}

int64_t sw_db_changes(sw_db *db)
{
    conn *c = get_conn(db);
    return c ? db->drv->changes(c->drv) : 0;
}

int sw_db_begin(sw_db *db)
{
    conn *c = get_conn(db);
    if (!c || c->in_tx) return SW_DB_ERROR;
    int rc = db->drv->exec(c->drv, db->drv->begin_sql);
    if (rc == 0) c->in_tx = 1;
    return rc;
}

int sw_db_commit(sw_db *db)
{
    conn *c = get_conn(db);
    if (!c || !c->in_tx) return SW_DB_ERROR;
    int rc = db->drv->exec(c->drv, "COMMIT");
    if (rc != 0) db->drv->exec(c->drv, "ROLLBACK");
    c->in_tx = 0;
    return rc;
}

int sw_db_rollback(sw_db *db)
{
    conn *c = get_conn(db);
    if (!c || !c->in_tx) return SW_DB_ERROR;
    c->in_tx = 0;
    return db->drv->exec(c->drv, "ROLLBACK");
}

int sw_db_savepoint(sw_db *db)
{
    conn *c = get_conn(db);
    if (!c || !c->in_tx) return SW_DB_ERROR;
    return db->drv->exec(c->drv, "SAVEPOINT sw_sp");
}

int sw_db_savepoint_end(sw_db *db, int keep)
{
    conn *c = get_conn(db);
    if (!c || !c->in_tx) return SW_DB_ERROR;
    return db->drv->exec(c->drv, keep ? "RELEASE sw_sp" : "ROLLBACK TO sw_sp; RELEASE sw_sp");
}

int sw_db_ping(sw_db *db)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT 1");
    int ok = st && sw_stmt_step(st) == SW_DB_ROW;
    sw_stmt_finish(st);
    return ok ? 0 : -1;
}

const char *sw_db_errmsg(sw_db *db)
{
    conn *c = pthread_getspecific(db->key);
    return c ? db->drv->errmsg(c->drv) : db->open_err;
}

int sw_db_check(sw_db *db, char *out, size_t outlen)
{
    conn *c = get_conn(db);
    if (!c) {
        snprintf(out, outlen, "%s", db->open_err);
        return -1;
    }
    return db->drv->check(c->drv, out, outlen);
}

void sw_db_set_secretbox(sw_db *db, const struct sw_secretbox *sb)
{
    if (db) db->secrets = sb;
}

const struct sw_secretbox *sw_db_secretbox(const sw_db *db)
{
    return db ? db->secrets : NULL;
}
