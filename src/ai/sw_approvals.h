/* sw_approvals: human-in-the-loop approval of an AI's tool calls. Owns the policy decision
 * (per tool "ask" | "auto_run_in_dm" | "auto_run_everywhere"; default auto_run_in_dm for tools
 * with side effects, auto_run_everywhere without), parking a turn in the store
 * (sw_approval_repo) with one swp.approval card per call that waits, the decisions (approve /
 * reject by the initiator only, one atomic conditional UPDATE each, so exactly one decision
 * wins and a tool runs at most once), expiry (a sweeper thread, about once a second, also at
 * start-up), the audit rows (requested, approved/rejected/expired) and resuming the turn from
 * the store when the last decision of its round is in — on whichever thread handles it, also
 * after a restart. No thread waits for a person. */
#ifndef SW_APPROVALS_H
#define SW_APPROVALS_H

#include "core/sw_pool.h"
#include "events/sw_bus.h"
#include "plugins/sw_dispatch.h"
#include "rooms/sw_rooms.h"
#include "store/sw_db.h"

#include <jansson.h>

typedef struct sw_approvals sw_approvals;

/* What approvals needs from the AI turns, registered by the turn service when it takes the
 * approvals on (sw_ai_set_approvals): approvals never includes the turn's header, so the
 * dependency runs one way (sw_turn -> sw_approvals). */
typedef struct sw_approval_turns {
    void *arg;
    /* Resumes a parked turn the caller has claimed; 0, or an SW_ERR_* code (then the park is
     * released for the next start-up). */
    int (*resume)(void *arg, const char *tenant_id, const char *room_id, const char *ai_id,
                  const char *initiator_id, const char *turn_id, const char *park_id);
    /* Runs an approved call as the turn itself would; fills *out. */
    void (*run_tool)(void *arg, const char *tenant_id, const char *room_id, const char *ai_id,
                     const char *initiator_id, const char *turn_id, const char *tool_call_id,
                     const char *tool, const char *args, sw_dispatch_result *out);
} sw_approval_turns;

/* timeout_s: how long a request waits before it expires (--approval-timeout-s). Decided calls
 * run on `pool` (the turn pool). */
sw_approvals *sw_approvals_new(sw_db *db, sw_bus *bus, sw_rooms *rooms, sw_dispatcher *disp,
                               sw_pool *pool, int timeout_s);
/* The AI turns that run approved calls and resume turns (copied; before sw_approvals_start).
 * Without them an approved call runs through the dispatcher alone and no turn resumes. */
void sw_approvals_set_turns(sw_approvals *a, const sw_approval_turns *turns);
/* Serving only (not for CLI commands): recovers what a stop or crash left half done (cards not
 * yet posted, approved calls not yet run, turns ready to resume), expires what is due, and
 * starts the sweeper thread. */
int sw_approvals_start(sw_approvals *a);
/* Stops the sweeper and waits for decided calls being run. Call before the AI service stops. */
void sw_approvals_stop(sw_approvals *a);
void sw_approvals_free(sw_approvals *a);
/* Expires every due request now (what the sweeper does each second). Returns how many. */
int sw_approvals_sweep(sw_approvals *a);

/* Whether an AI's call of `tool` in a room must wait for approval: the tool as the dispatcher
 * would find it (enabled, visible through the filter), its policy, and for auto_run_in_dm the
 * room's joined humans (two or more → ask). Fills plugin_id (72 bytes) when it must. */
int sw_approvals_needed(sw_approvals *a, const char *tenant_id, const char *room_id,
                        const char *tool, int (*visible)(void *arg, const char *plugin_id),
                        void *visible_arg, char *plugin_id);

/* A round of tool calls to park. */
typedef struct sw_park_request {
    const char *tenant_id, *room_id, *ai_id, *initiator_id, *turn_id;
    int round;
    const json_t *messages;       /* the messages so far, ending with the assistant's tool_calls */
    const json_t *calls;          /* [{id, name, arguments}] in the model's order */
    const int *needs;             /* per call: 1 = waits for approval */
    const char (*plugin_ids)[72]; /* per call: the plugin (where needs) */
} sw_park_request;

/* Stores the parked round (state 'parking') and one request per waiting call, posts the cards
 * and publishes swp.approval.requested. The caller then runs the round's other calls and calls
 * sw_approvals_parked. 0, or -1 (nothing was stored). park_id: 40 bytes. */
int sw_approvals_park(sw_approvals *a, const sw_park_request *req, char *park_id);
/* The other calls' results (array, one per call, null where a call waits). Returns 1 when every
 * decision is in already and the caller has claimed the turn (continue it with
 * sw_approvals_resume_messages), 0 when the turn is parked (return: a decision resumes it),
 * -1 on a store error. */
int sw_approvals_parked(sw_approvals *a, const char *tenant_id, const char *park_id,
                        const json_t *results);
/* A claimed park's messages with the round's role:tool messages appended in call order (new
 * reference), and its round; NULL when it cannot be read. */
json_t *sw_approvals_resume_messages(sw_approvals *a, const char *tenant_id, const char *park_id,
                                     int *round);
/* A claimed park that is not resumed now (shutting down): it waits again, and the next
 * start-up resumes it. */
void sw_approvals_release(sw_approvals *a, const char *tenant_id, const char *park_id);
/* The resumed turn is over (answered, parked again, failed or stopped). */
void sw_approvals_finish(sw_approvals *a, const char *tenant_id, const char *park_id);

/* API: a decision by `participant_id`. 0 and *out (the request, new reference), or
 * SW_ERR_APPROVAL_NOT_FOUND / SW_ERR_APPROVAL_FORBIDDEN / SW_ERR_APPROVAL_DECIDED (*out: the
 * request as it is, or NULL) / SW_ERR_INTERNAL. reason: reject only, may be NULL. */
int sw_approvals_decide(sw_approvals *a, const char *tenant_id, const char *request_id,
                        const char *participant_id, int approve, const char *reason, json_t **out);
/* Pending requests in rooms the participant has joined (array, new reference; NULL on error). */
json_t *sw_approvals_list(sw_approvals *a, const char *tenant_id, const char *participant_id,
                          int limit);

#endif
