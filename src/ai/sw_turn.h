/* sw_turn: AI participants answering in rooms. Owns engagement (which AI answers which human
 * message: room mode "always" or "mention"), the turn registry (one reply per room and AI;
 * stop and a new human message cancel it), and the turn itself on the worker pool: prompt
 * blocks (base prompt + room addition, tool etiquette, plugins' system context, history, the
 * trigger), the tool set (registry ∩ tenant-enabled ∩ the AI's loadout ∩ room toggles), the
 * model loop through sw_llm with streamed chunks, parallel tool calls through the dispatcher,
 * and the final answer stored as the AI's message. A round with calls that need a person's
 * approval (sw_approvals) is parked in the store and the turn returns; a decision resumes it
 * from the store (sw_ai_resume). */
#ifndef SW_TURN_H
#define SW_TURN_H

#include "ai/sw_ai_config.h"
#include "core/sw_pool.h"
#include "events/sw_bus.h"
#include "plugins/sw_dispatch.h"
#include "rooms/sw_rooms.h"
#include "store/sw_db.h"

#include <jansson.h>

struct sw_approvals;

sw_ai *sw_ai_new(sw_db *db, sw_bus *bus, sw_rooms *rooms, sw_dispatcher *disp, sw_pool *pool,
                 const sw_ai_config *cfg);
/* Shutdown, first step: refuses new turns (resumptions too) and cancels those in flight,
 * without waiting. */
void sw_ai_quiesce(sw_ai *ai);
/* Cancels every turn in flight and waits for them. */
void sw_ai_free(sw_ai *ai);

/* Routes calls that need approval through `a` (NULL: every call runs at once), and registers
 * this service's resume and run-tool entries with `a` (sw_approvals_set_turns). */
void sw_ai_set_approvals(sw_ai *ai, struct sw_approvals *a);

/* A human's message was stored (hook of sw_rooms): starts the turns it engages. */
void sw_ai_on_message(void *ai, const json_t *event);

/* Starts a turn of ai_id answering the latest message. 0, or an SW_ERR_* code
 * (SW_ERR_AI_BUSY, SW_ERR_AI_NO_MODEL, SW_ERR_NOT_FOUND). */
int sw_ai_engage(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                 const char *initiator_id);
/* Cancels the replies in flight in a room; returns how many. */
int sw_ai_stop(sw_ai *ai, const char *tenant_id, const char *room_id);
/* Whether an AI has a usable model endpoint (its own or the default). */
int sw_ai_has_model(sw_ai *ai, const char *tenant_id, const char *ai_id);

/* Resumes a parked turn the caller has claimed (sw_approvals): a turn of ai_id in the room,
 * registered like any other (stop cancels it) but not cancelling the AI's other turn there,
 * that continues from the stored round. 0, or SW_ERR_UNAVAILABLE while stopping. */
int sw_ai_resume(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                 const char *initiator_id, const char *turn_id, const char *park_id);
/* Runs one tool call of an AI's turn as the turn itself would: through the dispatcher with the
 * AI's loadout and the room's toggles, with swp.tool.call events. Fills *out. */
void sw_ai_run_tool(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                    const char *initiator_id, const char *turn_id, const char *tool_call_id,
                    const char *tool, const char *args, sw_dispatch_result *out);

/* The tools an AI may call in a room, in OpenAI function format (new reference). Exposed for
 * tests and Prompt-Studio-like views. */
json_t *sw_ai_tools(sw_ai *ai, const char *tenant_id, const char *room_id, const json_t *loadout);
/* The system prompt the AI gets in a room (malloc'd). */
char *sw_ai_system_prompt(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                          const char *base_prompt, const json_t *loadout);

/* The model client offered to plugins (swp_model_complete): one plain chat completion with the
 * calling AI's model, or the server's default (SCAIWAVE_SCAIGRID_URL/_API_KEY/_MODEL). */
int sw_ai_model_complete(void *ai, const char *tenant_id, const char *participant_id, const char *system,
                         const char *prompt, char **answer);

#endif
