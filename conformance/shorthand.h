/* shorthand.h: the request and expectation shorthands of the fixture format (docs/fixtures.md, "Shorthands"). */
#ifndef AFI_CONFORMANCE_SHORTHAND_H
#define AFI_CONFORMANCE_SHORTHAND_H

#include <cjson/cJSON.h>

/* Called once per problem found: path is the JSON path of the offending
 * shorthand member, msg says what was expected (both borrowed for the call). */
typedef void shorthand_problem_fn(void *ctx, const char *path, const char *msg);

/* Rewrites the expectation object ex, found at JSON path `path` of its file,
 * in place: the members `error`, `result` and `invalidate` are replaced by the
 * `status`, `headers` and `body` they stand for, so that nothing after the
 * load sees a shorthand. Returns 0 (also when ex has no shorthand), or -1 after
 * reporting every problem through `problem`; ex is then unchanged. ex stays
 * owned by the caller; the members added belong to it. */
int shorthand_expand_expect(cJSON *ex, const char *path, shorthand_problem_fn *problem, void *ctx);

/* The same for a request object: `call` is replaced by `method` and `path`. */
int shorthand_expand_request(cJSON *req, const char *path, shorthand_problem_fn *problem, void *ctx);

#endif
