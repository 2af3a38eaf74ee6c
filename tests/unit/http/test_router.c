/* test_router: route matching with path parameters, 404 vs 405 with the allowed methods, HEAD
 * as GET, and paths that must not match (extra segments, empty parameters, "..", a trailing
 * slash). Runs over the application's real route table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/sw_router.h"

#include <string.h>

static sw_route_status match(const char *method, const char *path, sw_req *req, const sw_route **r, char *allow)
{
    static char scratch[4096];
    memset(req, 0, sizeof *req);
    return sw_router_match(sw_routes, sw_routes_count, method, path, req, scratch, r, allow, 128);
}

static void test_literal_and_params(void **state)
{
    (void)state;
    sw_req req;
    const sw_route *r = NULL;
    char allow[128];
    assert_int_equal(match("GET", "/healthz", &req, &r, allow), SW_ROUTE_FOUND);
    assert_string_equal(r->pattern, "/healthz");
    assert_int_equal(match("POST", "/v1/admin/plugins/scaiwave.greeter/enable", &req, &r, allow), SW_ROUTE_FOUND);
    assert_string_equal(r->pattern, "/v1/admin/plugins/{plugin_id}/enable");
    assert_string_equal(sw_req_param(&req, "plugin_id"), "scaiwave.greeter");
    assert_null(sw_req_param(&req, "room_id"));
    assert_int_equal(match("POST", "/v1/rooms/r1/plugins/p.q/toggle", &req, &r, allow), SW_ROUTE_FOUND);
    assert_string_equal(sw_req_param(&req, "room_id"), "r1");
    assert_string_equal(sw_req_param(&req, "plugin_id"), "p.q");
}

static void test_405_lists_allowed_methods(void **state)
{
    (void)state;
    sw_req req;
    const sw_route *r = NULL;
    char allow[128];
    assert_int_equal(match("DELETE", "/v1/me", &req, &r, allow), SW_ROUTE_NO_METHOD);
    assert_string_equal(allow, "GET");
    assert_int_equal(match("DELETE", "/v1/rooms", &req, &r, allow), SW_ROUTE_NO_METHOD);
    assert_string_equal(allow, "POST");
    assert_int_equal(match("HEAD", "/healthz", &req, &r, allow), SW_ROUTE_FOUND);
}

static void test_non_matches(void **state)
{
    (void)state;
    sw_req req;
    const sw_route *r = NULL;
    char allow[128];
    /* "/" is the web app's page (sw_static.c), so it is no longer a non-match */
    const char *paths[] = {"", "/v1", "/v1/me/", "/v1/me/x", "/v1/admin/plugins//enable",
                           "/v1/../v1/me", "/healthz%00", "/V1/ME", "/v1/rooms/a/b/c/d/e/f/g"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (match("GET", paths[i], &req, &r, allow) == SW_ROUTE_FOUND &&
            strcmp(paths[i], "/v1/rooms/a/b/c/d/e/f/g") != 0)
            fail_msg("%s matched %s", paths[i], r->pattern);
    assert_int_equal(match("GET", "/v1/admin/plugins//enable", &req, &r, allow), SW_ROUTE_NO_PATH);
}

static void test_every_route_matches_itself(void **state)
{
    (void)state;
    for (int i = 0; i < sw_routes_count; i++) {
        char path[256];
        const char *p = sw_routes[i].pattern;
        size_t k = 0;
        while (*p && k < sizeof path - 4) { /* {x} becomes "v" */
            if (*p == '{') {
                path[k++] = 'v';
                while (*p && *p != '}') p++;
                if (*p) p++;
            } else {
                path[k++] = *p++;
            }
        }
        path[k] = 0;
        sw_req req;
        const sw_route *r = NULL;
        char allow[128];
        assert_int_equal(match(sw_routes[i].method, path, &req, &r, allow), SW_ROUTE_FOUND);
        assert_string_equal(r->method, sw_routes[i].method);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_and_params),
        cmocka_unit_test(test_405_lists_allowed_methods),
        cmocka_unit_test(test_non_matches),
        cmocka_unit_test(test_every_route_matches_itself),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
