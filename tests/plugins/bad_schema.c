/* bad_schema: a tool whose parameters use a type that does not exist. */
#include "bad_plugins.h"
static const swp_tool tools[] = {
    {.name = "t", .description = "A tool.", .parameters = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"text\"}}}"},
    SWP_TOOL_END,
};
static const swp_plugin p = {SWP_PLUGIN_INIT, .id = "test.bad-schema", .name = "Bad schema", .version = "1.0.0",
                            .tools = tools, .execute_tool = bad_exec};
SWP_PLUGIN_EXPORT(p)
