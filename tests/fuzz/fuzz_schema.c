/* fuzz_schema: libFuzzer target for sw_schema. The input is "<schema JSON>" NUL-or-newline
 * "<instance JSON>" (an input without a separator is a schema validated against null). Both
 * texts go through json_loadb. The schema is compiled four ways (draft-07 and 2020-12 default,
 * strict and not: sw_schema_compile), and every compiled form runs the instance with a full
 * message buffer, none and a tiny one (sw_schema_run): the verdict must not depend on the
 * buffer, a failure always says why, messages are always terminated, and a schema that
 * compiles strict also compiles non-strict (the verdict checks are skipped for an input whose
 * runs come near the 100 ms regex budget, as timing can then decide). The one-shot forms
 * (sw_schema_check, sw_schema_validate) and sw_schema_secret_fields run too. Patterns reach PCRE2
 * with its match limits. jansson is not instrumented, so a run from an empty corpus rarely gets
 * past the parser: seed it with one file per case of the JSON-Schema-Test-Suite (draft7 and
 * draft2020-12), each the compact schema, a newline and the compact "data", then run
 * ./fuzz_schema scratch-corpus/ -max_total_time=60 on a copy of corpus/fuzz_schema. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "plugins/sw_schema.h"

#define FUZZ_MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void terminated(const char *err, size_t len)
{
    if (memchr(err, '\0', len) == NULL) __builtin_trap(); /* message must be terminated */
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Set when a run came near the regex time budget (100 ms per run): its verdict may then
 * differ between runs, so the comparisons below are skipped for that input. */
static int g_slow;

/* Runs one compiled form three ways; returns its verdict. */
static int run_all(const sw_schema *c, const json_t *instance)
{
    char err[256], tiny[5];
    double t0 = now_ms();
    int valid = sw_schema_run(c, instance, err, sizeof err);
    terminated(err, sizeof err);
    if (valid != 0 && err[0] == '\0') __builtin_trap(); /* a failure always says why */
    if (valid == 0 && err[0] != '\0') __builtin_trap();
    int bare = sw_schema_run(c, instance, NULL, 0);
    int cut = sw_schema_run(c, instance, tiny, sizeof tiny);
    terminated(tiny, sizeof tiny);
    if (now_ms() - t0 > 40 || strstr(err, "regular expressions took over")) g_slow = 1;
    if (!g_slow && (bare != valid || cut != valid)) __builtin_trap();
    return valid;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT) return 0;
    const char *text = (const char *)data;
    size_t cut = 0;
    while (cut < size && data[cut] != '\0' && data[cut] != '\n')
        cut++;

    json_error_t je;
    json_t *schema = json_loadb(text, cut, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!schema) return 0;
    json_t *instance = NULL;
    if (cut < size)
        instance =
            json_loadb(text + cut + 1, size - cut - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!instance) instance = json_null();

    g_slow = 0;
    static const int drafts[2] = {SW_SCHEMA_DRAFT7, SW_SCHEMA_DRAFT2020};
    for (int d = 0; d < 2; d++) {
        char err[256];
        sw_schema *strict = sw_schema_compile(schema, drafts[d], SW_SCHEMA_STRICT, err, sizeof err);
        terminated(err, sizeof err);
        if (!strict && err[0] == '\0') __builtin_trap(); /* a refusal always says why */
        sw_schema *lax = sw_schema_compile(schema, drafts[d], 0, err, sizeof err);
        terminated(err, sizeof err);
        if (strict && !lax) __builtin_trap(); /* strict only adds refusals */
        if (strict && sw_schema_draft(strict) != sw_schema_draft(lax)) __builtin_trap();
        int vs = strict ? run_all(strict, instance) : 0;
        int vl = lax ? run_all(lax, instance) : 0;
        if (strict && lax && !g_slow && vs != vl) __builtin_trap(); /* same draft: same verdict */
        sw_schema_free(strict);
        sw_schema_free(lax);
    }

    char err[256];
    int checked = sw_schema_check(schema, err, sizeof err);
    terminated(err, sizeof err);
    int valid = sw_schema_validate(schema, instance, err, sizeof err);
    terminated(err, sizeof err);
    if (valid != 0 && err[0] == '\0') __builtin_trap();
    if (checked == 0 && !g_slow &&
        (sw_schema_validate(schema, instance, NULL, 0) == 0) != (valid == 0))
        __builtin_trap();

    json_t *secrets = json_array();
    (void)sw_schema_secret_fields(schema, secrets);
    json_decref(secrets);

    json_decref(instance);
    json_decref(schema);
    return 0;
}
