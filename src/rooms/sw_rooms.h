/* sw_rooms: the room service — the one write path for room events. Appends are group-committed:
 * concurrent writers queue their event, one of them (the leader) stores the whole queue in one
 * transaction and publishes the events to the bus in stream_position order, the others wait for
 * their result (each on its own condition variable: a commit wakes exactly the writers it served),
 * or do not wait at all (sw_rooms_append_async: tool results and system replies, which ride in
 * the next writer's transaction, or the flusher thread's within a millisecond). Also slash commands typed in a room (run through the dispatcher
 * on the worker pool; the result is stored as a swp.tool_result message). Membership and room policy: sw_room_members.h, sw_room_policy.h. */
#ifndef SW_ROOMS_H
#define SW_ROOMS_H

#include "core/sw_cache.h"
#include "core/sw_pool.h"
#include "events/sw_bus.h"
#include "plugins/sw_dispatch.h"
#include "store/sw_db.h"

#include <jansson.h>
#include <pthread.h>

typedef struct sw_rooms {
    sw_db *db;
    sw_bus *bus;
    sw_dispatcher *disp;
    sw_pool *pool;           /* where slash commands run */
    pthread_mutex_t write_mu; /* guards the append queue and the leader flag */
    struct append_req *queue, *queue_tail;
    int leader;               /* a thread is committing a batch */
    pthread_t flusher;        /* commits asynchronous appends nobody else took */
    pthread_cond_t flush_cv;
    int flusher_started, flusher_ticking, flush_stop;
    int pending;             /* slash commands and asynchronous appends not yet finished */
    int max_slash;           /* slash commands accepted and not yet finished, at most (0 = no bound) */
    int slash_inflight;      /* those now (atomic): a slot is taken before the command is stored */
    /* Remembered answers (sw_cache.h): (tenant, room, participant) → membership and power, for
     * the send path, forgotten by sw_rooms_set_member; (tenant, room, plugin) → toggled on/off,
     * for slash commands and AI turns, forgotten by sw_rooms_toggle_plugin; tenant → slug (it
     * never changes), for the context of slash commands. */
    sw_cache *members, *toggles, *slugs;
    /* called with the stored event after a person's (non-command) message: AI engagement */
    void (*on_message)(void *arg, const json_t *event);
    void *on_message_arg;
    /* queues a slash command (the slash interpreter, sw_slash_cmd.c, set by sw_slash_cmd_attach):
     * the caller took one of max_slash slots, which the command gives back when it has finished */
    void (*on_command)(struct sw_rooms *r, const char *tenant_id, const char *tenant_slug,
                       const char *room_id, const char *sender_id, const char *user_token,
                       const char *body);
    pthread_mutex_t pending_mu;
    pthread_cond_t pending_cv;
} sw_rooms;

int sw_rooms_init(sw_rooms *r, sw_db *db, sw_bus *bus, sw_dispatcher *disp, sw_pool *pool);
/* Waits for queued slash commands and asynchronous appends to finish. */
void sw_rooms_drain(sw_rooms *r);
void sw_rooms_fini(sw_rooms *r);

/* Stores and publishes an event. *wire_out (optional) receives the stored event (API form).
 * Returns 0, or -1 on a store error. *existed is set when event_uuid repeated. */
int sw_rooms_append(sw_rooms *r, const char *tenant_id, const char *room_id, const char *sender_id,
                    const char *event_type, const json_t *content, const char *event_uuid,
                    json_t **wire_out, int *existed);

/* Stores and publishes an event without waiting for the commit (when another writer is committing,
 * it takes this one too); content is referenced, not copied, and must not change afterwards.
 * A failure to store is logged. sw_rooms_drain waits for these. Returns 0, or -1 out of memory. */
int sw_rooms_append_async(sw_rooms *r, const char *tenant_id, const char *room_id, const char *sender_id,
                          const char *event_type, json_t *content);

/* A human's message: stores it; when it is a slash command, queues the command (the result
 * arrives as another event). Returns 0, -1 when the store failed, or SW_ROOMS_OVERLOADED when
 * it is a command and max_slash commands are already queued or running: then nothing is stored
 * (the client retries later with the same event_uuid). */
/* The rooms' count of unfinished work that sw_rooms_drain waits for. */
void sw_rooms_pending_add(sw_rooms *r, int delta);

#define SW_ROOMS_OVERLOADED (-2)
int sw_rooms_send_message(sw_rooms *r, const char *tenant_id, const char *tenant_slug,
                          const char *room_id, const char *sender_id, const char *user_token,
                          const json_t *content, const char *event_uuid, json_t **wire_out);

/* The tenant's slug (remembered; it never changes), "" when the tenant cannot be read. */
void sw_rooms_tenant_slug(sw_rooms *r, const char *tenant_id, char slug[72]);

/* Membership (the sw_membership enum, changes, invite/join/leave) and room policy live in
 * sw_room_members.h and sw_room_policy.h; rooms as resources in sw_room_service.h. This is the
 * string form of sw_rooms_member ("join", "invite", "leave", or "" when never a member), for
 * callers not moved to the enum yet: SW_REPO_OK, or SW_REPO_NOT_FOUND when the tenant has no
 * such room. */
int sw_rooms_membership(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id,
                        char membership[8], int *power);

/* Whether the plugin is toggled on in the room: 1 on, 0 off, -1 never toggled (the tenant's
 * setting applies); remembered. */
int sw_rooms_plugin_toggle(sw_rooms *r, const char *tenant_id, const char *room_id, const char *plugin_id);
/* The one resolver of room toggles for tool calls (sw_call.plugin_visible): arg is a
 * sw_rooms_scope; 0 when the plugin is toggled off in the scope's room, else 1. Slash commands,
 * AI turns and POST /v1/tools/{tool}/call all decide through it. */
typedef struct sw_rooms_scope {
    sw_rooms *r;
    const char *tenant_id, *room_id;
} sw_rooms_scope;
int sw_rooms_plugin_visible(void *arg, const char *plugin_id);
/* Turns the plugin on or off in the room. Returns 0, or -1 on a store error. */
int sw_rooms_toggle_plugin(sw_rooms *r, const char *tenant_id, const char *room_id, const char *plugin_id,
                           int enabled);

/* The commands available in a tenant (and room, when room_id is given): built-ins and every
 * tool of an enabled (and not toggled-off) plugin that has a usage. */
json_t *sw_rooms_commands(sw_rooms *r, const char *tenant_id, const char *room_id);

#endif
