/* sw_spin: adaptive spinning. A thread about to sleep until another thread hands it something
 * may first poll for a few microseconds: that saves a futex wake-up and two context switches
 * when the hand-over comes at once (a short tool call, a burst of jobs), and wastes the time of
 * a core when it does not — the core another thread, or the load generator, needed. So spin
 * only while spinning has been paying off: every spin that ends with the hand-over raises a
 * score, every spin that runs out lowers it more; at zero, one attempt in 32 still spins, to
 * notice when the load changes back. */
#ifndef SW_SPIN_H
#define SW_SPIN_H

typedef struct sw_spin {
    int score;      /* 0..SW_SPIN_MAX: how much spinning has been paying off lately */
    unsigned tries; /* attempts while the score is 0 */
} sw_spin;

#define SW_SPIN_MAX 16

/* 1 when the caller should spin before sleeping. */
static inline int sw_spin_should(sw_spin *s)
{
    if (__atomic_load_n(&s->score, __ATOMIC_RELAXED) > 0) return 1;
    return (__atomic_fetch_add(&s->tries, 1, __ATOMIC_RELAXED) & 31) == 0;
}

/* Reports how a spin ended: won = the hand-over came while spinning. */
static inline void sw_spin_result(sw_spin *s, int won)
{
    int sc = __atomic_load_n(&s->score, __ATOMIC_RELAXED);
    sc = won ? (sc < SW_SPIN_MAX ? sc + 1 : sc) : (sc > 2 ? sc - 3 : 0);
    __atomic_store_n(&s->score, sc, __ATOMIC_RELAXED);
}

#endif
