/* sw_app_people: the tenant's participants (people and AIs) and AI participants' model settings,
 * as services of the application for the HTTP layer: handlers call these instead of holding the
 * store. Thin: the SQL is in src/store/ (sw_participant_repo.c, sw_ai_repo.c); api keys are
 * sealed and opened there (the store's secret box). */
#ifndef SW_APP_PEOPLE_H
#define SW_APP_PEOPLE_H

#include "app/sw_app.h"
#include "store/sw_ai_repo.h"
#include "store/sw_repo.h"

/* SW_REPO_OK, SW_REPO_NOT_FOUND (also for another tenant's participant) or SW_REPO_ERROR. */
int sw_app_participant(sw_app *app, const char *tenant_id, const char *participant_id, sw_participant *out);
/* Every participant of the tenant, AIs with their (masked) model settings; NULL on a store error. */
json_t *sw_app_participants_json(sw_app *app, const char *tenant_id);
/* A new AI participant ("model", role member) with its model settings m (whose ids this fills):
 * SW_REPO_OK, SW_REPO_CONFLICT when local_id is taken, or SW_REPO_ERROR. */
int sw_app_ai_create(sw_app *app, const char *tenant_id, const char *local_id, const char *display_name,
                     sw_model_config *m, sw_participant *out);
/* An AI's model settings (api key opened): SW_REPO_OK, SW_REPO_NOT_FOUND, SW_REPO_ERROR. */
int sw_app_ai_model_get(sw_app *app, const char *tenant_id, const char *participant_id, sw_model_config *out);
/* Stores them (m names its tenant and participant): SW_REPO_OK or SW_REPO_ERROR. */
int sw_app_ai_model_put(sw_app *app, const sw_model_config *m);

#endif
