/* sw_pool: fixed-size thread pool with a mutex/condvar FIFO. A worker that runs out of jobs
 * spins briefly (SPIN_NS) before sleeping, so a burst of short jobs — the common case for tool
 * calls — is handed over without a futex wake-up and a context switch per job; adaptively
 * (sw_spin.h): under a load where jobs do not come within the spin, it sleeps at once. */
#include "core/sw_pool.h"

#include "core/sw_spin.h"
#include "core/sw_time.h"

#include <pthread.h>
#include <stdlib.h>

#define SPIN_NS 50000

typedef sw_pool_job job;

struct sw_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *head, *tail;
    int stopping;
    int queued;   /* jobs in the queue, readable without the lock */
    int sleeping; /* workers blocked on cv */
    int spinning; /* workers polling for a job (at most one actually spins) */
    int spinner_ready; /* the spinning worker watches `handoff` */
    job *handoff;      /* a job passed straight to the spinning worker, no lock, no queue */
    int n;
    pthread_t *threads;
    sw_spin spin;
};

static _Thread_local sw_pool *current_pool;

/* Reads the node before running: a caller-owned node may be gone once fn returns. */
static void run_job(job *j)
{
    sw_pool_fn fn = j->fn;
    void *arg = j->arg;
    int owned = j->owned;
    fn(arg);
    if (owned) free(j);
}

static void *worker(void *arg)
{
    sw_pool *p = arg;
    current_pool = p;
    for (;;) {
        /* One worker at a time spins; the others sleep, leaving the cores to the callers. The
         * spinner also watches `handoff`, where sw_pool_submit puts a job directly. */
        job *direct = NULL;
        if (__atomic_fetch_add(&p->spinning, 1, __ATOMIC_ACQ_REL) == 0 && sw_spin_should(&p->spin)) {
            __atomic_store_n(&p->spinner_ready, 1, __ATOMIC_SEQ_CST);
            int64_t until = sw_time_mono_ns() + SPIN_NS;
            while (!__atomic_load_n(&p->queued, __ATOMIC_ACQUIRE) &&
                   !__atomic_load_n(&p->stopping, __ATOMIC_RELAXED)) {
                int spins = 0;
                while (spins++ < 64 && !__atomic_load_n(&p->handoff, __ATOMIC_ACQUIRE) &&
                       !__atomic_load_n(&p->queued, __ATOMIC_ACQUIRE))
                    __builtin_ia32_pause(); /* look after every pause; the clock only now and then */
                if (__atomic_load_n(&p->handoff, __ATOMIC_ACQUIRE) &&
                    (direct = __atomic_exchange_n(&p->handoff, NULL, __ATOMIC_SEQ_CST)))
                    break;
                if (sw_time_mono_ns() > until) break;
            }
            __atomic_store_n(&p->spinner_ready, 0, __ATOMIC_SEQ_CST);
            /* a submitter may have handed a job over just as we stopped watching */
            if (!direct) direct = __atomic_exchange_n(&p->handoff, NULL, __ATOMIC_SEQ_CST);
            sw_spin_result(&p->spin, direct || __atomic_load_n(&p->queued, __ATOMIC_ACQUIRE));
        }
        __atomic_sub_fetch(&p->spinning, 1, __ATOMIC_ACQ_REL);
        if (direct) {
            run_job(direct);
            continue;
        }
        pthread_mutex_lock(&p->mu);
        while (!p->head && !p->stopping) {
            p->sleeping++;
            pthread_cond_wait(&p->cv, &p->mu);
            p->sleeping--;
        }
        job *j = p->head;
        if (!j) { /* stopping and drained */
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        p->head = j->next;
        if (!p->head) p->tail = NULL;
        __atomic_sub_fetch(&p->queued, 1, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&p->mu);
        run_job(j);
    }
}

sw_pool *sw_pool_new(int nthreads)
{
    if (nthreads < 1) nthreads = 1;
    sw_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->threads = calloc((size_t)nthreads, sizeof(pthread_t));
    if (!p->threads) {
        free(p);
        return NULL;
    }
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) break;
        p->n++;
    }
    if (p->n == 0) {
        free(p->threads);
        free(p);
        return NULL;
    }
    return p;
}

int sw_pool_submit(sw_pool *p, sw_pool_fn fn, void *arg)
{
    job *j = malloc(sizeof *j);
    if (!j) return -1;
    j->fn = fn;
    j->arg = arg;
    j->owned = 1;
    int rc = sw_pool_submit_job(p, j);
    if (rc != 0) free(j);
    return rc;
}

int sw_pool_submit_job(sw_pool *p, sw_pool_job *j)
{
    j->next = NULL;
    /* Fast path: hand the job straight to the spinning worker. If it stopped watching right
     * after we placed the job, take the job back (unless it already took it) and queue it. */
    if (__atomic_load_n(&p->spinner_ready, __ATOMIC_SEQ_CST)) {
        job *expected = NULL;
        if (__atomic_compare_exchange_n(&p->handoff, &expected, j, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            if (__atomic_load_n(&p->spinner_ready, __ATOMIC_SEQ_CST)) return 0;
            expected = j;
            if (!__atomic_compare_exchange_n(&p->handoff, &expected, NULL, 0, __ATOMIC_SEQ_CST,
                                             __ATOMIC_SEQ_CST))
                return 0; /* the worker took it */
        }
    }
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        return -1;
    }
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    __atomic_add_fetch(&p->queued, 1, __ATOMIC_RELEASE);
    /* a spinning worker takes the job without a wake-up; otherwise wake a sleeper */
    if (p->sleeping && !__atomic_load_n(&p->spinning, __ATOMIC_ACQUIRE)) pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void sw_pool_free(sw_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    __atomic_store_n(&p->stopping, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

int sw_pool_is_worker(sw_pool *p)
{
    return current_pool == p;
}
