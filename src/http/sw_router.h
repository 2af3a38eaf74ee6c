/* sw_router: maps (method, path) to a handler. Patterns are literal segments and `{name}`
 * parameters ("/v1/admin/plugins/{plugin_id}/enable"); a last segment `{*name}` takes the rest of
 * the path, slashes included ("/static/{*path}"). A path that matches a pattern under
 * another method is a 405 with the allowed methods; no match at all is a 404. */
#ifndef SW_ROUTER_H
#define SW_ROUTER_H

#include "http/sw_http.h"

#define SW_ROUTE_PUBLIC 1 /* no token needed */
#define SW_ROUTE_ADMIN 2  /* tenant admin only */
#define SW_ROUTE_STREAM 4 /* the WebSocket upgrade: the server hands the connection to sw_ws */

typedef struct sw_route {
    const char *method;
    const char *pattern;
    sw_handler fn;
    int flags;
    int metric; /* filled by sw_router_init */
} sw_route;

typedef enum { SW_ROUTE_FOUND, SW_ROUTE_NO_PATH, SW_ROUTE_NO_METHOD } sw_route_status;

/* Registers every route's metric label. */
void sw_router_init(sw_route *routes, int n, sw_metrics *m);
/* Matches; on FOUND fills req's params (values are copies into `scratch`, >= strlen(path)+1).
 * On NO_METHOD writes the allowed methods ("GET, POST") into allow (size allow_len). */
sw_route_status sw_router_match(const sw_route *routes, int n, const char *method, const char *path,
                                sw_req *req, char *scratch, const sw_route **out, char *allow,
                                size_t allow_len);

/* The application's route table (sw_routes.c). */
extern sw_route sw_routes[];
extern const int sw_routes_count;

#endif
