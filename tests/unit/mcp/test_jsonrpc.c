/* Unit tests for sw_jsonrpc: what each kind of message classifies as, why a malformed one is
 * refused, and that the builders' output classifies back to what was built. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mcp/sw_jsonrpc.h"

static sw_rpc_kind kind_of(const char *text, sw_rpc_msg *m, json_t **keep)
{
    char err[128];
    json_t *v = sw_rpc_parse(text, strlen(text), err, sizeof err);
    assert_non_null(v);
    sw_rpc_kind k = sw_rpc_classify(v, m);
    *keep = v;
    return k;
}

static void test_the_four_kinds(void **state)
{
    (void)state;
    sw_rpc_msg m;
    json_t *v;
    assert_int_equal(kind_of("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\",\"params\":{}}", &m, &v), SW_RPC_REQUEST);
    assert_string_equal(m.method, "tools/list");
    assert_int_equal(json_integer_value(m.id), 7);
    json_decref(v);
    assert_int_equal(kind_of("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &m, &v), SW_RPC_NOTIFICATION);
    assert_null(m.id);
    assert_null(m.params);
    json_decref(v);
    assert_int_equal(kind_of("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":{\"a\":1}}", &m, &v), SW_RPC_RESULT);
    assert_string_equal(json_string_value(m.id), "x");
    json_decref(v);
    assert_int_equal(kind_of("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32601,\"message\":\"nope\"}}", &m, &v), SW_RPC_ERROR);
    assert_true(json_is_null(m.id));
    assert_int_equal(m.error_code, -32601);
    assert_string_equal(m.error_message, "nope");
    json_decref(v);
}

static void test_malformed_messages_say_why(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{\"id\":1,\"method\":\"ping\"}",                             /* no jsonrpc */
        "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}",          /* wrong version */
        "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}",        /* fractional id */
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}",       /* null id in a request */
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}",              /* empty method */
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}",                 /* method not a string */
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":3}", /* params scalar */
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"result\":{}}", /* both */
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{\"code\":1}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":\"no code\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1}",
        "[1,2]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sw_rpc_msg m;
        json_t *v;
        assert_int_equal(kind_of(bad[i], &m, &v), SW_RPC_INVALID);
        assert_non_null(m.reason);
        assert_true(strlen(m.reason) > 0);
        json_decref(v);
    }
}

static void test_parse_errors_and_trailing_bytes(void **state)
{
    (void)state;
    char err[128] = "";
    assert_null(sw_rpc_parse("{\"jsonrpc\":", 11, err, sizeof err));
    assert_true(strlen(err) > 0);
    assert_null(sw_rpc_parse("{} {}", 5, err, sizeof err));
    assert_null(sw_rpc_parse("{\"a\":\"\\u0000\"}", 14, err, sizeof err));
    assert_null(sw_rpc_parse(NULL, 0, NULL, 0));
    /* a bad token holding invalid UTF-8: the reason quotes it ASCII-only, so an error can carry it
     * (found by fuzz_mcp_serve: the 400 answer had no body) */
    static const char bad[] = "{\"cursor\":\"o1\340}}";
    assert_null(sw_rpc_parse(bad, sizeof bad - 1, err, sizeof err));
    for (const char *p = err; *p; p++) assert_true((unsigned char)*p < 0x80);
    json_t *e = sw_rpc_error(NULL, SW_RPC_PARSE_ERROR, err, NULL);
    assert_non_null(e);
    json_decref(e);
    e = sw_rpc_error(NULL, SW_RPC_PARSE_ERROR, "bad \340 byte", NULL);
    assert_non_null(e);
    json_decref(e);
}

static void test_builders_round_trip_on_one_line(void **state)
{
    (void)state;
    json_t *id = json_integer(42);
    json_t *msgs[] = {
        sw_rpc_request(id, "tools/call", json_pack("{s:s,s:{s:s}}", "name", "greet", "arguments", "name", "a\nb")),
        sw_rpc_notification("notifications/cancelled", json_pack("{s:i}", "requestId", 42)),
        sw_rpc_result(id, NULL),
        sw_rpc_error(NULL, SW_RPC_PARSE_ERROR, "Parse error", NULL),
    };
    sw_rpc_kind want[] = {SW_RPC_REQUEST, SW_RPC_NOTIFICATION, SW_RPC_RESULT, SW_RPC_ERROR};
    for (int i = 0; i < 4; i++) {
        assert_non_null(msgs[i]);
        size_t len;
        char *line = sw_rpc_dump(msgs[i], &len);
        assert_non_null(line);
        assert_null(memchr(line, '\n', len));
        json_t *back = sw_rpc_parse(line, len, NULL, 0);
        sw_rpc_msg m;
        assert_int_equal(sw_rpc_classify(back, &m), want[i]);
        json_decref(back);
        free(line);
        json_decref(msgs[i]);
    }
    json_decref(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_four_kinds),
        cmocka_unit_test(test_malformed_messages_say_why),
        cmocka_unit_test(test_parse_errors_and_trailing_bytes),
        cmocka_unit_test(test_builders_round_trip_on_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
