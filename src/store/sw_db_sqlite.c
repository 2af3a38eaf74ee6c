/* sw_db_sqlite: the SQLite driver: one connection per thread (SQLITE_OPEN_NOMUTEX), WAL,
 * synchronous FULL (or NORMAL by option), busy timeout, foreign keys. */
#include "store/sw_db.h"
#include "store/sw_db_driver.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t sq_once = PTHREAD_ONCE_INIT;

static void sq_global_init(void)
{
    /* Memory statistics take a process-wide mutex on every allocation: off. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

static void *sq_connect(const char *target, const sw_db_options *opts, char *err, size_t errlen)
{
    pthread_once(&sq_once, sq_global_init);
    /* WAL lets readers run beside the writer. synchronous=FULL (the default): the WAL is synced
     * at every commit, so a commit that returned — an acknowledged message — survives power loss;
     * the room writer's group commit shares that sync among every event of the batch.
     * synchronous=NORMAL syncs only at checkpoints: a returned commit survives a crash of the
     * process (kill -9) but the last ones may roll back on power loss (the database stays
     * consistent). */
    const char *sync = opts->synchronous && opts->synchronous[0] ? opts->synchronous : "full";
    const char *pragmas;
    if (strcasecmp(sync, "full") == 0)
        pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                  "PRAGMA temp_store=MEMORY;";
    else if (strcasecmp(sync, "normal") == 0)
        pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                  "PRAGMA temp_store=MEMORY;";
    else {
        snprintf(err, errlen, "--db-synchronous: expected full or normal, got \"%.16s\"", sync);
        return NULL;
    }
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(target, &h,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open SQLite database \"%s\": %s", target,
                 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return NULL;
    }
    sqlite3_busy_timeout(h, 10000);
    char *msg = NULL;
    rc = sqlite3_exec(h, pragmas, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot configure SQLite database \"%s\": %s", target,
                 msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_close(h);
        return NULL;
    }
    return h;
}

static void sq_disconnect(void *c)
{
    sqlite3_close_v2(c);
}

static void *sq_prepare(void *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static void sq_finalize(void *st)
{
    sqlite3_finalize(st);
}

static void sq_reset(void *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE: return SW_DB_DONE;
    case SQLITE_ROW: return SW_DB_ROW;
    case SQLITE_CONSTRAINT: return SW_DB_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return SW_DB_BUSY;
    default: return SW_DB_ERROR;
    }
}

static int sq_bind_text(void *st, int idx, const char *s, size_t n)
{
    return map_rc(sqlite3_bind_text(st, idx, s, (int)n, SQLITE_TRANSIENT));
}
static int sq_bind_int64(void *st, int idx, int64_t v)
{
    return map_rc(sqlite3_bind_int64(st, idx, v));
}
static int sq_bind_null(void *st, int idx)
{
    return map_rc(sqlite3_bind_null(st, idx));
}
static int sq_step(void *st)
{
    return map_rc(sqlite3_step(st));
}
static const char *sq_column_text(void *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}
static int64_t sq_column_int64(void *st, int col)
{
    return sqlite3_column_int64(st, col);
}
static int sq_column_is_null(void *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL;
}
static int sq_exec(void *c, const char *sql)
{
    return map_rc(sqlite3_exec(c, sql, NULL, NULL, NULL));
}
static int64_t sq_changes(void *c)
{
    return sqlite3_changes(c);
}
static const char *sq_errmsg(void *c)
{
    return sqlite3_errmsg(c);
}

static int sq_check(void *c, char *out, size_t outlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        snprintf(out, outlen, "%s", sqlite3_errmsg(c));
        return -1;
    }
    out[0] = 0;
    size_t used = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        int n = snprintf(out + used, outlen - used, "%s%s", used ? "; " : "", t ? t : "");
        if (n < 0 || (size_t)n >= outlen - used) break;
        used += (size_t)n;
    }
    sqlite3_finalize(st);
    return strcmp(out, "ok") == 0 ? 0 : -1;
}

const sw_db_driver sw_db_sqlite_driver = {
    .name = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .bind_text = sq_bind_text,
    .bind_int64 = sq_bind_int64,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .column_text = sq_column_text,
    .column_int64 = sq_column_int64,
    .column_is_null = sq_column_is_null,
    .exec = sq_exec,
    .changes = sq_changes,
    .errmsg = sq_errmsg,
    .begin_sql = "BEGIN IMMEDIATE",
    .check = sq_check,
};
