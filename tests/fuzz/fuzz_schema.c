/* fuzz_schema: libFuzzer target for sw_schema. The input is "<schema JSON>" NUL-or-newline
 * "<instance JSON>" (an input without a separator is a schema validated against null). Both
 * texts go through json_loadb; sw_schema_check, sw_schema_validate (also on schemas check
 * refused, to prove validate is robust on anything) and sw_schema_secret_fields all run.
 * jansson is not instrumented, so a run from an empty corpus rarely gets past the parser:
 * seed it with one file per case of the JSON-Schema-Test-Suite (draft7 directory), each the
 * compact schema, a newline and the compact "data", then run
 * ./fuzz_schema corpus/ seeds/ -max_total_time=90 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "plugins/sw_schema.h"

#define FUZZ_MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT) return 0;
    const char *text = (const char *)data;
    size_t cut = 0;
    while (cut < size && data[cut] != '\0' && data[cut] != '\n')
        cut++;

    json_error_t je;
    json_t *schema = json_loadb(text, cut, JSON_DECODE_ANY, &je);
    if (!schema) return 0;
    json_t *instance = NULL;
    if (cut < size) instance = json_loadb(text + cut + 1, size - cut - 1, JSON_DECODE_ANY, &je);
    if (!instance) instance = json_null();

    char err[256];
    int checked = sw_schema_check(schema, err, sizeof err);
    if (memchr(err, '\0', sizeof err) == NULL) __builtin_trap(); /* message must be terminated */
    int valid = sw_schema_validate(schema, instance, err, sizeof err);
    if (memchr(err, '\0', sizeof err) == NULL) __builtin_trap();
    if (valid != 0 && err[0] == '\0') __builtin_trap(); /* a failure always says why */
    (void)sw_schema_validate(schema, instance, NULL, 0);
    char tiny[5];
    (void)sw_schema_validate(schema, instance, tiny, sizeof tiny);
    if (checked == 0) {
        /* the verdict does not depend on whether a message was asked for */
        if ((sw_schema_validate(schema, instance, NULL, 0) == 0) != (valid == 0)) __builtin_trap();
    }

    json_t *secrets = json_array();
    (void)sw_schema_secret_fields(schema, secrets);
    json_decref(secrets);

    json_decref(instance);
    json_decref(schema);
    return 0;
}
