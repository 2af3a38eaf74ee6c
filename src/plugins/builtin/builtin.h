/* builtin: the table of built-in plugins, BUILTIN_PLUGINS[], NULL-terminated. */
#ifndef SW_BUILTIN_H
#define SW_BUILTIN_H

#include <scaiwave/plugin.h>

extern const swp_plugin *const BUILTIN_PLUGINS[];

#endif
