/* sw_router: segment-by-segment matching of the route table. */
#include "http/sw_router.h"

#include <stdio.h>
#include <string.h>

void sw_router_init(sw_route *routes, int n, sw_metrics *m)
{
    for (int i = 0; i < n; i++) {
        char label[96];
        snprintf(label, sizeof label, "%s %s", routes[i].method, routes[i].pattern);
        routes[i].metric = m ? sw_metrics_route(m, label) : -1;
    }
}

/* Matches one pattern; params go to req when req != NULL. */
static int match(const char *pattern, const char *path, sw_req *req, char *scratch)
{
    const char *p = pattern, *s = path;
    int np = 0;
    char *w = scratch;
    while (*p && *s) {
        if (*p != '/' || *s != '/') return 0;
        p++;
        s++;
        const char *pe = strchr(p, '/');
        const char *se = strchr(s, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        size_t sl = se ? (size_t)(se - s) : strlen(s);
        if (pl > 3 && p[0] == '{' && p[1] == '*' && p[pl - 1] == '}' && !pe) {
            /* {*name}: the rest of the path, slashes included (may be empty) */
            if (np >= SW_MAX_PARAMS) return 0;
            size_t rl = strlen(s);
            if (req) {
                static _Thread_local char rnames[SW_MAX_PARAMS][48];
                snprintf(rnames[np], sizeof rnames[np], "%.*s", (int)(pl - 3), p + 2);
                memcpy(w, s, rl);
                w[rl] = 0;
                req->param_names[np] = rnames[np];
                req->param_values[np] = w;
                req->nparams = np + 1;
            }
            return 1;
        }
        if (pl > 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (sl == 0 || np >= SW_MAX_PARAMS) return 0;
            if (req) {
                static _Thread_local char names[SW_MAX_PARAMS][48];
                snprintf(names[np], sizeof names[np], "%.*s", (int)(pl - 2), p + 1);
                memcpy(w, s, sl);
                w[sl] = 0;
                req->param_names[np] = names[np];
                req->param_values[np] = w;
                w += sl + 1;
            }
            np++;
        } else if (pl != sl || memcmp(p, s, pl) != 0) {
            return 0;
        }
        p += pl;
        s += sl;
    }
    if (*p || *s) return 0;
    if (req) req->nparams = np;
    return 1;
}

sw_route_status sw_router_match(const sw_route *routes, int n, const char *method, const char *path,
                                sw_req *req, char *scratch, const sw_route **out, char *allow,
                                size_t allow_len)
{
    int path_hit = 0;
    size_t used = 0;
    if (allow_len) allow[0] = 0;
    for (int i = 0; i < n; i++) {
        if (!match(routes[i].pattern, path, NULL, NULL)) continue;
        if (strcmp(routes[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
            match(routes[i].pattern, path, req, scratch);
            *out = &routes[i];
            return SW_ROUTE_FOUND;
        }
        path_hit = 1;
        int k = snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "", routes[i].method);
        if (k > 0 && (size_t)k < allow_len - used) used += (size_t)k;
    }
    return path_hit ? SW_ROUTE_NO_METHOD : SW_ROUTE_NO_PATH;
}
