/* sw_slash: slash-command splitting and argument building. */
#include "plugins/sw_slash.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_WORDS 64

int sw_slash_split(const char *body, char *name, size_t namelen, const char **rest)
{
    if (!body) return 0;
    while (*body == ' ' || *body == '\t') body++;
    if (body[0] != '/') return 0;
    const char *s = body + 1, *e = s;
    while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || (*e >= '0' && *e <= '9') || *e == '_' || *e == '-')
        e++;
    size_t n = (size_t)(e - s);
    if (n == 0 || n > 64 || n >= namelen || (*e && !isspace((unsigned char)*e))) return 0;
    memcpy(name, s, n);
    name[n] = 0;
    while (*e && isspace((unsigned char)*e)) e++;
    *rest = e;
    return 1;
}

/* Splits into words; "quoted words" keep spaces (\" and \\ escape inside quotes). */
static int words(const char *s, char **out, int max, char *err, size_t errlen)
{
    int n = 0;
    while (*s) {
        while (*s && isspace((unsigned char)*s)) s++;
        if (!*s) break;
        if (n == max) {
            snprintf(err, errlen, "too many words (at most %d)", max);
            goto fail;
        }
        size_t cap = strlen(s) + 1, len = 0;
        char *w = malloc(cap);
        if (!w) goto fail;
        int quoted = 0;
        while (*s && (quoted || !isspace((unsigned char)*s))) {
            if (*s == '"') {
                quoted = !quoted;
                s++;
                continue;
            }
            if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\')) s++;
            w[len++] = *s++;
        }
        w[len] = 0;
        out[n++] = w;
        if (quoted) {
            snprintf(err, errlen, "unbalanced double quote");
            goto fail;
        }
    }
    return n;
fail:
    while (n) free(out[--n]);
    return -1;
}

static const char *prop_type(const sw_reg_tool *rt, const char *key)
{
    const json_t *p = json_object_get(json_object_get(rt->schema, "properties"), key);
    const json_t *t = json_object_get(p, "type");
    if (json_is_string(t)) return json_string_value(t);
    return json_is_array(t) ? json_string_value(json_array_get(t, 0)) : NULL;
}

/* A word as the parameter's type; strings stay strings (so the validator can say what is wrong). */
static json_t *typed(const sw_reg_tool *rt, const char *key, const char *w)
{
    const char *t = prop_type(rt, key);
    if (t && !strcmp(t, "integer")) {
        char *end;
        errno = 0;
        long long v = strtoll(w, &end, 10);
        if (*w && !*end && !errno) return json_integer(v);
    } else if (t && !strcmp(t, "number")) {
        char *end;
        double v = strtod(w, &end);
        if (*w && !*end && isfinite(v)) return json_real(v); /* nan/inf stay strings for the validator */
    } else if (t && !strcmp(t, "boolean")) {
        if (!strcasecmp(w, "true") || !strcmp(w, "yes") || !strcmp(w, "1")) return json_true();
        if (!strcasecmp(w, "false") || !strcmp(w, "no") || !strcmp(w, "0")) return json_false();
    }
    return json_string(w);
}

json_t *sw_slash_args(const sw_reg_tool *rt, const char *rest, char *err, size_t errlen)
{
    while (*rest && isspace((unsigned char)*rest)) rest++;
    if (*rest == '{') {
        json_error_t je;
        json_t *j = json_loads(rest, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(j)) {
            json_decref(j);
            snprintf(err, errlen, "the JSON arguments do not parse (column %d: %s)", je.column, je.text);
            return NULL;
        }
        return j;
    }
    char *w[MAX_WORDS];
    int n = words(rest, w, MAX_WORDS, err, errlen);
    if (n < 0) return NULL;
    json_t *args = json_object();
    int pos = 0;
    const char *last_string = NULL;
    for (int i = 0; i < n; i++) {
        char *eq = strchr(w[i], '=');
        if (eq && eq != w[i]) {
            *eq = 0;
            if (json_object_get(json_object_get(rt->schema, "properties"), w[i])) {
                json_t *v = typed(rt, w[i], eq + 1);
                if (v) json_object_set_new(args, w[i], v);
                continue;
            }
            *eq = '=';
        }
        /* the next usage parameter not already set by a key=value word */
        while (rt->usage_params && rt->usage_params[pos] && json_object_get(args, rt->usage_params[pos])) pos++;
        const char *key = rt->usage_params ? rt->usage_params[pos] : NULL;
        if (key) {
            pos++;
            json_t *v = typed(rt, key, w[i]);
            if (v) json_object_set_new(args, key, v);
            const char *t = prop_type(rt, key);
            if (!t || !strcmp(t, "string")) last_string = key;
        } else if (last_string) {
            /* surplus words belong to the last string parameter: "/echo hello big world" */
            const char *prev = json_string_value(json_object_get(args, last_string));
            char *joined = NULL;
            if (prev && asprintf(&joined, "%s %s", prev, w[i]) >= 0) {
                json_t *v = json_string(joined);
                if (v) json_object_set_new(args, last_string, v);
                free(joined);
            }
        } else {
            snprintf(err, errlen, "too many words: \"%.40s\" has no parameter to go to", w[i]);
            for (int k = 0; k < n; k++) free(w[k]);
            json_decref(args);
            return NULL;
        }
    }
    for (int k = 0; k < n; k++) free(w[k]);
    return args;
}
