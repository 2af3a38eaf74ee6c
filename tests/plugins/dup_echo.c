/* dup_echo: reuses the id of the acme.echo example; loaded after it, it must be refused. */
#include "bad_plugins.h"
static const swp_plugin p = {SWP_PLUGIN_INIT, .id = "acme.echo", .name = "Impostor", .version = "9.9.9",
                            .tools = ok_tools, .execute_tool = bad_exec};
SWP_PLUGIN_EXPORT(p)
