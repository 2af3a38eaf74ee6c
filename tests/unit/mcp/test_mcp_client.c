/* Unit tests for sw_mcp_client over stdio, against real peers: the official server-everything
 * (SW_MCP_EVERYTHING: its dist/index.js) and tests/mcp/fixture_server.mjs (the SDK's Server
 * class) for what server-everything cannot produce (pages, garbage, huge answers, requests
 * from the server, a recorded cancellation). Covers the handshake, tools/list through every
 * page, calls, RPC errors, progress that extends a timeout, TIMEOUT and CANCELLED with
 * notifications/cancelled, the child's death during a call and during connect, a clean
 * environment and no leaked descriptor, the process group gone after close, and concurrent
 * calls from several threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcp/sw_mcp_client.h"

#define FIXTURE SW_SOURCE_DIR "/tests/mcp/fixture_server.mjs"

static const char *everything(void)
{
    const char *p = getenv("SW_MCP_EVERYTHING");
    if (!p || access(p, R_OK) != 0) fail_msg("SW_MCP_EVERYTHING must name server-everything's dist/index.js (tests/mcp/install.sh)");
    return p;
}

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

typedef struct events_seen {
    pthread_mutex_t mu;
    int closed, changed;
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

static void ev_changed(void *arg)
{
    events_seen *s = arg;
    pthread_mutex_lock(&s->mu);
    s->changed++;
    pthread_mutex_unlock(&s->mu);
}

static int seen(events_seen *s, int *field)
{
    pthread_mutex_lock(&s->mu);
    int v = *field;
    pthread_mutex_unlock(&s->mu);
    return v;
}

/* Polls until *field is nonzero or 10 s pass. */
static int await_event(events_seen *s, int *field)
{
    for (int64_t until = now_ms() + 10000; now_ms() < until; nap(10))
        if (seen(s, field)) return 1;
    return seen(s, field);
}

static sw_mcp_client *connect_node(const char *script, const char *mode, events_seen *s, const sw_mcp_kv *env,
                                   size_t nenv, size_t max_bytes, char *err, size_t errlen)
{
    const char *args[] = {script, mode, NULL};
    sw_mcp_config cfg = {.transport = SW_MCP_STDIO, .command = "node", .args = args, .env = env, .nenv = nenv,
                         .log_name = "test", .connect_timeout_ms = 20000, .max_message_bytes = max_bytes};
    sw_mcp_events ev = {ev_changed, ev_closed, s};
    return sw_mcp_client_connect(&cfg, s ? &ev : NULL, err, errlen);
}

static sw_mcp_client *must_connect(const char *script, const char *mode, events_seen *s)
{
    char err[256] = "";
    sw_mcp_client *c = connect_node(script, mode, s, NULL, 0, 0, err, sizeof err);
    if (!c) fail_msg("connect failed: %s", err);
    return c;
}

/* tools/call name(args) under opts; *text is content[0].text of the result (or NULL). */
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

/* Whether no process is left in the group (polled: an orphaned grandchild is reaped by init). */
static int group_gone(pid_t pgid)
{
    for (int64_t until = now_ms() + 5000; now_ms() < until; nap(10))
        if (kill(-pgid, 0) == -1 && errno == ESRCH) return 1;
    return 0;
}

static void test_connect_list_and_call_everything(void **state)
{
    (void)state;
    sw_mcp_client *c = must_connect(everything(), "stdio", NULL);
    assert_string_equal(sw_mcp_client_protocol(c), SW_MCP_PROTOCOLS[0]);
    assert_string_equal(SW_MCP_PROTOCOLS[0], "2025-11-25"); /* the SDK 1.32.2's LATEST_PROTOCOL_VERSION */
    const json_t *info = sw_mcp_client_server_info(c);
    assert_non_null(json_object_get(json_object_get(info, "capabilities"), "tools"));
    assert_non_null(json_string_value(json_object_get(json_object_get(info, "serverInfo"), "name")));
    assert_true(sw_mcp_client_pid(c) > 0);

    json_t *tools = NULL;
    char err[256];
    assert_int_equal(sw_mcp_client_list_tools(c, 10000, &tools, err, sizeof err), SW_MCP_OK);
    assert_true(has_tool(tools, "echo"));
    assert_true(has_tool(tools, "get-sum"));
    assert_true(has_tool(tools, "trigger-long-running-operation"));
    json_decref(tools);

    json_t *res;
    const char *text;
    assert_int_equal(call(c, "echo", json_pack("{s:s}", "message", "hello\nworld"), NULL, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "Echo: hello\nworld");
    json_decref(res);
    assert_int_equal(call(c, "get-sum", json_pack("{s:i,s:i}", "a", 2, "b", 40), NULL, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "The sum of 2 and 40 is 42.");
    json_decref(res);
    sw_mcp_client_close(c);
}

/* An unknown tool is a tool error (isError) in this SDK; an unknown method is a JSON-RPC error. */
static void test_unknown_tool_and_unknown_method(void **state)
{
    (void)state;
    sw_mcp_client *c = must_connect(everything(), "stdio", NULL);
    json_t *res;
    const char *text;
    assert_int_equal(call(c, "no-such-tool", NULL, NULL, &res, &text), SW_MCP_OK);
    assert_true(json_is_true(json_object_get(res, "isError")));
    assert_non_null(strstr(text, "no-such-tool"));
    json_decref(res);
    char err[256];
    assert_int_equal(sw_mcp_client_request(c, "bogus/method", NULL, NULL, &res, err, sizeof err), SW_MCP_RPC_ERROR);
    assert_int_equal(json_integer_value(json_object_get(res, "code")), -32601);
    assert_non_null(strstr(err, "-32601"));
    json_decref(res);
    sw_mcp_client_close(c);
}

/* Progress every 250 ms keeps a 1.5 s timeout alive through a 3 s call; the same call without
 * progress ends with TIMEOUT; with progress but a hard cap below its length, too. */
static void test_progress_extends_the_timeout(void **state)
{
    (void)state;
    sw_mcp_client *c = must_connect(everything(), "stdio", NULL);
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
    sw_mcp_call_opts capped = {.timeout_ms = 1500, .max_timeout_ms = 2000};
    assert_int_equal(call(c, "trigger-long-running-operation", json_pack("{s:i,s:i}", "duration", 3, "steps", 12),
                          &capped, &res, NULL), SW_MCP_TIMEOUT);
    /* the session is still usable */
    assert_int_equal(call(c, "echo", json_pack("{s:s}", "message", "still here"), NULL, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "Echo: still here");
    json_decref(res);
    sw_mcp_client_close(c);
}

/* TIMEOUT sends notifications/cancelled: the fixture's tool sees its request aborted. */
static void test_timeout_sends_cancelled(void **state)
{
    (void)state;
    sw_mcp_client *c = must_connect(FIXTURE, "tools", NULL);
    json_t *res;
    const char *text;
    sw_mcp_call_opts o = {.timeout_ms = 300};
    assert_int_equal(call(c, "slow", json_pack("{s:i}", "ms", 30000), &o, &res, NULL), SW_MCP_TIMEOUT);
    assert_int_equal(call(c, "last-cancel", NULL, NULL, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "timed out");
    json_decref(res);
    sw_mcp_client_close(c);
}

static int polls;
static int cancel_after_polls(void *arg)
{
    (void)arg;
    return ++polls >= 4;
}

static void test_cancelled_by_the_callback(void **state)
{
    (void)state;
    sw_mcp_client *c = must_connect(FIXTURE, "tools", NULL);
    json_t *res;
    const char *text;
    polls = 0;
    sw_mcp_call_opts o = {.timeout_ms = 30000, .cancelled = cancel_after_polls};
    assert_int_equal(call(c, "slow", json_pack("{s:i}", "ms", 30000), &o, &res, NULL), SW_MCP_CANCELLED);
    assert_int_equal(polls, 4);
    assert_int_equal(call(c, "last-cancel", NULL, NULL, &res, &text), SW_MCP_OK);
    assert_string_equal(text, "cancelled by the caller");
    json_decref(res);
    sw_mcp_client_close(c);
}

typedef struct killer {
    pid_t pid;
} killer;

static void *kill_soon(void *arg)
{
    nap(300);
    kill(((killer *)arg)->pid, SIGKILL);
    return NULL;
}

static void test_kill_9_during_a_call(void **state)
{
    (void)state;
    events_seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    sw_mcp_client *c = must_connect(FIXTURE, "tools", &s);
    killer k = {sw_mcp_client_pid(c)};
    pthread_t th;
    pthread_create(&th, NULL, kill_soon, &k);
    json_t *res;
    sw_mcp_call_opts o = {.timeout_ms = 30000};
    assert_int_equal(call(c, "slow", json_pack("{s:i}", "ms", 30000), &o, &res, NULL), SW_MCP_CLOSED);
    pthread_join(th, NULL);
    assert_true(await_event(&s, &s.closed));
    assert_int_equal(seen(&s, &s.closed), 1);
    assert_non_null(strstr(s.why, "killed by signal 9"));
    /* later requests fail at once */
    assert_int_equal(call(c, "echo", NULL, NULL, &res, NULL), SW_MCP_CLOSED);
    sw_mcp_client_close(c);
    assert_int_equal(seen(&s, &s.closed), 1);
    assert_true(group_gone(k.pid));
}

static void test_a_command_that_does_not_exist(void **state)
{
    (void)state;
    char err[256] = "";
    sw_mcp_config cfg = {.transport = SW_MCP_STDIO, .command = "sw-no-such-command-xyz", .log_name = "test"};
    assert_null(sw_mcp_client_connect(&cfg, NULL, err, sizeof err));
    assert_non_null(strstr(err, "not found"));
    assert_non_null(strstr(err, "sw-no-such-command-xyz"));
    cfg.command = "/nonexistent/dir/cmd";
    assert_null(sw_mcp_client_connect(&cfg, NULL, err, sizeof err));
    assert_non_null(strstr(err, "No such file"));
}

static void test_a_child_that_exits_at_once_or_at_initialize(void **state)
{
    (void)state;
    char err[256] = "";
    const char *args[] = {"-c", "exit 7", NULL};
    sw_mcp_config cfg = {.transport = SW_MCP_STDIO, .command = "sh", .args = args, .log_name = "test"};
    assert_null(sw_mcp_client_connect(&cfg, NULL, err, sizeof err));
    assert_non_null(strstr(err, "exited with status 7 before answering initialize"));
    assert_null(connect_node(FIXTURE, "exit-on-init", NULL, NULL, 0, 0, err, sizeof err));
    assert_non_null(strstr(err, "exited with status 3"));
    const char *kargs[] = {"-c", "kill -9 $$", NULL};
    cfg.args = kargs;
    assert_null(sw_mcp_client_connect(&cfg, NULL, err, sizeof err));
    assert_non_null(strstr(err, "killed by signal 9"));
}

static void test_a_child_that_never_answers(void **state)
{
    (void)state;
    char err[256] = "";
    const char *args[] = {FIXTURE, "silent", NULL};
    sw_mcp_config cfg = {.transport = SW_MCP_STDIO, .command = "node", .args = args, .log_name = "test",
                         .connect_timeout_ms = 500};
    assert_null(sw_mcp_client_connect(&cfg, NULL, err, sizeof err));
    assert_non_null(strstr(err, "initialize: no answer in time"));
}

static void test_an_old_protocol_is_refused(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(connect_node(FIXTURE, "oldproto", NULL, NULL, 0, 0, err, sizeof err));
    assert_non_null(strstr(err, "2024-11-05"));
    assert_non_null(strstr(err, "does not speak"));
}

/* close ends the whole group, even a grandchild that ignores SIGTERM. */
static void test_close_leaves_no_process_in_the_group(void **state)
{
    (void)state;
    char script[512];
    snprintf(script, sizeof script, "sh -c 'trap \"\" TERM; sleep 300' & exec node %s stdio", everything());
    const char *args[] = {"-c", script, NULL};
    sw_mcp_config cfg = {.transport = SW_MCP_STDIO, .command = "sh", .args = args, .log_name = "test",
                         .connect_timeout_ms = 20000};
    char err[256] = "";
    sw_mcp_client *c = sw_mcp_client_connect(&cfg, NULL, err, sizeof err);
    if (!c) fail_msg("connect: %s", err);
    pid_t pgid = sw_mcp_client_pid(c);
    assert_int_equal(getpgid(pgid), pgid);
    assert_int_equal(kill(-pgid, 0), 0);
    sw_mcp_client_close(c);
    assert_true(group_gone(pgid));
}

/* The child sees only the clean environment plus the configured one, and none of our descriptors. */
static void test_clean_environment_and_no_leaked_descriptor(void **state)
{
    (void)state;
    setenv("SW_TEST_PARENT_SECRET", "must-not-leak", 1);
    char marker[] = "/tmp/sw_mcp_fd_marker_XXXXXX";
    int fd = mkstemp(marker); /* no O_CLOEXEC: the child must still not get it */
    assert_true(fd >= 0);
    int fl = fcntl(fd, F_GETFD);
    fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    sw_mcp_kv env[] = {{"SW_FIXTURE_VAR", "configured"}, {"LANG", "en_US.UTF-8"}};
    char err[256] = "";
    sw_mcp_client *c = connect_node(FIXTURE, "tools", NULL, env, 2, 0, err, sizeof err);
    if (!c) fail_msg("connect: %s", err);
    json_t *res;
    const char *text;
    assert_int_equal(call(c, "env", NULL, NULL, &res, &text), SW_MCP_OK);
    json_t *e = json_loads(text, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(e, "PATH")), "/usr/local/bin:/usr/bin:/bin");
    assert_string_equal(json_string_value(json_object_get(e, "HOME")), "/");
    assert_string_equal(json_string_value(json_object_get(e, "LANG")), "en_US.UTF-8");
    assert_string_equal(json_string_value(json_object_get(e, "SW_FIXTURE_VAR")), "configured");
    assert_null(json_object_get(e, "SW_TEST_PARENT_SECRET"));
    assert_null(json_object_get(e, "SW_MCP_EVERYTHING"));
    json_decref(e);
    json_decref(res);
    assert_int_equal(call(c, "fds", NULL, NULL, &res, &text), SW_MCP_OK);
    json_t *fds = json_loads(text, 0, NULL);
    assert_non_null(fds);
    const char *k;
    json_t *v;
    json_object_foreach(fds, k, v) assert_null(strstr(json_string_value(v), "sw_mcp_fd_marker"));
    json_decref(fds);
    json_decref(res);
    sw_mcp_client_close(c);
    close(fd);
    unlink(marker);
    unsetenv("SW_TEST_PARENT_SECRET");
}

/* tools/list follows nextCursor: the fixture lists its nine tools two per page. */
static void test_list_tools_through_every_page(void **state)
{
    (void)state;
    sw_mcp_client *c = must_connect(FIXTURE, "tools", NULL);
    json_t *tools;
    char err[256];
    assert_int_equal(sw_mcp_client_list_tools(c, 10000, &tools, err, sizeof err), SW_MCP_OK);
    assert_int_equal(json_array_size(tools), 9);
    assert_true(has_tool(tools, "echo"));
    assert_true(has_tool(tools, "add-tool"));
    json_decref(tools);
    sw_mcp_client_close(c);
}

typedef struct worker {
    sw_mcp_client *c;
    int n, ok;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 20; i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "thread %d call %d", w->n, i);
        json_t *res;
        const char *text;
        char want[80];
        snprintf(want, sizeof want, "Echo: %s", msg);
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
    sw_mcp_client *c = must_connect(everything(), "stdio", NULL);
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){c, i, 0};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, 20);
    }
    sw_mcp_client_close(c);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_list_and_call_everything),
        cmocka_unit_test(test_unknown_tool_and_unknown_method),
        cmocka_unit_test(test_progress_extends_the_timeout),
        cmocka_unit_test(test_timeout_sends_cancelled),
        cmocka_unit_test(test_cancelled_by_the_callback),
        cmocka_unit_test(test_kill_9_during_a_call),
        cmocka_unit_test(test_a_command_that_does_not_exist),
        cmocka_unit_test(test_a_child_that_exits_at_once_or_at_initialize),
        cmocka_unit_test(test_a_child_that_never_answers),
        cmocka_unit_test(test_an_old_protocol_is_refused),
        cmocka_unit_test(test_close_leaves_no_process_in_the_group),
        cmocka_unit_test(test_clean_environment_and_no_leaked_descriptor),
        cmocka_unit_test(test_list_tools_through_every_page),
        cmocka_unit_test(test_concurrent_calls_from_four_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
