/* model_shrink.h: shrinking a failing model history to a small one that
 * still fails with the same requirement: drop clients, then operations
 * (halves, quarters, ... down to one at a time), then simplify values,
 * re-executing every candidate against the targets with fresh subs and keys
 * (each candidate gets two tries: the failures are races). */
#ifndef AFI_CONFORMANCE_MODEL_SHRINK_H
#define AFI_CONFORMANCE_MODEL_SHRINK_H

#include "model_check.h"
#include "model_exec.h"
#include "model_plan.h"

struct model_shrink_opts {
    const struct model_exec_opts *exec; /* borrowed */
    long max_steps;                     /* per key, as for model_check_run */
    double deadline_ms;                 /* CLOCK_MONOTONIC ms after which shrinking stops */
    int max_runs;                       /* executions at most */
};

/* Shrinks failing (executed, failing with requirement req) into *out
 * (zeroed): the smallest executed plan found that fails with req, its check
 * in *outc (zeroed), the number of executions in *runs. Returns 0, or -1
 * with a message in err when an execution could not run. */
int model_shrink_run(const struct model_plan *failing, const char *req, const struct model_shrink_opts *o,
                     struct model_plan *out, struct model_check *outc, int *runs, char *err, size_t errlen);

#endif
