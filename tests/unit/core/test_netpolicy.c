/* test_netpolicy: the outbound-address classifier (every refused range, the embedded-IPv4 IPv6
 * forms, public addresses), the allow-list (addresses, CIDRs, host names, bad entries), the URL
 * pre-check, and the curl guard against real listeners on loopback: a refused address is never
 * connected to (the listener sees no connection), an allowed one is, and a redirect to a refused
 * address is refused too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sw_netpolicy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sw_addr_class cls(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) s4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) s6->sin6_family = AF_INET6;
    else fail_msg("bad test address %s", text);
    return sw_addr_classify((struct sockaddr *)&ss);
}

static int allows(const sw_netpolicy *p, const char *host, const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) s4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) s6->sin6_family = AF_INET6;
    else fail_msg("bad test address %s", text);
    return sw_netpolicy_allows(p, host, (struct sockaddr *)&ss);
}

static void test_classifier(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        sw_addr_class c;
    } cases[] = {
        {"127.0.0.1", SW_ADDR_LOOPBACK},      {"127.255.1.2", SW_ADDR_LOOPBACK},
        {"10.0.0.1", SW_ADDR_PRIVATE},        {"172.16.0.1", SW_ADDR_PRIVATE},
        {"172.31.255.255", SW_ADDR_PRIVATE},  {"192.168.1.1", SW_ADDR_PRIVATE},
        {"100.64.0.1", SW_ADDR_PRIVATE},      {"169.254.169.254", SW_ADDR_METADATA},
        {"169.254.1.1", SW_ADDR_LINK_LOCAL},  {"0.0.0.0", SW_ADDR_UNSPECIFIED},
        {"0.1.2.3", SW_ADDR_UNSPECIFIED},     {"224.0.0.1", SW_ADDR_MULTICAST},
        {"239.255.255.250", SW_ADDR_MULTICAST}, {"255.255.255.255", SW_ADDR_RESERVED},
        {"240.0.0.1", SW_ADDR_RESERVED},      {"192.0.2.1", SW_ADDR_RESERVED},
        {"198.18.0.1", SW_ADDR_RESERVED},     {"8.8.8.8", SW_ADDR_PUBLIC},
        {"172.32.0.1", SW_ADDR_PUBLIC},       {"1.1.1.1", SW_ADDR_PUBLIC},
        {"::1", SW_ADDR_LOOPBACK},            {"::", SW_ADDR_UNSPECIFIED},
        {"::ffff:127.0.0.1", SW_ADDR_LOOPBACK}, {"::ffff:10.1.2.3", SW_ADDR_PRIVATE},
        {"::ffff:8.8.8.8", SW_ADDR_PUBLIC},   {"64:ff9b::a9fe:a9fe", SW_ADDR_METADATA},
        {"2002:7f00:1::", SW_ADDR_LOOPBACK},  {"fd00::1", SW_ADDR_PRIVATE},
        {"fc00::1", SW_ADDR_PRIVATE},         {"fd00:ec2::254", SW_ADDR_METADATA},
        {"fe80::1", SW_ADDR_LINK_LOCAL},      {"ff02::1", SW_ADDR_MULTICAST},
        {"2001:db8::1", SW_ADDR_RESERVED},    {"::127.0.0.1", SW_ADDR_RESERVED},
        {"2606:4700:4700::1111", SW_ADDR_PUBLIC}, {"2a00:1450::1", SW_ADDR_PUBLIC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sw_addr_class got = cls(cases[i].addr);
        if (got != cases[i].c)
            fail_msg("%s: %s, wanted %s", cases[i].addr, sw_addr_class_name(got), sw_addr_class_name(cases[i].c));
    }
    struct sockaddr un = {.sa_family = AF_UNIX};
    assert_int_equal(sw_addr_classify(&un), SW_ADDR_RESERVED);
}

static void test_allow_list(void **state)
{
    (void)state;
    const sw_netpolicy *d = sw_netpolicy_default();
    assert_false(allows(d, NULL, "127.0.0.1"));
    assert_false(allows(d, "localhost", "127.0.0.1"));
    assert_false(allows(d, NULL, "169.254.169.254"));
    assert_false(allows(d, NULL, "::1"));
    assert_true(allows(d, NULL, "8.8.8.8"));
    assert_true(allows(NULL, NULL, "8.8.8.8"));
    assert_false(allows(NULL, NULL, "10.0.0.1"));

    char err[256];
    sw_netpolicy *p = sw_netpolicy_new(" 127.0.0.1 , 10.0.0.0/8,fd00::/8, [::1], Model.Internal. ,", err, sizeof err);
    assert_non_null(p);
    assert_true(allows(p, NULL, "127.0.0.1"));
    assert_true(allows(p, NULL, "::ffff:127.0.0.1")); /* mapped = the IPv4 address */
    assert_false(allows(p, NULL, "127.0.0.2"));
    assert_true(allows(p, NULL, "10.200.3.4"));
    assert_true(allows(p, NULL, "11.0.0.1")); /* public anyway */
    assert_false(allows(p, NULL, "192.168.0.1"));
    assert_true(allows(p, NULL, "fd12::1"));
    assert_false(allows(p, NULL, "fc00::1"));
    assert_true(allows(p, NULL, "::1"));
    assert_false(allows(p, NULL, "169.254.169.254"));
    assert_true(allows(p, "model.internal", "192.168.7.7")); /* a listed name: wherever it resolves */
    assert_true(allows(p, "MODEL.internal.", "192.168.7.7"));
    assert_false(allows(p, "other.internal", "192.168.7.7"));
    sw_netpolicy_free(p);

    static const char *bad[] = {"10.0.0.0/33", "10.0.0.0/", "::1/129", "not a host", "a/b", "http://x", "1.2.3.4/8x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        sw_netpolicy *q = sw_netpolicy_new(bad[i], err, sizeof err);
        if (q) fail_msg("\"%s\" was accepted", bad[i]);
        assert_non_null(strstr(err, "outbound allow-list"));
    }
    p = sw_netpolicy_new("", err, sizeof err);
    assert_non_null(p);
    assert_false(allows(p, NULL, "127.0.0.1"));
    sw_netpolicy_free(p);
}

static void test_check_url(void **state)
{
    (void)state;
    char why[256];
    const sw_netpolicy *d = sw_netpolicy_default();
    static const char *refused[] = {
        "http://127.0.0.1:8080/v1", "http://10.0.0.1/v1", "http://169.254.169.254/latest",
        "http://localhost:9/v1", "http://LOCALHOST./v1", "http://a.localhost/v1", "http://[::1]:80/",
        "http://2130706433/v1", /* 127.0.0.1 as one number */
        "http://0x7f.1/v1", "https://[fd00:ec2::254]/", "http://0.0.0.0:8080/",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (sw_netpolicy_check_url(d, refused[i], why, sizeof why) != 0) fail_msg("%s was not refused", refused[i]);
    assert_int_equal(sw_netpolicy_check_url(d, "http://169.254.169.254/", why, sizeof why), 0);
    assert_non_null(strstr(why, "metadata"));
    assert_int_equal(sw_netpolicy_check_url(d, "https://api.openai.com/v1", why, sizeof why), 1);
    assert_int_equal(sw_netpolicy_check_url(d, "http://8.8.8.8/v1", why, sizeof why), 1);
    assert_int_equal(sw_netpolicy_check_url(d, "ftp://example.com/", why, sizeof why), -1);
    assert_int_equal(sw_netpolicy_check_url(d, "not a url", why, sizeof why), -1);
    char err[256];
    sw_netpolicy *p = sw_netpolicy_new("127.0.0.0/8,localhost", err, sizeof err);
    assert_non_null(p);
    assert_int_equal(sw_netpolicy_check_url(p, "http://127.0.0.1:8080/v1", why, sizeof why), 1);
    assert_int_equal(sw_netpolicy_check_url(p, "http://localhost:8080/v1", why, sizeof why), 1);
    assert_int_equal(sw_netpolicy_check_url(p, "http://10.0.0.1/v1", why, sizeof why), 0);
    sw_netpolicy_free(p);
}

/* ---- the guard against real listeners ---- */

typedef struct {
    int fd, port, accepted;
    char answer[256];
} listener;

static int stop_flag;

static void listen_on(listener *l, const char *answer)
{
    memset(l, 0, sizeof *l);
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(l->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l->fd, 16), 0);
    socklen_t len = sizeof a;
    getsockname(l->fd, (struct sockaddr *)&a, &len);
    l->port = ntohs(a.sin_port);
    snprintf(l->answer, sizeof l->answer, "%s", answer);
}

/* Answers every connection to either listener with its canned answer until stop_flag. */
static void *serve(void *arg)
{
    listener *ls = arg;
    while (!__atomic_load_n(&stop_flag, __ATOMIC_ACQUIRE)) {
        struct pollfd pf[2] = {{.fd = ls[0].fd, .events = POLLIN}, {.fd = ls[1].fd, .events = POLLIN}};
        if (poll(pf, 2, 20) <= 0) continue;
        for (int i = 0; i < 2; i++) {
            if (!(pf[i].revents & POLLIN)) continue;
            int c = accept(ls[i].fd, NULL, NULL);
            if (c < 0) continue;
            __atomic_add_fetch(&ls[i].accepted, 1, __ATOMIC_ACQ_REL);
            char buf[4096];
            size_t got = 0;
            while (got < sizeof buf - 1) { /* read the request head */
                ssize_t n = read(c, buf + got, sizeof buf - 1 - got);
                if (n <= 0) break;
                got += (size_t)n;
                buf[got] = 0;
                if (strstr(buf, "\r\n\r\n")) break;
            }
            ssize_t w = write(c, ls[i].answer, strlen(ls[i].answer));
            (void)w;
            close(c);
        }
    }
    return NULL;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    (void)p, (void)ud;
    return s * n;
}

static CURLcode fetch(const sw_netpolicy *p, const char *url, sw_netguard *g, long *status)
{
    CURL *e = curl_easy_init();
    assert_non_null(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
    sw_netguard_install(g, e, p);
    CURLcode rc = curl_easy_perform(e);
    *status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(e);
    return rc;
}

static void test_guard_connects_only_where_allowed(void **state)
{
    (void)state;
    static listener ls[2];
    listen_on(&ls[1], "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    char redirect[200];
    snprintf(redirect, sizeof redirect,
             "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/next\r\nContent-Length: 0\r\n"
             "Connection: close\r\n\r\n", ls[1].port);
    listen_on(&ls[0], redirect);
    __atomic_store_n(&stop_flag, 0, __ATOMIC_RELEASE);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, serve, ls), 0);
    char url[128], err[256];
    sw_netguard g;
    long st;

    /* default rules: neither the address nor the name "localhost" reaches the listener */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ls[1].port);
    assert_int_equal(fetch(NULL, url, &g, &st), CURLE_COULDNT_CONNECT);
    assert_true(g.refused >= 1);
    assert_string_equal(g.addr, "127.0.0.1");
    assert_string_equal(g.why, "loopback");
    snprintf(url, sizeof url, "http://localhost:%d/", ls[1].port);
    assert_int_equal(fetch(sw_netpolicy_default(), url, &g, &st), CURLE_COULDNT_CONNECT);
    assert_true(g.refused >= 1);
    assert_int_equal(__atomic_load_n(&ls[1].accepted, __ATOMIC_ACQUIRE), 0);

    /* allowed by address: connected */
    sw_netpolicy *p = sw_netpolicy_new("127.0.0.1", err, sizeof err);
    assert_non_null(p);
    assert_int_equal(fetch(p, url, &g, &st), CURLE_OK); /* localhost resolves to an allowed address */
    assert_int_equal(st, 200);
    assert_int_equal(__atomic_load_n(&ls[1].accepted, __ATOMIC_ACQUIRE), 1);
    sw_netpolicy_free(p);

    /* allowed by name; the redirect to 127.0.0.1 (not listed) is refused before connecting */
    p = sw_netpolicy_new("localhost", err, sizeof err);
    assert_non_null(p);
    snprintf(url, sizeof url, "http://localhost:%d/", ls[0].port);
    assert_int_equal(fetch(p, url, &g, &st), CURLE_COULDNT_CONNECT);
    assert_int_equal(__atomic_load_n(&ls[0].accepted, __ATOMIC_ACQUIRE), 1);
    assert_int_equal(__atomic_load_n(&ls[1].accepted, __ATOMIC_ACQUIRE), 1); /* unchanged */
    assert_true(g.refused >= 1);
    assert_string_equal(g.addr, "127.0.0.1");
    sw_netpolicy_free(p);

    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    close(ls[0].fd);
    close(ls[1].fd);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classifier),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_check_url),
        cmocka_unit_test(test_guard_connects_only_where_allowed),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
