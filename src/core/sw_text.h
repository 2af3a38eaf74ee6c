/* sw_text: small text utilities shared across layers (suggestions for unknown names). */
#ifndef SW_TEXT_H
#define SW_TEXT_H

#include <stddef.h>

/* Case-insensitive Levenshtein distance; 99 when either string is longer than 64 bytes. */
size_t sw_edit_distance(const char *a, const char *b);

#endif
