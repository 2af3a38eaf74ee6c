/* sw_cache: remembered answers for hot read paths (see sw_cache.h). */
#include "core/sw_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sw_cache {
    pthread_mutex_t mu;
    uint64_t gen; /* bumped by every forget */
    unsigned mask;
    size_t value_size, stride;
    unsigned char *slots; /* each: key (SW_CACHE_KEY_MAX bytes, "" = empty), then the value */
};

sw_cache *sw_cache_new(unsigned slots, size_t value_size)
{
    if (slots == 0 || (slots & (slots - 1)) != 0) return NULL;
    sw_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->mask = slots - 1;
    c->value_size = value_size;
    c->stride = (SW_CACHE_KEY_MAX + value_size + 7) & ~(size_t)7;
    c->slots = calloc(slots, c->stride);
    if (!c->slots) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void sw_cache_free(sw_cache *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->mu);
    free(c->slots);
    free(c);
}

const char *sw_cache_key(char buf[SW_CACHE_KEY_MAX], const char *a, const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};
    size_t used = 0;
    for (int i = 0; i < 3 && parts[i]; i++) {
        size_t n = strlen(parts[i]);
        if (used + n + 2 > SW_CACHE_KEY_MAX) return NULL;
        if (i) buf[used++] = '\x1f';
        memcpy(buf + used, parts[i], n);
        used += n;
    }
    buf[used] = 0;
    return used ? buf : NULL;
}

static unsigned char *slot(sw_cache *c, const char *key)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (const char *p = key; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return c->slots + (size_t)(h & c->mask) * c->stride;
}

int sw_cache_get(sw_cache *c, const char *key, void *val, uint64_t *gen)
{
    *gen = 0;
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    *gen = c->gen;
    unsigned char *s = key ? slot(c, key) : NULL;
    int hit = s && strcmp((const char *)s, key) == 0;
    if (hit) memcpy(val, s + SW_CACHE_KEY_MAX, c->value_size);
    pthread_mutex_unlock(&c->mu);
    return hit;
}

void sw_cache_put(sw_cache *c, const char *key, const void *val, uint64_t gen)
{
    if (!c || !key) return;
    pthread_mutex_lock(&c->mu);
    if (c->gen == gen) { /* no forget raced with the caller's read of the store */
        unsigned char *s = slot(c, key);
        strcpy((char *)s, key);
        memcpy(s + SW_CACHE_KEY_MAX, val, c->value_size);
    }
    pthread_mutex_unlock(&c->mu);
}

void sw_cache_forget(sw_cache *c, const char *key)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    if (key) {
        unsigned char *s = slot(c, key);
        if (strcmp((const char *)s, key) == 0) s[0] = 0;
    }
    c->gen++;
    pthread_mutex_unlock(&c->mu);
}
