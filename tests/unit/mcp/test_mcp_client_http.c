/* Unit tests for sw_mcp_client over Streamable HTTP, against the real server-everything in its
 * streamableHttp mode (SW_MCP_EVERYTHING: its dist/index.js), started by the test on a free
 * loopback port and awaited by polling the port. Covers the handshake, tools/list, calls, the
 * session id kept (one session per connection, the server's log says so), progress on the SSE
 * stream extending a timeout and TIMEOUT without it, the DELETE of the session on close (seen in
 * the server's log), the outbound-address policy refusing loopback by default with a clear
 * reason, a port where nothing listens, and concurrent calls from several threads; and against
 * tests/mcp/http_fixture.mjs (the SDK's server transport): the configured headers and
 * MCP-Protocol-Version on every request, a stream closed before its answer resumed with
 * Last-Event-ID, and a 404 for the session id ending the session. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/sw_netpolicy.h"
#include "mcp/sw_mcp_client.h"

#define FIXTURE SW_SOURCE_DIR "/tests/mcp/http_fixture.mjs"

/* A node MCP server started by the tests: its process (group), port and stdout log. */
typedef struct peer {
    pid_t pid;
    int port;
    char log[80];
} peer;

static peer everything, fixture;
static sw_netpolicy *allow_loopback;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A loopback port nothing listens on right now. */
static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &l) != 0)
        return -1;
    close(s);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0) close(s);
    return ok;
}

/* The peer's stdout so far (malloc'd). */
static char *log_text(const peer *p)
{
    FILE *f = fopen(p->log, "r");
    if (!f) return strdup("");
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int count_in_log(const peer *p, const char *needle)
{
    char *t = log_text(p);
    int n = 0;
    for (const char *q = t; (q = strstr(q, needle)); q += strlen(needle)) n++;
    free(t);
    return n;
}

/* Polls the peer's log until needle appears at least `times` times, or 10 s pass. */
static int await_log(const peer *p, const char *needle, int times)
{
    for (int64_t until = now_ms() + 10000; now_ms() < until; nap(20))
        if (count_in_log(p, needle) >= times) return 1;
    return count_in_log(p, needle) >= times;
}

/* Starts `node script mode` with PORT set, in its own process group, and polls until it listens. */
static int start_peer(peer *p, const char *script, const char *mode, const char *tag)
{
    p->port = free_port();
    snprintf(p->log, sizeof p->log, "/tmp/sw_mcp_http_%s_%d.log", tag, (int)getpid());
    int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (p->port <= 0 || fd < 0) return -1;
    p->pid = fork();
    if (p->pid == 0) {
        setpgid(0, 0);
        char port[16];
        snprintf(port, sizeof port, "%d", p->port);
        setenv("PORT", port, 1);
        dup2(fd, 1);
        execlp("node", "node", script, mode, (char *)NULL);
        _exit(127);
    }
    close(fd);
    setpgid(p->pid, p->pid);
    for (int64_t until = now_ms() + 30000; now_ms() < until; nap(20)) {
        if (port_open(p->port)) return 0;
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) break;
    }
    fprintf(stderr, "%s did not listen on port %d\n", script, p->port);
    return -1;
}

static void stop_peer(peer *p)
{
    if (p->pid > 0) {
        kill(-p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    unlink(p->log);
}

static int start_servers(void **state)
{
    (void)state;
    const char *js = getenv("SW_MCP_EVERYTHING");
    if (!js || access(js, R_OK) != 0) {
        fprintf(stderr, "SW_MCP_EVERYTHING must name server-everything's dist/index.js (tests/mcp/install.sh)\n");
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char err[128];
    allow_loopback = sw_netpolicy_new("127.0.0.1", err, sizeof err);
    if (!allow_loopback) return -1;
    return start_peer(&everything, js, "streamableHttp", "everything") || start_peer(&fixture, FIXTURE, "", "fixture");
}

static int stop_servers(void **state)
{
    (void)state;
    stop_peer(&everything);
    stop_peer(&fixture);
    sw_netpolicy_free(allow_loopback);
    curl_global_cleanup();
    return 0;
}

typedef struct events_seen {
    pthread_mutex_t mu;
    int closed;
    char why[256];
} events_seen;

static void ev_closed(void *arg, const char *why)
{
    events_seen *s = arg;
    pthread_mutex_lock(&s->mu);
    s->closed++;
    snprintf(s->why, sizeof s->why, "%s", why);
    pthread_mutex_unlock(&s->mu);
}

static sw_mcp_client *connect_to(int port, const sw_netpolicy *policy, events_seen *s, char *err, size_t errlen)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/mcp", port);
    const sw_mcp_kv headers[] = {{"X-Test-Token", "s3cret"}};
    sw_mcp_config cfg = {.transport = SW_MCP_HTTP, .url = url, .headers = headers, .nheaders = 1,
                         .netpolicy = policy, .log_name = "test-http", .connect_timeout_ms = 15000};
    sw_mcp_events ev = {NULL, ev_closed, s};
    return sw_mcp_client_connect(&cfg, s ? &ev : NULL, err, errlen);
}

static sw_mcp_client *must_connect(events_seen *s)
{
    char err[256] = "";
    sw_mcp_client *c = connect_to(everything.port, allow_loopback, s, err, sizeof err);
    if (!c) fail_msg("connect failed: %s", err);
    return c;
}

static sw_mcp_status call(sw_mcp_client *c, const char *name, json_t *args, const sw_mcp_call_opts *o, json_t **res,
                          const char **text)
{
    char err[256];
    json_t *params = json_pack("{s:s,s:o}", "name", name, "arguments", args ? args : json_object());
    sw_mcp_status st = sw_mcp_client_request(c, "tools/call", params, o, res, err, sizeof err);
    if (text) *text = st == SW_MCP_OK ? json_string_value(json_object_get(json_array_get(json_object_get(*res, "content"), 0), "text")) : NULL;
    return st;
}

static int has_tool(const json_t *tools, const char *name)
{
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t) if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0) return 1;
    return 0;
}

/* One connection is one session: the server logs one "Session initialized" for the connect and
 * none for the requests after it (each carries the id it got; without it the server answers
 * 400); close DELETEs exactly that session. */
static void test_connect_list_call_and_delete(void **state)
{
    (void)state;
    int sessions = count_in_log(&everything, "Session initialized with ID: ");
    int deletes = count_in_log(&everything, "Received session termination request for session ");
    sw_mcp_client *c = must_connect(NULL);
    assert_string_equal(sw_mcp_client_protocol(c), SW_MCP_PROTOCOLS[0]);
    assert_int_equal(sw_mcp_client_pid(c), 0);
    const json_t *info = sw_mcp_client_server_info(c);
    assert_non_null(json_object_get(json_object_get(info, "capabilities"), "tools"));

    json_t *tools = NULL;
    char err[256];
    assert_int_equal(sw_mcp_client_list_tools(c, 10000, &tools, err, sizeof err), SW_MCP_OK);
    assert_true(has_tool(tools, "echo"));
    assert_true(has_tool(tools, "get-sum"));
    json_decref(tools);
    json_t *res;
    const char *text;
    assert_int_equal(call(c, "echo", json_pack("{s:s}", "message", "hello\nworld"), NULL, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "Echo: hello\nworld");
    json_decref(res);
    assert_int_equal(call(c, "get-sum", json_pack("{s:i,s:i}", "a", 2, "b", 40), NULL, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "The sum of 2 and 40 is 42.");
    json_decref(res);
    assert_int_equal(sw_mcp_client_request(c, "bogus/method", NULL, NULL, &res, err, sizeof err), SW_MCP_RPC_ERROR);
    assert_int_equal(json_integer_value(json_object_get(res, "code")), -32601);
    json_decref(res);
    assert_int_equal(count_in_log(&everything, "Session initialized with ID: "), sessions + 1);

    /* the id the server gave is the one close deletes */
    char *t = log_text(&everything);
    const char *p = t, *last = NULL;
    while ((p = strstr(p, "Session initialized with ID: "))) last = p, p++;
    assert_non_null(last);
    char id[80] = "", want[160];
    sscanf(last + strlen("Session initialized with ID: "), "%79s", id);
    free(t);
    sw_mcp_client_close(c);
    snprintf(want, sizeof want, "Received session termination request for session %s", id);
    assert_true(await_log(&everything, want, 1));
    assert_int_equal(count_in_log(&everything, "Received session termination request for session "), deletes + 1);
}

/* The server's notifications/progress come on the call's SSE stream and restart the wait. */
static void test_progress_over_sse_extends_the_timeout(void **state)
{
    (void)state;
    sw_mcp_client *c = must_connect(NULL);
    json_t *res;
    const char *text;
    sw_mcp_call_opts o = {.timeout_ms = 1500, .max_timeout_ms = 60000};
    assert_int_equal(call(c, "trigger-long-running-operation", json_pack("{s:i,s:i}", "duration", 3, "steps", 12), &o,
                          &res, &text), SW_MCP_OK);
    assert_non_null(strstr(text, "completed"));
    json_decref(res);
    assert_int_equal(call(c, "trigger-long-running-operation", json_pack("{s:i,s:i}", "duration", 3, "steps", 1), &o,
                          &res, NULL), SW_MCP_TIMEOUT);
    assert_null(res);
    assert_int_equal(call(c, "echo", json_pack("{s:s}", "message", "still here"), NULL, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "Echo: still here");
    json_decref(res);
    sw_mcp_client_close(c);
}

/* The default policy refuses loopback, with a reason naming it and the way to allow it; the
 * server never sees a session. */
static void test_loopback_refused_by_the_default_policy(void **state)
{
    (void)state;
    int sessions = count_in_log(&everything, "Session initialized with ID: ");
    char err[256] = "";
    assert_null(connect_to(everything.port, NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "not allowed"));
    assert_non_null(strstr(err, "loopback"));
    assert_non_null(strstr(err, "--outbound-allow"));
    assert_null(strstr(err, "s3cret"));
    const sw_netpolicy *dflt = sw_netpolicy_default();
    assert_null(connect_to(everything.port, dflt, NULL, err, sizeof err));
    assert_non_null(strstr(err, "loopback"));
    assert_int_equal(count_in_log(&everything, "Session initialized with ID: "), sessions);
}

static void test_nothing_listening(void **state)
{
    (void)state;
    int port = free_port();
    char err[256] = "";
    assert_null(connect_to(port, allow_loopback, NULL, err, sizeof err));
    assert_non_null(strstr(err, "cannot reach the MCP server"));
}

/* A wrong path is a 404 without a session: the connect fails with the status, no session lost. */
static void test_http_error_on_initialize(void **state)
{
    (void)state;
    char url[64], err[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/nope", everything.port);
    sw_mcp_config cfg = {.transport = SW_MCP_HTTP, .url = url, .netpolicy = allow_loopback, .log_name = "t"};
    assert_null(sw_mcp_client_connect(&cfg, NULL, err, sizeof err));
    assert_non_null(strstr(err, "HTTP 404 from the server"));
    cfg.url = "ftp://127.0.0.1/x";
    assert_null(sw_mcp_client_connect(&cfg, NULL, err, sizeof err));
    assert_non_null(strstr(err, "not an http"));
}

static sw_mcp_client *must_connect_fixture(events_seen *s)
{
    char err[256] = "";
    sw_mcp_client *c = connect_to(fixture.port, allow_loopback, s, err, sizeof err);
    if (!c) fail_msg("connect to the fixture failed: %s", err);
    return c;
}

/* Every request after initialize carries the configured header, the session id and
 * MCP-Protocol-Version (the fixture's tool reports the headers it was called with). */
static void test_headers_reach_the_server(void **state)
{
    (void)state;
    sw_mcp_client *c = must_connect_fixture(NULL);
    json_t *res;
    const char *text;
    assert_int_equal(call(c, "headers", NULL, NULL, &res, &text), SW_MCP_OK);
    json_t *h = json_loads(text, 0, NULL);
    assert_non_null(h);
    assert_string_equal(json_string_value(json_object_get(h, "x-test-token")), "s3cret");
    assert_string_equal(json_string_value(json_object_get(h, "mcp-protocol-version")), SW_MCP_PROTOCOLS[0]);
    assert_non_null(json_string_value(json_object_get(h, "mcp-session-id")));
    assert_non_null(strstr(json_string_value(json_object_get(h, "accept")), "text/event-stream"));
    json_decref(h);
    json_decref(res);
    sw_mcp_client_close(c);
}

/* The server closes the call's SSE stream right after its priming event (id + retry): the
 * client resumes with GET + Last-Event-ID and gets the answer there. */
static void test_resumption_with_last_event_id(void **state)
{
    (void)state;
    int resumes = count_in_log(&fixture, "resume ");
    sw_mcp_client *c = must_connect_fixture(NULL);
    json_t *res;
    const char *text;
    sw_mcp_call_opts o = {.timeout_ms = 10000};
    assert_int_equal(call(c, "resume", NULL, &o, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "resumed");
    json_decref(res);
    assert_true(count_in_log(&fixture, "stream closed early") >= 1);
    assert_true(count_in_log(&fixture, "resume ") > resumes);
    assert_int_equal(call(c, "echo", json_pack("{s:s}", "message", "after"), NULL, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "Echo: after");
    json_decref(res);
    sw_mcp_client_close(c);
}

/* HTTP 404 to a request that carries the session id: the session expired. The request ends
 * CLOSED, on_closed runs once with the reason, later requests fail at once, and close sends no
 * DELETE for a session the server no longer has. */
static void test_404_means_the_session_expired(void **state)
{
    (void)state;
    events_seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    int deletes = count_in_log(&fixture, "delete ");
    int expired = count_in_log(&fixture, "expired ");
    sw_mcp_client *c = must_connect_fixture(&s);
    json_t *res;
    const char *text;
    assert_int_equal(call(c, "expire", NULL, NULL, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "expiring");
    json_decref(res);
    assert_true(await_log(&fixture, "expired ", expired + 1));
    char err[256];
    json_t *params = json_pack("{s:s,s:{s:s}}", "name", "echo", "arguments", "message", "x");
    assert_int_equal(sw_mcp_client_request(c, "tools/call", params, NULL, &res, err, sizeof err), SW_MCP_CLOSED);
    assert_non_null(strstr(err, "404"));
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.closed, 1);
    assert_non_null(strstr(s.why, "HTTP 404"));
    pthread_mutex_unlock(&s.mu);
    assert_int_equal(call(c, "echo", NULL, NULL, &res, NULL), SW_MCP_CLOSED);
    sw_mcp_client_close(c);
    assert_int_equal(s.closed, 1);
    assert_int_equal(count_in_log(&fixture, "delete "), deletes);
}

typedef struct worker {
    sw_mcp_client *c;
    int n, ok;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 10; i++) {
        char msg[64], want[80];
        snprintf(msg, sizeof msg, "thread %d call %d", w->n, i);
        snprintf(want, sizeof want, "Echo: %s", msg);
        json_t *res;
        const char *text;
        if (call(w->c, "echo", json_pack("{s:s}", "message", msg), NULL, &res, &text) == SW_MCP_OK && text &&
            strcmp(text, want) == 0)
            w->ok++;
        json_decref(res);
    }
    return NULL;
}

static void test_concurrent_calls_from_four_threads(void **state)
{
    (void)state;
    events_seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    sw_mcp_client *c = must_connect(&s);
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){c, i, 0};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, 10);
    }
    sw_mcp_client_close(c);
    assert_int_equal(s.closed, 0); /* close is not "the session was lost" */
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_list_call_and_delete),
        cmocka_unit_test(test_progress_over_sse_extends_the_timeout),
        cmocka_unit_test(test_loopback_refused_by_the_default_policy),
        cmocka_unit_test(test_nothing_listening),
        cmocka_unit_test(test_http_error_on_initialize),
        cmocka_unit_test(test_concurrent_calls_from_four_threads),
        cmocka_unit_test(test_headers_reach_the_server),
        cmocka_unit_test(test_resumption_with_last_event_id),
        cmocka_unit_test(test_404_means_the_session_expired),
    };
    return cmocka_run_group_tests(tests, start_servers, stop_servers);
}
