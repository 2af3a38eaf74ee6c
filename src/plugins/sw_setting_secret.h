/* sw_setting_secret: the one rule deciding which plugin settings are secret (masked wherever
 * settings are shown). A setting the plugin declares says itself (swp_setting_def.secret); an
 * undeclared key is secret when its name looks like a credential: it contains, in any case,
 * "key", "token", "secret", "password", "passwd", "pwd" or "credential" (so api_key,
 * private_key, auth_token, client_secret, db_password, PWD, credentials, ...). */
#ifndef SW_SETTING_SECRET_H
#define SW_SETTING_SECRET_H

#include "core/sw_secretbox.h"

#include <jansson.h>
#include <scaiwave/plugin.h>

/* What an admin sees for a set secret setting, and sends back to keep it. */
#define SW_SECRET_MASK "********"

/* 1 when the name looks like a credential (NULL: 0). */
int sw_setting_name_is_credential(const char *key);
/* 1 when plugin p's setting `key` is secret (p may be NULL: the name alone decides). */
int sw_setting_is_secret(const swp_plugin *p, const char *key);

/* At rest, secret settings are sealed (core/sw_secretbox.h). Seals, in settings (an object as
 * stored), every secret string value: those whose keys are in fresh (the clear values an admin
 * just sent, NULL for none) always, the others when clear (legacy) or sealed with an older key
 * of sb (a sealed value is resealed whatever the rule says now). Values no key of sb opens are kept as they are and counted in *unreadable (may be
 * NULL); "" stays "". Returns how many values changed, -1 when out of memory; 0 when sb is NULL. */
int sw_settings_seal(json_t *settings, const json_t *fresh, const swp_plugin *p, const sw_secretbox *sb,
                     int *unreadable);
/* 1 when a stored value is sealed with a key sb does not hold (a store copied without its key). */
int sw_setting_unreadable(const sw_secretbox *sb, const json_t *value);

#endif
