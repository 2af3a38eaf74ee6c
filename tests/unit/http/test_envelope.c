/* test_envelope: the API's success and error envelopes, the error-code table, JSON body parsing
 * with line/column, and the typed field readers' 422s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/sw_http.h"

#include <stdlib.h>
#include <string.h>

static json_t *parse(sw_resp *r)
{
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_data_envelope(void **state)
{
    (void)state;
    sw_resp r = {0};
    sw_resp_data(&r, 201, json_pack("{s:s}", "id", "x"), NULL);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.content_type, "application/json; charset=utf-8");
    json_t *j = parse(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "data"), "id")), "x");
    assert_true(json_is_object(json_object_get(j, "meta")));
    json_decref(j);
    free(r.body);
}

static void test_error_envelope_and_table(void **state)
{
    (void)state;
    sw_resp r = {0};
    sw_resp_error(&r, SW_ERR_PLUGIN_NOT_FOUND, json_pack("{s:s}", "id", "a.b"), "no plugin %s", "a.b");
    assert_int_equal(r.status, 404);
    json_t *j = parse(&r);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "SW_PLUGIN_NOT_FOUND");
    assert_string_equal(json_string_value(json_object_get(e, "message")), "no plugin a.b");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "details"), "id")), "a.b");
    assert_null(json_object_get(j, "data"));
    json_decref(j);
    free(r.body);
    for (int i = 0; i < SW_ERR__COUNT; i++) {
        assert_int_equal(strncmp(sw_err_code((sw_err)i), "SW_", 3), 0);
        assert_true(sw_err_status((sw_err)i) >= 400 && sw_err_status((sw_err)i) < 600);
    }
    assert_int_equal(sw_err_status(SW_ERR_AUTH_INVALID_TOKEN), 401);
    assert_int_equal(sw_err_status(SW_ERR_VALIDATION), 422);
    assert_int_equal(sw_err_status(SW_ERR_CONTENT_TOO_LARGE), 413);
    assert_int_equal(sw_err_status(SW_ERR_AI_NO_MODEL), 503);
    assert_string_equal(sw_err_code((sw_err)999), "SW_INTERNAL");
}

static void test_invalid_utf8_message_still_answers(void **state)
{
    (void)state;
    sw_resp r = {0};
    sw_resp_error(&r, SW_ERR_BAD_REQUEST, NULL, "bad \xff\xfe bytes");
    json_t *j = parse(&r);
    assert_int_equal(r.status, 400);
    assert_non_null(json_string_value(json_object_get(json_object_get(j, "error"), "message")));
    json_decref(j);
    free(r.body);
}

static void test_body_parsing(void **state)
{
    (void)state;
    sw_req req = {0};
    sw_resp r = {0};
    req.body = "{\n  \"a\": 1,\n  oops\n}";
    req.body_len = strlen(req.body);
    assert_null(sw_req_json(&req, &r, 0));
    assert_int_equal(r.status, 400);
    json_t *j = parse(&r);
    json_t *d = json_object_get(json_object_get(j, "error"), "details");
    assert_int_equal(json_integer_value(json_object_get(d, "line")), 3);
    assert_true(json_integer_value(json_object_get(d, "column")) > 0);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "line 3"));
    json_decref(j);
    free(r.body);
    memset(&r, 0, sizeof r);
    req.body = "[1]";
    req.body_len = 3;
    assert_null(sw_req_json(&req, &r, 0));
    assert_int_equal(r.status, 400);
    free(r.body);
    memset(&r, 0, sizeof r);
    req.body = "  ";
    req.body_len = 2;
    json_t *empty = sw_req_json(&req, &r, 1);
    assert_non_null(empty);
    json_decref(empty);
    req.body = "{\"a\":1,\"a\":2}";
    req.body_len = strlen(req.body);
    assert_null(sw_req_json(&req, &r, 0)); /* duplicate keys are refused */
    free(r.body);
}

static void test_field_readers(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:i, s:s, s:s, s:b, s:[]}", "n", 5, "s", "hello", "e", "", "b", 1, "arr");
    sw_resp r = {0};
    const char *s;
    assert_int_equal(sw_field_string(&r, o, "n", 1, 10, &s), -1);
    assert_int_equal(r.status, 422);
    json_t *j = parse(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(j, "error"), "details"), "field")), "n");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "got integer"));
    json_decref(j);
    free(r.body);
    memset(&r, 0, sizeof r);
    assert_int_equal(sw_field_string(&r, o, "s", 1, 3, &s), -1); /* too long */
    free(r.body);
    memset(&r, 0, sizeof r);
    assert_int_equal(sw_field_string(&r, o, "e", 1, 10, &s), -1); /* empty but required */
    free(r.body);
    memset(&r, 0, sizeof r);
    assert_int_equal(sw_field_string(&r, o, "missing", 0, 10, &s), 0);
    assert_null(s);
    assert_int_equal(sw_field_string(&r, o, "s", 1, 10, &s), 0);
    assert_string_equal(s, "hello");
    int b = 0, present = 0;
    assert_int_equal(sw_field_bool(&r, o, "b", &b, &present), 0);
    assert_true(b && present);
    const json_t *arr;
    assert_int_equal(sw_field_array(&r, o, "arr", &arr), 0);
    assert_non_null(arr);
    assert_int_equal(sw_field_object(&r, o, "arr", &arr), -1);
    free(r.body);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_envelope),
        cmocka_unit_test(test_error_envelope_and_table),
        cmocka_unit_test(test_invalid_utf8_message_still_answers),
        cmocka_unit_test(test_body_parsing),
        cmocka_unit_test(test_field_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
