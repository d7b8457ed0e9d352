/* results.c: builds the JSON report tree and the closing terminal summary of a run. */
#include "results.h"
#include "exit_code.h"
#include "jsonx.h"
#include "strbuf.h"
#include "text.h"
#include "version.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct status_tally results_count(const struct runner *r)
{
    struct status_tally k = {0};
    for (int i = 0; i < r->set->ncases; i++)
        status_tally_add(&k, r->results[i].status);
    return k;
}

int results_exit_code(const struct runner *r)
{
    struct status_tally k = results_count(r);
    return status_tally_failing(&k) ? EXIT_CODE_FAILED : EXIT_CODE_OK;
}

static double ms3(double ms)
{
    return round(ms * 1000.0) / 1000.0;
}

static cJSON *strings(const cJSON *arr)
{
    cJSON *out = cJSON_CreateArray();
    for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next)
        if (cJSON_IsString(e))
            cJSON_AddItemToArray(out, cJSON_CreateString(e->valuestring));
    return out;
}

static cJSON *failure_json(const struct runner *r, const struct failure *f)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "step", f->step);
    cJSON_AddStringToObject(j, "step_name", f->step_name);
    cJSON_AddStringToObject(j, "requirement", f->requirement);
    if (r->o.ntargets > 1 && f->target >= 0)
        cJSON_AddNumberToObject(j, "target", f->target);
    else if (r->o.ntargets > 1)
        cJSON_AddNullToObject(j, "target");
    const struct spec_req *q = spec_find(r->spec, f->requirement);
    cJSON_AddStringToObject(j, "rule", q ? q->rule : "");
    cJSON_AddStringToObject(j, "message", f->message ? f->message : "");
    cJSON *d = cJSON_AddArrayToObject(j, "diffs");
    for (size_t i = 0; i < f->diffs.n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "path", f->diffs.v[i].path);
        cJSON_AddStringToObject(e, "expected", f->diffs.v[i].expected);
        cJSON_AddStringToObject(e, "actual", f->diffs.v[i].actual);
        cJSON_AddItemToArray(d, e);
    }
    cJSON_AddItemToObject(j, "request", f->request ? cJSON_Duplicate(f->request, 1) : cJSON_CreateNull());
    cJSON_AddItemToObject(j, "response", f->response ? cJSON_Duplicate(f->response, 1) : cJSON_CreateNull());
    if (f->curl)
        cJSON_AddStringToObject(j, "curl", f->curl);
    else
        cJSON_AddNullToObject(j, "curl");
    return j;
}

static int case_lists(const struct fixture_case *c, const char *id)
{
    for (const cJSON *q = c->requirements->child; q; q = q->next)
        if (cJSON_IsString(q) && !strcmp(q->valuestring, id))
            return 1;
    return 0;
}

static cJSON *requirements_json(const struct runner *r)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t qi = 0; r->spec && qi < r->spec->n; qi++) {
        const struct spec_req *q = &r->spec->reqs[qi];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", q->id);
        cJSON_AddStringToObject(j, "grade", q->should ? "SHOULD" : "MUST");
        cJSON_AddStringToObject(j, "rule", q->rule);
        cJSON *cases = cJSON_AddArrayToObject(j, "cases");
        int any = 0, must_failed = 0, should_failed = 0;
        for (int i = 0; i < r->set->ncases; i++) {
            const struct fixture_case *c = r->set->cases[i];
            const struct case_result *cr = &r->results[i];
            if (cr->status == STATUS_SKIPPED || cr->status == STATUS_OTHER_SHARD)
                continue;
            int lists = case_lists(c, q->id), named = 0;
            for (size_t k = 0; k < cr->failures.n; k++)
                named |= !strcmp(cr->failures.v[k].requirement, q->id);
            if (lists) {
                cJSON_AddItemToArray(cases, cJSON_CreateString(c->id));
                any = 1;
            }
            int bad = cr->status == STATUS_FAILED || cr->status == STATUS_WARNED || cr->status == STATUS_XFAIL;
            if (bad && (lists || named)) {
                /* A should case failed by a MUST run-wide check is failed, not warned. */
                if (cr->status == STATUS_WARNED || (cr->status == STATUS_XFAIL && c->should))
                    should_failed = 1;
                else
                    must_failed = 1;
            }
        }
        cJSON_AddStringToObject(j, "status", must_failed ? "failed" : should_failed ? "warned" : any ? "passed" : "untested");
        cJSON_AddItemToArray(arr, j);
    }
    return arr;
}

cJSON *results_report_head(const char *implementation)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "format", "afi-conformance-report");
    cJSON_AddNumberToObject(doc, "version", 1);
    cJSON *tool = cJSON_AddObjectToObject(doc, "tool");
    cJSON_AddStringToObject(tool, "name", "afi-conformance");
    cJSON_AddStringToObject(tool, "version", AFI_TOOL_VERSION);
    cJSON_AddStringToObject(tool, "afi_version", AFI_PROTOCOL_VERSION);
    cJSON_AddStringToObject(doc, "implementation", implementation);
    return doc;
}

cJSON *results_report(const struct runner *r, const char *implementation)
{
    struct status_tally k = results_count(r);
    cJSON *doc = results_report_head(implementation ? implementation : "unnamed");
    cJSON_AddStringToObject(doc, "target", r->o.target);
    cJSON *targets = cJSON_AddArrayToObject(doc, "targets");
    for (int t = 0; t < r->o.ntargets; t++)
        cJSON_AddItemToArray(targets, cJSON_CreateString(r->o.targets[t]));
    cJSON_AddStringToObject(doc, "level", r->sel.full ? "full" : "core");
    cJSON_AddStringToObject(doc, "started_at", r->started_at);
    cJSON_AddNumberToObject(doc, "duration_ms", ms3(r->duration_ms));
    cJSON *sum = cJSON_AddObjectToObject(doc, "summary");
    cJSON_AddNumberToObject(sum, "total", k.total);
    cJSON_AddNumberToObject(sum, "passed", k.n[STATUS_PASSED]);
    cJSON_AddNumberToObject(sum, "failed", k.n[STATUS_FAILED]);
    cJSON_AddNumberToObject(sum, "warned", k.n[STATUS_WARNED]);
    cJSON_AddNumberToObject(sum, "skipped", k.n[STATUS_SKIPPED]);
    cJSON_AddNumberToObject(sum, "expected_failures", k.n[STATUS_XFAIL]);
    cJSON_AddNumberToObject(sum, "unexpected_passes", k.n[STATUS_XPASS]);
    if (r->cluster_skipped) {
        cJSON *cs = cJSON_AddObjectToObject(sum, "cluster_skipped");
        cJSON_AddNumberToObject(cs, "cases", r->cluster_skipped);
        cJSON_AddNumberToObject(cs, "targets_needed", r->cluster_need);
        cJSON_AddNumberToObject(cs, "targets", r->o.ntargets);
    }
    if (r->sel.shard_n > 1) {
        char sh[32];
        snprintf(sh, sizeof sh, "%d/%d", r->sel.shard_k, r->sel.shard_n);
        cJSON_AddStringToObject(doc, "shard", sh);
    }
    cJSON_AddItemToObject(doc, "requirements", requirements_json(r));
    cJSON *suites = cJSON_AddArrayToObject(doc, "suites");
    int ci = 0;
    for (int si = 0; si < r->set->nsuites; si++) {
        const struct fixture_suite *s = r->set->suites[si];
        cJSON *sj = cJSON_CreateObject();
        cJSON_AddStringToObject(sj, "suite", s->name);
        cJSON_AddStringToObject(sj, "area", s->area);
        cJSON_AddStringToObject(sj, "title", s->title);
        cJSON_AddStringToObject(sj, "file", s->file);
        cJSON *cases = cJSON_AddArrayToObject(sj, "cases");
        for (int k2 = 0; k2 < s->ncases; k2++, ci++) {
            const struct fixture_case *c = r->set->cases[ci];
            const struct case_result *cr = &r->results[ci];
            if (cr->status == STATUS_OTHER_SHARD)
                continue;
            cJSON *cj = cJSON_CreateObject();
            cJSON_AddStringToObject(cj, "id", c->id);
            cJSON_AddStringToObject(cj, "title", c->title);
            cJSON_AddItemToObject(cj, "requirements", strings(c->requirements));
            cJSON_AddStringToObject(cj, "level", c->full ? "full" : "core");
            cJSON_AddStringToObject(cj, "grade", c->should ? "should" : "must");
            cJSON_AddItemToObject(cj, "tags", strings(c->tags));
            cJSON_AddStringToObject(cj, "status", status_name(cr->status));
            cJSON_AddNumberToObject(cj, "duration_ms", ms3(cr->ms));
            cJSON *fl = cJSON_AddArrayToObject(cj, "failures");
            for (size_t f = 0; f < cr->failures.n; f++)
                cJSON_AddItemToArray(fl, failure_json(r, &cr->failures.v[f]));
            cJSON_AddItemToArray(cases, cj);
        }
        cJSON_AddItemToArray(suites, sj);
    }
    return doc;
}

static void print_case(const struct runner *r, int i, struct strbuf *out)
{
    const struct fixture_case *c = r->set->cases[i];
    const struct case_result *cr = &r->results[i];
    if (cr->status == STATUS_XPASS) {
        strbuf_printf(out, "\nXPASS %s: listed as an expected failure but passed; remove it from the list\n", c->id);
        return;
    }
    const char *head = cr->status == STATUS_FAILED ? "FAIL" : cr->status == STATUS_WARNED ? "WARN" : "XFAIL";
    strbuf_printf(out, "\n%s %s: %s\n", head, c->id, c->title);
    for (size_t k = 0; k < cr->failures.n; k++) {
        const struct failure *f = &cr->failures.v[k];
        const struct spec_req *q = spec_find(r->spec, f->requirement);
        strbuf_printf(out, "  %s \xC2\xB7 %s \xC2\xB7 %s\n", f->requirement, q ? (q->should ? "SHOULD" : "MUST") : "?",
                      q ? q->rule : "(rule not found in docs/protocol.md)");
        char dflt[32];
        snprintf(dflt, sizeof dflt, "step %d", f->step);
        if (f->step && strcmp(f->step_name, dflt))
            strbuf_printf(out, "  step %d \"%s\"", f->step, f->step_name);
        else if (f->step)
            strbuf_printf(out, "  step %d", f->step);
        else
            strbuf_printf(out, "  after the case (%s)", f->step_name);
        if (f->request) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(f->request, "method");
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(f->request, "path");
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(f->request, "identity");
            strbuf_printf(out, ": %s %s (identity: %s)", m->valuestring, p->valuestring,
                          cJSON_IsString(id) ? id->valuestring : "none");
        }
        if (r->o.ntargets > 1 && f->target >= 0)
            strbuf_printf(out, " answered by target #%d %s", f->target, r->o.targets[f->target]);
        else if (r->o.ntargets > 1)
            strbuf_printf(out, " spread over the targets");
        strbuf_putc(out, '\n');
        const char *msg = f->message ? f->message : "";
        while (*msg) {
            size_t l = strcspn(msg, "\n");
            strbuf_printf(out, "    %.*s\n", (int)l, msg);
            msg += l + (msg[l] == '\n');
        }
        if (f->curl)
            strbuf_printf(out, "  reproduce:\n    %s\n", f->curl);
    }
}

void results_print(const struct runner *r, FILE *out)
{
    for (int i = 0; i < r->set->ncases; i++) {
        enum status s = r->results[i].status;
        if (s != STATUS_FAILED && s != STATUS_WARNED && s != STATUS_XPASS && s != STATUS_XFAIL)
            continue;
        /* Titles, messages and rules quote the target and the fixtures: a
         * hostile target must not reach the terminal with escape sequences. */
        struct strbuf b = {0};
        print_case(r, i, &b);
        char *clean = text_clean(strbuf_str(&b), b.len);
        fputs(clean, out);
        free(clean);
        strbuf_free(&b);
    }
    struct status_tally k = results_count(r);
    int warned = k.n[STATUS_WARNED], xfail = k.n[STATUS_XFAIL], xpass = k.n[STATUS_XPASS];
    if (status_tally_failing(&k) || warned || xfail)
        fputc('\n', out);
    if (warned || xfail || xpass)
        fprintf(out, "%d warned (SHOULD), %d expected failures, %d unexpected passes\n", warned, xfail, xpass);
    if (r->cluster_skipped)
        fprintf(out, "%d case%s tagged cluster skipped: %s at least %d targets, this run has %d "
                     "(give --target or --spawn once per instance)\n", r->cluster_skipped,
                r->cluster_skipped == 1 ? "" : "s", r->cluster_skipped == 1 ? "it needs" : "they need",
                r->cluster_need, r->o.ntargets);
    fprintf(out, "%d passed, %d failed", k.n[STATUS_PASSED], status_tally_failing(&k));
    if (k.n[STATUS_SKIPPED])
        fprintf(out, ", %d skipped", k.n[STATUS_SKIPPED]);
    fputc('\n', out);
}
