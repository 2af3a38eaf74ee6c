/* sw_slash_cmd: the slash interpreter of the room service — a command typed in a room ("/greet
 * de Alice") runs on the turn pool: /help answers the list, an unknown or turned-off command gets
 * a swp.system reply and runs nothing, a known one is resolved once (sw_resolve), its arguments
 * built once (sw_slash_args) and handed parsed to the dispatcher, on that worker, and its result
 * stored as a swp.tool_result message. The command list (sw_rooms_commands) lives here too. */
#ifndef SW_SLASH_CMD_H
#define SW_SLASH_CMD_H

#include "rooms/sw_rooms.h"

/* Makes r hand its slash commands to this interpreter (r->on_command): the rooms service knows
 * the interpreter only through that pointer, so the dependency goes one way. */
void sw_slash_cmd_attach(sw_rooms *r);

/* Queues the command `body` (a slash command: sw_slash_split said so), sent by sender_id in the
 * room. The caller took one of r->max_slash slots (r->slash_inflight); the command gives it back
 * when it has finished, or at once when it cannot be queued. */
void sw_slash_cmd_queue(sw_rooms *r, const char *tenant_id, const char *tenant_slug, const char *room_id,
                        const char *sender_id, const char *user_token, const char *body);

#endif
