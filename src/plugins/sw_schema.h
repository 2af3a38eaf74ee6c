/* sw_schema: the JSON-Schema (draft 7) subset validator used for tool `parameters`.
 * Owns: checking that a schema only uses supported keywords correctly, and validating a
 * jansson instance against it with a message that names the failing path.
 * Supported: type, properties, required, additionalProperties (bool or schema), items (schema
 * or array of schemas / additionalItems not supported), enum, const, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength (in code points),
 * minItems, maxItems, minProperties, maxProperties, uniqueItems, allOf, anyOf, oneOf, not,
 * local $ref ("#", "#/definitions/x", "#/properties/a/..." JSON pointers), definitions,
 * boolean schemas, and annotation keywords (title, description, default, examples,
 * $schema, $id, $comment, format, x-secret) which are accepted and ignored. */
#ifndef SW_SCHEMA_H
#define SW_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

/* Checks that `schema` is a well-formed schema in the supported subset.
 * Returns 0 when valid; -1 and a message in err (e.g. "properties.name.type: unknown type
 * \"strin\"") when not. Unknown keywords that change validation (pattern, if/then/else,
 * patternProperties, dependencies, contains, propertyNames, additionalItems) are refused with
 * "unsupported keyword". $ref must be local ("#..."), and must resolve. */
int sw_schema_check(const json_t *schema, char *err, size_t errlen);

/* Validates `instance` against `schema` (assumed to have passed sw_schema_check, but must not
 * crash on any schema). Returns 0 if valid; -1 with a human-readable message in err that names
 * the JSON path of the first failure, e.g. "name: expected string, got integer" or
 * "(root): missing required property \"language\"". Recursion depth is bounded (64). */
int sw_schema_validate(const json_t *schema, const json_t *instance, char *err, size_t errlen);

/* Fills `out` (a JSON array, appended to) with the property paths that a schema marks secret
 * with "x-secret": true, or with "format": "password" / "writeOnly": true, at the top level of
 * an object schema: used to redact tool arguments in the audit log. Returns the count added. */
int sw_schema_secret_fields(const json_t *schema, json_t *out);

#endif
