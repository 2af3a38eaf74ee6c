/* sw_rows: turning a statement's rows into a JSON page: at most `limit` rows, one more row only
 * tells that there are more. Shared by the repositories that page through JSON results. */
#ifndef SW_ROWS_H
#define SW_ROWS_H

#include "store/sw_db.h"

#include <jansson.h>

typedef json_t *(*sw_row_fn)(sw_stmt *st);

/* Steps st (which should ask for limit + 1 rows) and maps each row with fn; sets *has_more when
 * the extra row exists. Always finishes st. Returns the array, or NULL on a store error. */
json_t *sw_rows_collect(sw_stmt *st, int limit, int *has_more, sw_row_fn fn);

#endif
