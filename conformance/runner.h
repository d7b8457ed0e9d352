/* runner.h: the case loop and its worker pool: replays the selected fixture
 * cases against a target on several threads and records their results.
 *
 * A case runs its steps in order (step.h) until one fails, then, when it is
 * tagged robustness, the ROB-1 health check (runwide.h); its status follows
 * from its failures, their grades and the expected-failures list. A case
 * tagged jwks runs while no other case does (it changes the JWK Set every
 * case's tokens are verified with), and its changes are undone after it.
 */
#ifndef AFI_CONFORMANCE_RUNNER_H
#define AFI_CONFORMANCE_RUNNER_H

#include <pthread.h>
#include <stddef.h>

#include "failure.h"
#include "fixture.h"
#include "runwide.h"
#include "select.h"
#include "spec.h"
#include "status.h"

/* The spin budget `run` gives its workers when they leave a core idle:
 * longer than a local target takes to answer a plain request. */
#define RUNNER_SPIN_US 200

struct case_result {
    enum status status;            /* STATUS_PENDING until a selected case has run */
    double ms;
    struct failure_list failures;
};

struct runner;

/* Told about each finished case (idx into set->cases), from a worker thread
 * while the run's lock is held, so it may read r->progress. */
typedef void (*runner_progress_fn)(const struct runner *r, int idx, void *ctx);

struct runner_opts {
    const char *target;     /* the first target's base URL, no trailing slash */
    const char *const *targets; /* the deployment's ntargets base URLs (cluster.h); targets[0] is target */
    int ntargets;
    const char *secret;
    const struct keys *keys; /* the full level's signing keys, or NULL; borrowed */
    struct jwks *jwks;       /* --key-source jwks: the JWK Set server, or NULL; borrowed */
    int jobs;
    long timeout_ms;
    long spin_us;            /* the workers' clients wait for answers spinning this long first (h1_spin) */
    runner_progress_fn progress; /* may be NULL */
    void *progress_ctx;
};

/* The caller zeroes it and fills o, set, spec, sel and xfail, which stay the
 * caller's (it frees sel's and xfail's lists); the rest is the runner's. */
struct runner {
    struct runner_opts o;
    const struct fixture_set *set;
    const struct spec *spec;
    struct select_opts sel;
    struct select_list xfail;
    char id[9];              /* ${run} */
    struct runwide runwide;  /* the target's /schema as the run began */
    struct case_result *results; /* one per set->cases entry */
    int torun;               /* selected cases */
    int cluster_skipped;     /* selected cases tagged cluster skipped: they need more targets */
    int cluster_need;        /* the most targets one of them needs */
    double duration_ms;
    char started_at[32];
    int prepared;            /* runner_prepare initialized lock */
    pthread_mutex_t lock;
    pthread_rwlock_t alone;  /* a case tagged jwks holds it for writing: it changes what every case sees */
    int next;                /* the next case index a worker looks at; guarded by lock */
    struct status_tally progress; /* the finished cases; guarded by lock */
};

/* Prepares a run: fills r->id, r->started_at and the selection verdicts (a
 * case tagged cluster needing more targets than the run has is skipped),
 * checks GET /health of every target and fetches the first one's GET /schema.
 * Returns 0, or -1 when a target does not answer /health (message in err,
 * naming the target: the caller exits 3). */
int runner_prepare(struct runner *r, char *err, size_t errlen);

/* Runs every selected case on r->o.jobs threads and fills r->results. */
void runner_execute(struct runner *r);

/* Frees what prepare and execute allocated (not r itself, nor what the caller
 * filled in); r may be NULL or never prepared. */
void runner_clear(struct runner *r);

#endif
