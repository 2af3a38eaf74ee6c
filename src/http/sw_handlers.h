/* sw_handlers: every resource handler, one file per resource (h_*.c), listed in sw_routes.c. */
#ifndef SW_HANDLERS_H
#define SW_HANDLERS_H

#include "http/sw_http.h"
#include "rooms/sw_room_members.h"
#include "store/sw_room_repo.h"

/* h_ops.c */
void sw_h_healthz(sw_req *req, sw_resp *resp);
void sw_h_readyz(sw_req *req, sw_resp *resp);
void sw_h_metrics(sw_req *req, sw_resp *resp);
/* h_auth.c */
void sw_h_auth_token(sw_req *req, sw_resp *resp);
void sw_h_auth_logout(sw_req *req, sw_resp *resp);
void sw_h_me(sw_req *req, sw_resp *resp);
/* h_plugins.c */
void sw_h_admin_plugins_list(sw_req *req, sw_resp *resp);
void sw_h_admin_plugin_enable(sw_req *req, sw_resp *resp);
void sw_h_admin_plugin_disable(sw_req *req, sw_resp *resp);
void sw_h_admin_plugin_config(sw_req *req, sw_resp *resp);
void sw_h_plugins_list(sw_req *req, sw_resp *resp);
/* h_tools.c */
void sw_h_tool_call(sw_req *req, sw_resp *resp);
/* h_audit.c */
void sw_h_admin_audit(sw_req *req, sw_resp *resp);

/* h_rooms.c */
/* The room of the path ({room_id}) in the caller's tenant: 404 SW_ROOM_NOT_FOUND, or 403
 * SW_NOT_MEMBER when need_join and the caller has not joined it. 0, or -1 with resp filled. */
int sw_http_room(sw_req *req, sw_resp *resp, sw_room *room, int need_join, int *power);
/* The caller as a joined actor of the room with that power level (after sw_http_room with need_join). */
sw_room_actor sw_http_actor(const sw_req *req, int power);
void sw_h_rooms_create(sw_req *req, sw_resp *resp);
void sw_h_room_get(sw_req *req, sw_resp *resp);
void sw_h_directory_rooms(sw_req *req, sw_resp *resp);
void sw_h_room_members(sw_req *req, sw_resp *resp);
void sw_h_room_invite(sw_req *req, sw_resp *resp);
void sw_h_room_join(sw_req *req, sw_resp *resp);
void sw_h_room_leave(sw_req *req, sw_resp *resp);
void sw_h_room_send(sw_req *req, sw_resp *resp);
void sw_h_room_messages(sw_req *req, sw_resp *resp);
void sw_h_room_plugin_toggle(sw_req *req, sw_resp *resp);
void sw_h_commands(sw_req *req, sw_resp *resp);
/* h_ai.c */
void sw_h_ai_create(sw_req *req, sw_resp *resp);
void sw_h_ai_list(sw_req *req, sw_resp *resp);
void sw_h_ai_update(sw_req *req, sw_resp *resp);
void sw_h_ai_engage(sw_req *req, sw_resp *resp);
void sw_h_ai_engagement(sw_req *req, sw_resp *resp);
void sw_h_ai_room_prompt(sw_req *req, sw_resp *resp);
void sw_h_ai_stop(sw_req *req, sw_resp *resp);
/* h_approvals.c */
void sw_h_hitl_list(sw_req *req, sw_resp *resp);
void sw_h_hitl_approve(sw_req *req, sw_resp *resp);
void sw_h_hitl_reject(sw_req *req, sw_resp *resp);
/* h_sync.c */
void sw_h_sync(sw_req *req, sw_resp *resp);
/* h_notes.c */
void sw_h_notes_list(sw_req *req, sw_resp *resp);
void sw_h_notes_create(sw_req *req, sw_resp *resp);
void sw_h_note_get(sw_req *req, sw_resp *resp);
void sw_h_note_update(sw_req *req, sw_resp *resp);
/* h_mcp.c: MCP Streamable HTTP at /v1/mcp */
void sw_h_mcp_post(sw_req *req, sw_resp *resp);
void sw_h_mcp_delete(sw_req *req, sw_resp *resp);
/* sw_static.c: the web app (GET /, /app/…, /static/…) */
void sw_h_web_index(sw_req *req, sw_resp *resp);
void sw_h_web_static(sw_req *req, sw_resp *resp);

#endif
