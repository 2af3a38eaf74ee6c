/* sw_schema: the JSON-Schema validator used for tool `parameters` (native plugins and MCP
 * tools). Owns compiling a schema once (sw_schema_compile: keywords checked, $refs resolved,
 * regular expressions compiled) and validating jansson instances against the compiled form
 * (sw_schema_run) with a message that names the failing path; plus the secret-field scan.
 * Drafts: draft-07 and 2020-12, every keyword of both: type, enum, const, multipleOf, minimum,
 * maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength (code points), pattern,
 * items (schema, or the draft-07 array form with additionalItems), prefixItems, contains,
 * minContains, maxContains, minItems, maxItems, uniqueItems, unevaluatedItems, properties,
 * patternProperties, additionalProperties, propertyNames, required, dependencies (draft-07),
 * dependentRequired, dependentSchemas, minProperties, maxProperties, unevaluatedProperties,
 * allOf, anyOf, oneOf, not, if/then/else, $ref, $dynamicRef/$dynamicAnchor (and 2019-09's
 * $recursiveRef/$recursiveAnchor), $id (a new base URI; draft-07 "$id": "#name" is an
 * anchor), $anchor, $defs and definitions, boolean schemas.
 * Annotations (title, description, default, examples, deprecated, readOnly, writeOnly,
 * $comment, $schema, $vocabulary, format, content*, "x-" extensions) are accepted and do not
 * validate: `format` is an annotation, as both drafts default. Not supported: $refs to
 * documents outside the schema (remote refs, meta-schemas): refused at compile time.
 * Compatibility: compiled non-strict, 2020-12 also honours draft-07's dependencies,
 * definitions and the array form of items with additionalItems (wild schemas mix drafts
 * without a "$schema"); strict 2020-12 refuses them as keywords of the other draft.
 * Regular expressions (ECMA-262 syntax as far as PCRE2 agrees: UTF mode, $ only at the end,
 * \uXXXX, \s as Unicode white space, \p{Letter}/\p{Script=Greek} names) go through PCRE2,
 * compiled once with the schema; every match runs under match, depth and heap limits, and a
 * limit hit fails validation ("... exceeded the regex match limit"); all the matches of one
 * run together get 100 ms ("regular expressions took over 100 ms ...").
 * Semantics: "integer" also matches reals with no fractional part (1.0); enum, const and
 * uniqueItems compare numbers by value (1 == 1.0); in draft-07 the siblings of "$ref" are
 * ignored, in 2020-12 they apply with it. A compiled schema is immutable and may be run from
 * many threads at once. Implemented in sw_schema_compile.c (the walk, keyword checks, draft
 * choice), sw_schema_ref.c ($id resources, anchors, $ref resolution, cycle check),
 * sw_schema_uri.c (RFC 3986 reference resolution), sw_schema_regex.c (PCRE2),
 * sw_schema_apply.c and sw_schema_props.c (the per-call validator, private header
 * sw_schema_apply.h), sw_schema_value.c (numbers and equality), sw_schema_check.c (the
 * one-shot API and the secret-field scan) and sw_schema.c (paths, messages, JSON pointers,
 * pointer maps), behind the private sw_schema_core.h. */
#ifndef SW_SCHEMA_H
#define SW_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

typedef struct sw_schema sw_schema;

/* Drafts: the `default_draft` of sw_schema_compile, used unless the root's "$schema" names
 * one (draft-04/06/07 URIs select draft-07, 2019-09/2020-12 URIs select 2020-12). */
#define SW_SCHEMA_DRAFT7 7
#define SW_SCHEMA_DRAFT2020 2020

/* flags for sw_schema_compile */
#define SW_SCHEMA_STRICT                                                                           \
    1u /* native plugins: an unknown keyword (a typo such as "requried"),                          \
        * a keyword of the other draft or an unknown "$schema" is refused;                         \
        * without it (MCP tools) unknown keywords are ignored as the                               \
        * drafts say */

/* Compiles `schema` (not modified; the compiled form keeps its own copy). Returns NULL with a
 * message in err naming the schema path when the schema cannot be used: a keyword with a bad
 * value ("properties.name.type: unknown type \"strin\""), an invalid regular expression, a
 * $ref that does not resolve inside the schema ("unresolvable $ref", "unsupported non-local
 * $ref"), a $ref/allOf/anyOf/oneOf/not loop that never descends into the instance ("cyclic
 * $ref"), nesting deeper than 64 levels, and in strict mode "unsupported keyword". err may be
 * NULL (errlen 0); a message is cut to fit errlen. Free with sw_schema_free.
 * Callers: the registry compiles native plugins' `parameters` with (SW_SCHEMA_DRAFT7,
 * SW_SCHEMA_STRICT); MCP tools' `inputSchema` compile with (SW_SCHEMA_DRAFT2020, 0), and a tool
 * whose schema does not compile is listed as unavailable with this message. The result goes in
 * sw_reg_tool.compiled, which the dispatcher runs on every call. */
sw_schema *sw_schema_compile(const json_t *schema, int default_draft, unsigned flags, char *err,
                             size_t errlen);

/* Validates `instance` against a compiled schema. Returns 0 if valid; -1 with a message in err
 * that names the JSON path of the first failure, e.g. "name: expected string, got integer",
 * "items[2]: value not in enum" or "(root): missing required property \"language\"" (no
 * trailing period). Recursion depth is bounded (64 nested schema applications, $ref hops
 * included: deeper instances fail) and so is the total work (2^20 schema applications); a
 * regex limit hit fails too. err may be NULL (errlen 0) for a bare verdict; "" on success.
 * Thread-safe: many runs of one compiled schema may go on at once. Allocates only for
 * patterns (one PCRE2 match block per thread, on its first match), propertyNames (the name as
 * a string), uniqueItems over 16 items and, in schemas with unevaluated*, the sets of
 * evaluated names/indexes. */
int sw_schema_run(const sw_schema *s, const json_t *instance, char *err, size_t errlen);

void sw_schema_free(sw_schema *s);

/* The draft a compiled schema was compiled for (SW_SCHEMA_DRAFT7 or SW_SCHEMA_DRAFT2020). */
int sw_schema_draft(const sw_schema *s);

/* One-shot forms kept for callers that hold only JSON. sw_schema_check: compiles draft-07
 * (unless "$schema" says otherwise) in strict mode and frees it; 0 or -1 with the message.
 * sw_schema_validate: compiles non-strict, runs, frees; a schema that does not compile fails
 * validation with the compile message. Slow on hot paths: compile once instead. */
int sw_schema_check(const json_t *schema, char *err, size_t errlen);
int sw_schema_validate(const json_t *schema, const json_t *instance, char *err, size_t errlen);

/* Fills `out` (a JSON array, appended to) with the property paths that a schema marks secret
 * with "x-secret": true, or with "format": "password" / "writeOnly": true, at the top level of
 * an object schema: used to redact tool arguments in the audit log. Local $refs are followed
 * (for the root schema and for each property's schema); names already in `out` are not added
 * twice. Returns the count added (0 when out is not an array). */
int sw_schema_secret_fields(const json_t *schema, json_t *out);

#endif
