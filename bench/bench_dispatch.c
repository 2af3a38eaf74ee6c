/* bench_dispatch: the dispatcher's overhead per greeter call — lookup, argument parse, schema
 * validation, permission check, execution on the worker pool, audit enqueue — against calling
 * the greeter's run directly, single caller thread. Prints medians of several runs.
 * Every call's result is checked (status, no error, the greeting's text): a figure made of
 * failed calls would be fast and meaningless, so any bad result makes the bench exit 1. */
#include "../tests/plugin_harness.h"
#include "core/sw_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const swp_plugin sw_greeter_plugin;

static const char EXPECTED[] = "Hallo, Alice!";
static long g_bad; /* calls whose result was not the greeting */

static void check(const char *path, long i, int rc, const char *status, int is_error, const char *text)
{
    if (rc == 0 && !is_error && (!status || strcmp(status, "ok") == 0) && text &&
        strcmp(text, EXPECTED) == 0)
        return;
    if (g_bad++ < 5)
        fprintf(stderr, "dispatch: %s call %ld: rc %d, status %s, error %d, text %.80s\n", path, i, rc,
                status ? status : "-", is_error, text ? text : "(null)");
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 1000000;
    const int runs = 5;
    setenv("SW_PASSWORD_FAST", "1", 1);
    sw_harness *h = sw_harness_new((const swp_plugin *[]){&sw_greeter_plugin, NULL});
    if (!h || sw_harness_enable(h, "scaiwave.greeter", -1) != 0) return 1;
    const char *args = "{\"language\":\"de\",\"name\":\"Alice\"}";
    long per = calls / runs;
    double direct[5], disp[5], inl[5];
    for (int r = 0; r < runs; r++) {
        /* direct: a fresh context per call, as the dispatcher also builds one */
        int64_t t0 = sw_time_mono_ns();
        for (long i = 0; i < per; i++) {
            swp_result out;
            int rc = sw_harness_execute(h, &sw_greeter_plugin, "greet", args, &out);
            check("direct", i, rc, NULL, out.is_error, out.text);
        }
        direct[r] = (double)(sw_time_mono_ns() - t0) / (double)per / 1000.0;
        t0 = sw_time_mono_ns();
        for (long i = 0; i < per; i++) {
            sw_dispatch_result out;
            int rc = sw_harness_call(h, "greet", args, &out);
            check("dispatch", i, rc, out.status, out.is_error, out.text);
            sw_dispatch_result_fini(&out);
        }
        disp[r] = (double)(sw_time_mono_ns() - t0) / (double)per / 1000.0;
        /* the same without the hand-off to a worker thread (no timeout protection): shows how
         * much of the overhead is the hand-off itself */
        sw_pool *pool = h->d.pool;
        h->d.pool = NULL;
        t0 = sw_time_mono_ns();
        for (long i = 0; i < per; i++) {
            sw_dispatch_result out;
            int rc = sw_harness_call(h, "greet", args, &out);
            check("inline", i, rc, out.status, out.is_error, out.text);
            sw_dispatch_result_fini(&out);
        }
        inl[r] = (double)(sw_time_mono_ns() - t0) / (double)per / 1000.0;
        h->d.pool = pool;
        sw_audit_flush(h->audit); /* let the writer catch up between runs */
    }
    qsort(direct, runs, sizeof(double), cmp);
    qsort(disp, runs, sizeof(double), cmp);
    qsort(inl, runs, sizeof(double), cmp);
    printf("dispatch: %ld greeter calls in %d runs, single caller thread\n", per * runs, runs);
    printf("dispatch: direct run (with context)           median %.3f us/call (min %.3f, max %.3f)\n",
           direct[runs / 2], direct[0], direct[runs - 1]);
    printf("dispatch: through sw_dispatch (+audit enqueue) median %.3f us/call (min %.3f, max %.3f)\n",
           disp[runs / 2], disp[0], disp[runs - 1]);
    printf("dispatch: same, run inline (no worker hand-off)  median %.3f us/call (min %.3f, max %.3f)\n",
           inl[runs / 2], inl[0], inl[runs - 1]);
    printf("dispatch: ratio dispatcher/direct = %.2f\n", disp[runs / 2] / direct[runs / 2]);
    sw_harness_free(h);
    if (g_bad) {
        fprintf(stderr, "dispatch: FAILED: %ld of %ld calls did not return \"%s\"\n", g_bad, per * runs * 3,
                EXPECTED);
        return 1;
    }
    printf("dispatch: all %ld results checked (\"%s\")\n", per * runs * 3, EXPECTED);
    return 0;
}
