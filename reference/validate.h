/* Argument validation against a function's entry in the registry table
 * (CALL-2, CALL-3, ENV-3). */
#ifndef AFI_VALIDATE_H
#define AFI_VALIDATE_H

#include <cjson/cJSON.h>

#include "registry.h"

/* Checks body (any parsed JSON value) against fn's arguments. Returns 0 when
 * valid, after adding the defaults of absent optional arguments to body.
 * Returns 1 when invalid, with *details set to the ENV-3 violation array
 * (caller frees with cJSON_Delete), or -1 when out of memory. */
int validate_args(const struct registry_fn *fn, cJSON *body, cJSON **details);

/* A details array with the single violation loc [loc0, loc1] (loc1 may be
 * NULL), type and msg. Caller frees; NULL when out of memory. */
cJSON *validate_violation(const char *loc0, const char *loc1, const char *type, const char *msg);

#endif
