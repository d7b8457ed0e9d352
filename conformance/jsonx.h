/* jsonx.h: strict JSON parsing into cJSON trees that remember each number's token text.
 *
 * cJSON alone cannot tell `1` from `1.0` or keep 2^53+1 exact, and it accepts
 * duplicate keys and invalid UTF-8. jsonx_parse builds an ordinary cJSON tree
 * (free it with cJSON_Delete) in which every number item also carries its
 * token text in item->valuestring (cJSON 1.7.15 frees and duplicates
 * valuestring whatever the item type, so the trees stay ordinary cJSON).
 * Numbers created by cJSON_CreateNumber have no token text; jsonx treats them
 * as integers when their double is integral.
 *
 * A NUL character (\u0000) inside a string is kept as the two bytes C0 80
 * (never valid UTF-8, so never ambiguous): cJSON strings end at a NUL byte.
 * jsonx_print writes it back as \u0000 and jsonx_bytes as a NUL byte.
 */
#ifndef AFI_CONFORMANCE_JSONX_H
#define AFI_CONFORMANCE_JSONX_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Parses exactly one RFC 8259 JSON value (surrounding whitespace allowed) from
 * buf[0..len). Refuses duplicate keys, invalid UTF-8, raw control characters,
 * a BOM, numbers outside the double range and nesting deeper than 4096.
 * Returns a new tree owned by the caller, or NULL with a message in err. */
cJSON *jsonx_parse(const char *buf, size_t len, char *err, size_t errlen);

/* A number item with token text (for tests and for building values). */
cJSON *jsonx_number(const char *token);

/* 1 when item is a number written as an integer token (no fraction, no exponent). */
int jsonx_is_integer(const cJSON *item);

/* The number's text: its token text, or a %.17g rendering. Never NULL for a
 * number item; points into item or into buf (at least 32 bytes). */
const char *jsonx_number_text(const cJSON *item, char *buf);

/* Compact JSON text of item, numbers as their token text. Caller frees.
 * NULL item gives "(absent)". */
char *jsonx_print(const cJSON *item);

/* The same, cut to at most max bytes (on a UTF-8 boundary) plus "…" when longer. */
char *jsonx_print_short(const cJSON *item, size_t max);

/* Deep equality: same types, same keys (any order), same array order; numbers
 * equal only when both are integers with the same digits or both are
 * non-integers with the same double. */
int jsonx_equal(const cJSON *a, const cJSON *b);

/* The bytes a string stands for (C0 80 becomes NUL); malloc'd, *len set. */
char *jsonx_bytes(const char *s, size_t *len);

/* A string item holding buf[0..len) (NUL bytes kept as C0 80). */
cJSON *jsonx_string_from_bytes(const char *buf, size_t len);

#endif
