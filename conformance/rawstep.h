/* rawstep.h: the raw step of a case (docs/fixtures.md, "Raw steps"): exact
 * bytes on one connection to the target (raw.h), every answer read back in
 * order checked against its expectation and the run-wide checks, then
 * whether the connection was closed, all within the step's time bound. */
#ifndef AFI_CONFORMANCE_RAWSTEP_H
#define AFI_CONFORMANCE_RAWSTEP_H

#include "failure.h"
#include "fixture.h"
#include "step.h"

/* Runs raw step st (st->raw set), step number n (1-based) of its case,
 * appending its failures to out; every failure names the answer it is about
 * and carries a printf | nc line sending the same bytes. Sets the variables
 * ${base} (the target's base path) and ${host} (host:port) before it
 * substitutes. Returns 0 when it added no failure, -1 otherwise. */
int rawstep_run(const struct step_env *env, const struct fixture_step *st, int n, struct failure_list *out);

#endif
