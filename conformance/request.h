/* request.h: building the HTTP request of a fixture step (docs/fixtures.md, "Requests"):
 * variables substituted, the identity's token as header and/or cookie, the
 * body from json, body, body_b64 or body_parts, the fixture's own headers. */
#ifndef AFI_CONFORMANCE_REQUEST_H
#define AFI_CONFORMANCE_REQUEST_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "http.h"
#include "identities.h"
#include "vars.h"

/* A built request. http is what http_do sends; its strings point into the
 * fields below, all owned by the struct (request_clear frees them). */
struct request {
    struct http_request http;
    char *method, *path, *url, *body;
    char **lines;           /* "Name: value", or "Name:" to remove a header */
    size_t nlines;
    const char *identity;   /* the fixture's identity name (borrowed), or NULL */
};

/* Builds the request of step object spec (validated by fixture.c) against
 * target (the base URL, no trailing slash) into rq (zeroed), substituting
 * from v and minting tokens from ids. Returns 0, or -1 with a message in err
 * (rq then holds what was built so far: clear it all the same). */
int request_build(struct request *rq, const cJSON *spec, const char *target, struct identities *ids,
                  struct vars *v, char *err, size_t errlen);

/* A GET of target + path without headers (the run's own /health and /schema). */
void request_get(struct request *rq, const char *target, const char *path);

/* Frees what rq holds and zeroes it; rq may be NULL. */
void request_clear(struct request *rq);

#endif
