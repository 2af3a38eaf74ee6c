/* sw_bus: tenant-scoped publish/subscribe inside the process. Owns the event value that travels
 * to real-time clients (refcounted, serialised once) and the subscriber list. An interface a
 * Redis adapter can implement later for several nodes. Publishing is synchronous: subscribers
 * must only queue the event (take a reference) and return. */
#ifndef SW_BUS_H
#define SW_BUS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sw_event {
    int refs;
    char tenant_id[40];
    char room_id[40];         /* "" for tenant-wide events */
    char type[48];            /* "swp.room.message", ... */
    int64_t stream_position;  /* > 0 for stored events; 0 for ephemeral ones (chunks, status) */
    char *json;               /* the wire form: {"type","id","room_id","tenant_id","ts",
                                 "stream_position","sender_id","content"} */
    size_t len;
    json_t *content;          /* parsed content (borrowed by subscribers; immutable) */
} sw_event;

/* Builds an event from its wire object (a reference is taken on `wire`). */
sw_event *sw_event_new(const char *tenant_id, const char *room_id, const char *type,
                       int64_t stream_position, json_t *wire);
sw_event *sw_event_ref(sw_event *ev);
void sw_event_unref(sw_event *ev);

typedef struct sw_bus sw_bus;
typedef void (*sw_bus_fn)(void *arg, sw_event *ev);

sw_bus *sw_bus_new(void);
void sw_bus_free(sw_bus *b);
/* Returns a subscription id (> 0) or -1. */
int sw_bus_subscribe(sw_bus *b, sw_bus_fn fn, void *arg);
void sw_bus_unsubscribe(sw_bus *b, int id);
/* Calls every subscriber with ev (in the caller's thread). Stored events must be published in
 * stream_position order; the room write path guarantees it by publishing under its write lock. */
void sw_bus_publish(sw_bus *b, sw_event *ev);
/* Builds and publishes an ephemeral (not stored, stream_position 0) event:
 * {"type","id","room_id","tenant_id","ts","stream_position":0,"sender_id"?,"content"}.
 * Steals content. Returns 0, or -1 when out of memory. */
int sw_bus_publish_ephemeral(sw_bus *b, const char *tenant_id, const char *room_id, const char *type,
                             const char *sender_id, json_t *content);

#endif
