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
    {"POST", "/v1/rooms", sw_h_rooms_create, 0, 0},
    {"GET", "/v1/rooms/{room_id}", sw_h_room_get, 0, 0},
    {"GET", "/v1/directory/rooms", sw_h_directory_rooms, 0, 0},
    {"GET", "/v1/rooms/{room_id}/members", sw_h_room_members, 0, 0},
    {"POST", "/v1/rooms/{room_id}/invite", sw_h_room_invite, 0, 0},
    {"POST", "/v1/rooms/{room_id}/join", sw_h_room_join, 0, 0},
    {"POST", "/v1/rooms/{room_id}/leave", sw_h_room_leave, 0, 0},
    {"POST", "/v1/rooms/{room_id}/send", sw_h_room_send, 0, 0},
    {"GET", "/v1/rooms/{room_id}/messages", sw_h_room_messages, 0, 0},
    {"POST", "/v1/rooms/{room_id}/plugins/{plugin_id}/toggle", sw_h_room_plugin_toggle, 0, 0},
    {"GET", "/v1/commands", sw_h_commands, 0, 0},
    {"GET", "/v1/sync", sw_h_sync, 0, 0},
    {"GET", "/v1/stream", NULL, SW_ROUTE_PUBLIC | SW_ROUTE_STREAM, 0},
    {"POST", "/v1/admin/participants/model", sw_h_ai_create, SW_ROUTE_ADMIN, 0},
    {"GET", "/v1/admin/participants", sw_h_ai_list, SW_ROUTE_ADMIN, 0},
    {"PUT", "/v1/admin/participants/{participant_id}", sw_h_ai_update, SW_ROUTE_ADMIN, 0},
    {"POST", "/v1/rooms/{room_id}/ai/engage", sw_h_ai_engage, 0, 0},
    {"PUT", "/v1/rooms/{room_id}/ai/engagement", sw_h_ai_engagement, 0, 0},
    {"PUT", "/v1/rooms/{room_id}/ai/system-prompt", sw_h_ai_room_prompt, 0, 0},
    {"POST", "/v1/rooms/{room_id}/ai/stop", sw_h_ai_stop, 0, 0},
};

const int sw_routes_count = (int)(sizeof sw_routes / sizeof sw_routes[0]);
