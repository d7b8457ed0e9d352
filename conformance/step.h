/* step.h: one HTTP step of a case: its request built and sent (repeat times,
 * concurrency at once), every answer checked against the step's expectations
 * and the run-wide checks, then collect and capture (docs/fixtures.md, "Steps"). */
#ifndef AFI_CONFORMANCE_STEP_H
#define AFI_CONFORMANCE_STEP_H

#include "failure.h"
#include "fixture.h"
#include "http.h"
#include "identities.h"
#include "runwide.h"
#include "vars.h"

/* What every step of one case run shares; all borrowed. */
struct step_env {
    const char *const *targets;   /* the deployment's base URLs, no trailing slash */
    int ntargets;                 /* >= 1; steps spread over them (cluster.h) */
    int case_idx;                 /* the case's index in the run, for the round-robin */
    long timeout_ms;              /* for the clients of a step spread over several targets */
    struct http_client *hc;       /* for a step whose requests all go to one target */
    const struct runwide *runwide;
    struct identities *ids;
    struct vars *vars;            /* captures land here */
    const char *requirement;      /* what the case's own failures name: its first requirement */
    struct jwks *jwks;            /* --key-source jwks: the runner's JWK Set server, else NULL */
};

/* Runs st, step number n (1-based) of its case, on the targets cluster.h
 * assigns, appending its failures (each naming its target) to out. Returns 0 when it added none, so the case goes on; -1 otherwise. */
int step_run(const struct step_env *env, const struct fixture_step *st, int n, struct failure_list *out);

#endif
