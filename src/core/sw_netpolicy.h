/* sw_netpolicy: the outbound-address policy — the one place that decides where the server may
 * open a connection on a tenant's behalf (an AI's own base_url, a plugin's swp_http_fetch).
 * Owns the address classifier (loopback, private/ULA, link-local, cloud metadata, unspecified,
 * multicast, reserved ranges; IPv4-mapped/6to4/NAT64 IPv6 addresses are judged by the IPv4
 * address they carry), the operator's allow-list (--outbound-allow / SCAIWAVE_OUTBOUND_ALLOW:
 * comma-separated host names, addresses and CIDRs), and the libcurl guard that applies it to the
 * address actually being connected to, after DNS resolution, for every connection of a transfer
 * (redirects too) — so there is no window between checking a name and connecting to it. */
#ifndef SW_NETPOLICY_H
#define SW_NETPOLICY_H

#include <curl/curl.h>
#include <stddef.h>
#include <sys/socket.h>

typedef enum sw_addr_class {
    SW_ADDR_PUBLIC = 0,
    SW_ADDR_LOOPBACK,    /* 127/8, ::1 */
    SW_ADDR_PRIVATE,     /* RFC 1918, 100.64/10 (CGNAT), fc00::/7 (ULA), fec0::/10 */
    SW_ADDR_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
    SW_ADDR_METADATA,    /* 169.254.169.254, fd00:ec2::254 (cloud instance metadata) */
    SW_ADDR_UNSPECIFIED, /* 0/8, :: */
    SW_ADDR_MULTICAST,   /* 224/4, ff00::/8 */
    SW_ADDR_RESERVED,    /* documentation, benchmarking, 240/4, broadcast, other families */
} sw_addr_class;

/* The class of an AF_INET or AF_INET6 address (any other family: SW_ADDR_RESERVED). */
sw_addr_class sw_addr_classify(const struct sockaddr *sa);
/* "public", "loopback", "private", "link-local", "metadata", "unspecified", "multicast",
 * "reserved". */
const char *sw_addr_class_name(sw_addr_class c);

typedef struct sw_netpolicy sw_netpolicy;

/* A policy: public addresses are allowed, every other class is refused unless the allow-list
 * names the host or covers the address. allow: comma-separated entries, each a host name
 * (matched case-insensitively against the URL's host), an IPv4/IPv6 address ("[::1]" too) or a
 * CIDR ("10.0.0.0/8", "fd00::/8"); NULL or "" = none. Returns NULL with a message in err for an
 * entry that is none of these (or out of memory). */
sw_netpolicy *sw_netpolicy_new(const char *allow, char *err, size_t errlen);
void sw_netpolicy_free(sw_netpolicy *p);
/* The policy with no allow-list (static; never freed). */
const sw_netpolicy *sw_netpolicy_default(void);

/* 1 when a connection to sa may be opened for a URL whose host is `host` (NULL when unknown):
 * the address is public, or the allow-list names host or covers the address. p NULL = default. */
int sw_netpolicy_allows(const sw_netpolicy *p, const char *host, const struct sockaddr *sa);

/* Checks a URL before it is stored or used: 0 when its host is an address the policy refuses or
 * a localhost name (RFC 6761) it does not allow — why then says which and why; 1 otherwise
 * (other names are judged at connect time, once resolved); -1 when it is not an http(s) URL
 * with a host (why says so). */
int sw_netpolicy_check_url(const sw_netpolicy *p, const char *url, char *why, size_t whylen);

/* The connect-time guard of one curl easy handle: every socket the transfer opens (each
 * address tried, each redirect) is checked first; a refused one is not opened, the transfer
 * fails with CURLE_COULDNT_CONNECT and `refused` says why. Also turns proxies off (a proxy
 * would resolve and connect by itself). The guard must outlive the transfer. */
typedef struct sw_netguard {
    const sw_netpolicy *policy;
    CURL *easy;
    int refused;        /* how many connections were refused */
    char addr[64];      /* the last refused address, as text */
    char why[16];       /* its class name */
} sw_netguard;

void sw_netguard_install(sw_netguard *g, CURL *easy, const sw_netpolicy *p);

#endif
