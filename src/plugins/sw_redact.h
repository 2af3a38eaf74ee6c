/* sw_redact: the one redaction of tool arguments — every place arguments leave the dispatcher
 * (the audit log, approval cards and requests, the swp.tool.call event) shows them through it.
 * An object comes back with the tool's secret fields (sw_reg_tool.secret_fields: "x-secret",
 * "writeOnly", "format":"password") reading "***"; arguments that are not an object are shown as
 * text (at most 1024 bytes, whole characters) — or as "***" when the tool has a secret field,
 * since plain text may be that field's value. */
#ifndef SW_REDACT_H
#define SW_REDACT_H

#include "plugins/sw_registry.h"

#include <jansson.h>
#include <stddef.h>

#define SW_REDACT_MASK "***"

/* `parsed` (may be NULL) is the arguments as parsed; `raw` the text. rt may be NULL (unknown
 * tool: nothing is known to be secret). Returns a new reference, or NULL out of memory. */
json_t *sw_redact_args(const sw_reg_tool *rt, const json_t *parsed, const char *raw, size_t rawlen);
/* The same for stored argument text of a plugin's tool (looked up in the registry). */
json_t *sw_redact_args_text(const sw_registry *reg, const char *plugin_id, const char *tool, const char *text);

#endif
