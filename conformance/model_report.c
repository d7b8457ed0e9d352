/* model_report.c: a model history for people (lines, curl), for the report
 * writers (the run report's JSON tree) and for the suite (a fixture case
 * whose expectations come from replaying the operations through the
 * sequential model one at a time). */
#include "model_report.h"
#include "mem.h"
#include "model_exec.h"
#include "reproduce.h"
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The families of checks, one report case each. */
static const struct family {
    const char *id, *title;
    const char *reqs[4];
} families[] = {
    {"model.linearizable", "per key: the register with revs, if_rev and the counter is linearizable",
     {"SCOPE-5", "SCOPE-6", "ROB-2", NULL}},
    {"model.isolation", "per viewer: no answer shows another viewer's personal data or keys", {"SCOPE-2", NULL}},
    {"model.shared-writes", "shared writes succeed for WRITER and are 403 below it", {"SCOPE-3", NULL}},
    {"model.revocation", "no success with a token after its logout completed, on any target", {"AUTH-6", NULL}},
    {"model.etags", "bundle tags: per viewer, one tag one data, stable while nothing changes",
     {"CTX-4", "INV-2", NULL}},
    {"model.invalidate", "every success invalidates exactly its declared affects", {"INV-1", NULL}},
    {"model.answers", "every answer is one the profile allows", {"PROF-1", NULL}},
};
enum { NFAMILIES = sizeof families / sizeof *families };

static size_t *call_order(const struct model_plan *p)
{
    size_t *o = mem_array(NULL, p->nops ? p->nops : 1, sizeof *o);
    for (size_t i = 0; i < p->nops; i++)
        o[i] = i;
    /* insertion sort: histories are nearly in order already */
    for (size_t i = 1; i < p->nops; i++)
        for (size_t j = i; j > 0 && p->ops[o[j - 1]].t_call > p->ops[o[j]].t_call; j--) {
            size_t t = o[j];
            o[j] = o[j - 1];
            o[j - 1] = t;
        }
    return o;
}

static void op_line(struct strbuf *b, const struct model_plan *p, size_t i)
{
    const struct model_op *o = &p->ops[i];
    strbuf_printf(b, "#%-4zu c%d v%d t%d %9.3f..%9.3f ms  %s", i, o->client, o->viewer, o->target,
                  (double)o->t_call / 1e6, (double)o->t_ret / 1e6, model_plan_kind_name(o->kind));
    if (o->request)
        strbuf_printf(b, " %s", o->request);
    if (o->inm[0])
        strbuf_printf(b, " If-None-Match: %s", o->inm);
    if (o->kind == MODEL_REUSE || o->kind == MODEL_LOGOUT || o->token_gen)
        strbuf_printf(b, " (token %d)", o->token_gen);
    if (!o->status) {
        strbuf_puts(b, "  -> no answer (may have happened)\n");
        return;
    }
    const char *a = o->answer ? o->answer : "";
    strbuf_printf(b, "  -> %ld %.*s%s", o->status, 300, a, strlen(a) > 300 ? "..." : "");
    if (o->etag[0])
        strbuf_printf(b, " ETag: %s", o->etag);
    strbuf_putc(b, '\n');
}

void model_report_history(struct strbuf *b, const struct model_plan *p, const char *const *targets)
{
    size_t *o = call_order(p);
    /* only the viewers and targets the operations name: a shrunk history names few */
    for (int v = 0; v < p->nviewers; v++)
        for (size_t i = 0; i < p->nops; i++)
            if (p->ops[i].viewer == v) {
                strbuf_printf(b, "viewer %d: sub \"%s\", role %s\n", v, p->viewers[v].sub, p->viewers[v].role);
                break;
            }
    for (int t = 0; t < p->ntargets; t++)
        for (size_t i = 0; i < p->nops; i++)
            if (p->ops[i].target == t) {
                strbuf_printf(b, "target %d: %s\n", t, targets[t]);
                break;
            }
    for (size_t i = 0; i < p->nops; i++)
        op_line(b, p, o[i]);
    free(o);
}

void model_report_curl(struct strbuf *b, const struct model_plan *p, const char *const *targets)
{
    size_t *o = call_order(p);
    for (size_t k = 0; k < p->nops; k++) {
        const struct model_op *op = &p->ops[o[k]];
        char url[1200], hdr[3][1200];
        const char *hdrs[3];
        size_t nh;
        model_exec_request(op, targets[op->target], url, hdr, hdrs, &nh);
        struct http_request rq = {.method = op->request ? "POST" : "GET", .url = url, .headers = hdrs,
                                  .nheaders = nh, .body = op->request,
                                  .body_len = op->request ? strlen(op->request) : 0};
        char *line = reproduce_curl(&rq);
        strbuf_printf(b, "%s\n", line);
        free(line);
    }
    free(o);
}

static int family_of(const char *req)
{
    for (int f = 0; f < NFAMILIES; f++)
        for (int k = 0; families[f].reqs[k]; k++)
            if (!strcmp(families[f].reqs[k], req))
                return f;
    return NFAMILIES - 1;
}

static cJSON *violations_json(const struct model_check *c)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < c->n; i++) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "requirement", c->v[i].requirement);
        cJSON_AddStringToObject(v, "message", c->v[i].message);
        cJSON *ops = cJSON_AddArrayToObject(v, "ops");
        for (int k = 0; k < c->v[i].nops; k++)
            cJSON_AddItemToArray(ops, cJSON_CreateNumber((double)c->v[i].ops[k]));
        cJSON_AddItemToArray(a, v);
    }
    return a;
}

static cJSON *ops_json(const struct model_plan *p)
{
    cJSON *a = cJSON_CreateArray();
    size_t *o = call_order(p);
    for (size_t k = 0; k < p->nops; k++) {
        const struct model_op *op = &p->ops[o[k]];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "op", (double)o[k]);
        cJSON_AddStringToObject(j, "kind", model_plan_kind_name(op->kind));
        cJSON_AddNumberToObject(j, "client", op->client);
        cJSON_AddNumberToObject(j, "viewer", op->viewer);
        cJSON_AddNumberToObject(j, "target", op->target);
        cJSON_AddNumberToObject(j, "token", op->token_gen);
        cJSON_AddNumberToObject(j, "call_ms", (double)op->t_call / 1e6);
        cJSON_AddNumberToObject(j, "return_ms", (double)op->t_ret / 1e6);
        cJSON_AddItemToObject(j, "request", op->request ? cJSON_CreateString(op->request) : cJSON_CreateNull());
        if (op->inm[0])
            cJSON_AddStringToObject(j, "if_none_match", op->inm);
        cJSON_AddNumberToObject(j, "status", (double)op->status);
        cJSON_AddStringToObject(j, "answer", op->answer ? op->answer : "");
        if (op->etag[0])
            cJSON_AddStringToObject(j, "etag", op->etag);
        cJSON_AddItemToArray(a, j);
    }
    free(o);
    return a;
}

static cJSON *stats_json(const struct model_check *c)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "ops_checked", (double)c->ops_checked);
    cJSON_AddNumberToObject(s, "keys", (double)c->keys);
    cJSON_AddNumberToObject(s, "keys_undecided", (double)c->keys_undecided);
    cJSON_AddNumberToObject(s, "steps", (double)c->steps);
    cJSON_AddNumberToObject(s, "check_ms", c->check_ms);
    return s;
}

cJSON *model_report_json(const struct model_report_run *r)
{
    const struct model_plan *p = r->plan;
    const struct model_check *c = r->check;
    cJSON *doc = results_report_head(r->name ? r->name : "target");
    struct strbuf t = {0};
    for (int i = 0; i < p->ntargets; i++)
        strbuf_printf(&t, "%s%s", i ? " " : "", r->targets[i]);
    cJSON_AddStringToObject(doc, "target", strbuf_str(&t));
    strbuf_free(&t);
    cJSON_AddStringToObject(doc, "level", "model");
    cJSON_AddStringToObject(doc, "started_at", r->started_at);
    cJSON_AddNumberToObject(doc, "duration_ms", r->duration_ms);

    struct strbuf shrunk_text = {0}, shrunk_curl = {0};
    if (r->shrunk) {
        model_report_history(&shrunk_text, r->shrunk, r->targets);
        model_report_curl(&shrunk_curl, r->shrunk, r->targets);
    }
    int failed[NFAMILIES] = {0}, nfailed = 0;
    for (size_t i = 0; i < c->n; i++)
        failed[family_of(c->v[i].requirement)] = 1;
    cJSON *cases = cJSON_CreateArray();
    for (int f = 0; f < NFAMILIES; f++) {
        nfailed += failed[f];
        cJSON *k = cJSON_CreateObject();
        cJSON_AddStringToObject(k, "id", families[f].id);
        cJSON_AddStringToObject(k, "title", families[f].title);
        cJSON *reqs = cJSON_AddArrayToObject(k, "requirements");
        for (int q = 0; families[f].reqs[q]; q++)
            cJSON_AddItemToArray(reqs, cJSON_CreateString(families[f].reqs[q]));
        cJSON_AddStringToObject(k, "level", "core");
        cJSON_AddStringToObject(k, "grade", "must");
        cJSON_AddArrayToObject(k, "tags");
        cJSON_AddStringToObject(k, "status", failed[f] ? "failed" : "passed");
        cJSON_AddNumberToObject(k, "duration_ms", 0);
        cJSON *fl = cJSON_AddArrayToObject(k, "failures");
        int shown = 0;
        for (size_t i = 0; i < c->n && shown < 20; i++) {
            if (family_of(c->v[i].requirement) != f)
                continue;
            shown++;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "step", 1);
            cJSON_AddStringToObject(x, "step_name", "the model's history");
            cJSON_AddStringToObject(x, "requirement", c->v[i].requirement);
            cJSON_AddStringToObject(x, "rule", families[f].title);
            struct strbuf m = {0};
            strbuf_puts(&m, c->v[i].message);
            if (shown == 1 && r->shrunk)
                strbuf_printf(&m, "\nshrunk history (%zu operations, %d executions):\n%s", r->shrunk->nops,
                              r->shrink_runs, strbuf_str(&shrunk_text));
            cJSON_AddStringToObject(x, "message", strbuf_str(&m));
            strbuf_free(&m);
            cJSON_AddArrayToObject(x, "diffs");
            cJSON_AddNullToObject(x, "request");
            cJSON_AddNullToObject(x, "response");
            if (shown == 1 && r->shrunk)
                cJSON_AddStringToObject(x, "curl", strbuf_str(&shrunk_curl));
            else
                cJSON_AddNullToObject(x, "curl");
            cJSON_AddItemToArray(fl, x);
        }
        cJSON_AddItemToArray(cases, k);
    }
    cJSON *sum = cJSON_AddObjectToObject(doc, "summary");
    cJSON_AddNumberToObject(sum, "total", NFAMILIES);
    cJSON_AddNumberToObject(sum, "passed", NFAMILIES - nfailed);
    cJSON_AddNumberToObject(sum, "failed", nfailed);
    cJSON_AddNumberToObject(sum, "warned", 0);
    cJSON_AddNumberToObject(sum, "skipped", 0);
    cJSON_AddNumberToObject(sum, "expected_failures", 0);
    cJSON_AddNumberToObject(sum, "unexpected_passes", 0);
    cJSON *reqs = cJSON_AddArrayToObject(doc, "requirements");
    for (int f = 0; f < NFAMILIES; f++)
        for (int q = 0; families[f].reqs[q]; q++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "id", families[f].reqs[q]);
            cJSON_AddStringToObject(x, "grade", "MUST");
            cJSON_AddStringToObject(x, "rule", families[f].title);
            cJSON *cs = cJSON_AddArrayToObject(x, "cases");
            cJSON_AddItemToArray(cs, cJSON_CreateString(families[f].id));
            cJSON_AddStringToObject(x, "status", model_check_has(c, families[f].reqs[q]) ? "failed" : "passed");
            cJSON_AddItemToArray(reqs, x);
        }
    cJSON *suites = cJSON_AddArrayToObject(doc, "suites");
    cJSON *suite = cJSON_CreateObject();
    cJSON_AddStringToObject(suite, "suite", "model");
    cJSON_AddStringToObject(suite, "area", "MODEL");
    char title[120];
    snprintf(title, sizeof title, "conformance model, seed %llu", p->seed);
    cJSON_AddStringToObject(suite, "title", title);
    cJSON_AddStringToObject(suite, "file", "(generated)");
    cJSON_AddItemToObject(suite, "cases", cases);
    cJSON_AddItemToArray(suites, suite);

    cJSON *m = cJSON_AddObjectToObject(doc, "model");
    cJSON_AddNumberToObject(m, "seed", (double)p->seed);
    cJSON_AddNumberToObject(m, "viewers", p->nviewers);
    cJSON_AddNumberToObject(m, "clients", p->nclients);
    cJSON_AddNumberToObject(m, "keys", p->nnames - 1);
    cJSON_AddNumberToObject(m, "operations", (double)p->nops);
    cJSON_AddNumberToObject(m, "exec_ms", r->exec_ms);
    cJSON_AddStringToObject(m, "verdict", c->n ? "failed" : c->keys_undecided ? "undecided" : "passed");
    cJSON_AddItemToObject(m, "check", stats_json(c));
    cJSON_AddItemToObject(m, "violations", violations_json(c));
    cJSON_AddItemToObject(m, "history", ops_json(p));
    if (r->shrunk) {
        cJSON *s = cJSON_AddObjectToObject(m, "shrunk");
        cJSON_AddNumberToObject(s, "executions", r->shrink_runs);
        cJSON_AddItemToObject(s, "violations", violations_json(r->shrunk_check));
        cJSON_AddItemToObject(s, "history", ops_json(r->shrunk));
        cJSON_AddStringToObject(s, "curl", strbuf_str(&shrunk_curl));
    }
    strbuf_free(&shrunk_text);
    strbuf_free(&shrunk_curl);
    return doc;
}
