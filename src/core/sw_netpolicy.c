/* sw_netpolicy: the outbound-address policy (see sw_netpolicy.h). Layout: the classifier (IPv4,
 * then IPv6 with the embedded-IPv4 forms), the allow-list (parsing and matching), the URL
 * pre-check (curl's URL parser), the curl connect-time guard. */
#include "core/sw_netpolicy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the classifier ------------------------------------------------------------------------ */

static int in_net4(uint32_t a, uint32_t net, int bits)
{
    uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
    return (a & mask) == (net & mask);
}

static sw_addr_class classify4(uint32_t a) /* host byte order */
{
    if (in_net4(a, 0x00000000u, 8)) return SW_ADDR_UNSPECIFIED;  /* 0/8 "this network" */
    if (in_net4(a, 0x7f000000u, 8)) return SW_ADDR_LOOPBACK;     /* 127/8 */
    if (a == 0xa9fea9feu) return SW_ADDR_METADATA;               /* 169.254.169.254 */
    if (in_net4(a, 0xa9fe0000u, 16)) return SW_ADDR_LINK_LOCAL;  /* 169.254/16 */
    if (in_net4(a, 0x0a000000u, 8) || in_net4(a, 0xac100000u, 12) || in_net4(a, 0xc0a80000u, 16) ||
        in_net4(a, 0x64400000u, 10)) /* 10/8, 172.16/12, 192.168/16, 100.64/10 */
        return SW_ADDR_PRIVATE;
    if (in_net4(a, 0xe0000000u, 4)) return SW_ADDR_MULTICAST; /* 224/4 */
    if (in_net4(a, 0xf0000000u, 4) ||                          /* 240/4 and the broadcast */
        in_net4(a, 0xc0000000u, 24) || in_net4(a, 0xc0000200u, 24) || /* 192.0.0/24, 192.0.2/24 */
        in_net4(a, 0xc6336400u, 24) || in_net4(a, 0xcb007100u, 24) || /* 198.51.100/24, 203.0.113/24 */
        in_net4(a, 0xc6120000u, 15) || in_net4(a, 0xc0586300u, 24))   /* 198.18/15, 192.88.99/24 */
        return SW_ADDR_RESERVED;
    return SW_ADDR_PUBLIC;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i]) return 0;
    return 1;
}

static sw_addr_class classify6(const uint8_t *b)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t ec2[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
    if (zero(b, 16)) return SW_ADDR_UNSPECIFIED;
    if (zero(b, 15) && b[15] == 1) return SW_ADDR_LOOPBACK;
    if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12)) return classify4(be32(b + 12));
    if (zero(b, 12)) return SW_ADDR_RESERVED;                /* IPv4-compatible (deprecated) */
    if (b[0] == 0x20 && b[1] == 0x02) return classify4(be32(b + 2)); /* 6to4 */
    if (!memcmp(b, ec2, 16)) return SW_ADDR_METADATA;
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1)
        return SW_ADDR_PRIVATE;                              /* 64:ff9b:1::/48 local NAT64 */
    if ((b[0] & 0xfe) == 0xfc) return SW_ADDR_PRIVATE;       /* fc00::/7 ULA */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return SW_ADDR_LINK_LOCAL; /* fe80::/10 */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return SW_ADDR_PRIVATE;    /* fec0::/10 site-local */
    if (b[0] == 0xff) return SW_ADDR_MULTICAST;
    if ((b[0] & 0xe0) != 0x20) return SW_ADDR_RESERVED;     /* outside 2000::/3 global unicast */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return SW_ADDR_RESERVED; /* 2001:db8::/32 */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02) return SW_ADDR_RESERVED; /* 2001::/23 (Teredo, ...) */
    if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0) return SW_ADDR_RESERVED; /* 3fff::/20 */
    return SW_ADDR_PUBLIC;
}

sw_addr_class sw_addr_classify(const struct sockaddr *sa)
{
    if (!sa) return SW_ADDR_RESERVED;
    if (sa->sa_family == AF_INET)
        return classify4(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return classify6(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
    return SW_ADDR_RESERVED;
}

const char *sw_addr_class_name(sw_addr_class c)
{
    static const char *const names[] = {"public",      "loopback",  "private",  "link-local",
                                        "metadata",    "unspecified", "multicast", "reserved"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "reserved";
}

/* ---- the allow-list ------------------------------------------------------------------------- */

typedef struct {
    int family;      /* AF_INET / AF_INET6 for an address or CIDR; 0 for a host name */
    uint8_t addr[16];
    int bits;
    char host[256];  /* lower case, no trailing dot */
} allow_entry;

struct sw_netpolicy {
    allow_entry *e;
    int n;
};

static const sw_netpolicy default_policy = {NULL, 0};

const sw_netpolicy *sw_netpolicy_default(void)
{
    return &default_policy;
}

/* An address (with an optional "[...]" around it) into family/addr: 1, or 0 when it is none. */
static int parse_addr(const char *s, size_t len, int *family, uint8_t addr[16])
{
    char tmp[64];
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof tmp) return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    if (inet_pton(AF_INET, tmp, addr) == 1) {
        *family = AF_INET;
        return 1;
    }
    if (inet_pton(AF_INET6, tmp, addr) == 1) {
        *family = AF_INET6;
        return 1;
    }
    return 0;
}

static int valid_host(const char *s, size_t len)
{
    if (len == 0 || len > 253) return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_') return 0;
    return 1;
}

/* Lower-cases host into dst (cap bytes), without a trailing dot. */
static void norm_host(char *dst, size_t cap, const char *s, size_t len)
{
    while (len && s[len - 1] == '.')
        len--;
    if (len >= cap) len = cap - 1;
    for (size_t i = 0; i < len; i++)
        dst[i] = (char)tolower((unsigned char)s[i]);
    dst[len] = 0;
}

static int parse_entry(const char *s, size_t len, allow_entry *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    const char *slash = memchr(s, '/', len);
    if (slash) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        size_t alen = (size_t)(slash - s);
        if (end != s + len || slash + 1 == end || !parse_addr(s, alen, &e->family, e->addr) ||
            bits < 0 || bits > (e->family == AF_INET ? 32 : 128)) {
            snprintf(err, errlen, "outbound allow-list: \"%.*s\" is not a CIDR (like 10.0.0.0/8 or fd00::/8)",
                     (int)(len > 80 ? 80 : len), s);
            return -1;
        }
        e->bits = (int)bits;
        return 0;
    }
    if (parse_addr(s, len, &e->family, e->addr)) {
        e->bits = e->family == AF_INET ? 32 : 128;
        return 0;
    }
    if (!valid_host(s, len)) {
        snprintf(err, errlen, "outbound allow-list: \"%.*s\" is not a host name, address or CIDR",
                 (int)(len > 80 ? 80 : len), s);
        return -1;
    }
    norm_host(e->host, sizeof e->host, s, len);
    return 0;
}

sw_netpolicy *sw_netpolicy_new(const char *allow, char *err, size_t errlen)
{
    sw_netpolicy *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int cap = 1;
    for (const char *c = allow; c && *c; c++)
        cap += *c == ',';
    p->e = calloc((size_t)cap, sizeof *p->e);
    if (!p->e) {
        snprintf(err, errlen, "out of memory");
        free(p);
        return NULL;
    }
    for (const char *s = allow; s && *s;) {
        const char *comma = strchr(s, ',');
        const char *end = comma ? comma : s + strlen(s);
        const char *a = s, *b = end;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a && parse_entry(a, (size_t)(b - a), &p->e[p->n++], err, errlen) != 0) {
            sw_netpolicy_free(p);
            return NULL;
        }
        s = comma ? comma + 1 : end;
    }
    return p;
}

void sw_netpolicy_free(sw_netpolicy *p)
{
    if (!p || p == &default_policy) return;
    free(p->e);
    free(p);
}

static int prefix_match(const uint8_t *a, const uint8_t *net, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, net, (size_t)full) != 0) return 0;
    if (!rest) return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

/* sa as family + bytes; an IPv4-mapped IPv6 address becomes the IPv4 address. 0 when neither. */
static int addr_bytes(const struct sockaddr *sa, int *family, uint8_t out[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        *family = AF_INET;
        return 1;
    }
    if (sa->sa_family != AF_INET6) return 0;
    const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    if (!memcmp(b, mapped, 12)) {
        memcpy(out, b + 12, 4);
        *family = AF_INET;
    } else {
        memcpy(out, b, 16);
        *family = AF_INET6;
    }
    return 1;
}

static int host_listed(const sw_netpolicy *p, const char *host)
{
    if (!host || !*host) return 0;
    char h[256];
    norm_host(h, sizeof h, host, strlen(host));
    for (int i = 0; i < p->n; i++)
        if (!p->e[i].family && !strcmp(p->e[i].host, h)) return 1;
    return 0;
}

int sw_netpolicy_allows(const sw_netpolicy *p, const char *host, const struct sockaddr *sa)
{
    if (!p) p = &default_policy;
    if (!sa) return 0;
    if (sw_addr_classify(sa) == SW_ADDR_PUBLIC) return 1;
    if (host_listed(p, host)) return 1;
    int family;
    uint8_t b[16];
    if (!addr_bytes(sa, &family, b)) return 0;
    for (int i = 0; i < p->n; i++)
        if (p->e[i].family == family && prefix_match(b, p->e[i].addr, p->e[i].bits)) return 1;
    return 0;
}

/* ---- the URL pre-check ---------------------------------------------------------------------- */

/* The host of an http(s) URL (without brackets), by curl's parser (which also normalises
 * numeric IPv4 forms such as 2130706433 to dotted quads): 0, or -1. */
static int url_host(const char *url, char *host, size_t cap, int need_http)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *h = NULL;
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h && *h &&
        (!need_http || !strcasecmp(scheme, "http") || !strcasecmp(scheme, "https"))) {
        size_t len = strlen(h);
        const char *s = h;
        if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
            s++;
            len -= 2;
        }
        if (len < cap) {
            memcpy(host, s, len);
            host[len] = 0;
            rc = 0;
        }
    }
    curl_free(scheme);
    curl_free(h);
    curl_url_cleanup(u);
    return rc;
}

static int is_localhost_name(const char *h)
{
    size_t n = strlen(h);
    while (n && h[n - 1] == '.')
        n--;
    return (n == 9 && !strncasecmp(h, "localhost", 9)) ||
           (n > 10 && !strncasecmp(h + n - 10, ".localhost", 10));
}

int sw_netpolicy_check_url(const sw_netpolicy *p, const char *url, char *why, size_t whylen)
{
    if (!p) p = &default_policy;
    char host[256];
    if (!url || url_host(url, host, sizeof host, 1) != 0) {
        snprintf(why, whylen, "not an http:// or https:// URL with a host");
        return -1;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr *sa = (struct sockaddr *)&ss;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
    } else {
        if (is_localhost_name(host) && !host_listed(p, host)) {
            snprintf(why, whylen, "%.200s is a loopback name", host);
            return 0;
        }
        return 1; /* a name: judged once resolved, when connecting */
    }
    if (sw_netpolicy_allows(p, host, sa)) return 1;
    snprintf(why, whylen, "%.200s is a %s address", host, sw_addr_class_name(sw_addr_classify(sa)));
    return 0;
}

/* ---- the curl guard ------------------------------------------------------------------------- */

static curl_socket_t guard_open(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    sw_netguard *g = clientp;
    char host[256] = "";
    char *eff = NULL;
    /* the URL being fetched now: after a redirect, the new one */
    if (curl_easy_getinfo(g->easy, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || !eff ||
        url_host(eff, host, sizeof host, 0) != 0)
        host[0] = 0;
    if (purpose == CURLSOCKTYPE_IPCXN && sw_netpolicy_allows(g->policy, host, &a->addr))
        return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    g->refused++;
    g->addr[0] = 0;
    if (a->family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&a->addr)->sin_addr, g->addr, sizeof g->addr);
    else if (a->family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)&a->addr)->sin6_addr, g->addr, sizeof g->addr);
    snprintf(g->why, sizeof g->why, "%s", sw_addr_class_name(sw_addr_classify(&a->addr)));
    return CURL_SOCKET_BAD;
}

void sw_netguard_install(sw_netguard *g, CURL *easy, const sw_netpolicy *p)
{
    memset(g, 0, sizeof *g);
    g->policy = p ? p : &default_policy;
    g->easy = easy;
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, guard_open);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, g);
    curl_easy_setopt(easy, CURLOPT_PROXY, ""); /* a proxy would connect by itself */
}
