/* model_exec.h: executing a model plan: one thread per client, each sending
 * its operations in order to the targets they name, recording invocation and
 * completion times and the answers into the plan (the history). */
#ifndef AFI_CONFORMANCE_MODEL_EXEC_H
#define AFI_CONFORMANCE_MODEL_EXEC_H

#include <stddef.h>

#include "model_plan.h"

struct model_exec_opts {
    const char *const *targets; /* base URLs, borrowed; plan->ntargets of them */
    const char *secret;         /* borrowed */
    long timeout_ms;            /* per request: no answer by then is "may have happened" */
};

/* Sends every operation of p, filling its decided and recorded fields.
 * Returns 0, or -1 with a message in err when a token could not be minted. */
int model_exec_run(struct model_plan *p, const struct model_exec_opts *o, char *err, size_t errlen);

/* 0 when every target answers GET /health with 200, else -1 with the first
 * one that did not in err. */
int model_exec_health(const struct model_exec_opts *o, int ntargets, char *err, size_t errlen);

/* The HTTP request op was sent as (to base), for a curl line: url (>= 1200
 * bytes), hdr (3 x 1200 bytes) and hdrs[0..*nh) are the caller's buffers. */
void model_exec_request(const struct model_op *op, const char *base,
                        char *url, char hdr[3][1200], const char *hdrs[3], size_t *nh);

#endif
