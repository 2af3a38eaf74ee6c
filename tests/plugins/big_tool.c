/* big_tool: a plugin built against a NEWER plugin.h whose sw_tool has a field this server does
 * not know (tool_size larger than the server's sizeof(sw_tool)); the loader refuses it, naming
 * both sizes. */
#include "bad_plugins.h"

typedef struct newer_sw_tool {
    sw_tool t;
    const char *field_from_the_future;
} newer_sw_tool;

static const newer_sw_tool newer_tools[] = {
    {.t = {.name = "t", .description = "A tool.", .parameters = "{\"type\":\"object\"}"}},
    {.t = {0}},
};

static const sw_plugin p = {.abi_version = SW_PLUGIN_ABI_VERSION, .struct_size = sizeof(sw_plugin),
                            .tool_size = sizeof(newer_sw_tool), .id = "test.big-tool",
                            .name = "Big tool", .version = "1.0.0",
                            .tools = (const sw_tool *)(const void *)newer_tools, .execute_tool = bad_exec};
SW_PLUGIN_EXPORT(p)
