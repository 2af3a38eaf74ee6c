/* sw_model_endpoint: where an AI's model calls go (its own base_url and key, checked by the
 * outbound policy, or the operator's default) and the plain model completion offered to plugins. */
#include "ai/sw_turn.h"
#include "ai/sw_ai_internal.h"

#include <stdlib.h>
#include <string.h>

endpoint sw_ai_endpoint(const sw_ai *ai, const sw_model_config *mc)
{
    endpoint ep = {0};
    if (mc && mc->base_url[0]) {
        ep.base_url = mc->base_url;
        ep.key = mc->api_key[0] ? mc->api_key : NULL;
        ep.policy = ai->cfg.netpolicy ? ai->cfg.netpolicy : sw_netpolicy_default();
    } else {
        ep.base_url = ai->default_base_url;
        ep.key = mc && mc->api_key[0] ? mc->api_key : ai->default_api_key;
    }
    return ep;
}

int sw_ai_model_complete(void *arg, const char *tenant_id, const char *participant_id, const char *system,
                         const char *prompt, char **answer)
{
    sw_ai *ai = arg;
    *answer = NULL;
    sw_model_config mc;
    int have = participant_id && *participant_id &&
               sw_model_config_get(ai->db, tenant_id, participant_id, &mc) == SW_REPO_OK;
    if (!have) memset(&mc, 0, sizeof mc);
    endpoint ep = sw_ai_endpoint(ai, have ? &mc : NULL);
    const char *base_url = ep.base_url;
    const char *model = have ? mc.model : getenv("SCAIWAVE_SCAIGRID_MODEL");
    if (!base_url || !model || !*model) {
        if (have) sw_model_config_fini(&mc);
        return SWP_E_UNAVAIL;
    }
    json_t *messages = json_array();
    if (system && *system) json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "system", "content", system));
    json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "user", "content", prompt));
    sw_llm_config lc = {.base_url = base_url, .api_key = ep.key, .model = model,
                        .temperature = have && mc.temperature_milli >= 0 ? mc.temperature_milli / 1000.0 : -1,
                        .stream = 0, .timeout_ms = 60000, .policy = ep.policy};
    sw_llm_result r;
    int rc = sw_llm_chat(&lc, messages, NULL, NULL, &r);
    int out = SWP_E_IO;
    if (rc == 0 && r.content) {
        *answer = strdup(r.content);
        out = *answer ? SWP_OK : SWP_E_NOMEM;
    }
    sw_llm_result_fini(&r);
    json_decref(messages);
    if (have) sw_model_config_fini(&mc);
    return out;
}
