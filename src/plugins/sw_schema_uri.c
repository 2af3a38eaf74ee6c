/* sw_schema_uri: URI-reference resolution for JSON-Schema "$id" and "$ref" (RFC 3986 section
 * 5.2: parse, merge, remove dot segments). Works on bytes; no percent-decoding (the schema
 * compares URIs as the strings they resolve to). Pure functions, no allocation. */
#include "plugins/sw_schema_core.h"

#include <ctype.h>
#include <string.h>

typedef struct {
    const char *scheme, *auth, *path, *query, *frag;
    size_t sl, al, pl, ql, fl;
    int has_scheme, has_auth, has_query, has_frag;
} uparts;

static void u_parse(const char *s, size_t n, uparts *u)
{
    memset(u, 0, sizeof *u);
    size_t i = 0;
    if (n && isalpha((unsigned char)s[0])) {
        size_t j = 1;
        while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.'))
            j++;
        if (j < n && s[j] == ':') {
            u->has_scheme = 1;
            u->scheme = s;
            u->sl = j;
            i = j + 1;
        }
    }
    if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
        size_t j = i + 2;
        while (j < n && s[j] != '/' && s[j] != '?' && s[j] != '#')
            j++;
        u->has_auth = 1;
        u->auth = s + i + 2;
        u->al = j - i - 2;
        i = j;
    }
    size_t j = i;
    while (j < n && s[j] != '?' && s[j] != '#')
        j++;
    u->path = s + i;
    u->pl = j - i;
    i = j;
    if (i < n && s[i] == '?') {
        j = i + 1;
        while (j < n && s[j] != '#')
            j++;
        u->has_query = 1;
        u->query = s + i + 1;
        u->ql = j - i - 1;
        i = j;
    }
    if (i < n && s[i] == '#') {
        u->has_frag = 1;
        u->frag = s + i + 1;
        u->fl = n - i - 1;
    }
}

typedef struct {
    char *p;
    size_t len, pos;
    int over;
} obuf;

static void o_put(obuf *o, const char *s, size_t n)
{
    if (o->pos + n >= o->len) {
        o->over = 1;
        return;
    }
    memcpy(o->p + o->pos, s, n);
    o->pos += n;
    o->p[o->pos] = '\0';
}

/* RFC 3986 5.2.4 on in (n bytes), appended to o. */
static void remove_dots(obuf *o, const char *in, size_t n)
{
    size_t start = o->pos, i = 0;
    while (i < n) {
        const char *r = in + i;
        size_t left = n - i;
        if (left >= 3 && !memcmp(r, "../", 3)) {
            i += 3;
        } else if (left >= 2 && !memcmp(r, "./", 2)) {
            i += 2;
        } else if ((left >= 3 && !memcmp(r, "/./", 3)) || (left == 2 && !memcmp(r, "/.", 2))) {
            i += 2;
            if (left == 2) {
                o_put(o, "/", 1);
                break;
            }
        } else if ((left >= 4 && !memcmp(r, "/../", 4)) || (left == 3 && !memcmp(r, "/..", 3))) {
            while (o->pos > start && o->p[o->pos - 1] != '/')
                o->pos--;
            if (o->pos > start) o->pos--;
            o->p[o->pos] = '\0';
            i += 3;
            if (left == 3) {
                o_put(o, "/", 1);
                break;
            }
        } else if ((left == 1 && r[0] == '.') || (left == 2 && !memcmp(r, "..", 2))) {
            break;
        } else {
            size_t j = r[0] == '/' ? 1 : 0;
            while (j < left && r[j] != '/')
                j++;
            o_put(o, r, j);
            i += j;
        }
    }
}

int sw_uri_resolve(const char *base, const char *ref, size_t reflen, char *out, size_t outlen)
{
    if (memchr(ref, '\0', reflen) || outlen < 2) return -1;
    uparts b, r;
    u_parse(base, strlen(base), &b);
    u_parse(ref, reflen, &r);
    obuf o = {out, outlen, 0, 0};
    out[0] = '\0';
    const uparts *sa = r.has_scheme ? &r : &b; /* scheme and authority source */
    if (sa->has_scheme) {
        o_put(&o, sa->scheme, sa->sl);
        o_put(&o, ":", 1);
    }
    const uparts *au = r.has_scheme || r.has_auth ? &r : &b;
    if (au->has_auth) {
        o_put(&o, "//", 2);
        o_put(&o, au->auth, au->al);
    }
    const uparts *q = &r;
    if (r.has_scheme || r.has_auth) {
        remove_dots(&o, r.path, r.pl);
    } else if (!r.pl) {
        o_put(&o, b.path, b.pl);
        if (!r.has_query) q = &b;
    } else if (r.path[0] == '/') {
        remove_dots(&o, r.path, r.pl);
    } else {
        char merged[URI_MAX];
        obuf m = {merged, sizeof merged, 0, 0};
        merged[0] = '\0';
        if (b.has_auth && !b.pl) {
            o_put(&m, "/", 1);
        } else {
            size_t cut = b.pl;
            while (cut && b.path[cut - 1] != '/')
                cut--;
            o_put(&m, b.path, cut);
        }
        o_put(&m, r.path, r.pl);
        if (m.over) return -1;
        remove_dots(&o, merged, m.pos);
    }
    if (q->has_query) {
        o_put(&o, "?", 1);
        o_put(&o, q->query, q->ql);
    }
    if (r.has_frag) {
        o_put(&o, "#", 1);
        o_put(&o, r.frag, r.fl);
    }
    return o.over ? -1 : 0;
}

size_t sw_uri_nofrag(const char *uri)
{
    const char *h = strchr(uri, '#');
    return h ? (size_t)(h - uri) : strlen(uri);
}
