/* Unit tests for sw_bus — subscribe/publish/unsubscribe, event refcounts (run under ASan to see
 * that nothing leaks), delivery order with concurrent publishers. The WebSocket endpoint that
 * subscribes to it is tested in tests/unit/http/test_ws.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/sw_id.h"
#include "core/sw_time.h"
#include "events/sw_bus.h"

/* assert_non_null that the compiler also knows does not return on NULL */
#define REQUIRE(p)                                                                                 \
    do {                                                                                           \
        assert_non_null(p);                                                                        \
        if (!(p)) abort();                                                                         \
    } while (0)

/* An event as the room write path builds it: the full wire object. */
static sw_event *mk_event(const char *tenant, const char *room, const char *type, int64_t pos,
                          const char *content_json)
{
    json_t *content = json_loads(content_json, 0, NULL);
    REQUIRE(content);
    char id[SW_ID_LEN + 1];
    json_t *wire = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:o}", "type", type, "id",
                             sw_id_new(id), "room_id", room, "tenant_id", tenant, "ts",
                             "2026-11-25T13:54:21.123Z", "stream_position", (json_int_t)pos,
                             "sender_id", "sender", "content", content);
    REQUIRE(wire);
    sw_event *ev = sw_event_new(tenant, room, type, pos, wire);
    json_decref(wire);
    REQUIRE(ev);
    return ev;
}

/* ---- bus: subscribe / publish / unsubscribe ------------------------------------------------ */

typedef struct {
    int calls;
    int nkept;
    sw_event *kept[64];
} recorder;

static void rec_fn(void *arg, sw_event *ev)
{
    recorder *r = arg;
    r->calls++;
    if (r->nkept < 64) r->kept[r->nkept++] = sw_event_ref(ev);
}

static void rec_release(recorder *r)
{
    for (int i = 0; i < r->nkept; i++) sw_event_unref(r->kept[i]);
    r->nkept = 0;
}

static void test_bus_subscribe_publish_unsubscribe(void **state)
{
    (void)state;
    sw_bus *b = sw_bus_new();
    REQUIRE(b);
    recorder r1 = {0}, r2 = {0};
    int id1 = sw_bus_subscribe(b, rec_fn, &r1);
    int id2 = sw_bus_subscribe(b, rec_fn, &r2);
    assert_true(id1 > 0);
    assert_true(id2 > 0);
    assert_int_not_equal(id1, id2);

    sw_event *e1 = mk_event("t1", "r1", "swp.room.message", 1, "{\"body\":\"one\"}");
    sw_bus_publish(b, e1);
    assert_int_equal(r1.calls, 1);
    assert_int_equal(r2.calls, 1);
    assert_ptr_equal(r1.kept[0], e1); /* the same event, not a copy */
    assert_ptr_equal(r2.kept[0], e1);
    assert_int_equal(e1->refs, 3);

    sw_bus_unsubscribe(b, id1);
    sw_event *e2 = mk_event("t1", "r1", "swp.room.message", 2, "{\"body\":\"two\"}");
    sw_bus_publish(b, e2);
    assert_int_equal(r1.calls, 1);
    assert_int_equal(r2.calls, 2);

    sw_bus_unsubscribe(b, id1);  /* twice: no effect */
    sw_bus_unsubscribe(b, 9999); /* unknown: no effect */
    sw_bus_publish(b, NULL);     /* tolerated */
    sw_bus_publish(NULL, e2);
    assert_int_equal(r2.calls, 2);

    sw_bus_unsubscribe(b, id2);
    sw_bus_publish(b, e2);
    assert_int_equal(r2.calls, 2);

    rec_release(&r1);
    rec_release(&r2);
    assert_int_equal(e1->refs, 1);
    assert_int_equal(e2->refs, 1);
    sw_event_unref(e1);
    sw_event_unref(e2);
    sw_bus_free(b);
}

static void nop_fn(void *arg, sw_event *ev)
{
    (void)ev;
    (*(int *)arg)++;
}

static void test_bus_subscriber_limit(void **state)
{
    (void)state;
    sw_bus *b = sw_bus_new();
    REQUIRE(b);
    int hits = 0, ids[64], n = 0, id;
    while ((id = sw_bus_subscribe(b, nop_fn, &hits)) > 0) {
        assert_true(n < 64);
        ids[n++] = id;
    }
    assert_int_equal(id, -1);
    assert_int_equal(n, 64);
    sw_bus_unsubscribe(b, ids[10]);
    assert_true(sw_bus_subscribe(b, nop_fn, &hits) > 0); /* a freed slot is reused */
    sw_event *ev = mk_event("t", "", "swp.ai.status", 0, "{}");
    sw_bus_publish(b, ev);
    assert_int_equal(hits, 64);
    sw_event_unref(ev);
    sw_bus_free(b);
}

/* ---- events: fields and refcounts ------------------------------------------------------- */

static void *ref_storm(void *arg)
{
    sw_event *ev = arg;
    for (int i = 0; i < 100000; i++) {
        sw_event_ref(ev);
        sw_event_unref(ev);
    }
    return NULL;
}

static void test_event_fields_and_refcounts(void **state)
{
    (void)state;
    json_t *wire = json_pack("{s:s, s:s, s:{s:s}}", "type", "swp.room.message", "room_id", "r",
                             "content", "body", "hé \"x\"");
    sw_event *ev = sw_event_new("tenant", "r", "swp.room.message", 7, wire);
    REQUIRE(ev);
    assert_int_equal(wire->refcount, 1); /* the event keeps the content, not the wire object */
    json_decref(wire);
    assert_int_equal(ev->refs, 1);
    assert_string_equal(ev->tenant_id, "tenant");
    assert_string_equal(ev->room_id, "r");
    assert_string_equal(ev->type, "swp.room.message");
    assert_int_equal(ev->stream_position, 7);
    assert_string_equal(ev->json, "{\"type\":\"swp.room.message\",\"room_id\":\"r\","
                                  "\"content\":{\"body\":\"h\xc3\xa9 \\\"x\\\"\"}}");
    assert_int_equal(ev->len, strlen(ev->json));
    assert_string_equal(json_string_value(json_object_get(ev->content, "body")), "h\xc3\xa9 \"x\"");

    assert_ptr_equal(sw_event_ref(ev), ev);
    assert_int_equal(ev->refs, 2);
    sw_event_unref(ev);
    assert_int_equal(ev->refs, 1);

    pthread_t th[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, ref_storm, ev), 0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    assert_int_equal(ev->refs, 1);
    sw_event_unref(ev); /* freed: ASan reports a leak or a double free otherwise */

    assert_null(sw_event_ref(NULL));
    sw_event_unref(NULL);

    /* over-long ids are cut, not overflowed; a wire object without content has none */
    char longid[100];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = 0;
    json_t *w2 = json_pack("{s:s}", "type", "x");
    sw_event *e2 = sw_event_new(longid, longid, longid, 0, w2);
    json_decref(w2);
    REQUIRE(e2);
    assert_int_equal(strlen(e2->tenant_id), sizeof e2->tenant_id - 1);
    assert_int_equal(strlen(e2->room_id), sizeof e2->room_id - 1);
    assert_int_equal(strlen(e2->type), sizeof e2->type - 1);
    assert_null(e2->content);
    sw_event_unref(e2);

    sw_event *e3 = sw_event_new(NULL, NULL, NULL, 0, NULL); /* nothing to serialise */
    assert_null(e3);
}

/* ---- bus: order with concurrent publishers --------------------------------------------- */

#define ORDER_THREADS 4
#define ORDER_EACH 2000

typedef struct {
    int64_t expect; /* next position */
    int bad;
    int n;
} order_rec;

typedef struct {
    sw_bus *bus;
    pthread_mutex_t *write_lock;
    int64_t *pos;
} order_arg;

static void order_fn(void *arg, sw_event *ev)
{
    order_rec *r = arg; /* publishers are serialised by the write lock: no lock needed here */
    if (ev->stream_position != r->expect) r->bad++;
    r->expect = ev->stream_position + 1;
    r->n++;
}

static void *order_publisher(void *arg)
{
    order_arg *a = arg;
    for (int i = 0; i < ORDER_EACH; i++) {
        /* like the room write path: assign the position and publish under one lock */
        pthread_mutex_lock(a->write_lock);
        int64_t p = ++*a->pos;
        sw_event *ev = mk_event("t", "r", "swp.room.message", p, "{}");
        sw_bus_publish(a->bus, ev);
        pthread_mutex_unlock(a->write_lock);
        sw_event_unref(ev);
    }
    return NULL;
}

static void test_bus_order_preserved(void **state)
{
    (void)state;
    sw_bus *b = sw_bus_new();
    REQUIRE(b);
    order_rec r1 = {1, 0, 0}, r2 = {1, 0, 0};
    sw_bus_subscribe(b, order_fn, &r1);
    sw_bus_subscribe(b, order_fn, &r2);
    pthread_mutex_t wl = PTHREAD_MUTEX_INITIALIZER;
    int64_t pos = 0;
    order_arg a = {b, &wl, &pos};
    pthread_t th[ORDER_THREADS];
    for (int i = 0; i < ORDER_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, order_publisher, &a), 0);
    for (int i = 0; i < ORDER_THREADS; i++) pthread_join(th[i], NULL);
    assert_int_equal(r1.n, ORDER_THREADS * ORDER_EACH);
    assert_int_equal(r2.n, ORDER_THREADS * ORDER_EACH);
    assert_int_equal(r1.bad, 0);
    assert_int_equal(r2.bad, 0);
    sw_bus_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bus_subscribe_publish_unsubscribe),
        cmocka_unit_test(test_bus_subscriber_limit),
        cmocka_unit_test(test_event_fields_and_refcounts),
        cmocka_unit_test(test_bus_order_preserved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
