/* sw_tokgen: participants' token generations, remembered for SW_TOKGEN_TTL_MS (see sw_tokgen.h). */
#include "auth/sw_tokgen.h"
#include "core/sw_cache.h"
#include "core/sw_time.h"
#include "store/sw_repo.h"

#include <stdlib.h>

struct sw_tokgen {
    sw_db *db;
    sw_cache *cache;
};

typedef struct {
    int64_t gen;
    int64_t read_ms; /* monotonic */
} remembered;

sw_tokgen *sw_tokgen_new(sw_db *db)
{
    sw_tokgen *tg = calloc(1, sizeof *tg);
    if (!tg) return NULL;
    tg->db = db;
    tg->cache = sw_cache_new(4096, sizeof(remembered));
    if (!tg->cache) {
        free(tg);
        return NULL;
    }
    return tg;
}

void sw_tokgen_free(sw_tokgen *tg)
{
    if (!tg) return;
    sw_cache_free(tg->cache);
    free(tg);
}

int sw_tokgen_current(sw_tokgen *tg, const char *tenant_id, const char *participant_id, int64_t *gen)
{
    char kb[SW_CACHE_KEY_MAX];
    const char *key = sw_cache_key(kb, tenant_id, participant_id, NULL);
    remembered r;
    uint64_t cgen;
    int64_t now = sw_time_mono_us() / 1000;
    if (sw_cache_get(tg->cache, key, &r, &cgen) && now - r.read_ms < SW_TOKGEN_TTL_MS) {
        *gen = r.gen;
        return 0;
    }
    int rc = sw_participant_token_gen(tg->db, tenant_id, participant_id, gen);
    if (rc != SW_REPO_OK) return rc;
    r.gen = *gen;
    r.read_ms = now;
    sw_cache_put(tg->cache, key, &r, cgen);
    return 0;
}

int sw_tokgen_bump(sw_tokgen *tg, const char *tenant_id, const char *participant_id, int64_t from)
{
    int rc = sw_participant_bump_token_gen(tg->db, tenant_id, participant_id, from);
    char kb[SW_CACHE_KEY_MAX];
    sw_cache_forget(tg->cache, sw_cache_key(kb, tenant_id, participant_id, NULL));
    return rc;
}
