/* sw_reseal: the one read-then-write loop that rewrites a secret column of every row of a table
 * (sealing legacy clear values, resealing with a new key): shared by the repositories whose
 * tables hold secrets (model_configs.api_key, plugin_states.settings). */
#ifndef SW_RESEAL_H
#define SW_RESEAL_H

#include "store/sw_db.h"

#define SW_RESEAL_MAX_KEYS 4

/* Decides one row: keys are the row's key columns, value its secret column (NULL for NULL).
 * Returns 1 with *out a malloc'd new value (written back), 0 to keep the row, < 0 to stop with
 * an error. */
typedef int (*sw_reseal_fn)(void *arg, const char *const *keys, const char *value, char **out);

/* select_sql yields nkeys key columns then the value column; update_sql binds the new value
 * then the nkeys keys ("UPDATE t SET v = ? WHERE k1 = ? AND k2 = ?"). Every row is read first
 * and written after (no update under an open cursor); run it inside the caller's transaction.
 * *changed counts the rows written. SW_DB_DONE, or a negative SW_DB_* error. New values are
 * wiped from memory once written. */
int sw_reseal_rows(sw_db *db, const char *select_sql, int nkeys, const char *update_sql, sw_reseal_fn fn,
                   void *arg, int *changed);

#endif
