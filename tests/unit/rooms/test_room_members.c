/* test_room_members: membership in the rooms service against a real store — a room's creator
 * joins as its admin; inviting needs power 50 and a participant of the tenant; an AI joins when
 * invited, a person is invited and accepts by joining; the room is invite-only; leaving keeps
 * the power level; each change is stored with its swp.room.member event (the enum's spelling)
 * and the remembered membership follows it; settings need power 50; other tenants see nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "events/sw_bus.h"
#include "rooms/sw_room_service.h"
#include "store/sw_ai_repo.h"
#include "store/sw_db.h"
#include "store/sw_migrate.h"
#include "store/sw_repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char dir[64];
    sw_db *db;
    sw_bus *bus;
    sw_rooms rooms;
    sw_tenant t, other;
    sw_participant boss, mia, bob, ai, stranger;
    sw_room room;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sw-members-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    char url[128], err[256];
    snprintf(url, sizeof url, "sqlite:%s/t.db", f->dir);
    f->db = sw_db_open(url, err, sizeof err);
    if (!f->db || sw_migrate(f->db, err, sizeof err) < 0) return -1;
    f->bus = sw_bus_new();
    if (!f->bus || sw_rooms_init(&f->rooms, f->db, f->bus, NULL, NULL) != 0) return -1;
    if (sw_tenant_create(f->db, "t1", "T1", &f->t) != SW_REPO_OK ||
        sw_tenant_create(f->db, "t2", "T2", &f->other) != SW_REPO_OK ||
        sw_participant_create(f->db, f->t.id, "boss", "Boss", "human", "member", NULL, &f->boss) ||
        sw_participant_create(f->db, f->t.id, "mia", "Mia", "human", "member", NULL, &f->mia) ||
        sw_participant_create(f->db, f->t.id, "bob", "Bob", "human", "member", NULL, &f->bob) ||
        sw_participant_create(f->db, f->t.id, "helper", "Helper", "model", "member", NULL, &f->ai) ||
        sw_participant_create(f->db, f->other.id, "eve", "Eve", "human", "member", NULL, &f->stranger))
        return -1;
    if (sw_rooms_create(&f->rooms, f->t.id, "group", "r", NULL, f->boss.id, &f->room) != 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sw_rooms_fini(&f->rooms);
    sw_bus_free(f->bus);
    sw_db_close(f->db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static sw_membership member_of(fx *f, const sw_participant *p, int *power)
{
    sw_membership m = (sw_membership)-1;
    assert_int_equal(sw_rooms_member(&f->rooms, f->t.id, f->room.id, p->id, &m, power), SW_REPO_OK);
    return m;
}

/* The room's newest event; its count of events in *n. */
static json_t *last_event(fx *f, size_t *n)
{
    int more = 0;
    json_t *page = sw_rooms_history(&f->rooms, f->t.id, f->room.id, 0, 0, 1000, &more);
    assert_non_null(page);
    *n = json_array_size(page);
    json_t *ev = json_incref(json_array_get(page, 0)); /* "back": newest first */
    json_decref(page);
    return ev;
}

static void assert_member_event(fx *f, size_t expect_count, const char *sender, const sw_participant *who,
                                const char *membership, int power)
{
    size_t n = 0;
    json_t *ev = last_event(f, &n);
    assert_int_equal(n, expect_count);
    assert_non_null(ev);
    assert_string_equal(json_string_value(json_object_get(ev, "event_type")), "swp.room.member");
    assert_string_equal(json_string_value(json_object_get(ev, "sender_id")), sender);
    json_t *c = json_object_get(ev, "content");
    assert_string_equal(json_string_value(json_object_get(c, "participant_id")), who->id);
    assert_string_equal(json_string_value(json_object_get(c, "membership")), membership);
    assert_int_equal(json_integer_value(json_object_get(c, "power_level")), power);
    json_decref(ev);
}

static size_t event_count(fx *f)
{
    size_t n = 0;
    json_decref(last_event(f, &n));
    return n;
}

static void test_the_creator_joins_as_admin(void **state)
{
    fx *f = *state;
    int power = -1;
    assert_int_equal(member_of(f, &f->boss, &power), SW_MEMBERSHIP_JOIN);
    assert_int_equal(power, SW_POWER_ADMIN);
    assert_int_equal(member_of(f, &f->mia, NULL), SW_MEMBERSHIP_NONE);
    assert_member_event(f, 1, f->boss.id, &f->boss, "join", 100);
    char m[8] = "x";
    assert_int_equal(sw_rooms_membership(&f->rooms, f->t.id, f->room.id, f->boss.id, m, &power), SW_REPO_OK);
    assert_string_equal(m, "join");
}

static void test_a_person_is_invited_then_accepts(void **state)
{
    fx *f = *state;
    sw_room_actor boss = {f->boss.id, SW_MEMBERSHIP_JOIN, 100};
    assert_int_equal(member_of(f, &f->mia, NULL), SW_MEMBERSHIP_NONE); /* remembered now */
    assert_int_equal(sw_rooms_invite(&f->rooms, f->t.id, f->room.id, &boss, f->mia.id), SW_ROOM_OK);
    int power = -1;
    assert_int_equal(member_of(f, &f->mia, &power), SW_MEMBERSHIP_INVITE); /* the change was not hidden */
    assert_int_equal(power, SW_POWER_MEMBER);
    assert_member_event(f, 2, f->boss.id, &f->mia, "invite", 0);
    /* inviting again repeats the invitation; joining accepts it, once */
    assert_int_equal(sw_rooms_invite(&f->rooms, f->t.id, f->room.id, &boss, f->mia.id), SW_ROOM_OK);
    assert_member_event(f, 3, f->boss.id, &f->mia, "invite", 0);
    assert_int_equal(sw_rooms_join(&f->rooms, f->t.id, f->room.id, f->mia.id), SW_ROOM_OK);
    assert_int_equal(member_of(f, &f->mia, NULL), SW_MEMBERSHIP_JOIN);
    assert_member_event(f, 4, f->mia.id, &f->mia, "join", 0);
    assert_int_equal(sw_rooms_join(&f->rooms, f->t.id, f->room.id, f->mia.id), SW_ROOM_OK);
    assert_int_equal(sw_rooms_invite(&f->rooms, f->t.id, f->room.id, &boss, f->mia.id), SW_ROOM_OK);
    assert_int_equal(event_count(f), 4); /* joined already: nothing changed */
    assert_int_equal(member_of(f, &f->mia, NULL), SW_MEMBERSHIP_JOIN);
}

static void test_the_room_is_invite_only(void **state)
{
    fx *f = *state;
    assert_int_equal(sw_rooms_join(&f->rooms, f->t.id, f->room.id, f->bob.id), SW_ROOM_REFUSED);
    assert_int_equal(member_of(f, &f->bob, NULL), SW_MEMBERSHIP_NONE);
    assert_int_equal(sw_rooms_leave(&f->rooms, f->t.id, f->room.id, f->bob.id), SW_ROOM_REFUSED);
    assert_int_equal(event_count(f), 1);
}

static void test_inviting_needs_power_and_a_participant_of_the_tenant(void **state)
{
    fx *f = *state;
    sw_room_actor boss = {f->boss.id, SW_MEMBERSHIP_JOIN, 100};
    assert_int_equal(sw_rooms_invite(&f->rooms, f->t.id, f->room.id, &boss, f->mia.id), SW_ROOM_OK);
    assert_int_equal(sw_rooms_join(&f->rooms, f->t.id, f->room.id, f->mia.id), SW_ROOM_OK);
    sw_room_actor mia = {f->mia.id, SW_MEMBERSHIP_JOIN, 0};
    assert_int_equal(sw_rooms_invite(&f->rooms, f->t.id, f->room.id, &mia, f->bob.id), SW_ROOM_FORBIDDEN);
    sw_room_actor mod = {f->mia.id, SW_MEMBERSHIP_JOIN, 49};
    assert_int_equal(sw_rooms_invite(&f->rooms, f->t.id, f->room.id, &mod, f->bob.id), SW_ROOM_FORBIDDEN);
    assert_int_equal(member_of(f, &f->bob, NULL), SW_MEMBERSHIP_NONE);
    size_t before = event_count(f);
    assert_int_equal(sw_rooms_invite(&f->rooms, f->t.id, f->room.id, &boss, "no-such-participant"),
                     SW_ROOM_NO_PARTICIPANT);
    /* another tenant's participant does not exist here */
    assert_int_equal(sw_rooms_invite(&f->rooms, f->t.id, f->room.id, &boss, f->stranger.id), SW_ROOM_NO_PARTICIPANT);
    assert_int_equal(event_count(f), before);
    /* and another tenant does not see the room */
    sw_membership m;
    assert_int_equal(sw_rooms_member(&f->rooms, f->other.id, f->room.id, f->stranger.id, &m, NULL), SW_REPO_NOT_FOUND);
    sw_room room;
    assert_int_equal(sw_rooms_get_for(&f->rooms, f->other.id, f->room.id, f->stranger.id, &room, &m, NULL),
                     SW_REPO_NOT_FOUND);
}

static void test_an_invited_ai_joins_at_once(void **state)
{
    fx *f = *state;
    sw_room_actor boss = {f->boss.id, SW_MEMBERSHIP_JOIN, 100};
    assert_int_equal(sw_rooms_invite(&f->rooms, f->t.id, f->room.id, &boss, f->ai.id), SW_ROOM_OK);
    assert_int_equal(member_of(f, &f->ai, NULL), SW_MEMBERSHIP_JOIN);
    assert_member_event(f, 2, f->boss.id, &f->ai, "join", 0);
}

static void test_bringing_an_ai_in_is_inviting_it(void **state)
{
    fx *f = *state;
    sw_room_actor weak = {f->mia.id, SW_MEMBERSHIP_JOIN, 0};
    assert_int_equal(sw_rooms_bring_ai(&f->rooms, f->t.id, f->room.id, &weak, f->ai.id), SW_ROOM_FORBIDDEN);
    assert_int_equal(member_of(f, &f->ai, NULL), SW_MEMBERSHIP_NONE);
    /* an AI left invited joins for any member */
    assert_int_equal(sw_rooms_set_member(&f->rooms, f->t.id, f->room.id, f->boss.id, f->ai.id, SW_MEMBERSHIP_INVITE, 0),
                     0);
    assert_int_equal(sw_rooms_bring_ai(&f->rooms, f->t.id, f->room.id, &weak, f->ai.id), SW_ROOM_OK);
    assert_int_equal(member_of(f, &f->ai, NULL), SW_MEMBERSHIP_JOIN);
    assert_member_event(f, 3, f->mia.id, &f->ai, "join", 0);
    assert_int_equal(sw_rooms_bring_ai(&f->rooms, f->t.id, f->room.id, &weak, f->ai.id), SW_ROOM_OK);
    assert_int_equal(event_count(f), 3);
}

static void test_leaving_keeps_the_power_level_and_needs_a_new_invitation(void **state)
{
    fx *f = *state;
    assert_int_equal(sw_rooms_leave(&f->rooms, f->t.id, f->room.id, f->boss.id), SW_ROOM_OK);
    int power = -1;
    assert_int_equal(member_of(f, &f->boss, &power), SW_MEMBERSHIP_LEAVE);
    assert_int_equal(power, 100);
    assert_member_event(f, 2, f->boss.id, &f->boss, "leave", 100);
    assert_int_equal(sw_rooms_leave(&f->rooms, f->t.id, f->room.id, f->boss.id), SW_ROOM_REFUSED);
    assert_int_equal(sw_rooms_join(&f->rooms, f->t.id, f->room.id, f->boss.id), SW_ROOM_REFUSED);
    assert_int_equal(event_count(f), 2);
}

static void test_settings_need_power_50(void **state)
{
    fx *f = *state;
    sw_room_actor weak = {f->mia.id, SW_MEMBERSHIP_JOIN, 49};
    sw_room_actor mod = {f->mia.id, SW_MEMBERSHIP_JOIN, 50};
    assert_int_equal(sw_rooms_set_ai_mode(&f->rooms, f->t.id, f->room.id, &weak, "always"), SW_ROOM_FORBIDDEN);
    assert_int_equal(sw_rooms_set_ai_prompt(&f->rooms, f->t.id, f->room.id, &weak, "be terse"), SW_ROOM_FORBIDDEN);
    char mode[12] = "";
    char *prompt = NULL;
    assert_int_equal(sw_room_ai_get(f->db, f->t.id, f->room.id, mode, &prompt), SW_REPO_OK);
    assert_string_equal(mode, "mention"); /* a group room's default, unchanged */
    assert_null(prompt);
    assert_int_equal(sw_rooms_set_ai_mode(&f->rooms, f->t.id, f->room.id, &mod, "always"), SW_ROOM_OK);
    assert_int_equal(sw_rooms_set_ai_prompt(&f->rooms, f->t.id, f->room.id, &mod, "be terse"), SW_ROOM_OK);
    json_t *view = sw_rooms_view(&f->rooms, f->t.id, &f->room);
    assert_string_equal(json_string_value(json_object_get(view, "ai_mode")), "always");
    assert_string_equal(json_string_value(json_object_get(view, "ai_system_prompt")), "be terse");
    assert_int_equal(json_integer_value(json_object_get(view, "member_count")), 1);
    json_decref(view);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_creator_joins_as_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_person_is_invited_then_accepts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_room_is_invite_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inviting_needs_power_and_a_participant_of_the_tenant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_invited_ai_joins_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bringing_an_ai_in_is_inviting_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaving_keeps_the_power_level_and_needs_a_new_invitation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settings_need_power_50, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
