/* sw_db: the one SQL API of ScaiWave-C. Owns prepare/bind/step/column, transactions, the
 * per-thread connection and its statement cache, over a driver interface (sw_db_driver.h).
 * SQL is written once, portably, with `?` placeholders; a driver rewrites them if it must
 * (PostgreSQL: $1, $2, ...). Every call uses the calling thread's own connection. */
#ifndef SW_DB_H
#define SW_DB_H

#include <stddef.h>
#include <stdint.h>

typedef struct sw_db sw_db;
typedef struct sw_stmt sw_stmt;

enum { SW_DB_ROW = 1, SW_DB_DONE = 0, SW_DB_ERROR = -1, SW_DB_CONSTRAINT = -2, SW_DB_BUSY = -3 };

/* How commits reach the disk. synchronous: "full" (NULL or "" too) — a commit that returned
 * survives power loss (SQLite: an fsync of the WAL per commit); "normal" — it survives a crash
 * of the process, and the last commits before a power loss may be lost (never corrupted). */
typedef struct sw_db_options {
    const char *synchronous;
} sw_db_options;

/* Opens a store: "sqlite:PATH" (or a bare path). Returns NULL with a message in err. */
sw_db *sw_db_open(const char *url, char *err, size_t errlen);
/* The same with options (NULL = the defaults); an unknown option value is an error. */
sw_db *sw_db_open_with(const char *url, const sw_db_options *opts, char *err, size_t errlen);
void sw_db_close(sw_db *db);
const char *sw_db_driver_name(const sw_db *db);

/* Prepares `sql` on this thread's connection, reusing a cached statement for the same text.
 * Returns NULL on error (see sw_db_errmsg). Always pair with sw_stmt_finish. */
sw_stmt *sw_db_prepare(sw_db *db, const char *sql);
int sw_stmt_bind_text(sw_stmt *st, int idx, const char *s);            /* 1-based; NULL binds NULL */
int sw_stmt_bind_textn(sw_stmt *st, int idx, const char *s, size_t n);
int sw_stmt_bind_int64(sw_stmt *st, int idx, int64_t v);
int sw_stmt_bind_null(sw_stmt *st, int idx);
int sw_stmt_step(sw_stmt *st); /* SW_DB_ROW, SW_DB_DONE or a negative SW_DB_* error */
const char *sw_stmt_text(sw_stmt *st, int col); /* valid until the next step/finish; NULL for NULL */
int64_t sw_stmt_int64(sw_stmt *st, int col);
int sw_stmt_is_null(sw_stmt *st, int col);
void sw_stmt_finish(sw_stmt *st); /* resets and returns the statement to the cache */
void sw_stmt_reset(sw_stmt *st);  /* resets and clears bindings, keeping the statement for another row */

/* Runs one statement with parameters described by `types`: 't' text (const char *), 'i' int64
 * (int64_t), 'n' NULL (no argument). Returns SW_DB_DONE/ROW on success or a negative error. */
int sw_db_run(sw_db *db, const char *sql, const char *types, ...);
/* Runs one or more statements without parameters (schema, pragmas). */
int sw_db_exec(sw_db *db, const char *sql);
/* Rows changed by the last statement on this thread's connection. */
int64_t sw_db_changes(sw_db *db);

/* Transactions on this thread's connection (SQLite: BEGIN IMMEDIATE). Nesting is refused. */
int sw_db_begin(sw_db *db);
int sw_db_commit(sw_db *db);
int sw_db_rollback(sw_db *db);

/* A savepoint inside this thread's open transaction, so one part of a batch can fail alone:
 * end it with keep = 1 (release: its work stays in the transaction) or keep = 0 (roll back to
 * it, then release). Not nested. */
int sw_db_savepoint(sw_db *db);
int sw_db_savepoint_end(sw_db *db, int keep);

/* 0 when the store answers a trivial query on this thread's connection (readiness). */
int sw_db_ping(sw_db *db);

const char *sw_db_errmsg(sw_db *db);

/* The data dir's secret key (core/sw_secretbox.h), for the repositories that seal secret
 * columns (model_configs.api_key, secret plugin settings). Set once at start, before any
 * thread uses the store; NULL (tests without one): secrets are stored as given. */
struct sw_secretbox;
void sw_db_set_secretbox(sw_db *db, const struct sw_secretbox *sb);
const struct sw_secretbox *sw_db_secretbox(const sw_db *db);
/* "ok" or the problems found (SQLite: PRAGMA integrity_check). 0 when ok. */
int sw_db_check(sw_db *db, char *out, size_t outlen);

#endif
