/* test_room_policy: the room rules as pure functions (sw_room_policy) — the membership enum and
 * its stored spelling, who may invite, kick, set a power level, change settings or join, what an
 * invitation makes of a person or an AI, and which membership transitions exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rooms/sw_room_policy.h"

#include <string.h>

static void test_membership_spelling_round_trips(void **state)
{
    (void)state;
    const sw_membership all[] = {SW_MEMBERSHIP_NONE, SW_MEMBERSHIP_INVITE, SW_MEMBERSHIP_JOIN, SW_MEMBERSHIP_LEAVE};
    const char *names[] = {"", "invite", "join", "leave"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(sw_membership_name(all[i]), names[i]);
        sw_membership m = (sw_membership)-1;
        assert_int_equal(sw_membership_parse(names[i], &m), 0);
        assert_int_equal(m, all[i]);
    }
    sw_membership m = SW_MEMBERSHIP_JOIN;
    assert_int_equal(sw_membership_parse(NULL, &m), 0);
    assert_int_equal(m, SW_MEMBERSHIP_NONE);
    assert_int_equal(sw_membership_parse("ban", &m), -1);
    assert_int_equal(sw_membership_parse("JOIN", &m), -1);
    assert_string_equal(sw_membership_name((sw_membership)42), "");
}

static void test_who_may_invite_and_change_settings(void **state)
{
    (void)state;
    assert_true(sw_room_may_invite(SW_MEMBERSHIP_JOIN, 50));
    assert_true(sw_room_may_invite(SW_MEMBERSHIP_JOIN, 100));
    assert_false(sw_room_may_invite(SW_MEMBERSHIP_JOIN, 49));
    assert_false(sw_room_may_invite(SW_MEMBERSHIP_JOIN, 0));
    /* power without being joined counts for nothing */
    assert_false(sw_room_may_invite(SW_MEMBERSHIP_INVITE, 100));
    assert_false(sw_room_may_invite(SW_MEMBERSHIP_LEAVE, 100));
    assert_false(sw_room_may_invite(SW_MEMBERSHIP_NONE, 100));
    assert_true(sw_room_may_change_settings(SW_MEMBERSHIP_JOIN, 50));
    assert_false(sw_room_may_change_settings(SW_MEMBERSHIP_JOIN, 49));
    assert_false(sw_room_may_change_settings(SW_MEMBERSHIP_LEAVE, 100));
}

static void test_who_may_kick(void **state)
{
    (void)state;
    assert_true(sw_room_may_kick(SW_MEMBERSHIP_JOIN, 50, SW_MEMBERSHIP_JOIN, 0));
    assert_true(sw_room_may_kick(SW_MEMBERSHIP_JOIN, 100, SW_MEMBERSHIP_JOIN, 50));
    assert_true(sw_room_may_kick(SW_MEMBERSHIP_JOIN, 50, SW_MEMBERSHIP_INVITE, 0)); /* withdraw an invitation */
    assert_false(sw_room_may_kick(SW_MEMBERSHIP_JOIN, 49, SW_MEMBERSHIP_JOIN, 0));  /* too little power */
    assert_false(sw_room_may_kick(SW_MEMBERSHIP_JOIN, 50, SW_MEMBERSHIP_JOIN, 50)); /* an equal */
    assert_false(sw_room_may_kick(SW_MEMBERSHIP_JOIN, 50, SW_MEMBERSHIP_JOIN, 100)); /* a superior */
    assert_false(sw_room_may_kick(SW_MEMBERSHIP_JOIN, 100, SW_MEMBERSHIP_LEAVE, 0)); /* not in the room */
    assert_false(sw_room_may_kick(SW_MEMBERSHIP_JOIN, 100, SW_MEMBERSHIP_NONE, 0));
    assert_false(sw_room_may_kick(SW_MEMBERSHIP_LEAVE, 100, SW_MEMBERSHIP_JOIN, 0)); /* the actor left */
}

static void test_who_may_set_power(void **state)
{
    (void)state;
    /* an admin raises a member up to its own level, never past it */
    assert_true(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 100, 0, SW_MEMBERSHIP_JOIN, 0, 50));
    assert_true(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 100, 0, SW_MEMBERSHIP_JOIN, 50, 100));
    assert_true(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 100, 0, SW_MEMBERSHIP_INVITE, 0, 50));
    assert_false(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 100, 0, SW_MEMBERSHIP_JOIN, 0, 101));
    assert_false(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 100, 0, SW_MEMBERSHIP_JOIN, 0, -1));
    /* not another admin, not someone outside the room, not with moderator power */
    assert_false(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 100, 0, SW_MEMBERSHIP_JOIN, 100, 0));
    assert_false(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 100, 0, SW_MEMBERSHIP_LEAVE, 0, 50));
    assert_false(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 50, 0, SW_MEMBERSHIP_JOIN, 0, 50));
    assert_false(sw_room_may_set_power(SW_MEMBERSHIP_INVITE, 100, 0, SW_MEMBERSHIP_JOIN, 0, 50));
    /* anyone joined steps down; nobody steps up */
    assert_true(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 100, 1, SW_MEMBERSHIP_JOIN, 100, 0));
    assert_true(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 50, 1, SW_MEMBERSHIP_JOIN, 50, 50));
    assert_false(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 0, 1, SW_MEMBERSHIP_JOIN, 0, 50));
    assert_false(sw_room_may_set_power(SW_MEMBERSHIP_JOIN, 50, 1, SW_MEMBERSHIP_JOIN, 50, 100));
}

static void test_join_is_accepting_an_invitation(void **state)
{
    (void)state;
    assert_int_equal(sw_room_join_verdict(SW_MEMBERSHIP_INVITE), SW_JOIN_ACCEPT);
    assert_int_equal(sw_room_join_verdict(SW_MEMBERSHIP_JOIN), SW_JOIN_ALREADY);
    assert_int_equal(sw_room_join_verdict(SW_MEMBERSHIP_NONE), SW_JOIN_REFUSED);
    assert_int_equal(sw_room_join_verdict(SW_MEMBERSHIP_LEAVE), SW_JOIN_REFUSED);
}

static void test_an_invitation_lets_ais_join_and_people_accept(void **state)
{
    (void)state;
    assert_int_equal(sw_room_invite_result("model"), SW_MEMBERSHIP_JOIN);
    assert_int_equal(sw_room_invite_result("human"), SW_MEMBERSHIP_INVITE);
    assert_int_equal(sw_room_invite_result(""), SW_MEMBERSHIP_INVITE);
    assert_int_equal(sw_room_invite_result(NULL), SW_MEMBERSHIP_INVITE);
}

static void test_membership_transitions(void **state)
{
    (void)state;
    /* by the participant itself: accept, leave, decline — never invite itself or join uninvited */
    assert_true(sw_membership_may_move(SW_MEMBERSHIP_INVITE, SW_MEMBERSHIP_JOIN, 1));
    assert_false(sw_membership_may_move(SW_MEMBERSHIP_NONE, SW_MEMBERSHIP_JOIN, 1));
    assert_false(sw_membership_may_move(SW_MEMBERSHIP_LEAVE, SW_MEMBERSHIP_JOIN, 1));
    assert_false(sw_membership_may_move(SW_MEMBERSHIP_JOIN, SW_MEMBERSHIP_JOIN, 1));
    assert_true(sw_membership_may_move(SW_MEMBERSHIP_JOIN, SW_MEMBERSHIP_LEAVE, 1));
    assert_true(sw_membership_may_move(SW_MEMBERSHIP_INVITE, SW_MEMBERSHIP_LEAVE, 1));
    assert_false(sw_membership_may_move(SW_MEMBERSHIP_LEAVE, SW_MEMBERSHIP_LEAVE, 1));
    assert_false(sw_membership_may_move(SW_MEMBERSHIP_NONE, SW_MEMBERSHIP_INVITE, 1));
    assert_false(sw_membership_may_move(SW_MEMBERSHIP_JOIN, SW_MEMBERSHIP_NONE, 1));
    /* by another member: invite (again), bring an AI in, kick */
    assert_true(sw_membership_may_move(SW_MEMBERSHIP_NONE, SW_MEMBERSHIP_INVITE, 0));
    assert_true(sw_membership_may_move(SW_MEMBERSHIP_LEAVE, SW_MEMBERSHIP_INVITE, 0));
    assert_true(sw_membership_may_move(SW_MEMBERSHIP_INVITE, SW_MEMBERSHIP_INVITE, 0));
    assert_false(sw_membership_may_move(SW_MEMBERSHIP_JOIN, SW_MEMBERSHIP_INVITE, 0));
    assert_true(sw_membership_may_move(SW_MEMBERSHIP_NONE, SW_MEMBERSHIP_JOIN, 0));
    assert_true(sw_membership_may_move(SW_MEMBERSHIP_INVITE, SW_MEMBERSHIP_JOIN, 0));
    assert_false(sw_membership_may_move(SW_MEMBERSHIP_JOIN, SW_MEMBERSHIP_JOIN, 0));
    assert_true(sw_membership_may_move(SW_MEMBERSHIP_JOIN, SW_MEMBERSHIP_LEAVE, 0));
    assert_true(sw_membership_may_move(SW_MEMBERSHIP_INVITE, SW_MEMBERSHIP_LEAVE, 0));
    assert_false(sw_membership_may_move(SW_MEMBERSHIP_NONE, SW_MEMBERSHIP_LEAVE, 0));
    assert_false(sw_membership_may_move(SW_MEMBERSHIP_LEAVE, SW_MEMBERSHIP_NONE, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_membership_spelling_round_trips),
        cmocka_unit_test(test_who_may_invite_and_change_settings),
        cmocka_unit_test(test_who_may_kick),
        cmocka_unit_test(test_who_may_set_power),
        cmocka_unit_test(test_join_is_accepting_an_invitation),
        cmocka_unit_test(test_an_invitation_lets_ais_join_and_people_accept),
        cmocka_unit_test(test_membership_transitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
