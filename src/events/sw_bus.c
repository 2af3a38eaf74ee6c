/* sw_bus: in-process publish/subscribe with a read-mostly subscriber table. */
#include "events/sw_bus.h"
#include "core/sw_id.h"
#include "core/sw_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUBS 64

typedef struct {
    int id;
    sw_bus_fn fn;
    void *arg;
} sub;

struct sw_bus {
    pthread_rwlock_t lock;
    sub subs[MAX_SUBS];
    int n, next_id;
};

sw_event *sw_event_new(const char *tenant_id, const char *room_id, const char *type,
                       int64_t stream_position, json_t *wire)
{
    sw_event *ev = calloc(1, sizeof *ev);
    if (!ev) return NULL;
    ev->refs = 1;
    snprintf(ev->tenant_id, sizeof ev->tenant_id, "%s", tenant_id ? tenant_id : "");
    snprintf(ev->room_id, sizeof ev->room_id, "%s", room_id ? room_id : "");
    snprintf(ev->type, sizeof ev->type, "%s", type ? type : "");
    ev->stream_position = stream_position;
    ev->json = json_dumps(wire, JSON_COMPACT);
    ev->content = json_incref(json_object_get(wire, "content"));
    if (!ev->json) {
        json_decref(ev->content);
        free(ev);
        return NULL;
    }
    ev->len = strlen(ev->json);
    return ev;
}

sw_event *sw_event_ref(sw_event *ev)
{
    if (ev) __atomic_add_fetch(&ev->refs, 1, __ATOMIC_RELAXED);
    return ev;
}

void sw_event_unref(sw_event *ev)
{
    if (!ev || __atomic_sub_fetch(&ev->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    json_decref(ev->content);
    free(ev->json);
    free(ev);
}

sw_bus *sw_bus_new(void)
{
    sw_bus *b = calloc(1, sizeof *b);
    if (b) pthread_rwlock_init(&b->lock, NULL);
    return b;
}

void sw_bus_free(sw_bus *b)
{
    if (!b) return;
    pthread_rwlock_destroy(&b->lock);
    free(b);
}

int sw_bus_subscribe(sw_bus *b, sw_bus_fn fn, void *arg)
{
    pthread_rwlock_wrlock(&b->lock);
    int id = -1;
    if (b->n < MAX_SUBS) {
        id = ++b->next_id;
        b->subs[b->n++] = (sub){id, fn, arg};
    }
    pthread_rwlock_unlock(&b->lock);
    return id;
}

void sw_bus_unsubscribe(sw_bus *b, int id)
{
    pthread_rwlock_wrlock(&b->lock);
    for (int i = 0; i < b->n; i++)
        if (b->subs[i].id == id) {
            b->subs[i] = b->subs[--b->n];
            break;
        }
    pthread_rwlock_unlock(&b->lock);
}

void sw_bus_publish(sw_bus *b, sw_event *ev)
{
    if (!b || !ev) return;
    pthread_rwlock_rdlock(&b->lock);
    for (int i = 0; i < b->n; i++) b->subs[i].fn(b->subs[i].arg, ev);
    pthread_rwlock_unlock(&b->lock);
}

int sw_bus_publish_ephemeral(sw_bus *b, const char *tenant_id, const char *room_id, const char *type,
                             const char *sender_id, json_t *content)
{
    if (!content) return -1;
    char id[40], ts[40];
    sw_id_new(id);
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    json_t *wire = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o}", "type", type, "id", id, "room_id",
                             room_id ? room_id : "", "tenant_id", tenant_id, "ts", ts, "stream_position", 0,
                             "content", content);
    if (!wire) return -1;
    if (sender_id) json_object_set_new(wire, "sender_id", json_string(sender_id));
    sw_event *ev = sw_event_new(tenant_id, room_id, type, 0, wire);
    json_decref(wire);
    if (!ev) return -1;
    sw_bus_publish(b, ev);
    sw_event_unref(ev);
    return 0;
}
