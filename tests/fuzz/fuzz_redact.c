/* fuzz_redact: the one redaction of tool arguments (sw_redact) — whatever text a model or a
 * stored row holds (objects, broken JSON, plain text, invalid UTF-8) — against a tool with secret
 * fields. Invariants: an answer always comes back, a secret field never shows its value, and
 * text that is not an object is withheld for a tool with secrets. */
#include "plugins/sw_redact.h"
#include "plugins/sw_schema.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static sw_reg_tool tool;

static void init(void)
{
    tool.schema = json_loads("{\"type\":\"object\",\"properties\":{\"user\":{\"type\":\"string\"},"
                             "\"password\":{\"type\":\"string\",\"x-secret\":true},"
                             "\"pin\":{\"type\":\"string\",\"format\":\"password\"}}}", 0, NULL);
    tool.secret_fields = json_array();
    if (!tool.schema || !tool.secret_fields || sw_schema_secret_fields(tool.schema, tool.secret_fields) != 2) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        init();
        ready = 1;
    }
    if (size > 65536) return 0;
    const char *raw = (const char *)data;
    json_t *parsed = json_loadb(raw, size, 0, NULL);
    for (int pass = 0; pass < 2; pass++) {
        json_t *r = sw_redact_args(&tool, pass ? parsed : NULL, raw, size);
        if (!r) __builtin_trap();
        if (json_is_object(parsed)) {
            if (!json_is_object(r)) __builtin_trap();
            const char *keys[] = {"password", "pin"};
            for (int k = 0; k < 2; k++) {
                json_t *v = json_object_get(r, keys[k]);
                if (json_object_get(parsed, keys[k]) && (!json_is_string(v) || strcmp(json_string_value(v), SW_REDACT_MASK)))
                    __builtin_trap();
            }
        } else if (!json_is_string(r) || strcmp(json_string_value(r), SW_REDACT_MASK)) {
            __builtin_trap(); /* plain text may be the secret itself */
        }
        json_decref(r);
    }
    json_decref(parsed);
    /* without secret fields: the text comes back bounded */
    json_t *r = sw_redact_args(NULL, NULL, raw, size);
    if (!r || (json_is_string(r) && json_string_length(r) > 1024)) __builtin_trap();
    json_decref(r);
    return 0;
}
