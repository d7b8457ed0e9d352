/* step.c: sends a step's request and checks, collects and captures its answers (see step.h). */
#include "step.h"
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
    struct failure_site at;
    cJSON *ex;                  /* expect, variables substituted */
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

/* Sends the built request and checks every answer; then collect and capture
 * when the answers passed. */
static void exchange(struct stepctx *s)
{
    const struct step_env *env = s->env;
    s->res = mem_calloc((size_t)s->n, sizeof *s->res);
    s->bodies = mem_calloc((size_t)s->n, sizeof *s->bodies);
    if (s->n == 1)
        http_do(env->hc, &s->at.rq->http, &s->res[0]);
    else
        http_do_many(env->hc, &s->at.rq->http, s->n, s->st->concurrency, s->res);
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

int step_run(const struct step_env *env, const struct fixture_step *st, int n, struct failure_list *out)
{
    char name[64], err[600];
    snprintf(name, sizeof name, "step %d", n);
    struct request rq = {0};
    struct stepctx s = {env, st, {n, st->name ? st->name : name, &rq}, NULL, NULL, NULL, st->repeat, out};
    size_t nf0 = out->n;
    if (request_build(&rq, st->request, env->target, env->ids, env->vars, err, sizeof err)) {
        struct failure *f = failure_add(out, n, s.at.step_name, env->requirement);
        failure_msg(f, "cannot build the request: %s", err);
    } else if (!(s.ex = vars_subst_json(env->vars, st->expect, err, sizeof err))) {
        struct failure *f = failure_add(out, n, s.at.step_name, env->requirement);
        failure_msg(f, "cannot build the expectations: %s", err);
    } else {
        exchange(&s);
    }
    cJSON_Delete(s.ex);
    request_clear(&rq);
    return out->n > nf0 ? -1 : 0;
}
