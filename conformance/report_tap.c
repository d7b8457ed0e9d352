/* report_tap.c: TAP version 13, one test point per case, a YAML diagnostic
 * block under every case that did not simply pass or skip.
 *
 * Mapping (docs/reports.md): passed "ok"; failed and xpass "not ok";
 * skipped "ok ... # SKIP"; xfail "not ok ... # TODO expected failure";
 * warned (a failed SHOULD case) "not ok ... # TODO warning", so TAP
 * consumers count neither of the last two as failures, as the run does not. */
#include "report.h"

#include <math.h>

static void yaml_key_str(struct report_buf *b, const char *indent, const char *key,
                         const char *value)
{
    if (!value)
        return;
    report_buf_printf(b, "%s%s: ", indent, key);
    report_buf_yaml_str(b, value);
    report_buf_putn(b, "\n", 1);
}

static void yaml_failure(struct report_buf *b, const cJSON *f)
{
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(f, "step");
    const cJSON *d;
    struct report_buf t;
    const char *rest = "      ";

    /* The first key of the list item carries the dash. */
    report_buf_puts(b, "    - requirement: ");
    report_buf_yaml_str(b, report_doc_str(f, "requirement", ""));
    report_buf_putn(b, "\n", 1);
    yaml_key_str(b, rest, "rule", report_doc_str(f, "rule", NULL));
    if (cJSON_IsNumber(step))
        report_buf_printf(b, "%sstep: %d\n", rest, step->valueint);
    yaml_key_str(b, rest, "step_name", report_doc_str(f, "step_name", NULL));
    yaml_key_str(b, rest, "message", report_doc_str(f, "message", NULL));
    if (report_doc_arr(f, "diffs") && report_doc_arr(f, "diffs")->child) {
        report_buf_printf(b, "%sdiffs:\n", rest);
        cJSON_ArrayForEach(d, report_doc_arr(f, "diffs")) {
            yaml_key_str(b, "        - ", "path", report_doc_str(d, "path", ""));
            yaml_key_str(b, "          ", "expected", report_doc_str(d, "expected", ""));
            yaml_key_str(b, "          ", "actual", report_doc_str(d, "actual", ""));
        }
    }
    if (report_doc_obj(f, "request")) {
        report_buf_init(&t);
        report_text_request(&t, report_doc_obj(f, "request"));
        yaml_key_str(b, rest, "request", t.data ? t.data : "");
        report_buf_free(&t);
    }
    if (report_doc_obj(f, "response")) {
        report_buf_init(&t);
        report_text_response(&t, report_doc_obj(f, "response"));
        yaml_key_str(b, rest, "response", t.data ? t.data : "");
        report_buf_free(&t);
    }
    yaml_key_str(b, rest, "curl", report_doc_str(f, "curl", NULL));
}

static void diagnostic(struct report_buf *b, const char *suite, const cJSON *c,
                       enum report_status st)
{
    const cJSON *fails = report_doc_arr(c, "failures"), *f, *r;
    const cJSON *first = cJSON_GetArrayItem(fails, 0);
    double ms = report_doc_num(c, "duration_ms", NAN);
    struct report_buf t;
    int n = 0;

    report_buf_init(&t);
    if (st == REPORT_XPASS) {
        report_buf_puts(&t, "passed, but is listed as an expected failure: remove it from the list");
    } else if (first) {
        if (report_doc_str(first, "requirement", NULL))
            report_buf_printf(&t, "[%s] ", report_doc_str(first, "requirement", ""));
        report_text_first_line(&t, report_doc_str(first, "message", ""));
    } else {
        report_buf_printf(&t, "status %s", report_doc_str(c, "status", "unknown"));
    }
    report_buf_puts(b, "  ---\n");
    yaml_key_str(b, "  ", "message", t.data ? t.data : "");
    report_buf_free(&t);
    report_buf_printf(b, "  severity: %s\n",
                      st == REPORT_WARNED ? "warning" : st == REPORT_XFAIL ? "todo" : "fail");
    report_buf_printf(b, "  status: %s\n", report_status_name(st));
    yaml_key_str(b, "  ", "suite", suite);
    report_buf_puts(b, "  requirements: [");
    cJSON_ArrayForEach(r, report_doc_arr(c, "requirements")) {
        if (!cJSON_IsString(r))
            continue;
        if (n++)
            report_buf_puts(b, ", ");
        report_buf_yaml_str(b, r->valuestring);
    }
    report_buf_puts(b, "]\n");
    if (isfinite(ms))
        report_buf_printf(b, "  duration_ms: %g\n", ms);
    if (first) {
        report_buf_puts(b, "  failures:\n");
        cJSON_ArrayForEach(f, fails)
            if (cJSON_IsObject(f))
                yaml_failure(b, f);
    }
    report_buf_puts(b, "  ...\n");
}

void report_tap_render(const cJSON *doc, struct report_buf *out)
{
    const cJSON *suite, *c;
    struct report_status_tally n;
    int i = 0;

    report_doc_count(doc, &n);
    report_buf_puts(out, "TAP version 13\n# AFI conformance: ");
    report_buf_tap(out, report_doc_str(doc, "implementation", "(unnamed implementation)"));
    report_buf_puts(out, " at ");
    report_buf_tap(out, report_doc_str(doc, "target", "(unknown target)"));
    report_buf_puts(out, ", level ");
    report_buf_tap(out, report_doc_str(doc, "level", "?"));
    if (report_doc_str(doc, "shard", NULL)) {
        report_buf_puts(out, ", shard ");
        report_buf_tap(out, report_doc_str(doc, "shard", ""));
    }
    report_buf_putn(out, "\n", 1);
    if (n.total == 0) {
        report_buf_puts(out, "1..0 # SKIP the report has no cases\n");
        return;
    }
    report_buf_printf(out, "1..%d\n", n.total);
    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites")) {
        const char *sname = report_doc_str(suite, "suite", "");

        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases")) {
            enum report_status st = report_status_of(report_doc_str(c, "status", NULL));
            int ok = st == REPORT_PASSED || st == REPORT_SKIPPED;

            report_buf_printf(out, "%s %d - ", ok ? "ok" : "not ok", ++i);
            report_buf_tap(out, report_doc_str(c, "id", "?"));
            if (*report_doc_str(c, "title", "")) {
                report_buf_putn(out, " ", 1);
                report_buf_tap(out, report_doc_str(c, "title", ""));
            }
            if (st == REPORT_SKIPPED)
                report_buf_puts(out, " # SKIP not run");
            else if (st == REPORT_XFAIL)
                report_buf_puts(out, " # TODO expected failure (listed in the expected-failures file)");
            else if (st == REPORT_WARNED)
                report_buf_puts(out, " # TODO warning: a SHOULD case failed; the run does not fail");
            report_buf_putn(out, "\n", 1);
            if (!ok)
                diagnostic(out, sname, c, st);
        }
    }
    report_buf_printf(out, "# %d cases: %d passed, %d failed, %d warned, %d skipped, "
                      "%d expected failures, %d unexpected passes\n",
                      n.total, n.n[REPORT_PASSED], n.n[REPORT_FAILED], n.n[REPORT_WARNED],
                      n.n[REPORT_SKIPPED], n.n[REPORT_XFAIL], n.n[REPORT_XPASS]);
}
