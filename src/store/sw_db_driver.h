/* sw_db_driver: the interface a store driver implements (SQLite now; PostgreSQL can follow
 * without touching repositories). Internal to src/store. */
#ifndef SW_DB_DRIVER_H
#define SW_DB_DRIVER_H

#include "store/sw_db.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sw_db_driver {
    const char *name;
    /* Opens one connection (one per thread) with the store's options (never NULL). Returns the
     * driver's handle or NULL + err. */
    void *(*connect)(const char *target, const sw_db_options *opts, char *err, size_t errlen);
    void (*disconnect)(void *conn);
    void *(*prepare)(void *conn, const char *sql); /* NULL on error */
    void (*finalize)(void *stmt);
    void (*reset)(void *stmt);
    int (*bind_text)(void *stmt, int idx, const char *s, size_t n);
    int (*bind_int64)(void *stmt, int idx, int64_t v);
    int (*bind_null)(void *stmt, int idx);
    int (*step)(void *stmt);
    const char *(*column_text)(void *stmt, int col);
    int64_t (*column_int64)(void *stmt, int col);
    int (*column_is_null)(void *stmt, int col);
    int (*exec)(void *conn, const char *sql);
    int64_t (*changes)(void *conn);
    const char *(*errmsg)(void *conn);
    const char *begin_sql; /* e.g. "BEGIN IMMEDIATE" */
    int (*check)(void *conn, char *out, size_t outlen);
} sw_db_driver;

extern const sw_db_driver sw_db_sqlite_driver;

#endif
