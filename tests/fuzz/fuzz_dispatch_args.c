/* fuzz_dispatch_args: the dispatcher's argument path — defensive parsing of whatever a model
 * sends (JSON, broken JSON, plain text, invalid UTF-8), schema validation and the error texts —
 * with the greeter enabled, run inline (no pool) and without audit writes. */
#include "plugins/sw_dispatch.h"
#include "store/sw_migrate.h"
#include "store/sw_repo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sw_dispatcher d;
static sw_tenant tenant;

static void init(void)
{
    char dir[] = "/tmp/fuzz-dispatch-XXXXXX", url[128], err[256];
    if (!mkdtemp(dir)) abort();
    snprintf(url, sizeof url, "sqlite:%s/f.db", dir);
    sw_db *db = sw_db_open(url, err, sizeof err);
    if (!db || sw_migrate(db, err, sizeof err) < 0) abort();
    sw_registry *reg = sw_registry_new();
    sw_dispatcher_init(&d, db, reg, NULL, NULL, NULL, NULL, 1000);
    sw_registry_add_builtins(reg, &d.host);
    d.states = sw_plugin_states_new(db, reg);
    sw_tenant_create(db, "fuzz", "Fuzz", &tenant);
    sw_plugin_states_enable(d.states, tenant.id, "scaiwave.greeter", 0, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        init();
        ready = 1;
    }
    if (size > 65536) return 0;
    sw_call call = {.tenant_id = tenant.id, .tool = (size && data[0] == '!') ? "gre" : "greet",
                    .args = (const char *)data, .args_len = size};
    sw_dispatch_result r;
    if (sw_dispatch(&d, &call, &r) != 0 || !r.text || !r.status) __builtin_trap();
    if (r.is_error && !strstr(r.text, "Fallback suggestions:") && strcmp(r.status, "ok") != 0)
        __builtin_trap(); /* every framework failure carries the hint */
    sw_dispatch_result_fini(&r);
    return 0;
}
