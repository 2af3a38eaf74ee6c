/* sw_repo: shared return codes and row types of the repositories. Every repository function
 * takes the tenant id explicitly: there is no global current tenant. */
#ifndef SW_REPO_H
#define SW_REPO_H

#include "store/sw_db.h"

#include <jansson.h>
#include <stdio.h>

/* Copies a column (or any string, NULL as "") into a fixed-size field of a row struct. */
#define SW_COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (const char *)(src) : "")

enum { SW_REPO_OK = 0, SW_REPO_NOT_FOUND = 1, SW_REPO_ERROR = -1, SW_REPO_CONFLICT = -2 };

typedef struct {
    char id[40];
    char slug[72];
    char name[136];
    char created_at[40];
} sw_tenant;

typedef struct {
    char id[40];
    char tenant_id[40];
    char local_id[72];
    char display_name[136];
    char participant_type[8]; /* "human" | "model" */
    char roles[128];          /* comma-separated: "admin,member" */
    char password_hash[136];  /* "" when none */
    char created_at[40];
} sw_participant;

/* tenants */
int sw_tenant_create(sw_db *db, const char *slug, const char *name, sw_tenant *out);
int sw_tenant_by_slug(sw_db *db, const char *slug, sw_tenant *out);
int sw_tenant_by_id(sw_db *db, const char *id, sw_tenant *out);
int sw_tenant_count(sw_db *db);

/* participants (always within one tenant) */
int sw_participant_create(sw_db *db, const char *tenant_id, const char *local_id,
                          const char *display_name, const char *type, const char *roles,
                          const char *password_hash, sw_participant *out);
int sw_participant_by_local_id(sw_db *db, const char *tenant_id, const char *local_id,
                               sw_participant *out);
int sw_participant_by_id(sw_db *db, const char *tenant_id, const char *id, sw_participant *out);
int sw_participant_has_role(const sw_participant *p, const char *role);
/* The stored comma-separated roles ("admin,member") as a JSON array of strings (new reference). */
json_t *sw_roles_json(const char *csv);
/* Sets roles and/or the password hash (NULL leaves a field as it is). Setting a password
 * bumps the token generation (every token issued before is revoked). */
int sw_participant_update_auth(sw_db *db, const char *tenant_id, const char *id, const char *roles,
                               const char *password_hash);
/* The participant's token generation (sw_tokgen): SW_REPO_OK, _NOT_FOUND, _ERROR. */
int sw_participant_token_gen(sw_db *db, const char *tenant_id, const char *id, int64_t *gen);
/* Adds one to it; with from >= 0 only while it is still `from` (SW_REPO_OK either way). */
int sw_participant_bump_token_gen(sw_db *db, const char *tenant_id, const char *id, int64_t from);

/* plugin_kv (sw_plugin_kv_repo.c): a plugin's key/value storage, per (tenant, plugin). get: SW_REPO_OK
 * with *value malloc'd (free it), _NOT_FOUND or _ERROR. set: a NULL value deletes the key. */
int sw_plugin_kv_get(sw_db *db, const char *tenant_id, const char *plugin_id, const char *key, char **value);
int sw_plugin_kv_set(sw_db *db, const char *tenant_id, const char *plugin_id, const char *key, const char *value);

#endif
