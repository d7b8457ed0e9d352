/* cluster.h: a deployment of several targets (docs/fixtures.md, "Several
 * targets"): which instance each request of a step goes to, what a case needs
 * of the deployment, and one step's requests sent spread over the instances.
 *
 * Step i (0-based) of case k goes to target (k + i) mod N, and request j of a
 * repeated step to (k + i + j) mod N, unless the step's request pins one with
 * "target": T. With one target everything goes to target 0.
 */
#ifndef AFI_CONFORMANCE_CLUSTER_H
#define AFI_CONFORMANCE_CLUSTER_H

#include <stddef.h>

#include "fixture.h"
#include "http.h"

/* The target that request j of step step_idx (0-based) of case case_idx goes
 * to among ntargets (>= 1); pinned is the step's "target", or -1. */
int cluster_target(int ntargets, int case_idx, int step_idx, int request_idx, int pinned);

/* The step's pinned target ("target" of its request), or -1. */
int cluster_pinned(const struct fixture_step *st);

/* How many targets case c needs: 2 when it is tagged cluster, at least one
 * more than the highest target a step pins, else 1. */
int cluster_needs(const struct fixture_case *c);

/* Checks that every case of set not tagged cluster pins only targets the run
 * has (a cluster case needing more is skipped instead). Returns 0, or -1 with
 * a message naming the suite, the case, the step and the count in err. */
int cluster_check(const struct fixture_set *set, int ntargets, char *err, size_t errlen);

/* 1 when case c is tagged cluster. */
int cluster_tagged(const struct fixture_case *c);

/* Sends request j of n to target who[j] (reqs[who[j]]), at most concurrency
 * at a time over all of them, filling res[0..n) (zeroed). Requests to one
 * target share a client; each target's share runs on a thread of its own, so
 * the instances are asked at once. Returns the number that got no answer. */
int cluster_send(const struct http_request *const *reqs, const int *who, int n, int concurrency, long timeout_ms,
                 struct http_response *res);

#endif
