/* sw_static: safe file serving for the web app (sw_static.h), and its two handlers. */
#include "http/sw_static.h"
#include "http/sw_handlers.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json; charset=utf-8"},
    {"webmanifest", "application/manifest+json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"woff2", "font/woff2"},
    {"woff", "font/woff"},
    {"txt", "text/plain; charset=utf-8"},
    {"map", "application/json; charset=utf-8"},
};

const char *sw_static_content_type(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) {
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot + 1, types[i].ext) == 0) return types[i].type;
    }
    return "application/octet-stream";
}

int sw_static_path_ok(const char *rel)
{
    size_t n = strlen(rel);
    if (n == 0 || n > 1024 || rel[0] == '/') return 0;
    const char *seg = rel;
    for (const char *p = rel;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '/' || c == 0) {
            if (p == seg) return 0;     /* empty segment: "a//b" or a trailing slash */
            if (seg[0] == '.') return 0; /* ".", "..", ".git", ".env" */
            if (c == 0) break;
            seg = p + 1;
            continue;
        }
        if (c < 0x20 || c == 0x7f || c == '\\' || c == '%') return 0;
    }
    return 1;
}

int sw_static_open(const char *root, const char *rel, unsigned long long *size)
{
    if (!root || !root[0] || !sw_static_path_ok(rel)) return -1;
    char rroot[PATH_MAX], joined[PATH_MAX], real[PATH_MAX];
    if (!realpath(root, rroot)) return -1;
    if (snprintf(joined, sizeof joined, "%s/%s", rroot, rel) >= (int)sizeof joined) return -1;
    if (!realpath(joined, real)) return -1;
    size_t rl = strlen(rroot);
    /* inside the root: "<root>/…" (the root "/" itself is refused as a web root) */
    if (rl <= 1 || strncmp(real, rroot, rl) != 0 || real[rl] != '/') return -1;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    *size = (unsigned long long)st.st_size;
    return fd;
}

static void serve(sw_req *req, sw_resp *resp, const char *rel)
{
    unsigned long long size = 0;
    int fd = sw_static_open(req->app->cfg.web_dir, rel, &size);
    if (fd < 0) {
        sw_resp_error(resp, SW_ERR_NOT_FOUND, NULL, "no such file: %.200s", req->path);
        return;
    }
    resp->status = 200;
    resp->has_file = 1;
    resp->file_fd = fd;
    resp->file_size = size;
    resp->content_type = sw_static_content_type(rel);
    resp->cache_control = "no-cache";
    resp->csp = SW_STATIC_CSP;
}

void sw_h_web_index(sw_req *req, sw_resp *resp)
{
    serve(req, resp, "index.html");
    if (!resp->has_file) {
        sw_resp_error(resp, SW_ERR_NOT_FOUND, NULL,
                      "the web app is not installed: no index.html under --web-dir \"%.200s\"",
                      req->app->cfg.web_dir);
    }
}

void sw_h_web_static(sw_req *req, sw_resp *resp)
{
    const char *rel = sw_req_param(req, "path");
    serve(req, resp, rel ? rel : "");
}
