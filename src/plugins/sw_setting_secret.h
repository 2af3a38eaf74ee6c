/* sw_setting_secret: the one rule deciding which plugin settings are secret (masked wherever
 * settings are shown). A setting the plugin declares says itself (sw_setting_def.secret); an
 * undeclared key is secret when its name looks like a credential: it contains, in any case,
 * "key", "token", "secret", "password", "passwd", "pwd" or "credential" (so api_key,
 * private_key, auth_token, client_secret, db_password, PWD, credentials, ...). */
#ifndef SW_SETTING_SECRET_H
#define SW_SETTING_SECRET_H

#include <scaiwave/plugin.h>

/* 1 when the name looks like a credential (NULL: 0). */
int sw_setting_name_is_credential(const char *key);
/* 1 when plugin p's setting `key` is secret (p may be NULL: the name alone decides). */
int sw_setting_is_secret(const sw_plugin *p, const char *key);

#endif
