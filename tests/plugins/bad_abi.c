/* bad_abi: claims ABI version 999. */
#include "bad_plugins.h"
static const swp_plugin p = {.abi_version = 999, .struct_size = sizeof(swp_plugin), .id = "test.bad-abi",
                            .name = "Bad ABI", .version = "1.0.0", .tools = ok_tools, .execute_tool = bad_exec};
SWP_PLUGIN_EXPORT(p)
