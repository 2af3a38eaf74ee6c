/* sw_rows: JSON pages from statements (see sw_rows.h). */
#include "store/sw_rows.h"

json_t *sw_rows_collect(sw_stmt *st, int limit, int *has_more, sw_row_fn fn)
{
    json_t *arr = json_array();
    int rc, n = 0;
    *has_more = 0;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW) {
        if (n == limit) {
            *has_more = 1;
            break;
        }
        json_t *row = fn(st);
        if (row) json_array_append_new(arr, row);
        n++;
    }
    sw_stmt_finish(st);
    if (rc < 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}
