/* rawstep.c: runs a raw step over raw.c and checks its answers in order (see rawstep.h). */
#include "rawstep.h"
#include "b64.h"
#include "cluster.h"
#include "expect.h"
#include "jsonx.h"
#include "mem.h"
#include "raw.h"
#include "reproduce.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_WITHIN_MS 5000
#define LINGER_MS 300 /* how long a connection that must stay open is watched after the last answer */

/* One raw step run: the bytes, where they go, what came back. */
struct rawctx {
    const struct step_env *env;
    const char *target;       /* the base URL of the instance the step goes to */
    int who;                  /* its index among the deployment's targets */
    const char *step_name;
    int n;
    char host[256], port[16], *base, *url, method[4];
    struct strbuf *parts;     /* one buffer per chunk */
    struct raw_chunk *chunks;
    size_t nchunks;
    struct strbuf all;        /* every byte sent, for the failure's request */
    cJSON *ex;                /* the expectations, variables substituted */
    long within_ms;
    int closed;               /* 1 must close, 0 must stay open, -1 either */
    struct raw_exchange x;
    struct request rq;        /* the failure site's request: the bytes as its body */
    char *nc;                 /* the reproduce line */
    struct failure_list *out;
};

/* host, port and base path of an http:// target URL. */
static int split_target(struct rawctx *c, const char *t, char *err, size_t errlen)
{
    if (strncmp(t, "http://", 7)) {
        snprintf(err, errlen, "a raw step needs an http:// target, got %s", t);
        return -1;
    }
    const char *h = t + 7, *slash = strchr(h, '/'), *end = slash ? slash : h + strlen(h);
    const char *colon = *h == '[' ? strstr(h, "]:") : memchr(h, ':', (size_t)(end - h));
    if (colon && *h == '[')
        colon++;
    const char *hend = colon && colon < end ? colon : end;
    if (*h == '[')
        h++, hend -= hend[-1] == ']';
    snprintf(c->host, sizeof c->host, "%.*s", (int)(hend - h), h);
    snprintf(c->port, sizeof c->port, "%.*s", colon && colon < end ? (int)(end - colon - 1) : 2,
             colon && colon < end ? colon + 1 : "80");
    c->base = mem_strdup(slash ? slash : "");
    return 0;
}

/* ${base} and ${host} as variables of the case, then the chunks: parts
 * joined until one with a pause starts the next write. */
static int build(struct rawctx *c, const cJSON *raw, char *err, size_t errlen)
{
    if (split_target(c, c->target, err, errlen))
        return -1;
    cJSON *b = cJSON_CreateString(c->base);
    char hp[300];
    snprintf(hp, sizeof hp, "%s:%s", c->host, c->port);
    cJSON *h = cJSON_CreateString(hp);
    vars_set(c->env->vars, "base", b);
    vars_set(c->env->vars, "host", h);
    cJSON_Delete(b);
    cJSON_Delete(h);
    const cJSON *send = cJSON_GetObjectItemCaseSensitive(raw, "send");
    size_t np = (size_t)cJSON_GetArraySize(send);
    c->parts = mem_calloc(np, sizeof *c->parts);
    c->chunks = mem_calloc(np, sizeof *c->chunks);
    for (const cJSON *pt = send->child; pt; pt = pt->next) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(pt, "text");
        const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(pt, "b64");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(pt, "repeat");
        const cJSON *pm = cJSON_GetObjectItemCaseSensitive(pt, "pause_ms");
        if (!c->nchunks || (pm && pm->valuedouble > 0))
            c->chunks[c->nchunks++].pause_ms = pm ? (long)pm->valuedouble : 0;
        size_t len = 0;
        char *bytes = t ? vars_subst_string(c->env->vars, t->valuestring, err, errlen)
                        : (char *)b64_decode(b64->valuestring, &len);
        if (!bytes)
            return -1;
        if (t)
            len = strlen(bytes);
        for (long k = r ? (long)r->valuedouble : 1; k > 0; k--)
            strbuf_putn(&c->parts[c->nchunks - 1], bytes, len);
        free(bytes);
    }
    for (size_t i = 0; i < c->nchunks; i++) {
        c->chunks[i].data = strbuf_str(&c->parts[i]);
        c->chunks[i].len = c->parts[i].len;
        strbuf_putn(&c->all, c->chunks[i].data, c->chunks[i].len);
    }
    if (!(c->ex = vars_subst_json(c->env->vars, cJSON_GetObjectItemCaseSensitive(raw, "expect"), err, errlen)))
        return -1;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(raw, "within_ms");
    c->within_ms = w ? (long)w->valuedouble : DEFAULT_WITHIN_MS;
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(raw, "closed");
    c->closed = cJSON_IsBool(cl) ? cJSON_IsTrue(cl) : -1;
    strcpy(c->method, "RAW");
    c->rq.method = c->method;
    c->rq.http.method = c->method;
    c->rq.path = c->base;
    c->rq.url = c->url = mem_strdup(c->target);
    c->rq.http.url = c->url;
    c->rq.body = c->all.data;
    c->rq.http.body = c->all.data;
    c->rq.http.body_len = c->all.len;
    c->nc = reproduce_nc(c->chunks, c->nchunks, c->host, c->port, c->within_ms);
    return 0;
}

/* A failure of the step, about answer i (0-based; -1: the connection), with res or NULL. */
static struct failure *fail(struct rawctx *c, long i, const struct http_response *res)
{
    char name[300];
    size_t want = (size_t)cJSON_GetArraySize(c->ex);
    if (i >= 0)
        snprintf(name, sizeof name, "%s, answer %ld of %zu", c->step_name, i + 1, want);
    else
        snprintf(name, sizeof name, "%s, the connection", c->step_name);
    struct failure_site at = {c->n, name, &c->rq, c->who};
    return failure_at(c->out, &at, c->env->requirement, res);
}

/* The step's expectation i and the run-wide checks on answer i. */
static void check_answer(struct rawctx *c, size_t i, const cJSON *ex)
{
    const struct http_response *res = &c->x.res[i];
    char perr[300] = "", name[300];
    cJSON *body = jsonx_parse(res->body ? res->body : "", res->body_len, perr, sizeof perr);
    snprintf(name, sizeof name, "%s, answer %zu of %d", c->step_name, i + 1, cJSON_GetArraySize(c->ex));
    struct failure_site at = {c->n, name, &c->rq, c->who};
    size_t before = c->out->n;
    runwide_check(c->env->runwide, &at, res, body, perr, c->out);
    struct matcher_diffs d = {0};
    expect_answer(ex, NULL, res, body, perr, &d);
    if (d.n) {
        failure_diffs(fail(c, (long)i, res), &d);
        failure_list_move_last(c->out, before);
    }
    matcher_diffs_clear(&d);
    cJSON_Delete(body);
}

static void check(struct rawctx *c)
{
    size_t want = (size_t)cJSON_GetArraySize(c->ex), i = 0;
    const cJSON *e = c->ex->child;
    for (; e && i < c->x.n; e = e->next, i++)
        check_answer(c, i, e);
    int missing = 0;
    if (e && !(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "or_close")) && c->x.closed && !c->x.error[0])) {
        struct failure *f = fail(c, (long)i, NULL);
        missing = 1;
        if (c->x.error[0])
            failure_msg(f, "no answer %zu of %zu: %s", i + 1, want, c->x.error);
        else if (c->x.closed)
            failure_msg(f, "no answer %zu of %zu: the target closed the connection after %zu answer%s", i + 1, want,
                        c->x.n, c->x.n == 1 ? "" : "s");
        else
            failure_msg(f, "no answer %zu of %zu within %ld ms (the connection is still open, %zu byte%s of an "
                           "answer received)", i + 1, want, c->within_ms, c->x.extra, c->x.extra == 1 ? "" : "s");
    }
    if (c->x.n > want) {
        struct failure *f = fail(c, (long)want, &c->x.res[want]);
        failure_msg(f, "%zu answers to a step that expects %zu: answer %zu and later are not expected", c->x.n, want,
                    want + 1);
    } else if (!missing && (c->x.error[0] || c->x.extra)) {
        struct failure *f = fail(c, -1, NULL);
        if (c->x.error[0])
            failure_msg(f, "after answer %zu: %s", c->x.n, c->x.error);
        else
            failure_msg(f, "%zu byte%s after answer %zu that are not a complete answer", c->x.extra,
                        c->x.extra == 1 ? "" : "s", c->x.n);
    }
    if (!missing && c->closed == 1 && !c->x.closed) {
        struct failure *f = fail(c, -1, NULL);
        failure_msg(f, "expected the target to close the connection within %ld ms; it stayed open", c->within_ms);
    } else if (!missing && c->closed == 0 && c->x.closed) {
        struct failure *f = fail(c, -1, NULL);
        failure_msg(f, "expected the connection to stay open after answer %zu; the target closed it", c->x.n);
    }
}

int rawstep_run(const struct step_env *env, const struct fixture_step *st, int n, struct failure_list *out)
{
    char name[64], err[600];
    snprintf(name, sizeof name, "step %d", n);
    /* One connection: the whole step goes to the target the round-robin gives its first request. */
    int who = cluster_target(env->ntargets, env->case_idx, n - 1, 0, -1);
    struct rawctx c = {.env = env, .target = env->targets[who], .who = who,
                       .step_name = st->name ? st->name : name, .n = n, .out = out};
    size_t nf0 = out->n;
    int fd = -1;
    if (build(&c, st->raw, err, sizeof err)) {
        failure_msg(failure_add(out, n, c.step_name, env->requirement), "cannot build the raw step: %s", err);
        goto out;
    }
    if ((fd = raw_connect(c.host, c.port, err, sizeof err)) < 0) {
        failure_msg(fail(&c, -1, NULL), "%s", err);
    } else {
        raw_run(fd, c.chunks, c.nchunks, (size_t)cJSON_GetArraySize(c.ex), c.within_ms, c.closed == 1,
                c.closed == 0 ? LINGER_MS : 0, &c.x);
        check(&c);
    }
    for (size_t k = nf0; k < out->n && c.nc; k++) {
        free(out->v[k].curl);
        out->v[k].curl = mem_strdup(c.nc);
    }
out:
    if (fd >= 0)
        close(fd);
    raw_exchange_clear(&c.x);
    for (size_t i = 0; c.parts && i < c.nchunks; i++)
        strbuf_free(&c.parts[i]);
    free(c.parts);
    free(c.chunks);
    strbuf_free(&c.all);
    cJSON_Delete(c.ex);
    free(c.base);
    free(c.url);
    free(c.nc);
    return out->n > nf0 ? -1 : 0;
}
