/* fuzz_mcp_mount: what a mounted MCP server (or a tenant admin) sends into src/mcp's manager, on
 * any bytes. The first byte picks the part, the rest is JSON:
 *   0  a tools/call result into text (sw_mcp_result_text) under a max_result_bytes from the
 *      second byte: never crashes, the text is valid UTF-8 (the cut keeps whole characters)
 *   1  an admin's registration (sw_mcp_config_build, then a PATCH with the same body over it):
 *      never crashes; an accepted one has a view and opens for the client
 *   2  a tools/list array into the plugin mcp.<id> (sw_mcp_mount_build): never crashes; every
 *      tool in the view is either mounted or says why not */
#include "mcp/sw_mcp_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void result_text(const uint8_t *d, size_t n)
{
    if (n < 1) return;
    size_t max = 256 + (size_t)d[0] * 16;
    json_t *r = json_loadb((const char *)d + 1, n - 1, JSON_DECODE_ANY, NULL);
    if (!r) return;
    int is_error = 0;
    char *t = sw_mcp_result_text(r, "tool", max, &is_error);
    if (t) {
        json_t *check = json_string(t); /* NULL when not valid UTF-8 */
        if (!check) __builtin_trap();
        json_decref(check);
    }
    free(t);
    json_decref(r);
}

static void registration(const uint8_t *d, size_t n)
{
    json_t *b = json_loadb((const char *)d, n, JSON_DECODE_ANY, NULL);
    if (!b) return;
    sw_mcp_op op;
    int tr = SW_MCP_STDIO, en = 1;
    json_t *cfg = sw_mcp_config_build(b, NULL, "node", NULL, &tr, &en, &op);
    if (cfg) {
        json_t *view = json_object();
        sw_mcp_config_view(cfg, view);
        json_decref(view);
        json_t *next = sw_mcp_config_build(b, cfg, "node", NULL, &tr, &en, &op);
        json_decref(next);
        sw_mcp_cfg_hold h;
        char err[200];
        sw_mcp_config_open(cfg, tr, "node", NULL, &h, err, sizeof err);
        sw_mcp_config_wipe(&h);
        json_decref(cfg);
    } else if (!op.msg[0]) {
        __builtin_trap(); /* a refusal always says why */
    }
    json_decref(b);
}

static void mount(const uint8_t *d, size_t n)
{
    json_t *tools = json_loadb((const char *)d, n, JSON_DECODE_ANY, NULL);
    if (!tools) return;
    static sw_mcp_srv s;
    static int init;
    if (!init) {
        s.refs = 1;
        snprintf(s.id, sizeof s.id, "fz");
        snprintf(s.plugin_id, sizeof s.plugin_id, "mcp.fz");
        pthread_mutex_init(&s.mu, NULL);
        s.config = json_object();
        init = 1;
    }
    json_t *view = NULL;
    char err[300];
    sw_mcp_mount *mt = sw_mcp_mount_build(&s, NULL, json_is_array(tools) ? tools : NULL, &view, err, sizeof err);
    if (mt) {
        size_t i;
        json_t *v;
        json_array_foreach(view, i, v) {
            if (!json_is_true(json_object_get(v, "available")) && !json_string_value(json_object_get(v, "reason")))
                __builtin_trap();
        }
        sw_mcp_mount_release(mt);
    }
    json_decref(view);
    json_decref(tools);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    switch (data[0] % 3) {
    case 0: result_text(data + 1, size - 1); break;
    case 1: registration(data + 1, size - 1); break;
    default: mount(data + 1, size - 1); break;
    }
    return 0;
}
