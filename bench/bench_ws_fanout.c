/* bench_ws_fanout: WebSocket fan-out latency measured by a C client (epoll, raw sockets), so the
 * figures are the server's and not a slow client's. Usage:
 *   bench_ws_fanout PORT TOKEN ROOM_ID CLIENTS MESSAGES
 * Opens CLIENTS connections to /v1/stream?token=TOKEN, then sends MESSAGES messages to ROOM_ID
 * one after another (a plain HTTP POST on loopback), and records for every client the delay
 * from just before the POST to the arrival of the frame that carries the message. Prints
 * p50/p99/max over EVERY expected delivery (CLIENTS x MESSAGES): a frame that does not arrive
 * within 5 s counts as lost, lost deliveries rank above every measured one (so p99/max show
 * "lost" rather than a flattering figure), and any loss — or a send that is not answered 200 —
 * makes the program exit 1. Server frames are unmasked text frames; the client sends nothing
 * after the handshake (the server's pings are answered by nobody within the short run). */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

typedef struct {
    int fd;
    char buf[1 << 16];
    size_t len;
} client;

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int post(int port, const char *token, const char *room, int k)
{
    char body[128], req[1024];
    int bl = snprintf(body, sizeof body, "{\"content\":{\"msgtype\":\"swp.text\",\"body\":\"fan %06d\"}}", k);
    int rl = snprintf(req, sizeof req,
                      "POST /v1/rooms/%s/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                      room, token, bl, body);
    int fd = connect_to(port);
    if (write(fd, req, (size_t)rl) != rl) perror("write");
    char head[16] = {0}, tmp[4096];
    size_t hl = 0;
    ssize_t r;
    while ((r = read(fd, tmp, sizeof tmp)) > 0) {
        size_t take = (size_t)r < sizeof head - 1 - hl ? (size_t)r : sizeof head - 1 - hl;
        memcpy(head + hl, tmp, take);
        hl += take;
    }
    close(fd);
    return strncmp(head, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
}

/* The q-quantile of the n expected deliveries (sorted, lost ones last as INFINITY), printed. */
static void fmt_q(char *out, size_t cap, const double *lat, size_t n, double q)
{
    size_t i = (size_t)((double)n * q);
    if (i >= n) i = n - 1;
    if (lat[i] == INFINITY) snprintf(out, cap, "lost");
    else snprintf(out, cap, "%.1f ms", lat[i]);
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s PORT TOKEN ROOM CLIENTS MESSAGES\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[4]), m = atoi(argv[5]);
    const char *token = argv[2], *room = argv[3];
    client *c = calloc((size_t)n, sizeof *c);
    int ep = epoll_create1(0);
    for (int i = 0; i < n; i++) {
        c[i].fd = connect_to(port);
        char req[1024];
        int rl = snprintf(req, sizeof req,
                          "GET /v1/stream?token=%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", token);
        if (write(c[i].fd, req, (size_t)rl) != rl) return 1;
        /* read the 101 and the hello (both small, in order) */
        char *end = NULL;
        while (!end) {
            ssize_t r = read(c[i].fd, c[i].buf + c[i].len, sizeof c[i].buf - c[i].len - 1);
            if (r <= 0) return 1;
            c[i].len += (size_t)r;
            c[i].buf[c[i].len] = 0;
            end = strstr(c[i].buf, "\r\n\r\n");
        }
        if (strncmp(c[i].buf, "HTTP/1.1 101", 12) != 0) {
            fprintf(stderr, "client %d: no upgrade: %.40s\n", i, c[i].buf);
            return 1;
        }
        size_t rest = c[i].len - (size_t)(end + 4 - c[i].buf);
        memmove(c[i].buf, end + 4, rest);
        c[i].len = rest;
        fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
    }
    size_t expected = (size_t)n * (size_t)m;
    double *lat = calloc(expected ? expected : 1, sizeof(double));
    size_t nlat = 0, lost = 0;
    int failed_posts = 0;
    struct epoll_event evs[256];
    for (int k = 0; k < m; k++) {
        char marker[32];
        snprintf(marker, sizeof marker, "fan %06d", k);
        double t0 = now_ms();
        if (post(port, token, room, k) != 0) {
            failed_posts++;
            fprintf(stderr, "message %d: the send was not answered 200\n", k);
        }
        int got = 0;
        char *seen = calloc((size_t)n, 1);
        double deadline = now_ms() + 5000;
        while (got < n && now_ms() < deadline) {
            int ne = epoll_wait(ep, evs, 256, 100);
            for (int e = 0; e < ne; e++) {
                client *cl = &c[evs[e].data.u32];
                for (;;) {
                    ssize_t r = read(cl->fd, cl->buf + cl->len, sizeof cl->buf - cl->len);
                    if (r <= 0) break;
                    cl->len += (size_t)r;
                }
                /* consume whole frames */
                for (;;) {
                    if (cl->len < 2) break;
                    uint8_t *b = (uint8_t *)cl->buf;
                    size_t hl = 2, pl = b[1] & 0x7f;
                    if (pl == 126) {
                        if (cl->len < 4) break;
                        pl = (size_t)b[2] << 8 | b[3];
                        hl = 4;
                    } else if (pl == 127) {
                        if (cl->len < 10) break;
                        pl = 0;
                        for (int q = 2; q < 10; q++) pl = pl << 8 | b[q];
                        hl = 10;
                    }
                    if (cl->len < hl + pl) break;
                    if ((b[0] & 0x0f) == 1 && !seen[evs[e].data.u32] &&
                        memmem(cl->buf + hl, pl, marker, strlen(marker))) {
                        seen[evs[e].data.u32] = 1;
                        lat[nlat++] = now_ms() - t0;
                        got++;
                    }
                    memmove(cl->buf, cl->buf + hl + pl, cl->len - hl - pl);
                    cl->len -= hl + pl;
                }
            }
        }
        free(seen);
        if (got < n) {
            fprintf(stderr, "message %d reached %d of %d clients within 5 s\n", k, got, n);
            for (int q = got; q < n; q++) lat[nlat++] = INFINITY; /* lost: counted, ranked last */
            lost += (size_t)(n - got);
        }
    }
    if (nlat != expected) {
        fprintf(stderr, "internal: %zu latencies for %zu expected deliveries\n", nlat, expected);
        return 1;
    }
    if (!expected) return 2;
    qsort(lat, nlat, sizeof(double), cmp);
    char p50[32], p99[32], pmax[32];
    fmt_q(p50, sizeof p50, lat, nlat, 0.5);
    fmt_q(p99, sizeof p99, lat, nlat, 0.99);
    fmt_q(pmax, sizeof pmax, lat, nlat, 1.0);
    printf("ws (C client): %d messages x %d clients = %zu expected deliveries, %zu lost: p50 %s, p99 %s, max %s\n",
           m, n, expected, lost, p50, p99, pmax);
    if (lost || failed_posts) {
        fprintf(stderr, "ws (C client): FAILED: %zu deliveries lost, %d sends refused\n", lost, failed_posts);
        return 1;
    }
    return 0;
}
