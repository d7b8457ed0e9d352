/* cluster.c: round-robin over a deployment's targets and spreading one step over them (see cluster.h). */
#include "cluster.h"
#include "mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cluster_target(int ntargets, int case_idx, int step_idx, int request_idx, int pinned)
{
    if (pinned >= 0)
        return pinned;
    if (ntargets <= 1)
        return 0;
    return (int)(((long)case_idx + step_idx + request_idx) % ntargets);
}

int cluster_pinned(const struct fixture_step *st)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(st->request, "target");
    return cJSON_IsNumber(t) ? (int)t->valuedouble : -1;
}

int cluster_tagged(const struct fixture_case *c)
{
    for (const cJSON *t = c->tags ? c->tags->child : NULL; t; t = t->next)
        if (cJSON_IsString(t) && !strcmp(t->valuestring, "cluster"))
            return 1;
    return 0;
}

int cluster_needs(const struct fixture_case *c)
{
    int need = cluster_tagged(c) ? 2 : 1;
    for (int i = 0; i < c->nsteps; i++) {
        int p = cluster_pinned(&c->steps[i]);
        if (p + 1 > need)
            need = p + 1;
    }
    return need;
}

int cluster_check(const struct fixture_set *set, int ntargets, char *err, size_t errlen)
{
    for (int i = 0; i < set->ncases; i++) {
        const struct fixture_case *c = set->cases[i];
        if (cluster_tagged(c))
            continue;
        for (int si = 0; si < c->nsteps; si++) {
            int p = cluster_pinned(&c->steps[si]);
            if (p >= ntargets) {
                snprintf(err, errlen, "%s: case %s, step %d: \"target\": %d needs at least %d targets, the run has "
                         "%d (give --target or --spawn once per instance, or tag the case cluster so that it is "
                         "skipped with fewer)", c->suite->file, c->id, si + 1, p, p + 1, ntargets);
                return -1;
            }
        }
    }
    return 0;
}

/* One target's share of a spread step. */
struct share {
    const struct http_request *req;
    int n, concurrency;
    long timeout_ms;
    struct http_response *res; /* n answers, scattered back by the caller */
    int missed;
};

static void *send_share(void *arg)
{
    struct share *s = arg;
    struct http_client *hc = http_client_new(s->timeout_ms);
    if (!hc) {
        for (int j = 0; j < s->n; j++)
            strcpy(s->res[j].error, "cannot start libcurl");
        s->missed = s->n;
    } else if (s->n == 1) {
        s->missed = http_do(hc, s->req, &s->res[0]) ? 1 : 0;
    } else {
        s->missed = http_do_many(hc, s->req, s->n, s->concurrency, s->res);
    }
    http_client_free(hc);
    return NULL;
}

int cluster_send(const struct http_request *const *reqs, const int *who, int n, int concurrency, long timeout_ms,
                 struct http_response *res)
{
    int nt = 0;
    for (int j = 0; j < n; j++)
        if (who[j] + 1 > nt)
            nt = who[j] + 1;
    struct share *sh = mem_calloc((size_t)nt, sizeof *sh);
    pthread_t *th = mem_calloc((size_t)nt, sizeof *th);
    for (int j = 0; j < n; j++)
        sh[who[j]].n++;
    for (int t = 0; t < nt; t++) {
        sh[t].req = reqs[t];
        sh[t].timeout_ms = timeout_ms;
        /* The step's concurrency, shared in proportion to each target's part. */
        sh[t].concurrency = (int)(((long)concurrency * sh[t].n + n - 1) / n);
        if (sh[t].concurrency < 1)
            sh[t].concurrency = 1;
        sh[t].res = mem_calloc((size_t)sh[t].n + 1, sizeof *sh[t].res);
        if (sh[t].n)
            pthread_create(&th[t], NULL, send_share, &sh[t]);
    }
    int missed = 0;
    for (int t = 0; t < nt; t++)
        if (sh[t].n) {
            pthread_join(th[t], NULL);
            missed += sh[t].missed;
        }
    int *used = mem_calloc((size_t)nt, sizeof *used);
    for (int j = 0; j < n; j++)
        res[j] = sh[who[j]].res[used[who[j]]++]; /* the answer moves; its share's copy is not cleared */
    for (int t = 0; t < nt; t++)
        free(sh[t].res);
    free(used);
    free(th);
    free(sh);
    return missed;
}
