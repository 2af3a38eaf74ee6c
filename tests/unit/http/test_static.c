/* test_static: the web app's file serving (sw_static.c): content types by extension, the path
 * rules (traversal, hidden files, encoded and control characters), symlinks that leave the web
 * root, directories, and the router's `{*rest}` segment that carries the path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/sw_router.h"
#include "http/sw_static.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256], root[300], outside[300];

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/sw-static-XXXXXX");
    if (!mkdtemp(tmp)) return -1;
    snprintf(root, sizeof root, "%s/web", tmp);
    snprintf(outside, sizeof outside, "%s/secret.txt", tmp);
    char p[512];
    mkdir(root, 0755);
    snprintf(p, sizeof p, "%s/js", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/index.html", root);
    put(p, "<!doctype html>");
    snprintf(p, sizeof p, "%s/js/app.js", root);
    put(p, "export {};");
    snprintf(p, sizeof p, "%s/.env", root);
    put(p, "SECRET=1");
    put(outside, "top secret");
    snprintf(p, sizeof p, "%s/leak.txt", root);
    if (symlink(outside, p) != 0) return -1;          /* leaves the root: refused */
    snprintf(p, sizeof p, "%s/alias.js", root);
    if (symlink("js/app.js", p) != 0) return -1;      /* stays inside: served */
    snprintf(p, sizeof p, "%s/up", root);
    if (symlink("..", p) != 0) return -1;             /* a directory link out of the root */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_content_types(void **state)
{
    (void)state;
    assert_string_equal(sw_static_content_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(sw_static_content_type("js/main.js"), "text/javascript; charset=utf-8");
    assert_string_equal(sw_static_content_type("app.css"), "text/css; charset=utf-8");
    assert_string_equal(sw_static_content_type("favicon.svg"), "image/svg+xml");
    assert_string_equal(sw_static_content_type("a/b.PNG"), "image/png");
    assert_string_equal(sw_static_content_type("favicon.ico"), "image/x-icon");
    assert_string_equal(sw_static_content_type("x.json"), "application/json; charset=utf-8");
    assert_string_equal(sw_static_content_type("f.woff2"), "font/woff2");
    assert_string_equal(sw_static_content_type("README"), "application/octet-stream");
    assert_string_equal(sw_static_content_type("x.exe"), "application/octet-stream");
    assert_string_equal(sw_static_content_type("dir.js/file"), "application/octet-stream");
}

static void test_path_rules(void **state)
{
    (void)state;
    assert_true(sw_static_path_ok("index.html"));
    assert_true(sw_static_path_ok("js/app.js"));
    assert_true(sw_static_path_ok("a-b_c.d/e.f"));
    const char *bad[] = {"", "/etc/passwd", "..", "../x", "js/../../x", "js/..", "./index.html",
                         ".env", "js/.hidden", "a//b", "js/", "a\\b", "..%2fx", "%2e%2e/x",
                         "a%00b", "a\nb", "a\tb", "a\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sw_static_path_ok(bad[i])) fail_msg("accepted \"%s\"", bad[i]);
    }
    char big[1100];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_false(sw_static_path_ok(big));
}

static void test_open(void **state)
{
    (void)state;
    unsigned long long size = 0;
    int fd = sw_static_open(root, "index.html", &size);
    assert_true(fd >= 0);
    assert_int_equal(size, 15);
    close(fd);
    fd = sw_static_open(root, "js/app.js", &size);
    assert_true(fd >= 0);
    close(fd);
    fd = sw_static_open(root, "alias.js", &size); /* a symlink inside the root */
    assert_true(fd >= 0);
    assert_int_equal(size, 10);
    close(fd);
    assert_int_equal(sw_static_open(root, "leak.txt", &size), -1);       /* symlink out */
    assert_int_equal(sw_static_open(root, "up/secret.txt", &size), -1);  /* dir symlink out */
    assert_int_equal(sw_static_open(root, "../secret.txt", &size), -1);  /* traversal */
    assert_int_equal(sw_static_open(root, "js", &size), -1);             /* a directory */
    assert_int_equal(sw_static_open(root, "missing.js", &size), -1);
    assert_int_equal(sw_static_open(root, ".env", &size), -1);           /* hidden */
    assert_int_equal(sw_static_open("/nonexistent-web-root", "index.html", &size), -1);
    assert_int_equal(sw_static_open("/", "etc/passwd", &size), -1);      /* "/" is no web root */
    assert_int_equal(sw_static_open("", "index.html", &size), -1);
}

static void handler(sw_req *req, sw_resp *resp)
{
    (void)req;
    (void)resp;
}

static void test_router_rest_segment(void **state)
{
    (void)state;
    sw_route routes[] = {
        {"GET", "/", handler, SW_ROUTE_PUBLIC, 0},
        {"GET", "/static/{*path}", handler, SW_ROUTE_PUBLIC, 0},
        {"GET", "/v1/rooms/{room_id}", handler, 0, 0},
    };
    char scratch[256], allow[64];
    const sw_route *out = NULL;
    sw_req req = {0};
    assert_int_equal(sw_router_match(routes, 3, "GET", "/static/js/a/b.js", &req, scratch, &out, allow, sizeof allow),
                     SW_ROUTE_FOUND);
    assert_ptr_equal(out, &routes[1]);
    assert_string_equal(sw_req_param(&req, "path"), "js/a/b.js");
    memset(&req, 0, sizeof req);
    assert_int_equal(sw_router_match(routes, 3, "GET", "/static/", &req, scratch, &out, allow, sizeof allow),
                     SW_ROUTE_FOUND);
    assert_string_equal(sw_req_param(&req, "path"), "");
    memset(&req, 0, sizeof req);
    assert_int_equal(sw_router_match(routes, 3, "GET", "/", &req, scratch, &out, allow, sizeof allow), SW_ROUTE_FOUND);
    assert_ptr_equal(out, &routes[0]);
    assert_int_equal(sw_router_match(routes, 3, "GET", "/static", &req, scratch, &out, allow, sizeof allow),
                     SW_ROUTE_NO_PATH);
    assert_int_equal(sw_router_match(routes, 3, "GET", "/v1/nope", &req, scratch, &out, allow, sizeof allow),
                     SW_ROUTE_NO_PATH);
    assert_int_equal(sw_router_match(routes, 3, "POST", "/static/x.js", &req, scratch, &out, allow, sizeof allow),
                     SW_ROUTE_NO_METHOD);
    assert_string_equal(allow, "GET");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_path_rules),
        cmocka_unit_test(test_open),
        cmocka_unit_test(test_router_rest_segment),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
