/* Strict RFC 8259 JSON (CALL-3): a parser that builds cJSON trees but refuses
 * everything cJSON 1.7.15 would let through, and a compact printer that writes
 * numbers exactly as they were received.
 *
 * Representation conventions (what the rest of the server relies on):
 *  - A number item parsed here keeps its original token text in
 *    item->valuestring (owned by the item; cJSON_Delete frees it). sjson_print
 *    writes that text verbatim, so 9007199254740992 and 1.0 round-trip.
 *    Numbers made with cJSON_CreateNumber have no token and print as integers
 *    when integral.
 *  - Strings (values and keys) are NUL-terminated UTF-8; a U+0000 in the input
 *    is held as the two bytes C0 80 (never valid UTF-8 otherwise) so that no
 *    text is cut short; sjson_print writes it back as \u0000.
 *  - cJSON_Raw items are printed verbatim (used for stored JSON values). */
#ifndef AFI_SJSON_H
#define AFI_SJSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"

/* CALL-3: the reference server's nesting limit (arrays + objects). */
#define SJSON_MAX_DEPTH 512

/* Parses exactly one JSON value, optionally surrounded by whitespace, from
 * text[0..len) (text need not be NUL-terminated). Returns a new tree that the
 * caller frees with cJSON_Delete, or NULL with a message for a person in err. */
cJSON *sjson_parse(const char *text, size_t len, char *err, size_t errlen);

/* 1 when item is a number written without fraction or exponent (or, for a
 * number created in code, an integral value). */
int sjson_is_integer(const cJSON *item);

/* Appends the compact serialization of item to b. */
void sjson_write(struct buf *b, const cJSON *item);

/* Returns the compact serialization of item (caller frees with free()), or
 * NULL when out of memory; *len (may be NULL) gets its length. */
char *sjson_print(const cJSON *item, size_t *len);

/* Number of Unicode code points of a string held in the convention above. */
size_t sjson_codepoints(const char *s);

/* Creates a number item whose printed form is the decimal integer v. */
cJSON *sjson_integer(long long v);

#endif
