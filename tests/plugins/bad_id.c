/* bad_id: an id that is not <owner>.<name>. */
#include "bad_plugins.h"
static const sw_plugin p = {SW_PLUGIN_INIT, .id = "NoDotHere", .name = "Bad id", .version = "1.0.0",
                            .tools = ok_tools, .execute_tool = bad_exec};
SW_PLUGIN_EXPORT(p)
