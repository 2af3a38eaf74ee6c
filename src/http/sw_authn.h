/* sw_authn: turns an `Authorization: Bearer <jwt>` header (or a ?token= for the WebSocket) into
 * the caller's tenant context. */
#ifndef SW_AUTHN_H
#define SW_AUTHN_H

#include "http/sw_http.h"

/* Verifies token; fills auth. Returns -1 on success, else the error to answer with
 * (SW_ERR_AUTH_INVALID_TOKEN or SW_ERR_AUTH_EXPIRED_TOKEN) and a reason in why. */
int sw_authn_token(sw_app *app, const char *token, size_t len, sw_auth *auth, const char **why);
/* Extracts the bearer token from an Authorization header value; NULL when not a bearer. */
const char *sw_authn_bearer(const char *header, size_t *len);

#endif
