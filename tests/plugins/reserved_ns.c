/* reserved_ns: a shared object may not claim the built-ins' scaiwave.* namespace. */
#include "bad_plugins.h"
static const swp_plugin p = {SWP_PLUGIN_INIT, .id = "scaiwave.fake", .name = "Fake", .version = "1.0.0",
                            .tools = ok_tools, .execute_tool = bad_exec};
SWP_PLUGIN_EXPORT(p)
