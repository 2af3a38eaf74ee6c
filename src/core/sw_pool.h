/* sw_pool: the worker pool where tool calls and AI turns run (blocking work is fine there).
 * A fixed set of threads takes jobs from one FIFO queue. */
#ifndef SW_POOL_H
#define SW_POOL_H

typedef struct sw_pool sw_pool;
typedef void (*sw_pool_fn)(void *arg);

/* A job node the caller embeds in its own memory (no allocation per job). It must stay valid
 * until fn has started; the pool never frees it. */
typedef struct sw_pool_job {
    struct sw_pool_job *next;
    sw_pool_fn fn;
    void *arg;
    int owned; /* internal: 1 when the pool allocated it */
} sw_pool_job;

sw_pool *sw_pool_new(int nthreads);
/* Queues fn(arg). Returns 0, or -1 when the pool is stopping or out of memory. */
int sw_pool_submit(sw_pool *p, sw_pool_fn fn, void *arg);
/* The same with a caller-owned node (j->fn and j->arg set by the caller). */
int sw_pool_submit_job(sw_pool *p, sw_pool_job *j);
/* Stops accepting, runs what is queued, joins the threads, frees the pool. */
void sw_pool_free(sw_pool *p);
/* 1 when called from one of this pool's threads. */
int sw_pool_is_worker(sw_pool *p);

#endif
