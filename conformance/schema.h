/* schema.h: the JSON Schema subset the runner checks answers against, and the
 * canonical schema comparison of SCH-4. */
#ifndef AFI_CONFORMANCE_SCHEMA_H
#define AFI_CONFORMANCE_SCHEMA_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "matcher.h"

/* Checks value against schema, supporting type, properties, required,
 * additionalProperties, const, enum, minimum, maximum, minLength, maxLength
 * (code points), pattern (POSIX ERE) and items; other keywords are ignored.
 * `path` is the JSON path of value. Returns 1 when valid; 0 with the first
 * violation in msg ("PATH: schema keyword K (ARG) violated by VALUE"). */
int schema_validate(const cJSON *schema, const cJSON *value, const char *path, char *msg, size_t msglen);

/* The canonical form of a schema document (SCH-4): the keys info, servers,
 * description, summary and title removed at every depth, object keys sorted.
 * New tree, caller frees. */
cJSON *schema_canonical(const cJSON *doc);

/* Appends to d one difference per JSON path where the canonical documents
 * expected and actual differ; returns the number appended. */
size_t schema_diff(const cJSON *expected, const cJSON *actual, const char *path, struct matcher_diffs *d);

#endif
