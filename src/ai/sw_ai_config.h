/* sw_ai_config: the AI service's handle type and its start-up settings (shared by the public
 * sw_turn.h and the service's own files, so neither includes the other). */
#ifndef SW_AI_CONFIG_H
#define SW_AI_CONFIG_H

typedef struct sw_ai sw_ai;
struct sw_netpolicy;

typedef struct sw_ai_config {
    const char *default_base_url; /* SCAIWAVE_SCAIGRID_URL, or NULL */
    const char *default_api_key;  /* SCAIWAVE_SCAIGRID_API_KEY, or NULL */
    int max_rounds;               /* tool rounds before the final no-tools request (8) */
    int history_chars;            /* budget for the history block (24000 ≈ 6000 tokens) */
    const char *etiquette;        /* the tool-etiquette block, or NULL for the default */
    /* where an AI's own base_url may connect (NULL = the default rules); the default URL is
     * the operator's and is not checked */
    const struct sw_netpolicy *netpolicy;
} sw_ai_config;

#endif
