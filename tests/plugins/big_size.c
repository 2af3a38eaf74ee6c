/* big_size: a descriptor from a NEWER plugin.h (struct_size larger than this server's
 * sizeof(swp_plugin): fields it does not know); the loader refuses it, naming both sizes. */
#include "bad_plugins.h"

static const struct {
    swp_plugin p;
    void *slots_from_the_future[4];
} newer = {.p = {.abi_version = SWP_PLUGIN_ABI_VERSION, .struct_size = sizeof newer, .id = "test.big-size",
                 .name = "Big size", .version = "1.0.0", .tools = ok_tools, .execute_tool = bad_exec}};

__attribute__((visibility("default"))) const swp_plugin *swp_plugin_entry(void);
const swp_plugin *swp_plugin_entry(void) { return &newer.p; }
