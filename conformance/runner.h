/* runner.h: replays selected fixture cases against a target and records their results. */
#ifndef AFI_CONFORMANCE_RUNNER_H
#define AFI_CONFORMANCE_RUNNER_H

#include <pthread.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "fixture.h"
#include "http.h"
#include "matcher.h"
#include "select.h"
#include "spec.h"

enum case_status {
    CASE_PASSED, CASE_FAILED, CASE_WARNED, CASE_SKIPPED, CASE_XFAIL, CASE_XPASS, CASE_OTHER_SHARD
};

/* One failed check of a case. All strings and trees owned by the failure. */
struct failure {
    int step;            /* 1-based; 0 for the robustness health check */
    char *step_name;
    char *requirement;   /* the id the failed check belongs to */
    char *message;       /* one or more lines a person reads */
    struct matcher_diffs diffs;
    cJSON *request;      /* {"method","path","url","identity","headers","body"} or NULL */
    cJSON *response;     /* {"status","headers","body"} or NULL */
    char *curl;          /* a shell command line reproducing the request, or NULL */
    int runwide;         /* from a run-wide check: a MUST one fails even a should case */
};

struct case_result {
    enum case_status status;
    double ms;
    struct failure *f;
    size_t nf;
};

struct runner;

/* Told about each finished case (idx into set->cases), from a worker thread
 * while the run's lock is held, so it may read the counters of struct runner. */
typedef void (*runner_progress_fn)(const struct runner *r, int idx, void *ctx);

struct runner_opts {
    const char *target;     /* base URL, no trailing slash */
    const char *secret;
    int jobs;
    long timeout_ms;
    runner_progress_fn progress; /* may be NULL */
    void *progress_ctx;
};

struct runner {
    struct runner_opts o;
    const struct fixture_set *set;
    const struct spec *spec;
    struct select_opts sel;
    struct select_list xfail;
    char id[9];              /* ${run} */
    cJSON *schema;           /* the target's /schema document, or NULL */
    cJSON *schema_canon;     /* its canonical form (SCH-4), or NULL */
    char schema_error[300];  /* why it is NULL */
    struct case_result *results; /* one per set->cases entry; a selected case is
                                    CASE_PASSED until it runs, then its outcome */
    double duration_ms;
    char started_at[32];
    /* progress counters, guarded by lock */
    pthread_mutex_t lock;
    int next, done, torun, npassed, nfailed, nwarned;
};

/* Prepares a run: fills r->id, r->started_at and the selection verdicts, checks
 * GET /health and fetches GET /schema. Returns 0, or -1 when the target does
 * not answer /health (message in err: the caller exits 3). */
int runner_prepare(struct runner *r, char *err, size_t errlen);

/* Runs every selected case on r->o.jobs threads and fills r->results. */
void runner_execute(struct runner *r);

/* Frees what prepare and execute allocated (not r itself). */
void runner_clear(struct runner *r);

/* The text of a case status ("passed", "failed", ...). */
const char *runner_status_name(enum case_status s);

/* A shell command line that reproduces req (token included, secret never). */
char *runner_curl_command(const struct http_request *req);

#endif
