/* jwksstep.h: the jwks step of a case (docs/fixtures.md, "JWKS steps"): the
 * runner's JWK Set server (jwks.h) changed, waited on and its fetches
 * counted, for the cases of FULL-6..FULL-8 tagged jwks. */
#ifndef AFI_CONFORMANCE_JWKSSTEP_H
#define AFI_CONFORMANCE_JWKSSTEP_H

#include "failure.h"
#include "fixture.h"
#include "step.h"

/* Runs jwks step st (st->jwks set), step number n (1-based) of its case, on
 * env->jwks: serve, publish, withdraw, fetches "reset", wait, then
 * expect_fetches, in that order. Appends a failure to out when the count of
 * fetches does not match, or the server could not do what was asked.
 * Returns 0 when it added none, -1 otherwise. */
int jwksstep_run(const struct step_env *env, const struct fixture_step *st, int n, struct failure_list *out);

#endif
