/* sw_setting_secret: which plugin settings are secret, and sealing them at rest (see
 * sw_setting_secret.h). */
#include "plugins/sw_setting_secret.h"
#include "plugins/sw_registry.h"

#include <stdlib.h>
#include <string.h>

static const char *const credential_words[] = {"key", "token", "secret", "password", "passwd",
                                               "pwd", "credential", NULL};

int sw_setting_name_is_credential(const char *key)
{
    if (!key) return 0;
    for (int i = 0; credential_words[i]; i++)
        if (strcasestr(key, credential_words[i])) return 1;
    return 0;
}

int sw_setting_is_secret(const swp_plugin *p, const char *key)
{
    if (!key) return 0;
    const swp_setting_def *s;
    for (int i = 0; (s = sw_plugin_setting_at(p, i)); i++) /* the plugin's own element size */
        if (strcmp(s->key, key) == 0) return s->secret;
    return sw_setting_name_is_credential(key);
}

int sw_settings_seal(json_t *settings, const json_t *fresh, const swp_plugin *p, const sw_secretbox *sb,
                     int *unreadable)
{
    if (!sb || !json_is_object(settings)) return 0;
    int changed = 0;
    const char *k;
    json_t *v;
    json_object_foreach(settings, k, v) {
        const char *cur = json_string_value(v);
        /* a sealed value is resealed whatever the rule says now (a rotation must reach every one,
         * also of a plugin that is not loaded); a clear one is sealed when the rule says secret */
        if (!cur || !cur[0] || (!sw_secretbox_is_sealed(cur) && !sw_setting_is_secret(p, k))) continue;
        const json_t *sent = fresh ? json_object_get(fresh, k) : NULL;
        int from_admin = json_is_string(sent) && strcmp(json_string_value(sent), SW_SECRET_MASK) != 0;
        char *out = NULL;
        int rc = from_admin ? ((out = sw_secretbox_seal(sb, cur)) ? 1 : SW_SECRET_NOMEM)
                            : sw_secretbox_reseal(sb, cur, &out);
        if (rc == SW_SECRET_NOMEM) return -1;
        if (rc == SW_SECRET_UNREADABLE) {
            if (unreadable) (*unreadable)++;
        } else if (rc == 1) {
            json_t *sealed = json_string(out);
            free(out);
            if (!sealed) return -1;
            json_object_set_new(settings, k, sealed); /* replaces the value in place: iteration goes on */
            changed++;
        }
    }
    return changed;
}

int sw_setting_unreadable(const sw_secretbox *sb, const json_t *value)
{
    const char *s = json_string_value(value);
    return sw_secretbox_is_sealed(s) && !sw_secretbox_can_open(sb, s);
}
