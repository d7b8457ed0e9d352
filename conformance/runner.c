/* runner.c: the case loop and the worker pool that runs it on several threads (see runner.h). */
#include "runner.h"
#include "cluster.h"
#include "identities.h"
#include "jwksstep.h"
#include "mem.h"
#include "rawstep.h"
#include "request.h"
#include "step.h"
#include "vars.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A failed case fails the run when it is a must case, or when a run-wide
 * check of a MUST requirement failed in it; otherwise it only warns. */
static enum status verdict(const struct runner *r, const struct fixture_case *c, const struct failure_list *fl)
{
    int listed = select_list_match(&r->xfail, c->id), must = !c->should;
    for (size_t k = 0; k < fl->n && !must; k++) {
        const struct spec_req *q = spec_find(r->spec, fl->v[k].requirement);
        must = fl->v[k].runwide && (!q || !q->should);
    }
    if (fl->n)
        return listed ? STATUS_XFAIL : must ? STATUS_FAILED : STATUS_WARNED;
    return listed ? STATUS_XPASS : STATUS_PASSED;
}

static void run_case(struct runner *r, struct http_client *hc, int idx)
{
    const struct fixture_case *c = r->set->cases[idx];
    struct case_result *cr = &r->results[idx];
    double t0 = now_ms();
    struct identities ids;
    identities_init(&ids, r->id, idx, c->suite, r->o.secret, (long)time(NULL));
    ids.keys = r->o.keys;
    ids.jwks = r->o.jwks;
    struct vars *v = vars_new(identities_builtin, &ids);
    struct step_env env = {r->o.targets, r->o.ntargets, idx, r->o.timeout_ms, hc, &r->runwide, &ids, v,
                           c->first_req, r->o.jwks};
    (c->jwks ? pthread_rwlock_wrlock : pthread_rwlock_rdlock)(&r->alone);
    for (int si = 0; si < c->nsteps; si++) {
        const struct fixture_step *st = &c->steps[si];
        if ((st->jwks ? jwksstep_run : st->raw ? rawstep_run : step_run)(&env, st, si + 1, &cr->failures))
            break;
    }
    char err[300];
    if (c->jwks && r->o.jwks && jwks_case_end(r->o.jwks, idx, err, sizeof err))
        failure_msg(failure_add(&cr->failures, 0, "after the case", c->first_req), "%s", err);
    pthread_rwlock_unlock(&r->alone);
    if (c->robustness)
        runwide_health_after(hc, r->o.targets, r->o.ntargets, &cr->failures);
    cr->status = verdict(r, c, &cr->failures);
    cr->ms = now_ms() - t0;
    vars_free(v);
    identities_clear(&ids);
}

/* The index of the next case to run, or -1 when none is left; lock held. */
static int next_case(struct runner *r)
{
    while (r->next < r->set->ncases) {
        int i = r->next++;
        if (r->results[i].status == STATUS_PENDING)
            return i;
    }
    return -1;
}

static void *work(void *arg)
{
    struct runner *r = arg;
    struct http_client *hc = http_client_new(r->o.timeout_ms);
    http_client_spin(hc, r->o.spin_us);
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int idx = next_case(r);
        pthread_mutex_unlock(&r->lock);
        if (idx < 0)
            break;
        run_case(r, hc, idx);
        pthread_mutex_lock(&r->lock);
        status_tally_add(&r->progress, r->results[idx].status);
        if (r->o.progress)
            r->o.progress(r, idx, r->o.progress_ctx);
        pthread_mutex_unlock(&r->lock);
    }
    http_client_free(hc);
    return NULL;
}

static void random_id(char *out)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char b[8] = {0};
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
        unsigned long s = (unsigned long)time(NULL) ^ (unsigned long)getpid() << 16;
        for (int i = 0; i < 8; i++, s = s * 6364136223846793005UL + 1)
            b[i] = (unsigned char)(s >> 33);
    }
    if (fd >= 0)
        close(fd);
    for (int i = 0; i < 8; i++)
        out[i] = al[b[i] % 36];
    out[8] = '\0';
}

static void select_cases(struct runner *r)
{
    r->results = mem_calloc((size_t)r->set->ncases + 1, sizeof *r->results);
    for (int i = 0; i < r->set->ncases; i++) {
        const struct fixture_case *c = r->set->cases[i];
        enum select_verdict v = select_case(&r->sel, c->id, c->full, i);
        int need = cluster_needs(c);
        if (v == SELECT_RUN && need > r->o.ntargets) {
            /* cluster_check let only cases tagged cluster get here. */
            v = SELECT_SKIP;
            r->cluster_skipped++;
            if (need > r->cluster_need)
                r->cluster_need = need;
        }
        r->results[i].status = v == SELECT_RUN ? STATUS_PENDING : v == SELECT_SKIP ? STATUS_SKIPPED
                                                                                    : STATUS_OTHER_SHARD;
        if (v == SELECT_RUN)
            r->torun++;
    }
}

int runner_prepare(struct runner *r, char *err, size_t errlen)
{
    pthread_mutex_init(&r->lock, NULL);
    pthread_rwlock_init(&r->alone, NULL);
    r->prepared = 1;
    random_id(r->id);
    if (r->o.ntargets < 1) {
        r->o.targets = (const char *const *)&r->o.target;
        r->o.ntargets = 1;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(r->started_at, sizeof r->started_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    select_cases(r);
    struct http_client *hc = http_client_new(r->o.timeout_ms);
    if (!hc) {
        snprintf(err, errlen, "cannot start libcurl");
        return -1;
    }
    int rc = 0;
    for (int t = 0; t < r->o.ntargets && !rc; t++) {
        char who[40] = "";
        if (r->o.ntargets > 1)
            snprintf(who, sizeof who, " #%d", t);
        struct request health;
        request_get(&health, r->o.targets[t], "/health");
        struct http_response res = {0};
        rc = -1;
        if (http_do(hc, &health.http, &res))
            snprintf(err, errlen, "target%s unreachable: GET %s: %s", who, health.url, res.error);
        else if (res.status != 200)
            snprintf(err, errlen, "target%s unreachable: GET %s answered %ld, not 200", who, health.url, res.status);
        else
            rc = 0;
        http_response_clear(&res);
        request_clear(&health);
    }
    if (!rc)
        runwide_fetch(&r->runwide, hc, r->o.targets[0], r->o.ntargets);
    http_client_free(hc);
    return rc;
}

void runner_execute(struct runner *r)
{
    double t0 = now_ms();
    int jobs = r->o.jobs > 0 ? r->o.jobs : 1;
    if (jobs > r->torun)
        jobs = r->torun > 0 ? r->torun : 1;
    pthread_t *th = mem_calloc((size_t)jobs, sizeof *th);
    for (int i = 0; i < jobs; i++)
        pthread_create(&th[i], NULL, work, r);
    for (int i = 0; i < jobs; i++)
        pthread_join(th[i], NULL);
    free(th);
    r->duration_ms = now_ms() - t0;
}

void runner_clear(struct runner *r)
{
    if (!r)
        return;
    for (int i = 0; r->results && i < r->set->ncases; i++)
        failure_list_clear(&r->results[i].failures);
    free(r->results);
    r->results = NULL;
    runwide_clear(&r->runwide);
    if (r->prepared) {
        pthread_mutex_destroy(&r->lock);
        pthread_rwlock_destroy(&r->alone);
    }
    r->prepared = 0;
}
