/* big_tool: a plugin built against a NEWER plugin.h whose swp_tool has a field this server does
 * not know (tool_size larger than the server's sizeof(swp_tool)); the loader refuses it, naming
 * both sizes. */
#include "bad_plugins.h"

typedef struct newer_sw_tool {
    swp_tool t;
    const char *field_from_the_future;
} newer_sw_tool;

static const newer_sw_tool newer_tools[] = {
    {.t = {.name = "t", .description = "A tool.", .parameters = "{\"type\":\"object\"}"}},
    {.t = {0}},
};

static const swp_plugin p = {.abi_version = SWP_PLUGIN_ABI_VERSION, .struct_size = sizeof(swp_plugin),
                            .tool_size = sizeof(newer_sw_tool), .id = "test.big-tool",
                            .name = "Big tool", .version = "1.0.0",
                            .tools = (const swp_tool *)(const void *)newer_tools, .execute_tool = bad_exec};
SWP_PLUGIN_EXPORT(p)
