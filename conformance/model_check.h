/* model_check.h: checking a model run's history against the sequential
 * model of the protocol:
 *   - per key, linearizability of the register with revs, if_rev and the
 *     counter (lincheck.h), bundles' and get_draft's drafts included
 *     (SCOPE-5, SCOPE-6, ROB-2); a key the search could not decide within the
 *     limit is counted as undecided, never as a violation;
 *   - per viewer, isolation: no answer shows a value another viewer wrote to
 *     a personal key, another sub, or a personal key it never wrote (SCOPE-2);
 *   - shared writes: refused (403) exactly for roles below WRITER (SCOPE-3);
 *   - revocation: no success with a token after its logout completed, on any
 *     target, and the revoked token is 401 token_revoked (AUTH-6);
 *   - bundle ETags: one tag never names two data of a viewer, two viewers never
 *     share a tag, a viewer's tag does not change while nothing it sees is
 *     written (CTX-4, INV-2);
 *   - invalidate lists exactly as declared (INV-1); any other answer the
 *     profile does not allow (PROF-1).
 */
#ifndef AFI_CONFORMANCE_MODEL_CHECK_H
#define AFI_CONFORMANCE_MODEL_CHECK_H

#include <stddef.h>

#include "model_plan.h"

enum { MODEL_VIOLATION_OPS = 4 };

struct model_violation {
    const char *requirement;        /* static: "SCOPE-5", "AUTH-6", ... */
    char *message;                  /* owned */
    size_t ops[MODEL_VIOLATION_OPS];/* indices into plan->ops of the operations involved */
    int nops;
};

struct model_check {
    struct model_violation *v;      /* owned */
    size_t n, cap;
    size_t ops_checked;             /* operations of the linearizability search */
    size_t keys, keys_undecided;
    long steps;                     /* model steps of the search */
    double check_ms;
};

/* Checks p's history; the linearizability search gives each key at most
 * max_steps steps and stops deciding keys once deadline_ms (of
 * CLOCK_MONOTONIC, 0: none) has passed (those keys are undecided). Fills c
 * (zeroed or cleared). */
void model_check_run(const struct model_plan *p, long max_steps, double deadline_ms, struct model_check *c);

/* 1 when c has a violation of requirement req (NULL: any). */
int model_check_has(const struct model_check *c, const char *req);

/* The monotonic clock in ms, for deadlines. */
double model_check_now_ms(void);

/* Frees what c owns (not c); c may be NULL. */
void model_check_clear(struct model_check *c);

#endif
