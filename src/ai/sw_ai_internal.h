/* sw_ai_internal: what the files of the AI service share and nothing outside src/ai sees: the
 * service object (struct sw_ai), a turn, the visibility filter of a turn's tools, the model
 * endpoint, and the entry points each file offers the others. The files and who calls whom
 * (one direction each): sw_engage.c (which AI answers) -> sw_turn.c (the registry and the model
 * loop) -> sw_prompt.c (system prompt, tools, history), sw_tool_round.c (a round's calls on the
 * tool pool, approvals) and sw_model_endpoint.c (where model calls go). */
#ifndef SW_AI_INTERNAL_H
#define SW_AI_INTERNAL_H

#include "ai/sw_ai_config.h"
#include "ai/sw_llm.h"
#include "core/sw_cache.h"
#include "core/sw_netpolicy.h"
#include "core/sw_pool.h"
#include "events/sw_bus.h"
#include "plugins/sw_dispatch.h"
#include "rooms/sw_rooms.h"
#include "store/sw_ai_repo.h"
#include "store/sw_db.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#define MAX_CALLS_PER_ROUND 16

struct sw_approvals;

typedef struct turn {
    struct turn *next;
    sw_ai *ai;
    char tenant_id[40], room_id[40], ai_id[40], initiator_id[40], turn_id[40];
    char park_id[40]; /* a resumed turn: the parked round it continues, else "" */
    int cancel; /* set by stop / a newer message */
    int done;
    int64_t created_us; /* when the turn was triggered (monotonic) */
} turn;

struct sw_ai {
    sw_db *db;
    sw_bus *bus;
    sw_rooms *rooms;
    sw_dispatcher *disp;
    sw_pool *pool;
    struct sw_approvals *approvals; /* or NULL: no call waits for approval */
    sw_ai_config cfg;
    char *default_base_url, *default_api_key, *etiquette;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    turn *active; /* running turns */
    int stopping;
    /* Which rooms have AI members: asked on every person's message, so remembered here
     * (sw_cache.h) and forgotten when a membership event of the room goes by on the bus. */
    sw_cache *has_ai;
    int bus_sub;
};

static inline void sw_ai_publish(sw_ai *ai, const char *tenant_id, const char *room_id, const char *type,
                                 json_t *content /* stolen */)
{
    sw_bus_publish_ephemeral(ai->bus, tenant_id, room_id, type, NULL, content);
}

/* ---- sw_turn.c: the registry ---- */

enum { TURN_REFUSE_BUSY, TURN_REPLACE, TURN_ALONGSIDE };

/* Registers and queues a turn. mode: TURN_REFUSE_BUSY (engage: SW_ERR_AI_BUSY while the AI
 * answers in this room), TURN_REPLACE (a new human message: cancel that reply first),
 * TURN_ALONGSIDE (a resumed turn: leave the other one alone). turn_id/park_id: a resumed turn. */
int sw_ai_start_turn(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                     const char *initiator_id, int mode, const char *turn_id, const char *park_id);

/* ---- sw_prompt.c ---- */

/* A turn's tool filter: the AI's loadout (NULL: every plugin) and the room's toggles. */
typedef struct {
    sw_ai *ai;
    const char *tenant_id, *room_id;
    const json_t *loadout;
} vis_arg;

/* sw_call.plugin_visible for a vis_arg. */
int sw_ai_plugin_visible(void *arg, const char *plugin_id);
/* The room's recent people and AI messages as chat messages, oldest first, within the budget. */
json_t *sw_ai_history(sw_ai *ai, const turn *t);

/* ---- sw_model_endpoint.c ---- */

typedef struct {
    const char *base_url, *key;
    const sw_netpolicy *policy; /* NULL: the operator's default URL, trusted */
} endpoint;

/* Where an AI's model calls go, with which key: an AI with its own base_url gets only its own
 * api_key (or none) and its connections are checked against the outbound policy; the operator's
 * key (SCAIWAVE_SCAIGRID_API_KEY) goes only to the operator's URL. mc may be NULL. */
endpoint sw_ai_endpoint(const sw_ai *ai, const sw_model_config *mc);

/* ---- sw_tool_round.c ---- */

/* Runs the round's calls: those that need approval are parked (cards posted) and the others run
 * at once, in parallel on the tool pool. Appends the role:tool messages and returns 0 when every
 * result is in (nothing needed approval, or every decision came in meanwhile); returns 1 when
 * the turn is parked (a decision will resume it from the store). *messages may be replaced. */
int sw_ai_run_round(turn *t, vis_arg *va, const sw_llm_result *r, int n, int round, json_t **messages);

#endif
