/* sw_error: the API's error codes (API.md) and their HTTP statuses, in one table. */
#ifndef SW_ERROR_H
#define SW_ERROR_H

typedef enum {
    SW_ERR_AUTH_INVALID_TOKEN = 0,
    SW_ERR_AUTH_EXPIRED_TOKEN,
    SW_ERR_AUTH_INSUFFICIENT_PERMISSION,
    SW_ERR_AUTH_INVALID_CREDENTIALS,
    SW_ERR_BAD_REQUEST,
    SW_ERR_VALIDATION,
    SW_ERR_NOT_FOUND,
    SW_ERR_METHOD_NOT_ALLOWED,
    SW_ERR_ROOM_NOT_FOUND,
    SW_ERR_NOT_MEMBER,
    SW_ERR_CONFLICT,
    SW_ERR_CONTENT_TOO_LARGE,
    SW_ERR_RATE_LIMIT_EXCEEDED,
    SW_ERR_PLUGIN_NOT_FOUND,
    SW_ERR_PLUGIN_DISABLED,
    SW_ERR_PLUGIN_TOOL_CONFLICT,
    SW_ERR_TOOL_NOT_FOUND,
    SW_ERR_APPROVAL_NOT_FOUND,
    SW_ERR_APPROVAL_FORBIDDEN,
    SW_ERR_APPROVAL_DECIDED,
    SW_ERR_AI_BUSY,
    SW_ERR_AI_NO_MODEL,
    SW_ERR_NOTE_NOT_FOUND,
    SW_ERR_UNAVAILABLE,
    SW_ERR_OVERLOADED,
    SW_ERR_INTERNAL,
    SW_ERR_FORBIDDEN, /* 403: the operator has not allowed it (e.g. an MCP stdio command) */
    SW_ERR__COUNT
} sw_err;

const char *sw_err_code(sw_err e); /* "SW_NOT_FOUND" */
int sw_err_status(sw_err e);       /* 404 */

#endif
