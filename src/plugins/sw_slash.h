/* sw_slash: the slash-command parser. "/greet de Alice" → tool "greet" with arguments
 * {"language":"de","name":"Alice"}: positional words fill the parameters in the order of the
 * tool's `usage` placeholders, `key=value` words set a parameter by name, "double quotes" group
 * words, and a JSON object after the name is taken as the arguments. Words are converted to the
 * parameter's schema type (integer, number, boolean); surplus words join the last string
 * parameter. */
#ifndef SW_SLASH_H
#define SW_SLASH_H

#include "plugins/sw_registry.h"

#include <jansson.h>
#include <stddef.h>

/* If body is a slash command ("/name ..."), copies name (<= 64 chars of [A-Za-z0-9_-]) and
 * sets *rest to the text after it; returns 1. Otherwise returns 0. */
int sw_slash_split(const char *body, char *name, size_t namelen, const char **rest);

/* Builds the arguments object for tool rt from rest. Returns a new object, or NULL with a
 * message in err (e.g. an unbalanced quote, a JSON object that does not parse). */
json_t *sw_slash_args(const sw_reg_tool *rt, const char *rest, char *err, size_t errlen);

#endif
