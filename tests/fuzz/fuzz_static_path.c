/* fuzz_static_path: libFuzzer target for the static-file path checks of src/http/sw_static.c
 * (GET /static/<path>): sw_static_path_ok, sw_static_open and sw_static_content_type on arbitrary
 * request paths, against a small web root made once in a temporary directory (a file, a
 * subdirectory, a hidden file, a symlink pointing outside the root, a secret file next to it).
 *
 * Oracle: an accepted path has no empty, "." / ".." or hidden segment, no backslash, '%' or
 * control byte, and is at most 1024 bytes; an opened file is a regular file whose real path is
 * inside the root (never the secret outside it); the content type is never NULL. Run:
 *   ./fuzz_static_path -max_total_time=60 corpus/fuzz_static_path */
#include "http/sw_static.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_root[PATH_MAX];
static char g_real_root[PATH_MAX];

static void put(const char *rel, const char *text)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", g_root, rel);
    FILE *f = fopen(p, "w");
    if (!f) __builtin_trap();
    fputs(text, f);
    fclose(f);
}

static void make_root(void)
{
    char base[] = "/tmp/sw-fuzz-static-XXXXXX";
    if (!mkdtemp(base)) __builtin_trap();
    snprintf(g_root, sizeof g_root, "%s/web", base);
    char p[PATH_MAX * 2];
    if (mkdir(g_root, 0755) != 0) __builtin_trap();
    snprintf(p, sizeof p, "%s/css", g_root);
    if (mkdir(p, 0755) != 0) __builtin_trap();
    put("index.html", "<!doctype html>");
    put("app.js", "1");
    put("css/app.css", "a{}");
    put(".env", "SECRET=1");
    snprintf(p, sizeof p, "%s/secret.txt", base);
    FILE *f = fopen(p, "w");
    if (!f) __builtin_trap();
    fputs("outside the root", f);
    fclose(f);
    char link[PATH_MAX * 2];
    snprintf(link, sizeof link, "%s/escape.txt", g_root);
    if (symlink(p, link) != 0) __builtin_trap();
    if (!realpath(g_root, g_real_root)) __builtin_trap();
}

/* What sw_static_path_ok promises, restated independently. */
static int path_shape_ok(const char *rel)
{
    size_t n = strlen(rel);
    if (n == 0 || n > 1024) return 0;
    char *copy = strdup(rel);
    if (!copy) __builtin_trap();
    int ok = rel[0] != '/' && rel[n - 1] != '/' && !strstr(rel, "//");
    for (const char *seg = strtok(copy, "/"); ok && seg; seg = strtok(NULL, "/"))
        if (seg[0] == '.') ok = 0;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)rel[i];
        if (c < 0x20 || c == 0x7f || c == '\\' || c == '%') ok = 0;
    }
    free(copy);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_root[0]) make_root();
    if (size > 4096) return 0;
    char *rel = malloc(size + 1);
    if (!rel) return 0;
    memcpy(rel, data, size);
    rel[size] = 0; /* a NUL inside the input ends the path, as it would in a C string */

    int ok = sw_static_path_ok(rel);
    if (ok != path_shape_ok(rel)) __builtin_trap();
    if (!sw_static_content_type(rel)) __builtin_trap();

    unsigned long long sz = 0;
    int fd = sw_static_open(g_root, rel, &sz);
    if (fd >= 0) {
        if (!ok) __builtin_trap(); /* opened a path the checks refuse */
        char proc[64], real[PATH_MAX];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(proc, real, sizeof real - 1);
        if (n <= 0) __builtin_trap();
        real[n] = 0;
        size_t rl = strlen(g_real_root);
        if (strncmp(real, g_real_root, rl) != 0 || real[rl] != '/') __builtin_trap(); /* escaped */
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (unsigned long long)st.st_size != sz)
            __builtin_trap();
        close(fd);
    }
    free(rel);
    return 0;
}
