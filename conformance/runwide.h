/* runwide.h: the checks the runner adds to every step (docs/fixtures.md,
 * "Checks the runner adds to every step"): ENV-1, ENV-2 and ENV-7 on error
 * answers, CALL-5 and SCH-3 on 200 calls, SCH-4 on every GET /schema, and
 * ROB-1 after a robustness case.
 *
 * Their failures name their own requirement and are marked runwide: they
 * count with the grade of that requirement, not the case's.
 */
#ifndef AFI_CONFORMANCE_RUNWIDE_H
#define AFI_CONFORMANCE_RUNWIDE_H

#include <cjson/cJSON.h>

#include "failure.h"
#include "http.h"

/* What the checks compare answers with: the first target's /schema as it
 * answered when the run began (every target of a deployment is compared with
 * it, SCH-4). Owned by the struct (runwide_clear frees it) but first_target. */
struct runwide {
    const char *first_target; /* that target's base URL, borrowed */
    int ntargets;           /* the run's targets: with several, messages name them */
    cJSON *schema;          /* the /schema document, or NULL */
    cJSON *schema_canon;    /* its canonical form (SCH-4), or NULL */
    char schema_error[300]; /* why schema is NULL */
};

/* Fetches GET target/schema into w (zeroed) with client hc; target is the
 * first of ntargets. An unusable answer is no error here: SCH-3 reports it on
 * the first 200 call. */
void runwide_fetch(struct runwide *w, struct http_client *hc, const char *target, int ntargets);

/* Checks one answer res to the request at site `at` (body: res's body parsed
 * as strict JSON, or NULL with perr saying why); appends a failure per
 * violated rule to out. */
void runwide_check(const struct runwide *w, const struct failure_site *at, const struct http_response *res,
                   const cJSON *body, const char *perr, struct failure_list *out);

/* ROB-1: GET /health of each of the ntargets targets after a case tagged
 * robustness must answer 200; appends a failure to out for each that does not. */
void runwide_health_after(struct http_client *hc, const char *const *targets, int ntargets,
                          struct failure_list *out);

/* Frees what w holds (not w itself); w may be NULL. */
void runwide_clear(struct runwide *w);

#endif
