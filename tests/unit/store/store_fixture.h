/* store_fixture: the store tests' scratch store — a migrated SQLite file in a fresh temporary
 * directory (sw_test_store_open) and its removal (sw_test_store_close). Header-only: each test
 * program includes it once. */
#ifndef SW_TEST_STORE_FIXTURE_H
#define SW_TEST_STORE_FIXTURE_H

#include "store/sw_db.h"
#include "store/sw_migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Opens a migrated store under a new /tmp/sw-<tag>-XXXXXX (its path in dir). NULL on failure. */
static inline sw_db *sw_test_store_open(char dir[64], const char *tag)
{
    snprintf(dir, 64, "/tmp/sw-%s-XXXXXX", tag);
    if (!mkdtemp(dir)) return NULL;
    char url[128], err[256];
    snprintf(url, sizeof url, "sqlite:%s/test.db", dir);
    sw_db *db = sw_db_open_with(url, &(sw_db_options){.synchronous = "normal"}, err, sizeof err);
    if (db && sw_migrate(db, err, sizeof err) < 0) {
        sw_db_close(db);
        db = NULL;
    }
    return db;
}

/* Closes the store and removes its directory: 0, or -1 when the removal failed. */
static inline int sw_test_store_close(sw_db *db, const char *dir)
{
    sw_db_close(db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
