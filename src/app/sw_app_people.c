/* sw_app_people: participants and AI model settings for the HTTP layer; see sw_app_people.h. */
#include "app/sw_app_people.h"

#include <stdio.h>

int sw_app_participant(sw_app *app, const char *tenant_id, const char *participant_id, sw_participant *out)
{
    return sw_participant_by_id(app->db, tenant_id, participant_id, out);
}

json_t *sw_app_participants_json(sw_app *app, const char *tenant_id)
{
    return sw_participants_json(app->db, tenant_id);
}

int sw_app_ai_create(sw_app *app, const char *tenant_id, const char *local_id, const char *display_name,
                     sw_model_config *m, sw_participant *out)
{
    int rc = sw_participant_create(app->db, tenant_id, local_id, display_name, "model", "member", NULL, out);
    if (rc != SW_REPO_OK) return rc;
    snprintf(m->participant_id, sizeof m->participant_id, "%s", out->id);
    snprintf(m->tenant_id, sizeof m->tenant_id, "%s", tenant_id);
    return sw_model_config_put(app->db, m) == SW_REPO_OK ? SW_REPO_OK : SW_REPO_ERROR;
}

int sw_app_ai_model_get(sw_app *app, const char *tenant_id, const char *participant_id, sw_model_config *out)
{
    return sw_model_config_get(app->db, tenant_id, participant_id, out);
}

int sw_app_ai_model_put(sw_app *app, const sw_model_config *m)
{
    return sw_model_config_put(app->db, m);
}
