/* test_secret_columns: the AI's api_key at rest through the repository — stored sealed with the
 * store's secret box and opened by sw_model_config_get (what the AI client sends), legacy clear
 * values sealed by sw_model_configs_seal_all, a rotation (new key, old one still accepted)
 * reseals them, and with a key that cannot open it the value reads as unset, is reported, and is
 * written back unchanged when the AI's other settings change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

#include "core/sw_secretbox.h"
#include "store/sw_ai_repo.h"
#include "store/sw_migrate.h"
#include "store/sw_repo.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static sw_db *db;
static sw_tenant tenant;
static sw_participant ai;

static int setup(void **state)
{
    (void)state;
    db = sw_test_store_open(dir, "seccol");
    if (!db) return -1;
    if (sw_tenant_create(db, "t", "T", &tenant) != SW_REPO_OK) return -1;
    return sw_participant_create(db, tenant.id, "bot", "Bot", "model", "member", NULL, &ai) == SW_REPO_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return sw_test_store_close(db, dir);
}

/* The api_key column as stored. */
static void stored_key(char *out, size_t len)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT api_key FROM model_configs WHERE participant_id = ?");
    assert_non_null(st);
    sw_stmt_bind_text(st, 1, ai.id);
    assert_int_equal(sw_stmt_step(st), SW_DB_ROW);
    snprintf(out, len, "%s", sw_stmt_text(st, 0) ? sw_stmt_text(st, 0) : "");
    sw_stmt_finish(st);
}

static void put_key(const char *model, const char *key)
{
    sw_model_config m;
    memset(&m, 0, sizeof m);
    snprintf(m.participant_id, sizeof m.participant_id, "%s", ai.id);
    snprintf(m.tenant_id, sizeof m.tenant_id, "%s", tenant.id);
    snprintf(m.model, sizeof m.model, "%s", model);
    snprintf(m.api_key, sizeof m.api_key, "%s", key);
    m.temperature_milli = -1;
    assert_int_equal(sw_model_config_put(db, &m), SW_REPO_OK);
}

static sw_secretbox *box(uint8_t key[SW_SECRETBOX_KEY_BYTES])
{
    randombytes_buf(key, SW_SECRETBOX_KEY_BYTES);
    return sw_secretbox_new(key);
}

static void test_api_key_sealed_rotated_and_unreadable(void **state)
{
    (void)state;
    uint8_t ka[SW_SECRETBOX_KEY_BYTES], kb[SW_SECRETBOX_KEY_BYTES], kc[SW_SECRETBOX_KEY_BYTES];
    sw_secretbox *a = box(ka), *b = box(kb), *c = box(kc);
    char raw[1100];
    sw_model_config m;

    /* without a box (an older server): stored as given; a box seals it on the next pass */
    sw_db_set_secretbox(db, NULL);
    put_key("m", "sk-legacy-1");
    stored_key(raw, sizeof raw);
    assert_string_equal(raw, "sk-legacy-1");
    sw_db_set_secretbox(db, a);
    int changed, unreadable;
    assert_int_equal(sw_model_configs_seal_all(db, &changed, &unreadable), SW_REPO_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(unreadable, 0);
    stored_key(raw, sizeof raw);
    assert_true(sw_secretbox_is_current(a, raw));
    assert_int_equal(sw_model_config_get(db, tenant.id, ai.id, &m), SW_REPO_OK);
    assert_string_equal(m.api_key, "sk-legacy-1"); /* what the AI client sends */
    sw_model_config_fini(&m);

    /* a new value is sealed on write */
    put_key("m", "sk-live-2");
    stored_key(raw, sizeof raw);
    assert_true(sw_secretbox_is_current(a, raw));
    assert_null(strstr(raw, "sk-live-2"));

    /* rotation: b seals, a still opens; afterwards b alone reads it */
    assert_int_equal(sw_secretbox_accept(b, ka), 0);
    sw_db_set_secretbox(db, b);
    assert_int_equal(sw_model_configs_seal_all(db, &changed, &unreadable), SW_REPO_OK);
    assert_int_equal(changed, 1);
    sw_secretbox *b_only = sw_secretbox_new(kb);
    sw_db_set_secretbox(db, b_only);
    assert_int_equal(sw_model_config_get(db, tenant.id, ai.id, &m), SW_REPO_OK);
    assert_string_equal(m.api_key, "sk-live-2");
    assert_int_equal(m.api_key_unreadable, 0);
    sw_model_config_fini(&m);

    /* a key that cannot open it: unset and reported, and kept through an update */
    sw_db_set_secretbox(db, c);
    stored_key(raw, sizeof raw);
    assert_int_equal(sw_model_configs_seal_all(db, &changed, &unreadable), SW_REPO_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(unreadable, 1);
    assert_int_equal(sw_model_config_get(db, tenant.id, ai.id, &m), SW_REPO_OK);
    assert_string_equal(m.api_key, "");
    assert_int_equal(m.api_key_unreadable, 1);
    json_t *j = sw_model_config_json(&m);
    assert_true(json_is_true(json_object_get(j, "api_key_unreadable")));
    assert_true(json_is_true(json_object_get(j, "has_api_key")));
    json_decref(j);
    snprintf(m.model, sizeof m.model, "other-model");
    assert_int_equal(sw_model_config_put(db, &m), SW_REPO_OK);
    sw_model_config_fini(&m);
    char after[1100];
    stored_key(after, sizeof after);
    assert_string_equal(after, raw);

    sw_db_set_secretbox(db, NULL);
    sw_secretbox_free(a);
    sw_secretbox_free(b);
    sw_secretbox_free(b_only);
    sw_secretbox_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_key_sealed_rotated_and_unreadable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
