/* bad_size: a descriptor size no header ever produced. */
#include "bad_plugins.h"
static const swp_plugin p = {.abi_version = SWP_PLUGIN_ABI_VERSION, .struct_size = 24, .id = "test.bad-size",
                            .name = "Bad size", .version = "1.0.0", .tools = ok_tools, .execute_tool = bad_exec};
SWP_PLUGIN_EXPORT(p)
