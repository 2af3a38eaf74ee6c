/* sw_setting_secret: which plugin settings are secret (see sw_setting_secret.h). */
#include "plugins/sw_setting_secret.h"

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

int sw_setting_is_secret(const sw_plugin *p, const char *key)
{
    if (!key) return 0;
    if (p && p->settings)
        for (const sw_setting_def *s = p->settings; s->key; s++)
            if (strcmp(s->key, key) == 0) return s->secret;
    return sw_setting_name_is_credential(key);
}
