/* model_case.h: a model history as a fixture suite (docs/fixtures.md) that
 * `conformance run --suite FILE` replays: one case, the operations one step
 * each in call order, every expectation what the protocol's sequential model
 * answers to them one at a time.
 *
 * A sequential replay reproduces what one instance gets wrong one request at
 * a time (a conditional set that writes on conflict, a stale tag, a leaked
 * key, a token that outlives its logout); races need `conformance model`.
 * The case's viewers get the suite's own subs (r<run>.<case>.<identity>),
 * not the model's key-encoding subs, and shared keys carry ${run}.
 */
#ifndef AFI_CONFORMANCE_MODEL_CASE_H
#define AFI_CONFORMANCE_MODEL_CASE_H

#include <cjson/cJSON.h>

#include "model_check.h"
#include "model_plan.h"

/* The suite; its case's requirements are c's violated ids (ROB-2 when none).
 * The caller frees it with cJSON_Delete. */
cJSON *model_case_build(const struct model_plan *p, const struct model_check *c);

#endif
