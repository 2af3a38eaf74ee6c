/* sw_metrics: per-route counters (by status class) and cumulative latency histograms. Updates
 * are relaxed atomics, so request threads never take a lock to count. */
#include "core/sw_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bucket_le[SW_METRICS_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

typedef struct {
    char label[96];
    uint64_t by_class[6]; /* index status/100: 1xx..5xx */
    uint64_t buckets[SW_METRICS_BUCKETS + 1]; /* last = +Inf */
    uint64_t sum_us;
} route_stats;

static const char *tool_status_names[] = {"ok", "error", "denied", "timeout", "rejected", "expired"};
#define N_TOOL_STATUS (sizeof tool_status_names / sizeof tool_status_names[0])

struct sw_metrics {
    int nroutes;
    route_stats routes[SW_METRICS_MAX_ROUTES + 1]; /* last slot = unmatched */
    uint64_t tool_calls[N_TOOL_STATUS];
    int64_t sync[SW_SYNC_NCOUNTERS];
};

sw_metrics *sw_metrics_new(void)
{
    sw_metrics *m = calloc(1, sizeof *m);
    if (m) strcpy(m->routes[SW_METRICS_MAX_ROUTES].label, "unmatched");
    return m;
}

void sw_metrics_free(sw_metrics *m)
{
    free(m);
}

int sw_metrics_route(sw_metrics *m, const char *label)
{
    if (m->nroutes >= SW_METRICS_MAX_ROUTES) return -1;
    snprintf(m->routes[m->nroutes].label, sizeof m->routes[0].label, "%s", label);
    return m->nroutes++;
}

void sw_metrics_observe(sw_metrics *m, int idx, int status, int64_t micros)
{
    if (!m) return;
    route_stats *r = &m->routes[(idx >= 0 && idx < m->nroutes) ? idx : SW_METRICS_MAX_ROUTES];
    int cls = status / 100;
    if (cls < 1 || cls > 5) cls = 0;
    __atomic_fetch_add(&r->by_class[cls], 1, __ATOMIC_RELAXED);
    double s = (double)micros / 1e6;
    int b = 0;
    while (b < SW_METRICS_BUCKETS && s > bucket_le[b]) b++;
    __atomic_fetch_add(&r->buckets[b], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->sum_us, (uint64_t)(micros > 0 ? micros : 0), __ATOMIC_RELAXED);
}

void sw_metrics_tool(sw_metrics *m, const char *status)
{
    if (!m || !status) return;
    for (size_t i = 0; i < N_TOOL_STATUS; i++)
        if (strcmp(status, tool_status_names[i]) == 0)
            __atomic_fetch_add(&m->tool_calls[i], 1, __ATOMIC_RELAXED);
}

void sw_metrics_sync(sw_metrics *m, sw_sync_counter which, int64_t delta)
{
    if (m && which >= 0 && which < SW_SYNC_NCOUNTERS) __atomic_fetch_add(&m->sync[which], delta, __ATOMIC_RELAXED);
}

char *sw_metrics_render(sw_metrics *m, size_t *len)
{
    char *buf = NULL;
    size_t sz = 0;
    FILE *f = open_memstream(&buf, &sz);
    if (!f) return NULL;
    fprintf(f, "# HELP scaiwave_http_requests_total HTTP requests by route and status class.\n"
               "# TYPE scaiwave_http_requests_total counter\n");
    static const char *cls_name[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int i = 0; i <= SW_METRICS_MAX_ROUTES; i++) {
        if (i >= m->nroutes && i != SW_METRICS_MAX_ROUTES) continue;
        route_stats *r = &m->routes[i];
        for (int c = 0; c < 6; c++) {
            uint64_t v = __atomic_load_n(&r->by_class[c], __ATOMIC_RELAXED);
            if (v) fprintf(f, "scaiwave_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                           r->label, cls_name[c], (unsigned long long)v);
        }
    }
    fprintf(f, "# HELP scaiwave_http_request_duration_seconds Request latency by route.\n"
               "# TYPE scaiwave_http_request_duration_seconds histogram\n");
    for (int i = 0; i <= SW_METRICS_MAX_ROUTES; i++) {
        if (i >= m->nroutes && i != SW_METRICS_MAX_ROUTES) continue;
        route_stats *r = &m->routes[i];
        uint64_t cum = 0;
        for (int b = 0; b <= SW_METRICS_BUCKETS; b++) {
            cum += __atomic_load_n(&r->buckets[b], __ATOMIC_RELAXED);
            if (b < SW_METRICS_BUCKETS)
                fprintf(f, "scaiwave_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                        r->label, bucket_le[b], (unsigned long long)cum);
            else
                fprintf(f, "scaiwave_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                        r->label, (unsigned long long)cum);
        }
        fprintf(f, "scaiwave_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", r->label,
                (double)__atomic_load_n(&r->sum_us, __ATOMIC_RELAXED) / 1e6);
        fprintf(f, "scaiwave_http_request_duration_seconds_count{route=\"%s\"} %llu\n", r->label,
                (unsigned long long)cum);
    }
    fprintf(f, "# HELP scaiwave_tool_calls_total Tool calls through the dispatcher by outcome.\n"
               "# TYPE scaiwave_tool_calls_total counter\n");
    for (size_t i = 0; i < N_TOOL_STATUS; i++)
        fprintf(f, "scaiwave_tool_calls_total{status=\"%s\"} %llu\n", tool_status_names[i],
                (unsigned long long)__atomic_load_n(&m->tool_calls[i], __ATOMIC_RELAXED));
    fprintf(f, "# HELP scaiwave_sync_scans_total Store reads by GET /v1/sync (first look and each wake).\n"
               "# TYPE scaiwave_sync_scans_total counter\n"
               "scaiwave_sync_scans_total %lld\n"
               "# HELP scaiwave_sync_wakes_total Parked long-polls resumed by an event that concerns them.\n"
               "# TYPE scaiwave_sync_wakes_total counter\n"
               "scaiwave_sync_wakes_total %lld\n"
               "# HELP scaiwave_sync_parked Long-polls parked now.\n"
               "# TYPE scaiwave_sync_parked gauge\n"
               "scaiwave_sync_parked %lld\n",
            (long long)__atomic_load_n(&m->sync[SW_SYNC_SCANS], __ATOMIC_RELAXED),
            (long long)__atomic_load_n(&m->sync[SW_SYNC_WAKES], __ATOMIC_RELAXED),
            (long long)__atomic_load_n(&m->sync[SW_SYNC_PARKED], __ATOMIC_RELAXED));
    fclose(f);
    if (len) *len = sz;
    return buf;
}
