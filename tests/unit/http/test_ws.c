/* Unit tests for the WebSocket endpoint sw_ws (src/http/sw_ws*.c), driven end to end through a
 * real libmicrohttpd daemon on a loopback port by the minimal RFC 6455 client below: hello, 4401,
 * 426/400/503, tenant and room filtering, the room set following swp.room.member events without
 * a store read (rooms_of is called at connect time only), order, ping/pong, 1009, 1008 for a
 * client that does not read, 1001 on shutdown, extra_in, and the Sec-WebSocket-Accept digest;
 * and the room set / member log (sw_ws_roomset.c) directly. MHD's error log is captured: any
 * line it writes (e.g. an upgraded socket left open at MHD_stop_daemon) fails. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/sw_id.h"
#include "core/sw_time.h"
#include "events/sw_bus.h"
#include "http/sw_http.h"
#include "http/sw_ws.h"

/* assert_non_null that the compiler also knows does not return on NULL */
#define REQUIRE(p)                                                                                 \
    do {                                                                                           \
        assert_non_null(p);                                                                        \
        if (!(p)) abort();                                                                         \
    } while (0)

#define WAIT_MS 8000 /* generous: sanitizer builds are slow */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    return sw_time_mono_us() / 1000;
}

/* An event as the room write path builds it: the full wire object. */
static sw_event *mk_event(const char *tenant, const char *room, const char *type, int64_t pos,
                          const char *content_json)
{
    json_t *content = json_loads(content_json, 0, NULL);
    REQUIRE(content);
    char id[SW_ID_LEN + 1];
    json_t *wire = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:o}", "type", type, "id",
                             sw_id_new(id), "room_id", room, "tenant_id", tenant, "ts",
                             "2026-11-25T13:54:21.123Z", "stream_position", (json_int_t)pos,
                             "sender_id", "sender", "content", content);
    REQUIRE(wire);
    sw_event *ev = sw_event_new(tenant, room, type, pos, wire);
    json_decref(wire);
    REQUIRE(ev);
    return ev;
}

/* ---- sw_ws: accept key -------------------------------------------------------------------- */

static void test_ws_accept_key(void **state)
{
    (void)state;
    static const struct {
        const char *key, *accept;
    } kv[] = {
        {"dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}, /* RFC 6455 section 1.3 */
        {"", "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w="},
        /* lengths around the SHA-1 padding boundaries (55, 56, 63, 64, 128, 136 bytes hashed) */
        {"aaaaaaaaaaaaaaaaaaa", "yzaGyu0mcUukN7CdsSwa30tnCpc="},
        {"bbbbbbbbbbbbbbbbbbbb", "ZcAjD7PIOoLRa1NCxLLy2g7qFSM="},
        {"ccccccccccccccccccccccccccc", "Xzn2fokiJl1Koh72DA/8vUEKVbc="},
        {"dddddddddddddddddddddddddddd", "B4yIM9R1UI4iRr3vCtjKc4UgVC0="},
        {"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
         "Fea04GrjLtZwmXMkc2H57Cz7UUk="},
        {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
         "ffffffff",
         "LXj5W+Q9vwdA3FgbYto8qmC+yAs="},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        char out[29];
        sw_ws_accept_key(kv[i].key, out);
        assert_string_equal(out, kv[i].accept);
    }
}

/* ---- sw_ws through a real MHD daemon ---------------------------------------------------- */

/* The room table behind rooms_of: (tenant, participant) -> rooms. */
#define MAX_ROWS 64
static struct {
    pthread_mutex_t lock;
    int n;
    int fail;
    int calls; /* rooms_of calls: a read of the store */
    struct {
        char tenant[40], participant[40], room[40];
    } row[MAX_ROWS];
} g_rooms = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void rooms_set(const char *tenant, const char *participant, const char *room, int member)
{
    pthread_mutex_lock(&g_rooms.lock);
    int i;
    for (i = 0; i < g_rooms.n; i++)
        if (!strcmp(g_rooms.row[i].tenant, tenant) && !strcmp(g_rooms.row[i].participant, participant) &&
            !strcmp(g_rooms.row[i].room, room))
            break;
    if (member && i == g_rooms.n && g_rooms.n < MAX_ROWS) {
        snprintf(g_rooms.row[i].tenant, 40, "%s", tenant);
        snprintf(g_rooms.row[i].participant, 40, "%s", participant);
        snprintf(g_rooms.row[i].room, 40, "%s", room);
        g_rooms.n++;
    } else if (!member && i < g_rooms.n) {
        g_rooms.row[i] = g_rooms.row[--g_rooms.n];
    }
    pthread_mutex_unlock(&g_rooms.lock);
}

static int rooms_of(void *arg, const char *tenant, const char *participant, char (*out)[40], int max)
{
    (void)arg;
    pthread_mutex_lock(&g_rooms.lock);
    g_rooms.calls++;
    int n = 0;
    if (g_rooms.fail) n = -1;
    for (int i = 0; n >= 0 && i < g_rooms.n && n < max; i++)
        if (!strcmp(g_rooms.row[i].tenant, tenant) && !strcmp(g_rooms.row[i].participant, participant))
            snprintf(out[n++], 40, "%s", g_rooms.row[i].room);
    pthread_mutex_unlock(&g_rooms.lock);
    return n;
}

typedef struct fixture {
    sw_bus *bus;
    sw_ws *ws;
    struct MHD_Daemon *d;
    int port;
    int64_t pos;
} fixture;

static char g_mhd_log[4096];
static int g_mhd_log_n;

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (!g_mhd_log_n++) vsnprintf(g_mhd_log, sizeof g_mhd_log, fmt, ap);
}

/* Access handler: ?token=<tenant>/<participant> is a verified caller; anything else is not. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    fixture *f = cls;
    static int marker;
    if (!*con_cls) {
        *con_cls = &marker;
        return MHD_YES;
    }
    const char *tok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    sw_auth a;
    memset(&a, 0, sizeof a);
    const char *slash = tok ? strchr(tok, '/') : NULL;
    if (slash && slash - tok < 40 && strlen(slash + 1) < 40) {
        snprintf(a.tenant_id, sizeof a.tenant_id, "%.*s", (int)(slash - tok), tok);
        snprintf(a.participant_id, sizeof a.participant_id, "%s", slash + 1);
        a.ok = 1;
    }
    if (!f->ws) {
        static char gone[] = "{\"error\":{\"code\":\"SW_UNAVAILABLE\",\"message\":\"stopping\"}}";
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(gone), gone, MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret = MHD_queue_response(c, 503, r);
        MHD_destroy_response(r);
        return ret;
    }
    return sw_ws_handle(f->ws, c, a.ok ? &a : NULL);
}

static int fixture_up(void **state, int max_clients)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    pthread_mutex_lock(&g_rooms.lock);
    g_rooms.n = 0;
    g_rooms.fail = 0;
    g_rooms.calls = 0;
    pthread_mutex_unlock(&g_rooms.lock);
    g_mhd_log_n = 0;
    g_mhd_log[0] = 0;
    f->bus = sw_bus_new();
    f->ws = sw_ws_new(f->bus, rooms_of, NULL, max_clients);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    f->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_UPGRADE |
                                MHD_USE_ERROR_LOG,
                            0, NULL, NULL, on_request, f, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
                            MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)200, MHD_OPTION_END);
    if (!f->bus || !f->ws || !f->d) return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    f->port = info->port;
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return fixture_up(state, 100);
}

static int setup_cap2(void **state)
{
    return fixture_up(state, 2);
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->ws) sw_ws_free(f->ws); /* before MHD_stop_daemon */
    f->ws = NULL;
    MHD_stop_daemon(f->d);
    sw_bus_free(f->bus);
    free(f);
    if (g_mhd_log_n) fprintf(stderr, "MHD logged %d line(s), first: %s\n", g_mhd_log_n, g_mhd_log);
    return g_mhd_log_n ? -1 : 0;
}

/* Publishes an event and returns its wire JSON (malloc'd) for comparison. */
static char *pub(fixture *f, const char *tenant, const char *room, const char *type,
                 const char *content)
{
    int64_t pos = strncmp(type, "swp.room.", 9) == 0 ? ++f->pos : 0;
    sw_event *ev = mk_event(tenant, room, type, pos, content);
    char *json = strdup(ev->json);
    sw_bus_publish(f->bus, ev);
    sw_event_unref(ev);
    return json;
}

/* ---- a minimal WebSocket client ---------------------------------------------------------- */

typedef struct wsc {
    int fd;
    size_t len;
    uint8_t buf[256 * 1024];
} wsc;

static int fill(wsc *c, size_t need, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (c->len < need) {
        if (need > sizeof c->buf) return -3;
        int64_t left = end - now_ms();
        if (left <= 0) return -1;
        struct pollfd p = {c->fd, POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) return -1;
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (n <= 0) return -2;
        c->len += (size_t)n;
    }
    return 0;
}

static void consume(wsc *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Connects and sends the handshake (plus `extra` in the same write). Returns the HTTP status;
 * the head goes to head (if given), the body of a non-101 answer to body (malloc'd, if given). */
static int wsc_open(fixture *f, const char *token, int rcvbuf, const char *extra_hdrs,
                    const void *extra, size_t extra_len, wsc **out, char *head, size_t headsz,
                    char **body)
{
    wsc *c = calloc(1, sizeof *c);
    REQUIRE(c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->fd >= 0);
    if (rcvbuf) setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&addr, sizeof addr), 0);
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "GET /v1/stream?token=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", token,
                     extra_hdrs ? extra_hdrs
                                : "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                  "Sec-WebSocket-Version: 13\r\n");
    assert_true(n > 0 && (size_t)n + extra_len < sizeof req);
    if (extra_len) memcpy(req + n, extra, extra_len);
    assert_int_equal(send(c->fd, req, (size_t)n + extra_len, MSG_NOSIGNAL), (ssize_t)n + (ssize_t)extra_len);
    uint8_t *end = NULL;
    int64_t deadline = now_ms() + WAIT_MS;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
        assert_true(now_ms() < deadline);
        assert_int_equal(fill(c, c->len + 1, WAIT_MS), 0);
    }
    size_t hl = (size_t)(end - c->buf) + 4;
    int status = atoi((const char *)c->buf + 9);
    if (head) snprintf(head, headsz, "%.*s", (int)hl, (const char *)c->buf);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%.*s", (int)hl, (const char *)c->buf);
    consume(c, hl);
    if (status != 101 && body) {
        const char *cl = strcasestr(tmp, "Content-Length:");
        REQUIRE(cl);
        size_t blen = (size_t)atol(cl + 15);
        assert_int_equal(fill(c, blen, WAIT_MS), 0);
        *body = strndup((const char *)c->buf, blen);
        consume(c, blen);
    }
    *out = c;
    return status;
}

static void wsc_close(wsc *c)
{
    if (!c) return;
    close(c->fd);
    free(c);
}

/* Reads one server frame. 0, -1 timeout, -2 EOF/reset. *payload malloc'd, NUL-terminated. */
static int read_frame(wsc *c, int timeout_ms, int *op, char **payload, size_t *plen)
{
    int r = fill(c, 2, timeout_ms);
    if (r) return r;
    uint64_t len = c->buf[1] & 0x7f;
    size_t hl = 2;
    assert_int_equal(c->buf[1] & 0x80, 0); /* server frames are never masked */
    if (len == 126) {
        if ((r = fill(c, 4, timeout_ms))) return r;
        len = (uint64_t)c->buf[2] << 8 | c->buf[3];
        hl = 4;
    } else if (len == 127) {
        if ((r = fill(c, 10, timeout_ms))) return r;
        len = 0;
        for (int i = 0; i < 8; i++) len = len << 8 | c->buf[2 + i];
        hl = 10;
    }
    assert_true(len < sizeof c->buf - 16);
    if ((r = fill(c, hl + (size_t)len, timeout_ms))) return r;
    assert_int_equal(c->buf[0] & 0x80, 0x80); /* FIN: wslay does not fragment queued messages */
    *op = c->buf[0] & 0x0f;
    *payload = malloc((size_t)len + 1);
    REQUIRE(*payload);
    memcpy(*payload, c->buf + hl, (size_t)len);
    (*payload)[len] = 0;
    *plen = (size_t)len;
    consume(c, hl + (size_t)len);
    return 0;
}

static void build_frame(uint8_t *out, size_t *outlen, int op, const void *data, size_t len)
{
    static const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    size_t h = 0;
    out[h++] = (uint8_t)(0x80 | op);
    if (len < 126) {
        out[h++] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) out[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    memcpy(out + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++) out[h + i] = ((const uint8_t *)data)[i] ^ mask[i & 3];
    *outlen = h + len;
}

static void send_frame(wsc *c, int op, const void *data, size_t len)
{
    uint8_t *f = malloc(len + 14);
    REQUIRE(f);
    size_t n;
    build_frame(f, &n, op, data, len);
    assert_int_equal(send(c->fd, f, n, MSG_NOSIGNAL), (ssize_t)n);
    free(f);
}

/* Expects a text frame equal to expected; names the caller's line when it fails. */
static void expect_text_at(wsc *c, const char *expected, int line)
{
    int op = 0;
    char *p = NULL;
    size_t n;
    int r = read_frame(c, WAIT_MS, &op, &p, &n);
    if (r != 0 || op != 1 || strcmp(p, expected) != 0)
        print_error("line %d: expected text %s; got r=%d op=%d %.200s\n", line, expected, r, op,
                    p ? p : "");
    assert_int_equal(r, 0);
    assert_int_equal(op, 1);
    assert_string_equal(p, expected);
    free(p);
}
#define expect_text(c, e) expect_text_at(c, e, __LINE__)

static json_t *expect_json(wsc *c)
{
    int op;
    char *p = NULL;
    size_t n;
    assert_int_equal(read_frame(c, WAIT_MS, &op, &p, &n), 0);
    assert_int_equal(op, 1);
    json_t *o = json_loads(p, 0, NULL);
    free(p);
    REQUIRE(o);
    return o;
}

static void expect_hello(wsc *c, const char *tenant)
{
    json_t *h = expect_json(c);
    assert_string_equal(json_string_value(json_object_get(h, "type")), "hello");
    assert_string_equal(json_string_value(json_object_get(h, "tenant_id")), tenant);
    assert_true(sw_id_valid(json_string_value(json_object_get(h, "session_id"))));
    const char *ts = json_string_value(json_object_get(h, "ts"));
    REQUIRE(ts);
    assert_int_equal(strlen(ts), 24);
    assert_int_equal(ts[23], 'Z');
    assert_int_equal(json_object_size(h), 4);
    json_decref(h);
}

/* Expects a close frame with this code (and reason, if given). */
static void expect_close(wsc *c, int code, const char *reason)
{
    int op;
    char *p = NULL;
    size_t n;
    assert_int_equal(read_frame(c, WAIT_MS, &op, &p, &n), 0);
    assert_int_equal(op, 8);
    assert_true(n >= 2);
    assert_int_equal(((uint8_t)p[0] << 8) | (uint8_t)p[1], code);
    if (reason) assert_string_equal(p + 2, reason);
    free(p);
}

static void expect_eof(wsc *c)
{
    int op;
    char *p = NULL;
    size_t n;
    assert_int_equal(read_frame(c, WAIT_MS, &op, &p, &n), -2);
}

static void wait_clients(fixture *f, int n)
{
    int64_t end = now_ms() + WAIT_MS;
    while (sw_ws_client_count(f->ws) != n && now_ms() < end) sleep_ms(5);
    assert_int_equal(sw_ws_client_count(f->ws), n);
}

static wsc *connect_ok(fixture *f, const char *tenant, const char *participant)
{
    char tok[100];
    snprintf(tok, sizeof tok, "%s/%s", tenant, participant);
    wsc *c = NULL;
    char head[2048];
    assert_int_equal(wsc_open(f, tok, 0, NULL, NULL, 0, &c, head, sizeof head, NULL), 101);
    assert_non_null(strcasestr(head, "\r\nUpgrade: websocket\r\n"));
    assert_non_null(strcasestr(head, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    expect_hello(c, tenant);
    return c;
}

/* ---- sw_ws tests -------------------------------------------------------------------------- */

static void test_ws_hello_and_clean_close(void **state)
{
    fixture *f = *state;
    wsc *c = connect_ok(f, "T1", "alice");
    wait_clients(f, 1);
    send_frame(c, 8, "\x03\xe8" "bye", 5); /* close 1000 */
    expect_close(c, 1000, NULL);            /* wslay echoes the code */
    expect_eof(c);
    wait_clients(f, 0);
    wsc_close(c);
}

static void test_ws_bad_token_4401(void **state)
{
    fixture *f = *state;
    wsc *c = NULL;
    assert_int_equal(wsc_open(f, "garbage", 0, NULL, NULL, 0, &c, NULL, 0, NULL), 101);
    expect_close(c, 4401, "unauthorized"); /* first and only frame: no hello */
    send_frame(c, 8, "\x11\x31", 2);       /* our close reply (4401) */
    expect_eof(c);
    wait_clients(f, 0);
    wsc_close(c);
}

static void test_ws_refuses_plain_http(void **state)
{
    fixture *f = *state;
    wsc *c = NULL;
    char head[2048], *body = NULL;
    /* no Upgrade at all */
    assert_int_equal(wsc_open(f, "T1/alice", 0, "Accept: */*\r\n", NULL, 0, &c, head, sizeof head, &body),
                     426);
    assert_non_null(strcasestr(head, "\r\nSec-WebSocket-Version: 13\r\n"));
    assert_non_null(strcasestr(head, "\r\nContent-Type: application/json; charset=utf-8\r\n"));
    json_t *o = json_loads(body, 0, NULL);
    REQUIRE(o);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "error"), "code")),
                        "SW_BAD_REQUEST");
    json_decref(o);
    free(body);
    wsc_close(c);
    /* wrong version */
    body = NULL;
    assert_int_equal(wsc_open(f, "T1/alice", 0,
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n",
                              NULL, 0, &c, head, sizeof head, &body),
                     426);
    free(body);
    wsc_close(c);
    /* a key that is not 16 bytes of base64 */
    body = NULL;
    assert_int_equal(wsc_open(f, "T1/alice", 0,
                              "Upgrade: WebSocket\r\nConnection: upgrade\r\n"
                              "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n",
                              NULL, 0, &c, head, sizeof head, &body),
                     400);
    free(body);
    wsc_close(c);
    assert_int_equal(sw_ws_client_count(f->ws), 0);
}

static void test_ws_capacity_503(void **state)
{
    fixture *f = *state; /* max_clients 2 */
    wsc *a = connect_ok(f, "T1", "a");
    wsc *b = connect_ok(f, "T1", "b");
    wsc *c = NULL;
    char head[2048], *body = NULL;
    assert_int_equal(wsc_open(f, "T1/c", 0, NULL, NULL, 0, &c, head, sizeof head, &body), 503);
    assert_non_null(strcasestr(head, "\r\nRetry-After: "));
    json_t *o = json_loads(body, 0, NULL);
    REQUIRE(o);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "error"), "code")),
                        "SW_RATE_LIMIT_EXCEEDED");
    json_decref(o);
    free(body);
    wsc_close(c);
    wsc_close(a); /* a slot frees up once the server has seen the EOF */
    wait_clients(f, 1);
    wsc *d = connect_ok(f, "T1", "d");
    wsc_close(b);
    wsc_close(d);
    wait_clients(f, 0);
}

static void test_ws_rooms_of_failure_503(void **state)
{
    fixture *f = *state;
    pthread_mutex_lock(&g_rooms.lock);
    g_rooms.fail = 1;
    pthread_mutex_unlock(&g_rooms.lock);
    wsc *c = NULL;
    char *body = NULL;
    assert_int_equal(wsc_open(f, "T1/a", 0, NULL, NULL, 0, &c, NULL, 0, &body), 503);
    assert_non_null(strstr(body, "SW_UNAVAILABLE"));
    free(body);
    wsc_close(c);
    pthread_mutex_lock(&g_rooms.lock);
    g_rooms.fail = 0;
    pthread_mutex_unlock(&g_rooms.lock);
}

static void test_ws_fanout_filters(void **state)
{
    fixture *f = *state;
    rooms_set("T1", "a", "R1", 1);
    rooms_set("T1", "b", "R1", 1);
    rooms_set("T1", "b", "R2", 1);
    rooms_set("T2", "d", "R1", 1); /* the same room id in another tenant */
    wsc *a = connect_ok(f, "T1", "a");
    wsc *b = connect_ok(f, "T1", "b");
    wsc *c = connect_ok(f, "T1", "c"); /* in no room */
    wsc *d = connect_ok(f, "T2", "d");

    char *m1 = pub(f, "T1", "R1", "swp.room.message", "{\"msgtype\":\"swp.text\",\"body\":\"hi\"}");
    char *m2 = pub(f, "T1", "R2", "swp.room.message", "{\"body\":\"only b\"}");
    char *s1 = pub(f, "T1", "", "swp.ai.status", "{\"participant_id\":\"x\",\"status\":\"thinking\"}");
    char *x1 = pub(f, "T2", "R1", "swp.room.message", "{\"body\":\"tenant 2\"}");
    char *x2 = pub(f, "T3", "R1", "swp.room.message", "{\"body\":\"nobody\"}");
    char *m3 = pub(f, "T1", "R1", "swp.room.message.chunk", "{\"chunk_text\":\"..\",\"done\":true}");
    char *s2 = pub(f, "T2", "", "swp.model.error", "{}");

    /* byte-for-byte the published JSON, in publish order, and nothing else */
    expect_text(a, m1);
    expect_text(a, s1);
    expect_text(a, m3);
    expect_text(b, m1);
    expect_text(b, m2);
    expect_text(b, s1);
    expect_text(b, m3);
    expect_text(c, s1);
    expect_text(d, x1);
    expect_text(d, s2);
    /* a later tenant-wide event is the next thing each sees: nothing else slipped in between */
    char *s3 = pub(f, "T1", "", "swp.ai.status", "{\"status\":null}");
    char *s4 = pub(f, "T2", "", "swp.ai.status", "{\"status\":null}");
    expect_text(a, s3);
    expect_text(b, s3);
    expect_text(c, s3);
    expect_text(d, s4);
    free(m1), free(m2), free(m3), free(s1), free(s2), free(s3), free(s4), free(x1), free(x2);
    wsc_close(a), wsc_close(b), wsc_close(c), wsc_close(d);
    wait_clients(f, 0);
}

static void test_ws_member_event_changes_rooms(void **state)
{
    fixture *f = *state;
    rooms_set("T1", "a", "R1", 1);
    wsc *a = connect_ok(f, "T1", "a");
    wsc *c = connect_ok(f, "T1", "c");

    char *before = pub(f, "T1", "R1", "swp.room.message", "{\"body\":\"before\"}");
    expect_text(a, before);

    rooms_set("T1", "c", "R1", 1); /* c joins: the store changes, then the event goes out */
    char *join = pub(f, "T1", "R1", "swp.room.member", "{\"participant_id\":\"c\",\"membership\":\"join\"}");
    char *after = pub(f, "T1", "R1", "swp.room.message", "{\"body\":\"after\"}");
    expect_text(a, join);
    expect_text(a, after);
    expect_text(c, join); /* the new member hears its own join ... */
    expect_text(c, after); /* ... and the room from then on */

    /* someone else's membership in a room c is not in: not for c */
    char *other = pub(f, "T1", "R9", "swp.room.member", "{\"participant_id\":\"zed\",\"membership\":\"invite\"}");
    /* an invite for c into a room it has not joined reaches c */
    char *inv = pub(f, "T1", "R7", "swp.room.member", "{\"participant_id\":\"c\",\"membership\":\"invite\"}");
    expect_text(c, inv);

    rooms_set("T1", "c", "R1", 0); /* c leaves */
    char *leave = pub(f, "T1", "R1", "swp.room.member", "{\"participant_id\":\"c\",\"membership\":\"leave\"}");
    char *gone = pub(f, "T1", "R1", "swp.room.message", "{\"body\":\"c is gone\"}");
    char *mark = pub(f, "T1", "", "swp.ai.status", "{\"status\":null}");
    expect_text(c, leave); /* its own leave, then nothing of R1 */
    expect_text(c, mark);
    expect_text(a, leave); /* a is in R1; the invite into R7 and zed's R9 are not for a */
    expect_text(a, gone);
    expect_text(a, mark);
    free(before), free(join), free(after), free(other), free(inv), free(leave), free(gone), free(mark);
    wsc_close(a), wsc_close(c);
    wait_clients(f, 0);
}

static int rooms_calls(void)
{
    pthread_mutex_lock(&g_rooms.lock);
    int n = g_rooms.calls;
    pthread_mutex_unlock(&g_rooms.lock);
    return n;
}

/* The room set follows the membership events themselves: the "store" behind rooms_of is never
 * changed here, and never read again after the connects. */
static void test_ws_member_event_updates_rooms_without_store_read(void **state)
{
    fixture *f = *state;
    rooms_set("T1", "a", "R1", 1);
    wsc *a = connect_ok(f, "T1", "a");
    wsc *a2 = connect_ok(f, "T1", "a"); /* a second socket of the same participant */
    wsc *b = connect_ok(f, "T1", "b");
    assert_int_equal(rooms_calls(), 3); /* one read per connect, on the handshake's thread */

    char *join = pub(f, "T1", "R5", "swp.room.member", "{\"participant_id\":\"a\",\"membership\":\"join\"}");
    char *m1 = pub(f, "T1", "R5", "swp.room.message", "{\"body\":\"in R5\"}");
    /* the same participant id in another tenant joins R6: not a's T1 set */
    char *x = pub(f, "T2", "R6", "swp.room.member", "{\"participant_id\":\"a\",\"membership\":\"join\"}");
    char *m2 = pub(f, "T1", "R6", "swp.room.message", "{\"body\":\"in R6\"}");
    char *mark1 = pub(f, "T1", "", "swp.ai.status", "{\"status\":null}");
    for (int i = 0; i < 2; i++) {
        wsc *w = i ? a2 : a;
        expect_text(w, join);
        expect_text(w, m1);
        expect_text(w, mark1); /* not m2: R6 of T1 was never joined */
    }
    expect_text(b, mark1); /* a's join is not for b, nor R5 */

    char *inv = pub(f, "T1", "R1", "swp.room.member", "{\"participant_id\":\"a\",\"membership\":\"invite\"}");
    char *m3 = pub(f, "T1", "R1", "swp.room.message", "{\"body\":\"R1 after a's invite\"}");
    char *leave = pub(f, "T1", "R5", "swp.room.member", "{\"participant_id\":\"a\",\"membership\":\"leave\"}");
    char *m4 = pub(f, "T1", "R5", "swp.room.message", "{\"body\":\"R5 after a left\"}");
    char *mark2 = pub(f, "T1", "", "swp.ai.status", "{\"status\":null}");
    for (int i = 0; i < 2; i++) {
        wsc *w = i ? a2 : a;
        expect_text(w, inv); /* an invite is not a join: R1 is left too */
        expect_text(w, leave);
        expect_text(w, mark2);
    }
    expect_text(b, mark2);
    assert_int_equal(rooms_calls(), 3); /* no store read for any member event */
    free(join), free(m1), free(x), free(m2), free(mark1), free(inv), free(m3), free(leave), free(m4),
        free(mark2);
    wsc_close(a), wsc_close(a2), wsc_close(b);
    wait_clients(f, 0);
}

/* ---- the room set and the member log, directly --------------------------------------------- */

static int fixed_rooms(void *arg, const char *tenant, const char *participant, char (*out)[40], int max)
{
    (void)arg, (void)tenant, (void)participant;
    static const char *ids[] = {"r3", "r1", "r2", "r1"};
    int n = 0;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0] && n < max; i++) snprintf(out[n++], 40, "%s", ids[i]);
    return n;
}

static void test_ws_roomset(void **state)
{
    (void)state;
    sw_ws_roomset s;
    assert_int_equal(sw_ws_roomset_load(&s, fixed_rooms, NULL, "T", "p"), 0);
    assert_int_equal(s.n, 3); /* sorted, the duplicate once */
    assert_string_equal(s.ids[0], "r1");
    assert_string_equal(s.ids[2], "r3");
    assert_true(sw_ws_roomset_has(&s, "r2"));
    assert_false(sw_ws_roomset_has(&s, "r0"));
    assert_int_equal(sw_ws_roomset_set(&s, "r0", 1), 0);
    assert_int_equal(sw_ws_roomset_set(&s, "r9", 1), 0);
    assert_int_equal(sw_ws_roomset_set(&s, "r9", 1), 0); /* twice: once */
    assert_int_equal(s.n, 5);
    assert_string_equal(s.ids[0], "r0");
    assert_string_equal(s.ids[4], "r9");
    assert_int_equal(sw_ws_roomset_set(&s, "r2", 0), 0);
    assert_int_equal(sw_ws_roomset_set(&s, "r2", 0), 0);
    assert_int_equal(s.n, 4);
    assert_false(sw_ws_roomset_has(&s, "r2"));
    for (int i = 0; i < 3; i++) assert_true(strcmp(s.ids[i], s.ids[i + 1]) < 0);
    char longid[64];
    memset(longid, 'x', sizeof longid - 1);
    longid[63] = 0;
    assert_int_equal(sw_ws_roomset_set(&s, longid, 1), -1); /* never a room id */
    sw_ws_roomset_clear(&s);
    assert_int_equal(s.n, 0);
    assert_int_equal(sw_ws_roomset_set(&s, "only", 1), 0);
    assert_int_equal(sw_ws_roomset_set(&s, "only", 0), 0);
    assert_int_equal(s.n, 0);
    sw_ws_roomset_clear(&s);
}

static void test_ws_member_change_and_log(void **state)
{
    (void)state;
    sw_ws_member_change m;
    sw_event *ev = mk_event("T", "R1", "swp.room.member", 7, "{\"participant_id\":\"p\",\"membership\":\"join\"}");
    assert_int_equal(sw_ws_member_change_of(ev, &m), 1);
    assert_string_equal(m.tenant_id, "T");
    assert_string_equal(m.room_id, "R1");
    assert_string_equal(m.participant_id, "p");
    assert_int_equal(m.joined, 1);
    sw_event_unref(ev);
    ev = mk_event("T", "R1", "swp.room.member", 8, "{\"participant_id\":\"p\",\"membership\":\"invite\"}");
    assert_int_equal(sw_ws_member_change_of(ev, &m), 1);
    assert_int_equal(m.joined, 0);
    sw_event_unref(ev);
    /* not stored (ephemeral), no membership, or another type: not a change */
    ev = mk_event("T", "R1", "swp.room.member", 0, "{\"participant_id\":\"p\",\"membership\":\"join\"}");
    assert_int_equal(sw_ws_member_change_of(ev, &m), 0);
    sw_event_unref(ev);
    ev = mk_event("T", "R1", "swp.room.member", 9, "{\"participant_id\":\"p\"}");
    assert_int_equal(sw_ws_member_change_of(ev, &m), 0);
    sw_event_unref(ev);
    ev = mk_event("T", "R1", "swp.room.message", 10, "{\"participant_id\":\"p\",\"membership\":\"join\"}");
    assert_int_equal(sw_ws_member_change_of(ev, &m), 0);
    sw_event_unref(ev);

    /* the log: a client whose set was read after change 1 replays 2..4, its own, in order */
    sw_ws_member_log log = {0};
    sw_ws_member_change c[4] = {
        {"T", "p", "R1", 1}, {"T", "p", "R2", 1}, {"U", "p", "R3", 1}, {"T", "p", "R1", 0}};
    sw_ws_member_log_add(&log, &c[0]);
    sw_ws_member_log_add(&log, &c[1]);
    sw_ws_member_log_add(&log, NULL); /* a malformed member event still counts */
    sw_ws_member_log_add(&log, &c[2]);
    sw_ws_member_log_add(&log, &c[3]);
    assert_int_equal(log.seq, 5);
    sw_ws_roomset s = {0};
    assert_int_equal(sw_ws_roomset_set(&s, "R1", 1), 0); /* as read: change 1 reflected */
    assert_int_equal(sw_ws_member_log_replay(&log, 1, "T", "p", &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.ids[0], "R2"); /* R1 left again, R3 was another tenant's */
    assert_int_equal(sw_ws_member_log_replay(&log, 5, "T", "p", &s), 0); /* nothing since */
    assert_int_equal(s.n, 1);
    for (int i = 0; i < SW_WS_MEMBER_LOG; i++) sw_ws_member_log_add(&log, &c[1]);
    assert_int_equal(sw_ws_member_log_replay(&log, 4, "T", "p", &s), -1); /* no longer kept */
    assert_int_equal(sw_ws_member_log_replay(&log, 5, "T", "p", &s), 0);  /* exactly the log */
    sw_ws_roomset_clear(&s);
    sw_ws_member_log_free(&log);
}

/* Publisher threads for the ordering test: positions assigned and published under one lock. */
typedef struct {
    fixture *f;
    pthread_mutex_t *lock;
    int each;
} burst_arg;

static void *burst_publisher(void *arg)
{
    burst_arg *b = arg;
    for (int i = 0; i < b->each; i++) {
        pthread_mutex_lock(b->lock);
        int64_t p = ++b->f->pos;
        sw_event *ev = mk_event("T1", "R1", "swp.room.message", p, "{\"body\":\"burst\"}");
        sw_bus_publish(b->f->bus, ev);
        pthread_mutex_unlock(b->lock);
        sw_event_unref(ev);
    }
    return NULL;
}

static void test_ws_order_under_concurrent_publishers(void **state)
{
    fixture *f = *state;
    rooms_set("T1", "a", "R1", 1);
    rooms_set("T1", "b", "R1", 1);
    wsc *a = connect_ok(f, "T1", "a");
    wsc *b = connect_ok(f, "T1", "b");
    int64_t first = f->pos + 1;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    burst_arg ba = {f, &lock, 500};
    pthread_t th[3];
    for (int i = 0; i < 3; i++) assert_int_equal(pthread_create(&th[i], NULL, burst_publisher, &ba), 0);
    /* read while they publish (1500 small events stay far below the 1 MiB back-pressure cap) */
    for (int64_t p = first; p < first + 1500; p++) {
        json_t *ea = expect_json(a), *eb = expect_json(b);
        assert_int_equal(json_integer_value(json_object_get(ea, "stream_position")), p);
        assert_int_equal(json_integer_value(json_object_get(eb, "stream_position")), p);
        json_decref(ea);
        json_decref(eb);
    }
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    wsc_close(a), wsc_close(b);
    wait_clients(f, 0);
}

static void test_ws_ping_pong_and_extra_in(void **state)
{
    fixture *f = *state;
    /* a text ping in the same packet as the handshake: MHD reads it (extra_in) */
    uint8_t fr[64];
    size_t n;
    build_frame(fr, &n, 1, "{\"type\":\"ping\"}", 15);
    wsc *c = NULL;
    assert_int_equal(wsc_open(f, "T1/a", 0, NULL, fr, n, &c, NULL, 0, NULL), 101);
    expect_hello(c, "T1");
    expect_text(c, "{\"type\":\"pong\"}");

    send_frame(c, 1, "{\"type\":\"typing\"}", 17); /* ignored */
    send_frame(c, 1, "not json", 8);                /* ignored */
    send_frame(c, 2, "\x01\x02", 2);                /* binary: ignored */
    send_frame(c, 9, "hb", 2);                      /* protocol ping: protocol pong */
    send_frame(c, 1, "{\"type\":\"ping\",\"n\":1}", 21);
    int op;
    char *p = NULL;
    assert_int_equal(read_frame(c, WAIT_MS, &op, &p, &n), 0);
    assert_int_equal(op, 10);
    assert_string_equal(p, "hb");
    free(p);
    expect_text(c, "{\"type\":\"pong\"}");

    /* a fragmented text ping (two frames) is one message */
    uint8_t f1[32], f2[32];
    size_t n1, n2;
    build_frame(f1, &n1, 1, "{\"type\":", 8);
    f1[0] &= 0x7f; /* FIN off */
    build_frame(f2, &n2, 0, "\"ping\"}", 7);
    assert_int_equal(send(c->fd, f1, n1, MSG_NOSIGNAL), (ssize_t)n1);
    assert_int_equal(send(c->fd, f2, n2, MSG_NOSIGNAL), (ssize_t)n2);
    expect_text(c, "{\"type\":\"pong\"}");
    wsc_close(c);
    wait_clients(f, 0);
}

static void test_ws_message_too_big_1009(void **state)
{
    fixture *f = *state;
    wsc *c = connect_ok(f, "T1", "a");
    size_t big = 64 * 1024 + 1;
    char *data = malloc(big);
    REQUIRE(data);
    memset(data, 'x', big);
    send_frame(c, 1, data, big);
    free(data);
    expect_close(c, 1009, NULL);
    wsc_close(c);
    wait_clients(f, 0);
}

static void test_ws_client_protocol_error_1002(void **state)
{
    fixture *f = *state;
    wsc *c = connect_ok(f, "T1", "a");
    uint8_t unmasked[] = {0x81, 0x02, 'h', 'i'}; /* clients must mask */
    assert_int_equal(send(c->fd, unmasked, sizeof unmasked, MSG_NOSIGNAL), (ssize_t)sizeof unmasked);
    expect_close(c, 1002, NULL);
    wsc_close(c);
    wait_clients(f, 0);
}

static void test_ws_slow_reader_closed_1008(void **state)
{
    fixture *f = *state;
    rooms_set("T1", "slow", "R1", 1);
    wsc *s = NULL;
    assert_int_equal(wsc_open(f, "T1/slow", 4096, NULL, NULL, 0, &s, NULL, 0, NULL), 101);
    wait_clients(f, 1);
    char content[2100];
    snprintf(content, sizeof content, "{\"body\":\"%02000d\"}", 7);
    int64_t t0 = now_ms();
    for (int i = 0; i < 3000; i++) { /* ~6.5 MB: more than the socket buffers plus the 1 MiB cap */
        char *j = pub(f, "T1", "R1", "swp.room.message", content);
        free(j);
    }
    /* dropped: 1008 queued, never sent (it does not read), gone after the 3 s close deadline */
    wait_clients(f, 0);
    assert_true(now_ms() - t0 < 7000);
    /* what it did get ends with a close 1008, or the stream simply stops */
    expect_hello(s, "T1");
    int op = 0, last = 0, r;
    char *p = NULL;
    size_t n;
    while ((r = read_frame(s, WAIT_MS, &op, &p, &n)) == 0) {
        last = op;
        if (op == 8) assert_int_equal(((uint8_t)p[0] << 8) | (uint8_t)p[1], 1008);
        free(p);
        p = NULL;
    }
    assert_int_equal(r, -2);
    assert_true(last == 1 || last == 8);
    wsc_close(s);
}

static void test_ws_shutdown_closes_1001(void **state)
{
    fixture *f = *state;
    wsc *a = connect_ok(f, "T1", "a");
    wsc *b = connect_ok(f, "T2", "b");
    wait_clients(f, 2);
    int64_t t0 = now_ms();
    sw_ws_free(f->ws); /* our clients do not answer: bounded by the 1 s grace */
    f->ws = NULL;
    assert_true(now_ms() - t0 < 3000);
    expect_close(a, 1001, "server shutting down");
    expect_close(b, 1001, "server shutting down");
    expect_eof(a);
    expect_eof(b);
    wsc_close(a), wsc_close(b);
    /* teardown stops MHD: it must not log an upgraded connection left open */
}

static void test_ws_events_without_clients(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 1000; i++) free(pub(f, "T1", "R1", "swp.room.message", "{}"));
    /* queued references are released by the thread or by sw_ws_free: ASan sees no leak */
}

/* The test hook runs the real connection code on a socketpair without MHD. */
static void test_ws_session_hook(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    uint8_t fr[64], fr2[64];
    size_t n, n2;
    build_frame(fr, &n, 1, "{\"type\":\"ping\"}", 15);
    build_frame(fr2, &n2, 9, "", 0);
    assert_int_equal(send(sv[1], fr2, n2, 0), (ssize_t)n2); /* a protocol ping on the socket */
    assert_int_equal(sw_ws_test_session(sv[0], fr, n, 1), 2);
    wsc *c = calloc(1, sizeof *c);
    REQUIRE(c);
    c->fd = sv[1];
    expect_hello(c, "tenant-test");
    int op;
    char *p = NULL;
    assert_int_equal(read_frame(c, 1000, &op, &p, &n), 0);
    assert_int_equal(op, 10); /* control frames go first */
    free(p);
    expect_text(c, "{\"type\":\"pong\"}");
    assert_int_equal(read_frame(c, 100, &op, &p, &n), -1);
    free(c);

    /* unauthorized: only the 4401 close */
    c = calloc(1, sizeof *c);
    REQUIRE(c);
    c->fd = sv[1];
    assert_true(sw_ws_test_session(sv[0], fr, n, 0) <= 1); /* wslay may drop data after its close */
    expect_close(c, 4401, "unauthorized");
    free(c);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws_accept_key),
        cmocka_unit_test(test_ws_session_hook),
        cmocka_unit_test_setup_teardown(test_ws_hello_and_clean_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_bad_token_4401, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_refuses_plain_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_capacity_503, setup_cap2, teardown),
        cmocka_unit_test_setup_teardown(test_ws_rooms_of_failure_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_fanout_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_member_event_changes_rooms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_member_event_updates_rooms_without_store_read, setup, teardown),
        cmocka_unit_test(test_ws_roomset),
        cmocka_unit_test(test_ws_member_change_and_log),
        cmocka_unit_test_setup_teardown(test_ws_order_under_concurrent_publishers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_ping_pong_and_extra_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_message_too_big_1009, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_client_protocol_error_1002, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_slow_reader_closed_1008, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_shutdown_closes_1001, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ws_events_without_clients, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
