/* sw_tokgen: token generations — the revocation counter of each participant
 * (participants.token_generation, migration 10). Every token carries the generation it was
 * issued under (claim "gen"); a token whose generation is not the participant's current one is
 * revoked. Logout, `scaiwave token revoke` and setting a password bump it.
 *
 * The current generation is remembered (sw_cache) so a request pays no query: a bump in this
 * process forgets the entry at once; a bump by another process (the CLI) is seen when the entry
 * expires, within SW_TOKGEN_TTL_MS. */
#ifndef SW_TOKGEN_H
#define SW_TOKGEN_H

#include "store/sw_db.h"

#include <stdint.h>

#define SW_TOKGEN_TTL_MS 1000

typedef struct sw_tokgen sw_tokgen;

sw_tokgen *sw_tokgen_new(sw_db *db);
void sw_tokgen_free(sw_tokgen *tg);

/* The participant's current generation in *gen: 0, SW_REPO_NOT_FOUND (no such participant) or
 * SW_REPO_ERROR. */
int sw_tokgen_current(sw_tokgen *tg, const char *tenant_id, const char *participant_id, int64_t *gen);
/* Revokes every token of the participant issued under generation `from` (all of them when
 * from < 0): 0, SW_REPO_NOT_FOUND, SW_REPO_ERROR. */
int sw_tokgen_bump(sw_tokgen *tg, const char *tenant_id, const char *participant_id, int64_t from);

#endif
