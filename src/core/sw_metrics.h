/* sw_metrics: lock-free request counters and latency histograms per route, rendered in the
 * Prometheus text format for GET /metrics. */
#ifndef SW_METRICS_H
#define SW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define SW_METRICS_MAX_ROUTES 160
#define SW_METRICS_BUCKETS 14

typedef struct sw_metrics sw_metrics;

sw_metrics *sw_metrics_new(void);
void sw_metrics_free(sw_metrics *m);
/* Registers a route label (e.g. "GET /v1/me"); returns its index. Call before serving. */
int sw_metrics_route(sw_metrics *m, const char *label);
/* Records one request of route idx (-1 = unmatched) with its status and duration. */
void sw_metrics_observe(sw_metrics *m, int idx, int status, int64_t micros);
/* Counts a tool call outcome ("ok", "error", "denied", "timeout", "rejected"). */
void sw_metrics_tool(sw_metrics *m, const char *status);
/* Long-poll counters (GET /v1/sync): looks at the store, wakes of a parked request by a bus
 * event, and the number parked now (a gauge: +1 on park, -1 on resume). */
typedef enum { SW_SYNC_SCANS, SW_SYNC_WAKES, SW_SYNC_PARKED, SW_SYNC_NCOUNTERS } sw_sync_counter;
void sw_metrics_sync(sw_metrics *m, sw_sync_counter which, int64_t delta);
/* Renders the text exposition into a malloc'd string. */
char *sw_metrics_render(sw_metrics *m, size_t *len);

#endif
