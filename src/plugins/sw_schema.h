/* sw_schema: the JSON-Schema (draft 7) subset validator used for tool `parameters`.
 * Owns: checking that a schema only uses supported keywords correctly, and validating a
 * jansson instance against it with a message that names the failing path.
 * Supported: type, properties, required, additionalProperties (bool or schema), items (schema
 * or array of schemas / additionalItems not supported), enum, const, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength (in code points),
 * minItems, maxItems, minProperties, maxProperties, uniqueItems, allOf, anyOf, oneOf, not,
 * local $ref ("#", "#/definitions/x", "#/properties/a/..." JSON pointers), definitions (and its
 * 2019-09 spelling $defs), boolean schemas, and annotation keywords (title, description,
 * default, examples, $schema, $id, $comment, format, readOnly, writeOnly, contentMediaType,
 * contentEncoding, x-secret and any other "x-" extension) which are accepted and ignored.
 * Draft-7 semantics: "integer" also matches reals with no fractional part (1.0); enum, const
 * and uniqueItems compare numbers by value (1 == 1.0); siblings of "$ref" are ignored; "$ref"
 * always resolves against the root schema ($id does not change the base).
 * Thread-safe (no global state); the schema and instance are only read.
 * Implemented in three files: sw_schema_check.c (the load-time checker and the secret-field
 * scan), sw_schema_validate.c (the per-call validator) and sw_schema.c (what both share, behind
 * the private sw_schema_core.h). */
#ifndef SW_SCHEMA_H
#define SW_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

/* Checks that `schema` is a well-formed schema in the supported subset.
 * Returns 0 when valid; -1 and a message in err (e.g. "properties.name.type: unknown type
 * \"strin\"") when not. Keywords that change validation but are not implemented (pattern,
 * if/then/else, patternProperties, dependencies, contains, propertyNames, additionalItems) and
 * any other keyword not listed above (typos such as "requried" included) are refused with
 * "unsupported keyword". $ref must be local ("#" or "#/json/pointer", else "unsupported ...
 * $ref"), must resolve to a schema, and must not loop through $ref/allOf/anyOf/oneOf/not
 * without descending into the instance ("cyclic $ref"). Schemas nested deeper than 64 levels
 * are refused. err may be NULL (errlen 0); a message is cut to fit errlen. */
int sw_schema_check(const json_t *schema, char *err, size_t errlen);

/* Validates `instance` against `schema` (assumed to have passed sw_schema_check, but must not
 * crash on any schema: a malformed keyword it evaluates, an unresolvable $ref, or one of the
 * unimplemented keywords named above makes it fail rather than pass; other unknown keywords
 * are ignored as draft 7 says). Returns 0 if valid; -1 with a human-readable message in err
 * that names the JSON path of the first failure, e.g. "name: expected string, got integer",
 * "items[2]: value not in enum" or "(root): missing required property \"language\"" (no
 * trailing period). Recursion depth is
 * bounded (64 nested schema applications, $ref hops included: deeper instances fail) and so is
 * the total work (2^20 schema applications). err may be NULL (errlen 0) for a bare verdict;
 * it is set to "" on success. No allocation unless uniqueItems meets an array longer than 16. */
int sw_schema_validate(const json_t *schema, const json_t *instance, char *err, size_t errlen);

/* Fills `out` (a JSON array, appended to) with the property paths that a schema marks secret
 * with "x-secret": true, or with "format": "password" / "writeOnly": true, at the top level of
 * an object schema: used to redact tool arguments in the audit log. Local $refs are followed
 * (for the root schema and for each property's schema); names already in `out` are not added
 * twice. Returns the count added (0 when out is not an array). */
int sw_schema_secret_fields(const json_t *schema, json_t *out);

#endif
