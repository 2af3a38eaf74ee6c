/* Unit tests for sw_llm against tests/fakes/fake_llm.py (started once for the group with
 * posix_spawn, scripted over HTTP, killed at the end): streamed text in order; tool calls split
 * across many chunks (arguments cut mid-string, non-ASCII) assembled by index; plain JSON; a JSON
 * answer to a streamed request; 429 + Retry-After then success; 500 until the retries run out;
 * 401 (no retry, key redacted), 404, 400; a stream cut short (partial text, truncated); a stream
 * cut before any text (retried); cancellation mid-stream and while the endpoint is silent (polled
 * every 100 ms) and during a backoff; timeouts; connection refused; `event: error`; Retry-After as
 * an HTTP-date; concurrent calls on threads; the request body and headers.
 * Then the assemblers without a network: odd splits, sparse/missing indexes, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ai/sw_llm.h"

#define REQUIRE(p)                                                                                 \
    do {                                                                                           \
        assert_non_null(p);                                                                        \
        if (!(p)) abort();                                                                         \
    } while (0)

#define KEY "sk-test-SECRET-0123456789"

extern char **environ;

static pid_t g_pid;
static int g_port;
static char g_dir[64];
static char g_base[128];

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- talking to the fake ------------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t len;
} body_t;

static size_t collect(char *p, size_t sz, size_t n, void *ud)
{
    body_t *b = ud;
    char *np = realloc(b->p, b->len + sz * n + 1);
    if (!np) return 0;
    b->p = np;
    memcpy(b->p + b->len, p, sz * n);
    b->len += sz * n;
    b->p[b->len] = 0;
    return sz * n;
}

/* GET (json == NULL) or POST json to the fake; returns the body (malloc'd). */
static char *fake_http(const char *path, const char *json)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", g_port, path);
    CURL *c = curl_easy_init();
    REQUIRE(c);
    body_t b = {0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (json) curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    CURLcode rc = curl_easy_perform(c);
    long st = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || st != 200) fail_msg("fake %s: curl %d, HTTP %ld", path, rc, st);
    REQUIRE(b.p);
    return b.p;
}

static void script(const char *responses_json)
{
    char *doc = malloc(strlen(responses_json) + 32);
    REQUIRE(doc);
    sprintf(doc, "{\"responses\":%s}", responses_json);
    free(fake_http("/_script", doc));
    free(doc);
}

static json_t *requests(void)
{
    char *s = fake_http("/_requests", NULL);
    json_t *j = json_loads(s, 0, NULL);
    free(s);
    REQUIRE(j);
    assert_true(json_is_array(j));
    return j;
}

static size_t nrequests(void)
{
    json_t *r = requests();
    size_t n = json_array_size(r);
    json_decref(r);
    return n;
}

/* ---- group fixture: the fake server ------------------------------------------------------- */

static int start_fake(void **state)
{
    (void)state;
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    strcpy(g_dir, "/tmp/sw_llm_test_XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    char port_file[128];
    snprintf(port_file, sizeof port_file, "%s/port", g_dir);
    char *argv[] = {"/usr/bin/python3",
                    SW_SOURCE_DIR "/tests/fakes/fake_llm.py",
                    "--port",
                    "0",
                    "--port-file",
                    port_file,
                    NULL};
    if (posix_spawn(&g_pid, argv[0], NULL, NULL, argv, environ) != 0) return -1;
    for (int i = 0; i < 500 && !g_port; i++) { /* up to 10 s */
        FILE *f = fopen(port_file, "r");
        if (f) {
            if (fscanf(f, "%d", &g_port) != 1) g_port = 0;
            fclose(f);
        }
        if (!g_port) sleep_ms(20);
        int status;
        if (waitpid(g_pid, &status, WNOHANG) == g_pid) {
            g_pid = 0;
            fprintf(stderr, "fake_llm.py exited before listening\n");
            return -1;
        }
    }
    if (!g_port) return -1;
    snprintf(g_base, sizeof g_base, "http://127.0.0.1:%d/v1", g_port);
    return 0;
}

static int stop_fake(void **state)
{
    (void)state;
    if (g_pid > 0) {
        kill(g_pid, SIGTERM);
        int status;
        waitpid(g_pid, &status, 0);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/port", g_dir);
    unlink(path);
    rmdir(g_dir);
    curl_global_cleanup();
    return 0;
}

static int reset_fake(void **state)
{
    (void)state;
    free(fake_http("/_reset", "{}"));
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static sw_llm_config cfg_default(int stream)
{
    sw_llm_config c = {.base_url = g_base,
                       .api_key = KEY,
                       .model = "fake-model",
                       .temperature = -1,
                       .stream = stream,
                       .timeout_ms = 10000,
                       .max_retries = 2,
                       .retry_base_ms = 10};
    return c;
}

static json_t *user_messages(const char *text)
{
    json_t *m = json_pack("[{s:s, s:s}, {s:s, s:s}]", "role", "system", "content", "Be brief.",
                          "role", "user", "content", text);
    REQUIRE(m);
    return m;
}

typedef struct {
    char buf[4096];
    size_t len;
    int deltas;
    long first_delta_ms;
    int cancel_after_deltas; /* > 0: should_cancel says yes once this many deltas came */
    long cancel_at_ms;       /* > 0: should_cancel says yes from this time on */
    long polls[4096];        /* times should_cancel was called */
    int npolls;
} sink;

static void on_text(void *arg, const char *d, size_t n)
{
    sink *s = arg;
    assert_true(s->len + n < sizeof s->buf);
    memcpy(s->buf + s->len, d, n);
    s->len += n;
    s->buf[s->len] = 0;
    if (s->deltas++ == 0) s->first_delta_ms = now_ms();
}

static int should_cancel(void *arg)
{
    sink *s = arg;
    if (s->npolls < (int)(sizeof s->polls / sizeof *s->polls)) s->polls[s->npolls++] = now_ms();
    if (s->cancel_after_deltas && s->deltas >= s->cancel_after_deltas) return 1;
    if (s->cancel_at_ms && now_ms() >= s->cancel_at_ms) return 1;
    return 0;
}

static sw_llm_callbacks callbacks(sink *s)
{
    sw_llm_callbacks cb = {.on_text = on_text, .should_cancel = should_cancel, .arg = s};
    return cb;
}

static void assert_no_key(const sw_llm_result *r)
{
    if (r->error) assert_null(strstr(r->error, KEY));
    if (r->error) assert_null(strstr(r->error, "SECRET"));
}

/* ---- against the fake --------------------------------------------------------------------- */

static void test_stream_text_in_order(void **state)
{
    (void)state;
    const char *text = "Hello, world! Gr\xC3\xBC\xC3\x9F"
                       "e aus M\xC3\xBCnchen \xF0\x9F\x8C\x8D.";
    char js[512];
    snprintf(js, sizeof js, "[{\"content\":\"%s\",\"chunk_size\":3}]", text);
    script(js);
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    sink s = {0};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, &cb, &r), 0);
    assert_null(r.error);
    assert_string_equal(r.content, text);
    assert_string_equal(s.buf, text);
    assert_true(s.deltas > 5); /* really streamed, in order */
    assert_string_equal(r.finish_reason, "stop");
    assert_int_equal(r.ncalls, 0);
    assert_int_equal(r.http_status, 200);
    assert_int_equal(r.retries, 0);
    assert_false(r.truncated);
    assert_false(r.cancelled);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_stream_two_tool_calls(void **state)
{
    (void)state;
    /* arguments with quotes, escapes and non-ASCII, cut every 4 characters, interleaved */
    script("[{\"chunk_size\":4,\"interleave\":true,\"tool_calls\":["
           "{\"id\":\"call_abc\",\"name\":\"get_weather\","
           "\"arguments\":\"{\\\"city\\\":\\\"M\\u00fcnchen "
           "\\ud83c\\udf27\\\",\\\"unit\\\":\\\"c\\\"}\"},"
           "{\"id\":\"call_def\",\"name\":\"search_docs\","
           "\"arguments\":\"{\\\"q\\\":\\\"a \\\\\\\"quoted\\\\\\\" phrase\\\",\\\"k\\\":5}\"}]}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("weather?");
    json_t *tools = json_loads("[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                               "\"description\":\"w\",\"parameters\":{\"type\":\"object\"}}}]",
                               0, NULL);
    REQUIRE(tools);
    sink s = {0};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, tools, &cb, &r), 0);
    assert_null(r.error);
    assert_string_equal(r.content, "");
    assert_int_equal(s.deltas, 0);
    assert_string_equal(r.finish_reason, "tool_calls");
    assert_int_equal(r.ncalls, 2);
    assert_string_equal(r.calls[0].id, "call_abc");
    assert_string_equal(r.calls[0].name, "get_weather");
    assert_string_equal(r.calls[0].arguments,
                        "{\"city\":\"M\xC3\xBCnchen \xF0\x9F\x8C\xA7\",\"unit\":\"c\"}");
    assert_string_equal(r.calls[1].id, "call_def");
    assert_string_equal(r.calls[1].name, "search_docs");
    assert_string_equal(r.calls[1].arguments, "{\"q\":\"a \\\"quoted\\\" phrase\",\"k\":5}");
    /* the arguments really came in many pieces */
    json_t *j = json_loads(r.calls[0].arguments, 0, NULL);
    REQUIRE(j);
    assert_string_equal(json_string_value(json_object_get(j, "city")),
                        "M\xC3\xBCnchen \xF0\x9F\x8C\xA7");
    json_decref(j);
    sw_llm_result_fini(&r);
    json_decref(tools);
    json_decref(m);
}

static void test_non_stream(void **state)
{
    (void)state;
    script("[{\"content\":\"plain answer\",\"tool_calls\":[{\"id\":\"c1\",\"name\":\"f\","
           "\"arguments\":\"{\\\"x\\\":1}\"}],\"finish_reason\":\"tool_calls\"}]");
    sw_llm_config c = cfg_default(0);
    json_t *m = user_messages("Hi");
    sink s = {0};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, &cb, &r), 0);
    assert_null(r.error);
    assert_string_equal(r.content, "plain answer");
    assert_int_equal(s.deltas, 0); /* on_text is for streamed requests */
    assert_int_equal(r.ncalls, 1);
    assert_string_equal(r.calls[0].id, "c1");
    assert_string_equal(r.calls[0].name, "f");
    assert_string_equal(r.calls[0].arguments, "{\"x\":1}");
    assert_string_equal(r.finish_reason, "tool_calls");
    json_t *req = requests();
    assert_int_equal(json_array_size(req), 1);
    assert_true(
        json_is_false(json_object_get(json_object_get(json_array_get(req, 0), "body"), "stream")));
    json_decref(req);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_stream_requested_json_answer(void **state)
{
    (void)state;
    script("[{\"stream\":false,\"content\":\"not streamed after all\"}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    sink s = {0};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, &cb, &r), 0);
    assert_string_equal(r.content, "not streamed after all");
    assert_int_equal(s.deltas, 1); /* delivered as one delta */
    assert_string_equal(s.buf, "not streamed after all");
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_429_retry_after(void **state)
{
    (void)state;
    script("[{\"status\":429,\"headers\":{\"Retry-After\":\"1\"}},{\"content\":\"finally\"}]");
    sw_llm_config c = cfg_default(1); /* retry_base_ms 10: Retry-After must win */
    json_t *m = user_messages("Hi");
    sink s = {0};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    long t0 = now_ms();
    assert_int_equal(sw_llm_chat(&c, m, NULL, &cb, &r), 0);
    long took = now_ms() - t0;
    assert_true(took >= 950);
    assert_true(took < 5000);
    assert_string_equal(r.content, "finally");
    assert_string_equal(s.buf, "finally");
    assert_int_equal(r.retries, 1);
    assert_int_equal(r.http_status, 200);
    assert_null(r.error);
    assert_int_equal(nrequests(), 2);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_retry_after_http_date(void **state)
{
    (void)state;
    /* an HTTP-date in the past means "now"; base backoff 2 s must not apply */
    script("[{\"status\":503,\"headers\":{\"Retry-After\":\"Wed, 21 Oct 2015 07:28:00 GMT\"}},"
           "{\"content\":\"ok now\"}]");
    sw_llm_config c = cfg_default(0);
    c.retry_base_ms = 2000;
    json_t *m = user_messages("Hi");
    sw_llm_result r;
    long t0 = now_ms();
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), 0);
    assert_true(now_ms() - t0 < 1500);
    assert_string_equal(r.content, "ok now");
    assert_int_equal(r.retries, 1);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_500_exhausts_retries(void **state)
{
    (void)state;
    script("[{\"status\":500},{\"status\":502},{\"status\":503},{\"content\":\"too late\"}]");
    sw_llm_config c = cfg_default(1); /* max_retries 2 */
    json_t *m = user_messages("Hi");
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), -1);
    REQUIRE(r.error);
    assert_non_null(strstr(r.error, "HTTP 503"));
    assert_non_null(strstr(r.error, "2 retries"));
    assert_int_equal(r.retries, 2);
    assert_int_equal(r.http_status, 503);
    assert_string_equal(r.content, "");
    assert_int_equal(nrequests(), 3);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_401_no_retry_no_key(void **state)
{
    (void)state;
    /* the endpoint echoes the key in its message: it must be redacted */
    script(
        "[{\"status\":401,\"error_body\":{\"error\":{\"message\":\"Incorrect API key provided: " KEY
        ". Check it.\",\"type\":\"invalid_request_error\"}}},{\"content\":\"no\"}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), -1);
    REQUIRE(r.error);
    assert_non_null(strstr(r.error, "401"));
    assert_non_null(strstr(r.error, "API key"));
    assert_non_null(strstr(r.error, "Incorrect API key provided: [redacted]. Check it."));
    assert_no_key(&r);
    assert_int_equal(r.retries, 0);
    assert_int_equal(r.http_status, 401);
    assert_int_equal(nrequests(), 1);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_key_sent_as_bearer(void **state)
{
    (void)state;
    script("[{\"require_auth\":\"Bearer " KEY "\",\"content\":\"authorized\"}]");
    sw_llm_config c = cfg_default(0);
    json_t *m = user_messages("Hi");
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), 0);
    assert_string_equal(r.content, "authorized");
    sw_llm_result_fini(&r);
    /* a wrong key gets the fake's 401 */
    script("[{\"require_auth\":\"Bearer other\",\"content\":\"authorized\"}]");
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), -1);
    assert_int_equal(r.http_status, 401);
    assert_no_key(&r);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_404_not_found(void **state)
{
    (void)state;
    script("[{\"status\":404,\"error_body\":{\"error\":{\"message\":\"The model `nope` does not "
           "exist\"}}}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), -1);
    REQUIRE(r.error);
    assert_non_null(strstr(r.error, "not found"));
    assert_non_null(strstr(r.error, "404"));
    assert_non_null(strstr(r.error, "The model `nope` does not exist"));
    assert_int_equal(r.retries, 0);
    assert_int_equal(nrequests(), 1);
    sw_llm_result_fini(&r);
    /* Ollama's shape: {"error":"..."} */
    script("[{\"status\":400,\"error_body\":{\"error\":\"bad \\n thing\"}}]");
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), -1);
    assert_string_equal(r.error, "the model endpoint rejected the request (HTTP 400): bad   thing");
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_stream_cut_partial(void **state)
{
    (void)state;
    script("[{\"content\":\"abcdefghij\",\"chunk_size\":2,\"cut_after\":3},{\"content\":\"x\"}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    sink s = {0};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, &cb, &r), 0);
    assert_string_equal(r.content, "abcdef");
    assert_string_equal(s.buf, "abcdef");
    assert_true(r.truncated);
    assert_string_equal(r.finish_reason, "");
    assert_int_equal(r.retries, 0); /* text was streamed: never retried */
    assert_null(r.error);
    assert_int_equal(nrequests(), 1);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_stream_cut_before_anything_is_retried(void **state)
{
    (void)state;
    script("[{\"content\":\"abc\",\"cut_after\":0},{\"content\":\"second time\"}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    sink s = {0};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, &cb, &r), 0);
    assert_string_equal(r.content, "second time");
    assert_string_equal(s.buf, "second time");
    assert_int_equal(r.retries, 1);
    assert_false(r.truncated);
    sw_llm_result_fini(&r);
    /* and when it keeps happening: an error, not an answer */
    script("[{\"cut_after\":0},{\"cut_after\":0},{\"cut_after\":0}]");
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), -1);
    REQUIRE(r.error);
    assert_int_equal(r.retries, 2);
    assert_true(r.truncated);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_cancel_mid_stream(void **state)
{
    (void)state;
    script("[{\"content\":\"one two three four\",\"chunk_size\":4,\"delay_ms\":2000}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    sink s = {.cancel_after_deltas = 1};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    long t0 = now_ms();
    assert_int_equal(sw_llm_chat(&c, m, NULL, &cb, &r), -1);
    long end = now_ms();
    assert_true(s.first_delta_ms > 0);
    assert_true(end - s.first_delta_ms < 1000);
    assert_true(end - t0 < 1500);
    assert_true(r.cancelled);
    assert_string_equal(r.content, "one "); /* partial content kept */
    assert_string_equal(s.buf, "one ");
    REQUIRE(r.error);
    assert_non_null(strstr(r.error, "cancelled"));
    assert_int_equal(r.retries, 0);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_cancel_while_silent(void **state)
{
    (void)state;
    script("[{\"hang_ms\":3000,\"content\":\"late\"}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    long t0 = now_ms();
    sink s = {.cancel_at_ms = t0 + 700};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, &cb, &r), -1);
    long took = now_ms() - t0;
    assert_true(took >= 700);
    assert_true(took < 1300);
    assert_true(r.cancelled);
    assert_int_equal(r.http_status, 0);
    /* should_cancel was polled at least every 100 ms (some slack for a loaded machine) */
    assert_true(s.npolls >= 6);
    long worst = 0;
    for (int i = 1; i < s.npolls; i++)
        if (s.polls[i] - s.polls[i - 1] > worst) worst = s.polls[i] - s.polls[i - 1];
    if (worst > 250) fail_msg("should_cancel gap %ld ms", worst);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_cancel_during_backoff(void **state)
{
    (void)state;
    script("[{\"status\":503,\"headers\":{\"Retry-After\":\"20\"}},{\"content\":\"never\"}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    long t0 = now_ms();
    sink s = {.cancel_at_ms = t0 + 300};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, &cb, &r), -1);
    assert_true(now_ms() - t0 < 1000);
    assert_true(r.cancelled);
    assert_int_equal(r.retries, 0);
    assert_int_equal(nrequests(), 1);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_timeout(void **state)
{
    (void)state;
    script("[{\"hang_ms\":2000,\"content\":\"late\"}]");
    sw_llm_config c = cfg_default(1);
    c.timeout_ms = 300;
    c.max_retries = -1; /* no retry */
    json_t *m = user_messages("Hi");
    sw_llm_result r;
    long t0 = now_ms();
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), -1);
    assert_true(now_ms() - t0 < 1500);
    REQUIRE(r.error);
    assert_non_null(strstr(r.error, "did not answer within 300 ms"));
    assert_int_equal(r.retries, 0);
    assert_int_equal(r.http_status, 0);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_connection_refused(void **state)
{
    (void)state;
    /* a port nobody listens on: bind one, note it, close it */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    close(fd);
    char base[128];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/v1/", ntohs(a.sin_port));
    sw_llm_config c = cfg_default(1);
    c.base_url = base;
    c.max_retries = 1;
    json_t *m = user_messages("Hi");
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), -1);
    REQUIRE(r.error);
    assert_non_null(strstr(r.error, "could not reach the model endpoint"));
    assert_non_null(strstr(r.error, "gave up after 1 retry)"));
    assert_no_key(&r);
    assert_int_equal(r.retries, 1);
    assert_int_equal(r.http_status, 0);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_event_error(void **state)
{
    (void)state;
    script(
        "[{\"raw_sse\":[\"data: {\\\"choices\\\":[{\\\"index\\\":0,\\\"delta\\\":{\\\"content\\\":"
        "\\\"par\\\"}}]}\",\"event: error\\ndata: "
        "{\\\"error\\\":{\\\"message\\\":\\\"overloaded\\\"}}"
        "\\n\\n\"]}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    sink s = {0};
    sw_llm_callbacks cb = callbacks(&s);
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, &cb, &r), -1);
    REQUIRE(r.error);
    assert_string_equal(r.error, "the model endpoint reported an error: overloaded");
    assert_string_equal(r.content, "par");
    assert_int_equal(r.retries, 0);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_raw_sse_crlf_comments(void **state)
{
    (void)state;
    /* a comment, CRLF line ends, no [DONE] but a finish_reason: complete, not truncated */
    script("[{\"raw_sse\":[\": keep-alive\\r\\n\\r\\n\","
           "\"data: {\\\"choices\\\":[{\\\"delta\\\":{\\\"content\\\":\\\"A\\\"}}]}\\r\\n\\r\\n\","
           "\"data: {\\\"choices\\\":[{\\\"delta\\\":{\\\"content\\\":\\\"B\\\"},"
           "\\\"finish_reason\\\":\\\"length\\\"}]}\"]}]");
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), 0);
    assert_string_equal(r.content, "AB");
    assert_string_equal(r.finish_reason, "length");
    assert_false(r.truncated);
    sw_llm_result_fini(&r);
    json_decref(m);
}

static void test_request_body_and_headers(void **state)
{
    (void)state;
    script("[{\"content\":\"a\"},{\"content\":\"b\"}]");
    sw_llm_config c = cfg_default(1);
    c.temperature = 0.25;
    json_t *m = user_messages("What is the weather?");
    json_t *tools = json_loads(
        "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"d\","
        "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]",
        0, NULL);
    REQUIRE(tools);
    sw_llm_result r;
    assert_int_equal(sw_llm_chat(&c, m, tools, NULL, &r), 0);
    sw_llm_result_fini(&r);
    /* second call: no temperature, no tools (empty array), no key, not streamed */
    sw_llm_config c2 = cfg_default(0);
    c2.api_key = "";
    json_t *empty = json_array();
    assert_int_equal(sw_llm_chat(&c2, m, empty, NULL, &r), 0);
    sw_llm_result_fini(&r);

    json_t *req = requests();
    assert_int_equal(json_array_size(req), 2);
    json_t *r0 = json_array_get(req, 0), *b0 = json_object_get(r0, "body");
    assert_string_equal(json_string_value(json_object_get(r0, "path")), "/v1/chat/completions");
    assert_string_equal(json_string_value(json_object_get(b0, "model")), "fake-model");
    assert_true(json_equal(json_object_get(b0, "messages"), m));
    assert_true(json_equal(json_object_get(b0, "tools"), tools));
    assert_true(json_is_true(json_object_get(b0, "stream")));
    assert_true(json_is_number(json_object_get(b0, "temperature")));
    assert_true(json_number_value(json_object_get(b0, "temperature")) == 0.25);
    json_t *h0 = json_object_get(r0, "headers");
    assert_string_equal(json_string_value(json_object_get(h0, "Authorization")), "[present]");
    assert_string_equal(json_string_value(json_object_get(h0, "Content-Type")), "application/json");

    json_t *r1 = json_array_get(req, 1), *b1 = json_object_get(r1, "body");
    assert_true(json_is_false(json_object_get(b1, "stream")));
    assert_null(json_object_get(b1, "temperature"));
    assert_null(json_object_get(b1, "tools"));
    assert_null(json_object_get(json_object_get(r1, "headers"), "Authorization"));
    json_decref(req);
    json_decref(empty);
    json_decref(tools);
    json_decref(m);
}

typedef struct {
    const json_t *messages;
    int rc;
    char content[64];
    int deltas;
} worker;

static void count_delta(void *arg, const char *d, size_t n)
{
    (void)d;
    (void)n;
    ((worker *)arg)->deltas++;
}

static void *work(void *arg)
{
    worker *w = arg;
    sw_llm_config c = cfg_default(1);
    sw_llm_callbacks cb = {.on_text = count_delta, .arg = w};
    sw_llm_result r;
    w->rc = sw_llm_chat(&c, w->messages, NULL, &cb, &r);
    snprintf(w->content, sizeof w->content, "%s", r.content);
    sw_llm_result_fini(&r);
    return NULL;
}

static void test_concurrent_calls(void **state)
{
    (void)state;
    /* independent calls on several threads, sharing one (borrowed) messages array; the fake's
     * queue is empty, so each gets the default streamed "ok" */
    json_t *m = user_messages("Hi");
    enum { N = 8 };
    pthread_t th[N];
    worker w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){.messages = m};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].rc, 0);
        assert_string_equal(w[i].content, "ok");
        assert_int_equal(w[i].deltas, 1);
    }
    assert_int_equal(json_array_size(m), 2);
    assert_int_equal(m->refcount, 1); /* every reference taken was given back */
    assert_int_equal(nrequests(), N);
    json_decref(m);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    sw_llm_config c = cfg_default(1);
    json_t *m = user_messages("Hi");
    sw_llm_result r;
    c.model = NULL;
    assert_int_equal(sw_llm_chat(&c, m, NULL, NULL, &r), -1);
    REQUIRE(r.error);
    assert_string_equal(r.content, "");
    sw_llm_result_fini(&r);
    c = cfg_default(1);
    json_t *obj = json_object();
    assert_int_equal(sw_llm_chat(&c, obj, NULL, NULL, &r), -1); /* messages not an array */
    REQUIRE(r.error);
    sw_llm_result_fini(&r);
    assert_int_equal(sw_llm_chat(&c, m, obj, NULL, &r), -1); /* tools not an array */
    sw_llm_result_fini(&r);
    assert_int_equal(sw_llm_chat(NULL, m, NULL, NULL, &r), -1);
    sw_llm_result_fini(&r);
    sw_llm_result_fini(&r); /* fini twice is fine */
    assert_int_equal(nrequests(), 0);
    json_decref(obj);
    json_decref(m);
}

/* ---- the assemblers, without a network ---------------------------------------------------- */

/* Feeds the stream text in pieces of `step` bytes (0: whole) and ends it. */
static int assemble(const char *text, size_t step, sink *s, sw_llm_result *r)
{
    sw_llm_callbacks cb = {.on_text = on_text, .arg = s};
    sw_llm_stream *st = sw_llm_stream_new(s ? &cb : NULL);
    REQUIRE(st);
    size_t n = strlen(text);
    if (!step) step = n ? n : 1;
    for (size_t i = 0; i < n; i += step)
        if (sw_llm_stream_feed(st, text + i, n - i < step ? n - i : step) != 0) break;
    memset(r, 0, sizeof *r);
    int rc = sw_llm_stream_end(st, r);
    sw_llm_stream_free(st);
    return rc;
}

static const char TOOL_STREAM[] =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Let me "
    "\"}}]}\n\n"
    ": ping\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"check \\u00fc\"}}]}\r\n\r\n"
    /* index 2 first (sparse and out of order), then index 0 */
    "data: "
    "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":2,\"id\":\"c2\",\"type\":\"function\","
    "\"function\":{\"name\":\"two\",\"arguments\":\"{\\\"b\\\":\\\"\\u00e9\"}}]}}]}\n\n"
    "data: "
    "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c0\",\"type\":\"function\","
    "\"function\":{\"name\":\"zero\",\"arguments\":\"\"}}]}}]}\n\n"
    "data: "
    "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{"
    "\\\"a\\\"\"}},"
    "{\"index\":2,\"function\":{\"arguments\":\"\\\"}\"}}]}}]}\n\n"
    "data: "
    "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c0\",\"function\":{\"name\":"
    "\"zero\","
    "\"arguments\":\":1}\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"total_tokens\":3}}\n\n"
    "data: [DONE]\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"after done\"}}]}\n\n";

static void test_assembler_splits(void **state)
{
    (void)state;
    for (size_t step = 0; step <= 7; step++) {
        sink s = {0};
        sw_llm_result r;
        assert_int_equal(assemble(TOOL_STREAM, step, &s, &r), 0);
        assert_string_equal(r.content, "Let me check \xC3\xBC");
        assert_string_equal(s.buf, r.content);
        assert_int_equal(r.ncalls, 2);
        assert_string_equal(r.calls[0].id, "c0");
        assert_string_equal(r.calls[0].name, "zero");
        assert_string_equal(r.calls[0].arguments, "{\"a\":1}");
        assert_string_equal(r.calls[1].id, "c2");
        assert_string_equal(r.calls[1].name, "two");
        assert_string_equal(r.calls[1].arguments, "{\"b\":\"\xC3\xA9\"}");
        assert_string_equal(r.finish_reason, "tool_calls");
        assert_false(r.truncated);
        assert_null(r.error);
        sw_llm_result_fini(&r);
    }
}

static void test_assembler_without_index(void **state)
{
    (void)state;
    /* no "index": a new id starts a call, no id continues the last one */
    const char *in =
        "data: "
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"f\","
        "\"arguments\":\"{\\\"x\\\"\"}}]}}]}\n\n"
        "data: "
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\":2}\"}}]}}]}\n\n"
        "data: "
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"b\",\"function\":{\"name\":\"g\","
        "\"arguments\":{\"y\":[1,2]}}}]}}]}\n\n"
        "data: [DONE]\n\n";
    sw_llm_result r;
    assert_int_equal(assemble(in, 5, NULL, &r), 0);
    assert_int_equal(r.ncalls, 2);
    assert_string_equal(r.calls[0].id, "a");
    assert_string_equal(r.calls[0].arguments, "{\"x\":2}");
    assert_string_equal(r.calls[1].id, "b");
    assert_string_equal(r.calls[1].name, "g");
    assert_string_equal(r.calls[1].arguments, "{\"y\":[1,2]}"); /* an object: serialised */
    assert_string_equal(r.finish_reason, "");
    assert_false(r.truncated); /* [DONE] came */
    sw_llm_result_fini(&r);
}

static void test_assembler_failures(void **state)
{
    (void)state;
    sw_llm_result r;
    /* a malformed chunk */
    assert_int_equal(assemble("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                              "data: {not json\n\n",
                              3, NULL, &r),
                     -1);
    assert_string_equal(r.content, "a");
    assert_non_null(strstr(r.error, "malformed"));
    sw_llm_result_fini(&r);
    /* an error object in a data chunk (vLLM style) */
    assert_int_equal(assemble("data: {\"error\":{\"message\":\"boom\"}}\n\n", 0, NULL, &r), -1);
    assert_string_equal(r.error, "the model endpoint reported an error: boom");
    sw_llm_result_fini(&r);
    /* event: error with plain text */
    assert_int_equal(assemble("event: error\ndata: upstream\ndata: gone\n\n", 1, NULL, &r), -1);
    assert_string_equal(r.error, "the model endpoint reported an error: upstream gone");
    sw_llm_result_fini(&r);
    /* a long non-ASCII message is cut on a character boundary, still valid UTF-8 */
    char big[4096] = "event: error\ndata: ";
    for (int i = 0; i < 500; i++)
        strcat(big, "\xE5\xBC\x82"); /* 3-byte characters */
    strcat(big, "\n\n");
    assert_int_equal(assemble(big, 0, NULL, &r), -1);
    assert_true(strlen(r.error) < 400);
    assert_non_null(strstr(r.error, "..."));
    json_t *js = json_string(r.error); /* NULL if not valid UTF-8 */
    assert_non_null(js);
    json_decref(js);
    assert_true(strlen(r.error) > 200);
    sw_llm_result_fini(&r);
    /* nothing but [DONE]: an empty answer */
    assert_int_equal(assemble("data: [DONE]\n\n", 0, NULL, &r), -1);
    assert_non_null(strstr(r.error, "empty"));
    assert_false(r.truncated);
    sw_llm_result_fini(&r);
    /* nothing at all: truncated, no answer */
    assert_int_equal(assemble(": hi\n\n", 0, NULL, &r), -1);
    assert_true(r.truncated);
    sw_llm_result_fini(&r);
    /* some text, then the end without [DONE] or finish_reason: an answer, truncated */
    assert_int_equal(
        assemble("data: {\"choices\":[{\"delta\":{\"content\":\"part\"}}]}\n\ndata: {\"cho", 2,
                 NULL, &r),
        0);
    assert_string_equal(r.content, "part");
    assert_true(r.truncated);
    sw_llm_result_fini(&r);
    /* empty data lines are keep-alives */
    assert_int_equal(assemble("data:\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"k\"},"
                              "\"finish_reason\":\"stop\"}]}\n\n",
                              0, NULL, &r),
                     0);
    assert_string_equal(r.content, "k");
    sw_llm_result_fini(&r);
}

static void test_parse_completion(void **state)
{
    (void)state;
    sw_llm_result r = {0};
    const char *ok =
        "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
        "\"tool_calls\":[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"a\","
        "\"arguments\":\"{}\"}},{\"id\":\"t2\",\"type\":\"function\",\"function\":{"
        "\"name\":\"b\",\"arguments\":{\"k\":true}}}]},\"finish_reason\":\"tool_calls\"}]}";
    assert_int_equal(sw_llm_parse_completion(ok, strlen(ok), &r), 0);
    assert_string_equal(r.content, "");
    assert_int_equal(r.ncalls, 2);
    assert_string_equal(r.calls[0].id, "t1");
    assert_string_equal(r.calls[1].name, "b");
    assert_string_equal(r.calls[1].arguments, "{\"k\":true}");
    assert_string_equal(r.finish_reason, "tool_calls");
    /* reusing a result replaces the answer */
    const char *text =
        "{\"choices\":[{\"message\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}";
    assert_int_equal(sw_llm_parse_completion(text, strlen(text), &r), 0);
    assert_string_equal(r.content, "hi");
    assert_int_equal(r.ncalls, 0);
    const char *bad[] = {
        "", "[]", "{\"choices\":[]}", "{\"error\":{\"message\":\"nope\"}}",
        "{\"choices\":[{\"message\":{\"content\":\"\"},\"finish_reason\":\"stop\"}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(sw_llm_parse_completion(bad[i], strlen(bad[i]), &r), -1);
        REQUIRE(r.error);
        REQUIRE(r.content);
    }
    sw_llm_result_fini(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_stream_text_in_order, reset_fake),
        cmocka_unit_test_setup(test_stream_two_tool_calls, reset_fake),
        cmocka_unit_test_setup(test_non_stream, reset_fake),
        cmocka_unit_test_setup(test_stream_requested_json_answer, reset_fake),
        cmocka_unit_test_setup(test_429_retry_after, reset_fake),
        cmocka_unit_test_setup(test_retry_after_http_date, reset_fake),
        cmocka_unit_test_setup(test_500_exhausts_retries, reset_fake),
        cmocka_unit_test_setup(test_401_no_retry_no_key, reset_fake),
        cmocka_unit_test_setup(test_key_sent_as_bearer, reset_fake),
        cmocka_unit_test_setup(test_404_not_found, reset_fake),
        cmocka_unit_test_setup(test_stream_cut_partial, reset_fake),
        cmocka_unit_test_setup(test_stream_cut_before_anything_is_retried, reset_fake),
        cmocka_unit_test_setup(test_cancel_mid_stream, reset_fake),
        cmocka_unit_test_setup(test_cancel_while_silent, reset_fake),
        cmocka_unit_test_setup(test_cancel_during_backoff, reset_fake),
        cmocka_unit_test_setup(test_timeout, reset_fake),
        cmocka_unit_test_setup(test_connection_refused, reset_fake),
        cmocka_unit_test_setup(test_event_error, reset_fake),
        cmocka_unit_test_setup(test_raw_sse_crlf_comments, reset_fake),
        cmocka_unit_test_setup(test_request_body_and_headers, reset_fake),
        cmocka_unit_test_setup(test_concurrent_calls, reset_fake),
        cmocka_unit_test_setup(test_bad_arguments, reset_fake),
        cmocka_unit_test(test_assembler_splits),
        cmocka_unit_test(test_assembler_without_index),
        cmocka_unit_test(test_assembler_failures),
        cmocka_unit_test(test_parse_completion),
    };
    return cmocka_run_group_tests_name("sw_llm", tests, start_fake, stop_fake);
}
