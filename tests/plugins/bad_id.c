/* bad_id: an id that is not <owner>.<name>. */
#include "bad_plugins.h"
static const swp_plugin p = {SWP_PLUGIN_INIT, .id = "NoDotHere", .name = "Bad id", .version = "1.0.0",
                            .tools = ok_tools, .execute_tool = bad_exec};
SWP_PLUGIN_EXPORT(p)
