/* expect.h: a step's expectations (docs/fixtures.md, "Expectations") applied to
 * one answer: status, headers, body, body_text and schema_equals (SCH-4). */
#ifndef AFI_CONFORMANCE_EXPECT_H
#define AFI_CONFORMANCE_EXPECT_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "http.h"
#include "matcher.h"

/* Appends to d every difference between the answer res and ex (the step's
 * expect object, variables substituted). body is res's body parsed as strict
 * JSON, or NULL with perr saying why; schema_equals is the step's canonical
 * expected schema, or NULL. Returns how many of the differences schema_equals
 * found. */
size_t expect_answer(const cJSON *ex, const cJSON *schema_equals, const struct http_response *res,
                     const cJSON *body, const char *perr, struct matcher_diffs *d);

/* The values of res's header name (in any case) joined with ", ", malloc'd;
 * NULL when absent. */
char *expect_header(const struct http_response *res, const char *name);

#endif
