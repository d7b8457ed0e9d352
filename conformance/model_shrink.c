/* model_shrink.c: delta debugging over a model plan, every candidate
 * executed again against the targets. */
#include "model_shrink.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

struct shrink {
    const struct model_shrink_opts *o;
    const char *req;
    struct model_plan best;  /* executed, failing */
    struct model_check bestc;
    int runs;
    int failed;              /* an execution could not run */
    char *err;
    size_t errlen;
};

static int out_of_budget(const struct shrink *s)
{
    return s->failed || s->runs >= s->o->max_runs ||
           (s->o->deadline_ms > 0 && model_check_now_ms() > s->o->deadline_ms);
}

/* Executes cand (taken over) up to twice; on a failure with s->req it becomes the best. */
static int try_plan(struct shrink *s, struct model_plan *cand)
{
    for (int attempt = 0; attempt < 2 && !out_of_budget(s); attempt++) {
        model_plan_refresh(cand);
        s->runs++;
        if (model_exec_run(cand, s->o->exec, s->err, s->errlen)) {
            s->failed = 1;
            break;
        }
        struct model_check c;
        model_check_run(cand, s->o->max_steps, s->o->deadline_ms, &c);
        if (model_check_has(&c, s->req)) {
            model_plan_clear(&s->best);
            model_check_clear(&s->bestc);
            s->best = *cand;
            s->bestc = c;
            return 1;
        }
        model_check_clear(&c);
    }
    model_plan_clear(cand);
    return 0;
}

static int try_keep(struct shrink *s, const unsigned char *keep)
{
    struct model_plan cand;
    model_plan_copy(&cand, &s->best, keep);
    if (!cand.nops || cand.nops == s->best.nops) {
        model_plan_clear(&cand);
        return 0;
    }
    return try_plan(s, &cand);
}

int model_shrink_run(const struct model_plan *failing, const char *req, const struct model_shrink_opts *o,
                     struct model_plan *out, struct model_check *outc, int *runs, char *err, size_t errlen)
{
    struct shrink s = {.o = o, .req = req, .err = err, .errlen = errlen};
    model_plan_copy(&s.best, failing, NULL);
    model_check_run(&s.best, o->max_steps, 0, &s.bestc);

    /* Whole clients first: fewer threads make the rest of the search cheaper. */
    for (int c = 0; c < s.best.nclients && !out_of_budget(&s); c++) {
        unsigned char *keep = mem_alloc(s.best.nops ? s.best.nops : 1);
        for (size_t i = 0; i < s.best.nops; i++)
            keep[i] = s.best.ops[i].client != c;
        try_keep(&s, keep);
        free(keep);
    }
    for (size_t chunk = s.best.nops / 2; chunk >= 1 && !out_of_budget(&s); chunk /= 2) {
        for (size_t start = 0; start < s.best.nops && !out_of_budget(&s);) {
            unsigned char *keep = mem_alloc(s.best.nops);
            for (size_t i = 0; i < s.best.nops; i++)
                keep[i] = i < start || i >= start + chunk;
            if (!try_keep(&s, keep))
                start += chunk;
            free(keep);
        }
        if (chunk > s.best.nops / 2 && s.best.nops > 1)
            chunk = s.best.nops; /* the history shrank under us: halve from its new size */
    }
    /* Simpler values: increments by 1, integers for strings. */
    int simpler = 0;
    for (size_t i = 0; i < s.best.nops; i++)
        simpler |= s.best.ops[i].by != 1 || s.best.ops[i].str_value;
    if (simpler && !out_of_budget(&s)) {
        struct model_plan cand;
        model_plan_copy(&cand, &s.best, NULL);
        for (size_t i = 0; i < cand.nops; i++) {
            cand.ops[i].by = 1;
            cand.ops[i].str_value = 0;
        }
        try_plan(&s, &cand);
    }
    *out = s.best;
    *outc = s.bestc;
    *runs = s.runs;
    return s.failed ? -1 : 0;
}
