/* sw_schema_core: what the load-time schema checker (sw_schema_check.c) and the per-call
 * validator (sw_schema_validate.c) share, private to them: the limits, paths and the messages
 * built from them, type names and bits, non-negative counts, and local $ref resolution
 * (sw_schema.c). Not part of any public API: only the three sw_schema*.c files include it. */
#ifndef SW_SCHEMA_CORE_H
#define SW_SCHEMA_CORE_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#define SW_SCHEMA_MAX_DEPTH 64         /* nested schema applications, $ref hops included */
#define SW_SCHEMA_MAX_STEPS (1L << 20) /* schema applications per sw_schema_validate call */
#define REF_MAX 1024                   /* longest percent-decoded $ref fragment, in bytes */

#if defined(__GNUC__) || defined(__clang__)
#define SW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SW_PRINTF(f, a)
#endif

#define TWO63 9223372036854775808.0
#define TWO52 4503599627370496.0

/* ---- paths and messages (sw_schema.c) ---------------------------------------------------- */

/* One step of the path from the root to the value (or schema) being looked at; frames live on
 * the C stack of the recursion, so a path costs nothing until a message is rendered. */
enum { SEG_KEY, SEG_INDEX, SEG_REF };
typedef struct seg {
    const struct seg *up;
    const char *key; /* SEG_KEY: property or keyword name; SEG_REF: the $ref text */
    size_t index;    /* SEG_INDEX */
    int kind;
} seg;

typedef struct {
    char *p;
    size_t len, pos; /* pos < len whenever len > 0; p[pos] is always NUL */
} sbuf;

void sw_schema_sb_puts(sbuf *b, const char *s);
/* Printable, escaped, possibly shortened copies of a name for a message. */
const char *sw_schema_quote_n(char *dst, size_t dlen, const char *s, size_t n);
const char *sw_schema_quote_j(char *dst, size_t dlen, const json_t *str);
/* "<path>: <message>" into err (errlen > 0). */
void sw_schema_emit(char *err, size_t errlen, const seg *path, const char *fmt, va_list ap);
const char *sw_schema_type_name(const json_t *v);
/* A non-negative integer keyword value (minLength: 2, also 2.0); -1 when it is not one. */
long long sw_schema_count_value(const json_t *v);

/* ---- local $ref resolution (sw_schema.c) ------------------------------------------------- */

enum { REF_OK, REF_REMOTE, REF_ANCHOR, REF_BAD, REF_LONG };

/* Resolves "#" or "#/json/pointer" (URI-fragment percent-encoding, then ~0 ~1 escapes)
 * against root. NULL when it does not resolve, with the reason in *why. No allocation. */
const json_t *sw_schema_resolve_ref(const json_t *root, const json_t *ref, int *why);

/* ---- numbers and types (inline: the validator's hot path) -------------------------------- */

/* jansson reals are always finite (it refuses NaN, infinities and overflowing literals). */
static inline int is_integral(double d)
{
    double a = d < 0 ? -d : d;
    if (!(a - a == 0)) return 0; /* not finite */
    if (a >= TWO52) return 1;
    return (double)(long long)d == d;
}

enum {
    T_NULL = 1,
    T_BOOLEAN = 2,
    T_OBJECT = 4,
    T_ARRAY = 8,
    T_STRING = 16,
    T_INTEGER = 32,
    T_NUMBER = 64
};

/* The bit for a type name given as a JSON string; 0 when it is not one of the seven. */
static inline int type_bit(const json_t *name)
{
    const char *s = json_string_value(name);
    if (!s) return 0;
    int bit = 0;
    switch (s[0]) {
    case 'a':
        bit = strcmp(s, "array") ? 0 : T_ARRAY;
        break;
    case 'b':
        bit = strcmp(s, "boolean") ? 0 : T_BOOLEAN;
        break;
    case 'i':
        bit = strcmp(s, "integer") ? 0 : T_INTEGER;
        break;
    case 'n':
        bit = !strcmp(s, "number") ? T_NUMBER : !strcmp(s, "null") ? T_NULL : 0;
        break;
    case 'o':
        bit = strcmp(s, "object") ? 0 : T_OBJECT;
        break;
    case 's':
        bit = strcmp(s, "string") ? 0 : T_STRING;
        break;
    default:
        return 0;
    }
    return bit && strlen(s) == json_string_length(name) ? bit : 0;
}

static inline int type_matches(int mask, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return mask & T_OBJECT;
    case JSON_ARRAY:
        return mask & T_ARRAY;
    case JSON_STRING:
        return mask & T_STRING;
    case JSON_INTEGER:
        return mask & (T_INTEGER | T_NUMBER);
    case JSON_REAL:
        return (mask & T_NUMBER) || ((mask & T_INTEGER) && is_integral(json_real_value(v)));
    case JSON_TRUE:
    case JSON_FALSE:
        return mask & T_BOOLEAN;
    case JSON_NULL:
        return mask & T_NULL;
    }
    return 0;
}


#endif
