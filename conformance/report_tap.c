/* report_tap.c: TAP version 13, one test point per case, a YAML diagnostic
 * block under every case that did not simply pass or skip.
 *
 * Mapping (docs/reports.md): passed "ok"; failed and xpass "not ok";
 * skipped "ok ... # SKIP"; xfail "not ok ... # TODO expected failure";
 * warned (a failed SHOULD case) "not ok ... # TODO warning", so TAP
 * consumers count neither of the last two as failures, as the run does not. */
#include "report_tap.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "report_text.h"

#include <math.h>
#include <stdlib.h>

static void yaml_key_str(struct strbuf *b, const char *indent, const char *key,
                         const char *value)
{
    if (!value)
        return;
    strbuf_printf(b, "%s%s: ", indent, key);
    report_fmt_yaml_str(b, value);
    strbuf_putn(b, "\n", 1);
}

static void yaml_failure(struct strbuf *b, const cJSON *f)
{
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(f, "step");
    const cJSON *d;
    struct strbuf t;
    const char *rest = "      ";

    /* The first key of the list item carries the dash. */
    strbuf_puts(b, "    - requirement: ");
    report_fmt_yaml_str(b, report_doc_str(f, "requirement", ""));
    strbuf_putn(b, "\n", 1);
    yaml_key_str(b, rest, "rule", report_doc_str(f, "rule", NULL));
    if (cJSON_IsNumber(step))
        strbuf_printf(b, "%sstep: %d\n", rest, step->valueint);
    yaml_key_str(b, rest, "step_name", report_doc_str(f, "step_name", NULL));
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(f, "target")))
        strbuf_printf(b, "%starget: %d\n", rest, cJSON_GetObjectItemCaseSensitive(f, "target")->valueint);
    yaml_key_str(b, rest, "message", report_doc_str(f, "message", NULL));
    if (report_doc_arr(f, "diffs") && report_doc_arr(f, "diffs")->child) {
        strbuf_printf(b, "%sdiffs:\n", rest);
        cJSON_ArrayForEach(d, report_doc_arr(f, "diffs")) {
            yaml_key_str(b, "        - ", "path", report_doc_str(d, "path", ""));
            yaml_key_str(b, "          ", "expected", report_doc_str(d, "expected", ""));
            yaml_key_str(b, "          ", "actual", report_doc_str(d, "actual", ""));
        }
    }
    if (report_doc_obj(f, "request")) {
        strbuf_init(&t);
        report_text_request(&t, report_doc_obj(f, "request"));
        yaml_key_str(b, rest, "request", t.data ? t.data : "");
        strbuf_free(&t);
    }
    if (report_doc_obj(f, "response")) {
        strbuf_init(&t);
        report_text_response(&t, report_doc_obj(f, "response"));
        yaml_key_str(b, rest, "response", t.data ? t.data : "");
        strbuf_free(&t);
    }
    yaml_key_str(b, rest, "curl", report_doc_str(f, "curl", NULL));
}

static void diagnostic(struct strbuf *b, const char *suite, const cJSON *c,
                       enum status st)
{
    const cJSON *fails = report_doc_arr(c, "failures"), *f, *r;
    const cJSON *first = cJSON_GetArrayItem(fails, 0);
    double ms = report_doc_num(c, "duration_ms", NAN);
    struct strbuf t;
    int n = 0;

    strbuf_init(&t);
    if (st == STATUS_XPASS) {
        strbuf_puts(&t, "passed, but is listed as an expected failure: remove it from the list");
    } else if (first) {
        if (report_doc_str(first, "requirement", NULL))
            strbuf_printf(&t, "[%s] ", report_doc_str(first, "requirement", ""));
        report_text_first_line(&t, report_doc_str(first, "message", ""));
    } else {
        strbuf_printf(&t, "status %s", report_doc_str(c, "status", "unknown"));
    }
    strbuf_puts(b, "  ---\n");
    yaml_key_str(b, "  ", "message", t.data ? t.data : "");
    strbuf_free(&t);
    strbuf_printf(b, "  severity: %s\n",
                      st == STATUS_WARNED ? "warning" : st == STATUS_XFAIL ? "todo" : "fail");
    strbuf_printf(b, "  status: %s\n", status_name(st));
    yaml_key_str(b, "  ", "suite", suite);
    strbuf_puts(b, "  requirements: [");
    cJSON_ArrayForEach(r, report_doc_arr(c, "requirements")) {
        if (!cJSON_IsString(r))
            continue;
        if (n++)
            strbuf_puts(b, ", ");
        report_fmt_yaml_str(b, r->valuestring);
    }
    strbuf_puts(b, "]\n");
    if (isfinite(ms))
        strbuf_printf(b, "  duration_ms: %g\n", ms);
    if (first) {
        strbuf_puts(b, "  failures:\n");
        cJSON_ArrayForEach(f, fails)
            if (cJSON_IsObject(f))
                yaml_failure(b, f);
    }
    strbuf_puts(b, "  ...\n");
}

void report_tap_render(const cJSON *doc, struct strbuf *out)
{
    const cJSON *suite, *c;
    struct status_tally n;
    int i = 0;

    report_doc_count(doc, &n);
    strbuf_puts(out, "TAP version 13\n# AFI conformance: ");
    report_fmt_tap(out, report_doc_str(doc, "implementation", "(unnamed implementation)"));
    strbuf_puts(out, " at ");
    char *targets = report_doc_targets(doc, ", ");
    report_fmt_tap(out, targets ? targets : report_doc_str(doc, "target", "(unknown target)"));
    free(targets);
    strbuf_puts(out, ", level ");
    report_fmt_tap(out, report_doc_str(doc, "level", "?"));
    if (report_doc_str(doc, "shard", NULL)) {
        strbuf_puts(out, ", shard ");
        report_fmt_tap(out, report_doc_str(doc, "shard", ""));
    }
    strbuf_putn(out, "\n", 1);
    if (n.total == 0) {
        strbuf_puts(out, "1..0 # SKIP the report has no cases\n");
        return;
    }
    strbuf_printf(out, "1..%d\n", n.total);
    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites")) {
        const char *sname = report_doc_str(suite, "suite", "");

        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases")) {
            enum status st = status_of(report_doc_str(c, "status", NULL));
            int ok = st == STATUS_PASSED || st == STATUS_SKIPPED;

            strbuf_printf(out, "%s %d - ", ok ? "ok" : "not ok", ++i);
            report_fmt_tap(out, report_doc_str(c, "id", "?"));
            if (*report_doc_str(c, "title", "")) {
                strbuf_putn(out, " ", 1);
                report_fmt_tap(out, report_doc_str(c, "title", ""));
            }
            if (st == STATUS_SKIPPED)
                strbuf_puts(out, " # SKIP not run");
            else if (st == STATUS_XFAIL)
                strbuf_puts(out, " # TODO expected failure (listed in the expected-failures file)");
            else if (st == STATUS_WARNED)
                strbuf_puts(out, " # TODO warning: a SHOULD case failed; the run does not fail");
            strbuf_putn(out, "\n", 1);
            if (!ok)
                diagnostic(out, sname, c, st);
        }
    }
    strbuf_printf(out, "# %d cases: %d passed, %d failed, %d warned, %d skipped, "
                      "%d expected failures, %d unexpected passes\n",
                      n.total, n.n[STATUS_PASSED], n.n[STATUS_FAILED], n.n[STATUS_WARNED],
                      n.n[STATUS_SKIPPED], n.n[STATUS_XFAIL], n.n[STATUS_XPASS]);
}
