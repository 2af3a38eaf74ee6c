/* sw_routes: the route table of the HTTP API (API.md). */
#include "http/sw_handlers.h"
#include "http/sw_router.h"

sw_route sw_routes[] = {
    {"GET", "/healthz", sw_h_healthz, SW_ROUTE_PUBLIC, 0},
    {"GET", "/readyz", sw_h_readyz, SW_ROUTE_PUBLIC, 0},
    {"GET", "/metrics", sw_h_metrics, SW_ROUTE_PUBLIC, 0},
    {"POST", "/v1/auth/token", sw_h_auth_token, SW_ROUTE_PUBLIC, 0},
    {"GET", "/v1/me", sw_h_me, 0, 0},
    {"GET", "/v1/admin/plugins", sw_h_admin_plugins_list, SW_ROUTE_ADMIN, 0},
    {"POST", "/v1/admin/plugins/{plugin_id}/enable", sw_h_admin_plugin_enable, SW_ROUTE_ADMIN, 0},
    {"POST", "/v1/admin/plugins/{plugin_id}/disable", sw_h_admin_plugin_disable, SW_ROUTE_ADMIN, 0},
    {"PUT", "/v1/admin/plugins/{plugin_id}/config", sw_h_admin_plugin_config, SW_ROUTE_ADMIN, 0},
    {"GET", "/v1/admin/audit", sw_h_admin_audit, SW_ROUTE_ADMIN, 0},
    {"GET", "/v1/plugins", sw_h_plugins_list, 0, 0},
    {"POST", "/v1/tools/{tool}/call", sw_h_tool_call, 0, 0},
};

const int sw_routes_count = (int)(sizeof sw_routes / sizeof sw_routes[0]);
