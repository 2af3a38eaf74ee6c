/* sw_cache: remembered answers for hot read paths (is this person a member of the room, is the
 * plugin turned off here, does the room have AI members, a tenant's slug). A fixed table of
 * slots (a power of two) under one mutex; string keys, small fixed-size values; a collision
 * simply replaces the older entry.
 *
 * Keeping it true: whoever changes what an entry answers calls sw_cache_forget after the change
 * is stored. A reader that missed reads the store, then offers the answer with the generation
 * sw_cache_get gave it; the answer is dropped if any forget happened in between, so an answer
 * read before a change never outlives the change. (One process: several nodes would forget on
 * the bus's events instead.) */
#ifndef SW_CACHE_H
#define SW_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define SW_CACHE_KEY_MAX 160

typedef struct sw_cache sw_cache;

/* slots: a power of two; value_size: the bytes of one value. NULL when out of memory (the
 * functions below accept NULL: nothing is remembered). */
sw_cache *sw_cache_new(unsigned slots, size_t value_size);
void sw_cache_free(sw_cache *c);

/* Joins up to three parts (b, c may be NULL) into a key in buf; NULL when it does not fit
 * (the functions below then remember nothing and always miss). */
const char *sw_cache_key(char buf[SW_CACHE_KEY_MAX], const char *a, const char *b, const char *c);

/* 1 and the value copied to val on a hit; 0 on a miss, with *gen set for sw_cache_put. */
int sw_cache_get(sw_cache *c, const char *key, void *val, uint64_t *gen);
/* Remembers val under key, unless a forget happened since the sw_cache_get that gave gen. */
void sw_cache_put(sw_cache *c, const char *key, const void *val, uint64_t gen);
/* Forgets key (call after the change it answers for is stored). */
void sw_cache_forget(sw_cache *c, const char *key);

#endif
