/* sw_approval_repo: parked AI turns and their approval requests (migration 5). A turn whose
 * tool calls need people's approval is stored as one parked_turns row — everything needed to
 * resume it: the messages so far (with the assistant's tool_calls), the round's calls, the
 * results of the calls that ran at once, the round number, room, AI and initiator — and one
 * approval_requests row per call that waits for a decision. Decisions are single conditional
 * UPDATEs (status 'pending' → the new status), so concurrent deciders have exactly one winner,
 * on this node or another. Every function takes the tenant id, except the sweeper's and the
 * start-up recovery's scans, which return it. */
#ifndef SW_APPROVAL_REPO_H
#define SW_APPROVAL_REPO_H

#include "store/sw_repo.h"

#include <jansson.h>
#include <stdint.h>

/* parked_turns.state: 'parking' (the round's other calls still run), 'parked' (waiting for
 * decisions), 'resuming' (claimed by the thread that resumes it), 'done'. */
typedef struct {
    char id[40];
    char tenant_id[40];
    char turn_id[40];
    char room_id[40];
    char ai_id[40];
    char initiator_id[40];
    int round;
    json_t *messages; /* array */
    json_t *calls;    /* array of {id, name, arguments} in the model's order */
    json_t *results;  /* array, one entry per call: a string, or null while it awaits a decision */
    char state[12];
} sw_park;

void sw_park_fini(sw_park *p);

typedef struct {
    char id[40];
    char tenant_id[40];
    char park_id[40];
    int call_index;
    char *tool_call_id;
    char turn_id[40];
    char room_id[40];
    char ai_id[40];
    char initiator_id[40];
    char plugin_id[72];
    char tool[72];
    char *arguments;     /* the model's argument text */
    char status[12];     /* pending | approved | rejected | expired */
    char *reason;        /* or NULL */
    char decided_by[40]; /* "" when undecided or expired */
    char decided_at[40];
    int started;  /* an approved call's tool was started */
    char *result; /* the role:tool content once known, or NULL */
    char created_at[40];
    char expires_at[40];
    int64_t expires_at_ms;
} sw_approval;

void sw_approval_fini(sw_approval *a);

/* Stores a park (state 'parking') and its requests in one transaction. `requests` is an array
 * of {id, call_index, tool_call_id, plugin_id, tool, arguments} objects; every request gets
 * the park's tenant, turn, room, AI and initiator, created_at/expires_at from the times given. */
int sw_park_insert(sw_db *db, const sw_park *p, const json_t *requests, int64_t created_ms,
                   int64_t expires_ms);
/* 'parking' → 'parked' with the results of the calls that ran at once. */
int sw_park_set_results(sw_db *db, const char *tenant_id, const char *park_id,
                        const json_t *results);
/* Claims a parked turn for resumption: 'parked' → 'resuming' when none of its requests is
 * pending or still without a result. 1 claimed, 0 not (yet, or by someone else), -1 error. */
int sw_park_claim(sw_db *db, const char *tenant_id, const char *park_id);
/* 'resuming' → 'parked' (the claimer could not resume; the next start-up will). */
int sw_park_release(sw_db *db, const char *tenant_id, const char *park_id);
/* → 'done'. */
int sw_park_finish(sw_db *db, const char *tenant_id, const char *park_id);
int sw_park_get(sw_db *db, const char *tenant_id, const char *park_id, sw_park *out);
/* Ids (and tenants) of parks in a state with an id after `after` ("" = from the start), oldest
 * first, up to max. Returns the count, -1 on error. */
int sw_parks_in_state(sw_db *db, const char *state, const char *after, char (*ids)[40],
                      char (*tenants)[40], int max);

int sw_approval_get(sw_db *db, const char *tenant_id, const char *id, sw_approval *out);
/* The requests of a park, in call order: fills out[] (each to be fini'd); returns the count. */
int sw_approvals_of_park(sw_db *db, const char *tenant_id, const char *park_id, sw_approval *out,
                         int max);
/* The one atomic decision: pending → status when the request is still pending and (unless
 * status is "expired") not yet due at now_ms; expired only when due. result may be NULL (an
 * approval's result comes when its tool has run). 1 when this call decided it, 0 when it was
 * not pending (or the expiry condition did not hold), -1 on error. */
int sw_approval_decide(sw_db *db, const char *tenant_id, const char *id, const char *status,
                       const char *decided_by, const char *reason, const char *result,
                       int64_t now_ms);
/* Marks an approved request's tool as started; 1 when this call marked it (run it), 0 when it
 * had been started before (do not run it again). */
int sw_approval_mark_started(sw_db *db, const char *tenant_id, const char *id);
int sw_approval_set_result(sw_db *db, const char *tenant_id, const char *id, const char *result);
/* Pending, not yet due requests in rooms the participant has joined, oldest first (API form). */
json_t *sw_approvals_pending_json(sw_db *db, const char *tenant_id, const char *participant_id,
                                  int64_t now_ms, int limit);
/* Pending requests due at now_ms (the sweeper). Returns the count, -1 on error. */
int sw_approvals_due(sw_db *db, int64_t now_ms, char (*ids)[40], char (*tenants)[40], int max);
/* Approved requests without a result (start-up recovery). */
int sw_approvals_unfinished(sw_db *db, char (*ids)[40], char (*tenants)[40], int max);

#endif
