/* step.c: sends a step's request and checks, collects and captures its answers (see step.h). */
#include "step.h"
#include "cluster.h"
#include "expect.h"
#include "jpath.h"
#include "jsonx.h"
#include "mem.h"
#include "request.h"

#include <stdio.h>
#include <stdlib.h>

/* One step run: the step, its built request and expectations, its answers. */
struct stepctx {
    const struct step_env *env;
    const struct fixture_step *st;
    struct failure_site at;     /* of the answer being checked */
    struct request *rqs;        /* the request built for each target, or zeroed when none goes there */
    int *who;                   /* the target of each request */
    int spread;                 /* they go to more than one target */
    const cJSON *ex;            /* expect, variables substituted */
    cJSON *ex_owned;            /* ex when it is a substituted copy, else NULL */
    struct http_response *res;  /* repeat answers */
    cJSON **bodies;             /* each parsed as strict JSON, or NULL */
    int n;
    struct failure_list *out;
};

/* Applies the step's expectations and the run-wide checks to answer i. Only
 * the first failing answer of a repeat step is recorded per check. */
static void check_answer(struct stepctx *s, int i, const char *perr, int *expect_failed)
{
    const struct http_response *res = &s->res[i];
    s->at.target = s->who[i];
    s->at.rq = &s->rqs[s->who[i]];
    if (res->status == 0) {
        if (!*expect_failed) {
            struct failure *f = failure_at(s->out, &s->at, s->env->requirement, res);
            failure_msg(f, "no answer from the target: %s", res->error);
            *expect_failed = 1;
        }
        return;
    }
    size_t before = s->out->n;
    runwide_check(s->env->runwide, &s->at, res, s->bodies[i], perr, s->out);
    if (*expect_failed)
        return;
    struct matcher_diffs d = {0};
    size_t nschema = expect_answer(s->ex, s->st->schema_equals, res, s->bodies[i], perr, &d);
    if (d.n) {
        struct failure *f = failure_at(s->out, &s->at, s->env->requirement, res);
        if (nschema) {
            const cJSON *se = cJSON_GetObjectItemCaseSensitive(s->ex, "schema_equals");
            failure_msg(f, "SCH-4: %zu difference%s between the canonical form of this answer and %s", nschema,
                        nschema == 1 ? "" : "s", cJSON_IsString(se) ? se->valuestring : "the expected schema");
        }
        failure_diffs(f, &d);
        *expect_failed = 1;
        /* Keep the case's own failure first: it is what the case is about. */
        failure_list_move_last(s->out, before);
    }
    matcher_diffs_clear(&d);
}

/* Which instance answered what: the collected values of each target. */
static void collect_by_target(struct stepctx *s, const char *path, struct failure *f)
{
    for (int t = 0; t < s->env->ntargets; t++) {
        cJSON *vals = cJSON_CreateArray();
        int any = 0;
        for (int i = 0; i < s->n; i++) {
            if (s->who[i] != t)
                continue;
            const cJSON *val = jpath_get(s->bodies[i], path);
            cJSON_AddItemToArray(vals, val ? cJSON_Duplicate(val, 1) : cJSON_CreateNull());
            any = 1;
        }
        char *txt = jsonx_print_short(vals, 300);
        if (any)
            failure_msg(f, "target #%d (%s) answered %s", t, s->env->targets[t], txt);
        free(txt);
        cJSON_Delete(vals);
    }
}

/* collect: the values at one path of every answer, matched as one array. */
static void collect(struct stepctx *s, const cJSON *col)
{
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(col, "path");
    cJSON *arr = cJSON_CreateArray();
    int missing = 0;
    for (int i = 0; i < s->n; i++) {
        const cJSON *val = jpath_get(s->bodies[i], cp->valuestring);
        if (val)
            cJSON_AddItemToArray(arr, cJSON_Duplicate(val, 1));
        else
            missing++;
    }
    struct matcher_diffs d = {0};
    char label[300];
    snprintf(label, sizeof label, "collect(%s)", cp->valuestring);
    matcher_match(cJSON_GetObjectItemCaseSensitive(col, "match"), arr, label, &d);
    if (d.n || missing) {
        struct failure *f = failure_at(s->out, &s->at, s->env->requirement, &s->res[0]);
        if (missing)
            failure_msg(f, "%s: %d of %d answers have no value there", label, missing, s->n);
        failure_diffs(f, &d);
        if (s->env->ntargets > 1 && s->spread) {
            f->target = -1;
            collect_by_target(s, cp->valuestring, f);
        }
    }
    matcher_diffs_clear(&d);
    cJSON_Delete(arr);
}

/* capture: variables from the first answer's headers and body. */
static void capture(struct stepctx *s)
{
    for (const cJSON *cv = s->st->capture->child; cv; cv = cv->next) {
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(cv, "header");
        const cJSON *bp = cJSON_GetObjectItemCaseSensitive(cv, "body");
        cJSON *val = NULL;
        if (h) {
            char *hv = expect_header(&s->res[0], h->valuestring);
            if (hv)
                val = cJSON_CreateString(hv);
            free(hv);
        } else {
            const cJSON *got = jpath_get(s->bodies[0], bp->valuestring);
            if (got)
                val = cJSON_Duplicate(got, 1);
        }
        if (!val) {
            struct failure *f = failure_at(s->out, &s->at, s->env->requirement, &s->res[0]);
            failure_msg(f, "capture %s: the answer has no %s %s", cv->string, h ? "header" : "value at",
                        h ? h->valuestring : bp->valuestring);
        } else {
            vars_set(s->env->vars, cv->string, val);
            cJSON_Delete(val);
        }
    }
}

/* A step whose requests go to several targets: all of them at once. */
static void send_spread(struct stepctx *s)
{
    const struct http_request **reqs = mem_calloc((size_t)s->env->ntargets, sizeof *reqs);
    for (int t = 0; t < s->env->ntargets; t++)
        reqs[t] = &s->rqs[t].http;
    cluster_send(reqs, s->who, s->n, s->st->concurrency, s->env->timeout_ms, s->res);
    free(reqs);
}

/* Sends the built request and checks every answer; then collect and capture
 * when the answers passed. */
static void exchange(struct stepctx *s)
{
    const struct step_env *env = s->env;
    s->res = mem_calloc((size_t)s->n, sizeof *s->res);
    s->bodies = mem_calloc((size_t)s->n, sizeof *s->bodies);
    for (int i = 1; i < s->n; i++)
        s->spread |= s->who[i] != s->who[0];
    const struct http_request *one_rq = &s->rqs[s->who[0]].http;
    if (s->n == 1)
        http_do(env->hc, one_rq, &s->res[0]);
    else if (!s->spread)
        http_do_many(env->hc, one_rq, s->n, s->st->concurrency, s->res);
    else
        send_spread(s);
    size_t nf0 = s->out->n;
    int expect_failed = 0;
    for (int i = 0; i < s->n; i++) {
        char perr[300] = "";
        if (s->res[i].status)
            s->bodies[i] = jsonx_parse(s->res[i].body ? s->res[i].body : "", s->res[i].body_len, perr, sizeof perr);
        size_t before = s->out->n;
        check_answer(s, i, perr, &expect_failed);
        /* Run-wide failures of further identical answers add nothing new. */
        if (i > 0 && s->out->n > before && nf0 != before)
            failure_list_truncate(s->out, before);
    }
    const cJSON *col = cJSON_GetObjectItemCaseSensitive(s->ex, "collect");
    /* collect and capture start from the first answer. */
    s->at.target = s->who[0];
    s->at.rq = &s->rqs[s->who[0]];
    if (col && s->out->n == nf0)
        collect(s, col);
    if (s->st->capture && s->out->n == nf0)
        capture(s);
    for (int i = 0; i < s->n; i++) {
        cJSON_Delete(s->bodies[i]);
        http_response_clear(&s->res[i]);
    }
    free(s->bodies);
    free(s->res);
}

/* Builds the step's request for every target one of its requests goes to;
 * 0, or -1 with a message in err. */
static int build_requests(struct stepctx *s, char *err, size_t errlen)
{
    const struct step_env *env = s->env;
    for (int t = 0; t < env->ntargets; t++) {
        int used = 0;
        for (int i = 0; i < s->n && !used; i++)
            used = s->who[i] == t;
        if (used && request_build(&s->rqs[t], s->st->request, env->targets[t], env->ids, env->vars, err, errlen))
            return -1;
    }
    return 0;
}

int step_run(const struct step_env *env, const struct fixture_step *st, int n, struct failure_list *out)
{
    char name[64], err[600];
    snprintf(name, sizeof name, "step %d", n);
    struct stepctx s = {env, st, {n, st->name ? st->name : name, NULL, 0}, NULL, NULL, 0, NULL, NULL, NULL, NULL,
                        st->repeat, out};
    s.rqs = mem_calloc((size_t)env->ntargets, sizeof *s.rqs);
    s.who = mem_calloc((size_t)st->repeat, sizeof *s.who);
    int pinned = cluster_pinned(st);
    for (int i = 0; i < st->repeat; i++)
        s.who[i] = cluster_target(env->ntargets, env->case_idx, n - 1, i, pinned);
    size_t nf0 = out->n;
    if (build_requests(&s, err, sizeof err)) {
        struct failure *f = failure_add(out, n, s.at.step_name, env->requirement);
        failure_msg(f, "cannot build the request: %s", err);
    } else if (!(s.ex = st->expect && !vars_mentioned(st->expect)
                            ? st->expect
                            : (s.ex_owned = vars_subst_json(env->vars, st->expect, err, sizeof err)))) {
        struct failure *f = failure_add(out, n, s.at.step_name, env->requirement);
        failure_msg(f, "cannot build the expectations: %s", err);
    } else {
        exchange(&s);
    }
    cJSON_Delete(s.ex_owned);
    for (int t = 0; t < env->ntargets; t++)
        request_clear(&s.rqs[t]);
    free(s.rqs);
    free(s.who);
    return out->n > nf0 ? -1 : 0;
}
