/* builtin: registers the built-in plugins. To add one, declare its descriptor and list it. */
#include "plugins/builtin/builtin.h"

extern const swp_plugin sw_greeter_plugin;
extern const swp_plugin sw_notes_plugin;

const swp_plugin *const BUILTIN_PLUGINS[] = {
    &sw_greeter_plugin,
    &sw_notes_plugin,
    /* … existing entries … */
    NULL,
};
