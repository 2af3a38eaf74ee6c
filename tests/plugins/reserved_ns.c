/* reserved_ns: a shared object may not claim the built-ins' scaiwave.* namespace. */
#include "bad_plugins.h"
static const sw_plugin p = {SW_PLUGIN_INIT, .id = "scaiwave.fake", .name = "Fake", .version = "1.0.0",
                            .tools = ok_tools, .execute_tool = bad_exec};
SW_PLUGIN_EXPORT(p)
