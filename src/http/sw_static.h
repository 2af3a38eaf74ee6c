/* sw_static: the web app's files (docs/configuration.md `--web-dir`). `GET /` and `GET /app/…`
 * answer the app's page (index.html: the app routes on the client), `GET /static/<path>` answers
 * <web-dir>/<path>. Only regular files inside the web root are served: a path with `..`, a
 * hidden segment, a backslash, `%`, a control character, or one that resolves (symlinks
 * followed) outside the root is 404, and so is a directory — never a listing. Every answer has
 * a content type by extension, `Cache-Control: no-cache` (there is no build step and so no hashed
 * names: the browser revalidates), `X-Content-Type-Options: nosniff` and a strict CSP. */
#ifndef SW_STATIC_H
#define SW_STATIC_H

#include <stddef.h>

/* The Content-Security-Policy of every static answer: only this origin, plus ws:/wss: for the
 * event stream. */
#define SW_STATIC_CSP                                                                              \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none'; "           \
    "frame-ancestors 'none'; form-action 'self'"

/* The Content-Type for a file name by its extension; "application/octet-stream" when unknown. */
const char *sw_static_content_type(const char *name);

/* Whether a relative request path is acceptable before touching the file system: not empty, no
 * leading '/', no "." / ".." / hidden segments, no empty segment, no backslash, '%' or control
 * characters, at most 1024 bytes. 1 = acceptable. */
int sw_static_path_ok(const char *rel);

/* Opens <root>/<rel> for reading when it is a regular file inside realpath(root) (after following
 * symlinks). Returns the fd (O_CLOEXEC) and fills *size, or -1 (not found or refused). */
int sw_static_open(const char *root, const char *rel, unsigned long long *size);

#endif
