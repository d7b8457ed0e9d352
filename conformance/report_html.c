/* report_html.c: one self-contained HTML page (inline CSS, no script, no
 * network): verdict and counts, failures first (each a <details> with its
 * request, expected, actual, diff and curl), then areas, requirements, and
 * every case collapsed per suite. All report text is HTML-escaped. */
#include "report_html.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "report_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Shared with matrix.c through report_html_style(). */
static const char style[] =
    ":root{--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;"
    "--warn:#9a6700;--warn-bg:#fff8c5;--skip:#57606a;--skip-bg:#eaeef2;"
    "--xfail:#8250df;--xfail-bg:#fbefff;--line:#d0d7de;--muted:#57606a}\n"
    "*{box-sizing:border-box}\n"
    "body{font:14px/1.5 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;"
    "margin:0;background:#f6f8fa}\n"
    "main,header,nav{max-width:1200px;margin:0 auto;padding:0 24px}\n"
    "header{padding-top:20px;padding-bottom:8px}\n"
    "h1{font-size:24px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 10px;"
    "border-bottom:1px solid var(--line);padding-bottom:4px}\n"
    "h3{font-size:15px;margin:16px 0 6px}h4{font-size:13px;margin:10px 0 4px;color:var(--muted)}\n"
    "code,pre{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}\n"
    "pre{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 10px;"
    "margin:4px 0 8px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:24em;overflow:auto}\n"
    ".verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-size:14px;"
    "vertical-align:middle;color:#fff}\n"
    ".verdict.pass{background:var(--pass)}.verdict.fail{background:var(--fail)}\n"
    ".meta{color:var(--muted);margin:0 0 12px}.meta b{color:#1f2328;font-weight:600}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}\n"
    ".card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px 14px;"
    "min-width:96px}\n.card b{display:block;font-size:22px}\n"
    ".card.passed{border-color:var(--pass);background:var(--pass-bg)}"
    ".card.failed,.card.xpass{border-color:var(--fail);background:var(--fail-bg)}"
    ".card.warned{border-color:var(--warn);background:var(--warn-bg)}"
    ".card.xfail{border-color:var(--xfail);background:var(--xfail-bg)}"
    ".card.zero{opacity:.55}\n"
    "nav{padding-top:4px;padding-bottom:4px}nav a{margin-right:14px;color:#0969da;"
    "text-decoration:none}nav a:hover{text-decoration:underline}\n"
    "table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0 12px}\n"
    "th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}\n"
    "td:first-child{white-space:nowrap}th{background:#f6f8fa;font-weight:600}td.n{text-align:right;font-variant-numeric:"
    "tabular-nums}\n"
    ".st{display:inline-block;min-width:58px;text-align:center;border-radius:10px;"
    "padding:0 8px;font-size:12px;font-weight:600}\n"
    ".passed{color:var(--pass);background:var(--pass-bg)}"
    ".failed,.xpass,.unknown{color:var(--fail);background:var(--fail-bg)}"
    ".warned{color:var(--warn);background:var(--warn-bg)}"
    ".skipped,.untested{color:var(--skip);background:var(--skip-bg)}"
    ".xfail{color:var(--xfail);background:var(--xfail-bg)}\n"
    "td.passed,td.failed,td.warned,td.untested,td.skipped,td.xfail,td.xpass{font-weight:600}\n"
    "details{background:#fff;border:1px solid var(--line);border-radius:6px;margin:6px 0}\n"
    "details.case.failed,details.case.xpass,details.case.unknown{border-left:4px solid var(--fail)}"
    "details.case.warned{border-left:4px solid var(--warn)}"
    "details.case.xfail{border-left:4px solid var(--xfail)}\n"
    "details.case{background:#fff;color:#1f2328}\n"
    "details>summary{cursor:pointer;padding:6px 10px}\n"
    "details[open]>summary{border-bottom:1px solid var(--line)}\n"
    "details>div{padding:4px 12px 8px}\n"
    ".msg{display:block;color:var(--fail);font-family:ui-monospace,Menlo,Consolas,monospace;"
    "font-size:12px;overflow-wrap:anywhere}\n"
    ".warned .msg{color:var(--warn)}.xfail .msg{color:var(--xfail)}\n"
    ".req{display:inline-block;background:#ddf4ff;color:#0550ae;border-radius:6px;"
    "padding:0 6px;font-size:12px;font-weight:600;margin-right:4px}\n"
    ".failure{border-top:1px dashed var(--line);padding-top:6px;margin-top:6px}"
    ".failure:first-child{border-top:0;margin-top:0}\n"
    "table.diff td:nth-child(2){background:var(--pass-bg)}"
    "table.diff td:nth-child(3){background:var(--fail-bg)}\n"
    ".io{display:grid;grid-template-columns:1fr 1fr;gap:10px}"
    "@media(max-width:800px){.io{grid-template-columns:1fr}}\n"
    ".bar{display:flex;height:10px;min-width:120px;border-radius:5px;overflow:hidden;"
    "background:var(--skip-bg)}.bar span{display:block}\n"
    ".bar .passed{background:var(--pass)}.bar .failed,.bar .xpass{background:var(--fail)}"
    ".bar .warned{background:#d4a72c}.bar .xfail{background:var(--xfail)}"
    ".bar .skipped{background:#afb8c1}\n"
    ".muted{color:var(--muted)}\n"
    "footer{max-width:1200px;margin:24px auto;padding:0 24px;color:var(--muted);"
    "font-size:12px}\n";

const char *report_html_style(void)
{
    return style;
}

static void esc(struct strbuf *b, const char *s)
{
    report_fmt_html(b, s);
}

static void card(struct strbuf *b, const char *cls, int n, const char *label)
{
    strbuf_printf(b, "<div class=\"card %s%s\"><b>%d</b>%s</div>\n", cls,
                      n ? "" : " zero", n, label);
}

/* A case's or a requirement's status word in its colour. */
static void status_badge(struct strbuf *b, const char *status)
{
    const char *cls = status && strcmp(status, "untested") == 0
                          ? "untested" : status_name(status_of(status));

    strbuf_printf(b, "<span class=\"st %s\">", cls);
    esc(b, status ? status : "unknown");
    strbuf_puts(b, "</span>");
}

static void header(struct strbuf *b, const cJSON *doc, const struct status_tally *n)
{
    int failed = report_doc_failed(doc);
    double ms = report_doc_num(doc, "duration_ms", NAN);
    const cJSON *tool = report_doc_obj(doc, "tool");

    strbuf_puts(b, "<header>\n<h1>AFI conformance: ");
    esc(b, report_doc_str(doc, "implementation", "(unnamed implementation)"));
    strbuf_printf(b, " <span class=\"verdict %s\">%s</span></h1>\n",
                      failed ? "fail" : "pass", failed ? "FAILED" : "PASSED");
    char *targets = report_doc_targets(doc, ", ");
    strbuf_puts(b, targets ? "<p class=\"meta\">Targets <b>" : "<p class=\"meta\">Target <b>");
    esc(b, targets ? targets : report_doc_str(doc, "target", "?"));
    free(targets);
    strbuf_puts(b, "</b> · level <b>");
    esc(b, report_doc_str(doc, "level", "?"));
    strbuf_puts(b, "</b>");
    if (report_doc_str(doc, "shard", NULL)) {
        strbuf_puts(b, " · shard <b>");
        esc(b, report_doc_str(doc, "shard", ""));
        strbuf_puts(b, "</b>");
    }
    if (report_doc_str(doc, "started_at", NULL)) {
        strbuf_puts(b, " · started <b>");
        esc(b, report_doc_str(doc, "started_at", ""));
        strbuf_puts(b, "</b>");
    }
    if (isfinite(ms) && ms >= 0)
        strbuf_printf(b, " · took <b>%.2f s</b>", ms / 1000.0);
    if (tool) {
        strbuf_puts(b, " · ");
        esc(b, report_doc_str(tool, "name", "?"));
        strbuf_puts(b, " ");
        esc(b, report_doc_str(tool, "version", ""));
    }
    strbuf_puts(b, "</p>\n<div class=\"cards\">\n");
    strbuf_printf(b, "<div class=\"card\"><b>%d</b>cases</div>\n", n->total);
    card(b, "passed", n->n[STATUS_PASSED], "passed");
    card(b, "failed", n->n[STATUS_FAILED], "failed");
    card(b, "warned", n->n[STATUS_WARNED], "warned");
    card(b, "skipped", n->n[STATUS_SKIPPED], "skipped");
    card(b, "xfail", n->n[STATUS_XFAIL], "expected failures");
    card(b, "xpass", n->n[STATUS_XPASS], "unexpected passes");
    if (n->n[STATUS_UNKNOWN])
        card(b, "failed", n->n[STATUS_UNKNOWN], "unknown status");
    strbuf_puts(b, "</div>\n</header>\n");
}

static void pre(struct strbuf *b, const char *cls, const char *text)
{
    strbuf_printf(b, "<pre class=\"%s\">", cls);
    esc(b, text);
    strbuf_puts(b, "</pre>\n");
}

/* A titled <pre> of the request or response obj as report_text writes it;
 * nothing when obj is NULL. */
static void io_block(struct strbuf *b, const char *title, const char *cls,
                     void (*text)(struct strbuf *, const cJSON *), const cJSON *obj)
{
    struct strbuf t;

    if (!obj)
        return;
    strbuf_init(&t);
    text(&t, obj);
    strbuf_printf(b, "<div><h4>%s</h4>\n", title);
    pre(b, cls, t.data);
    strbuf_puts(b, "</div>\n");
    strbuf_free(&t);
}

static void failure(struct strbuf *b, const cJSON *f)
{
    const cJSON *d;
    struct strbuf t;
    const char *req = report_doc_str(f, "requirement", NULL);
    const char *curl = report_doc_str(f, "curl", NULL);

    strbuf_puts(b, "<div class=\"failure\">\n<h4>");
    strbuf_init(&t);
    report_text_step(&t, f);
    esc(b, t.data);
    strbuf_free(&t);
    strbuf_puts(b, "</h4>\n<p>");
    if (req) {
        strbuf_puts(b, "<span class=\"req\">");
        esc(b, req);
        strbuf_puts(b, "</span> ");
    }
    esc(b, report_doc_str(f, "rule", ""));
    strbuf_puts(b, "</p>\n");
    pre(b, "message", report_doc_str(f, "message", "(no message)"));
    if (report_doc_arr(f, "diffs") && report_doc_arr(f, "diffs")->child) {
        strbuf_puts(b, "<table class=\"diff\"><tr><th>path</th><th>expected</th>"
                           "<th>actual</th></tr>\n");
        cJSON_ArrayForEach(d, report_doc_arr(f, "diffs")) {
            strbuf_puts(b, "<tr><td><code>");
            esc(b, report_doc_str(d, "path", "?"));
            strbuf_puts(b, "</code></td><td><code>");
            esc(b, report_doc_str(d, "expected", ""));
            strbuf_puts(b, "</code></td><td><code>");
            esc(b, report_doc_str(d, "actual", ""));
            strbuf_puts(b, "</code></td></tr>\n");
        }
        strbuf_puts(b, "</table>\n");
    }
    if (report_doc_obj(f, "request") || report_doc_obj(f, "response")) {
        strbuf_puts(b, "<div class=\"io\">\n");
        io_block(b, "Request", "request", report_text_request, report_doc_obj(f, "request"));
        io_block(b, "Response", "response", report_text_response, report_doc_obj(f, "response"));
        strbuf_puts(b, "</div>\n");
    }
    if (curl) {
        strbuf_puts(b, "<h4>Reproduce</h4>\n");
        pre(b, "curl", curl);
    }
    strbuf_puts(b, "</div>\n");
}

static void case_anchor(struct strbuf *b, const char *id)
{
    strbuf_puts(b, "case-");
    esc(b, id);
}

/* The requirement ids case c checks, each in a req span. */
static void req_spans(struct strbuf *b, const cJSON *c)
{
    const cJSON *r;

    cJSON_ArrayForEach(r, report_doc_arr(c, "requirements"))
        if (cJSON_IsString(r)) {
            strbuf_puts(b, "<span class=\"req\">");
            esc(b, r->valuestring);
            strbuf_puts(b, "</span>");
        }
}

static void case_details(struct strbuf *b, const cJSON *c, enum status st)
{
    const char *id = report_doc_str(c, "id", "?");
    const cJSON *fails = report_doc_arr(c, "failures"), *f;
    const cJSON *first = cJSON_GetArrayItem(fails, 0);

    strbuf_printf(b, "<details class=\"case %s\" id=\"", status_name(st));
    case_anchor(b, id);
    strbuf_puts(b, "\"><summary>");
    status_badge(b, report_doc_str(c, "status", NULL));
    strbuf_puts(b, " <code>");
    esc(b, id);
    strbuf_puts(b, "</code> ");
    esc(b, report_doc_str(c, "title", ""));
    strbuf_puts(b, " ");
    req_spans(b, c);
    strbuf_puts(b, "<span class=\"msg\">");
    if (st == STATUS_XPASS) {
        strbuf_puts(b, "passed, but is listed as an expected failure: remove it from the list");
    } else if (first) {
        struct strbuf t;

        strbuf_init(&t);
        if (report_doc_str(first, "requirement", NULL))
            strbuf_printf(&t, "[%s] ", report_doc_str(first, "requirement", ""));
        report_text_first_line(&t, report_doc_str(first, "message", ""));
        esc(b, t.data);
        strbuf_free(&t);
    } else if (st == STATUS_UNKNOWN) {
        strbuf_puts(b, "the report gives this case an unknown status");
    }
    strbuf_puts(b, "</span></summary>\n<div>\n");
    if (st == STATUS_XPASS)
        strbuf_puts(b, "<p>The case passed, but it is listed in the expected-failures file, "
                           "which fails the run so that the list never goes stale.</p>\n");
    cJSON_ArrayForEach(f, fails)
        if (cJSON_IsObject(f))
            failure(b, f);
    strbuf_puts(b, "</div>\n</details>\n");
}

/* One section of the cases whose status is in the bit set want; nothing when none. */
static void case_section(struct strbuf *b, const cJSON *doc, const char *anchor,
                         const char *title, const char *intro, unsigned want)
{
    const cJSON *suite, *c;
    int n = 0;

    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases")) {
            enum status st = status_of(report_doc_str(c, "status", NULL));

            n += !!(want & 1u << st);
        }
    if (!n)
        return;
    strbuf_printf(b, "<section id=\"%s\">\n<h2>%s (%d)</h2>\n", anchor, title, n);
    if (intro)
        strbuf_printf(b, "<p class=\"muted\">%s</p>\n", intro);
    /* Under a heading per suite, so a long list reads by area. */
    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites")) {
        int k = 0;

        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
            k += !!(want & 1u << status_of(report_doc_str(c, "status", NULL)));
        if (!k)
            continue;
        strbuf_puts(b, "<h3>");
        esc(b, report_doc_str(suite, "area", report_doc_str(suite, "suite", "?")));
        strbuf_puts(b, " <span class=\"muted\">");
        esc(b, report_doc_str(suite, "title", report_doc_str(suite, "suite", "")));
        strbuf_printf(b, " (%d)</span></h3>\n", k);
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases")) {
            enum status st = status_of(report_doc_str(c, "status", NULL));

            if (want & 1u << st)
                case_details(b, c, st);
        }
    }
    strbuf_puts(b, "</section>\n");
}

static void bar(struct strbuf *b, const struct status_tally *c)
{
    static const enum status order[] = {
        STATUS_PASSED, STATUS_WARNED, STATUS_XFAIL, STATUS_SKIPPED, STATUS_FAILED, STATUS_XPASS,
    };

    strbuf_puts(b, "<div class=\"bar\">");
    for (size_t i = 0; c->total && i < sizeof order / sizeof order[0]; i++)
        if (c->n[order[i]])
            strbuf_printf(b, "<span class=\"%s\" style=\"width:%.2f%%\"></span>",
                              status_name(order[i]),
                              100.0 * c->n[order[i]] / c->total);
    strbuf_puts(b, "</div>");
}

static void count_cell(struct strbuf *b, int n, const char *cls)
{
    if (n)
        strbuf_printf(b, "<td class=\"n %s\">%d</td>", cls, n);
    else
        strbuf_puts(b, "<td class=\"n muted\">0</td>");
}

static void areas(struct strbuf *b, const cJSON *doc)
{
    size_t n;
    struct report_doc_area *a = report_doc_areas(doc, &n);

    strbuf_puts(b, "<section id=\"areas\">\n<h2>Areas</h2>\n");
    if (!a) {
        strbuf_puts(b, "<p class=\"muted\">The report has no suites.</p>\n</section>\n");
        return;
    }
    strbuf_puts(b, "<table><tr><th>area</th><th>status</th><th>cases</th><th>passed</th>"
                       "<th>failed</th><th>warned</th><th>skipped</th><th>xfail</th>"
                       "<th>xpass</th><th style=\"width:22%\"></th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        const struct status_tally *c = &a[i].counts;
        int bad = status_tally_failing(c);
        const char *st = bad ? "failed" : c->n[STATUS_WARNED] ? "warned"
                         : c->n[STATUS_PASSED] ? "passed"
                         : c->n[STATUS_SKIPPED] ? "skipped" : "untested";

        strbuf_puts(b, "<tr><td><b>");
        esc(b, a[i].name);
        strbuf_printf(b, "</b></td><td><span class=\"st %s\">%s</span></td>"
                          "<td class=\"n\">%d</td>", st, st, c->total);
        count_cell(b, c->n[STATUS_PASSED], "passed");
        count_cell(b, c->n[STATUS_FAILED], "failed");
        count_cell(b, c->n[STATUS_WARNED], "warned");
        count_cell(b, c->n[STATUS_SKIPPED], "skipped");
        count_cell(b, c->n[STATUS_XFAIL], "xfail");
        count_cell(b, c->n[STATUS_XPASS], "xpass");
        strbuf_puts(b, "<td>");
        bar(b, c);
        strbuf_puts(b, "</td></tr>\n");
    }
    strbuf_puts(b, "</table>\n</section>\n");
    free(a);
}

static void requirements(struct strbuf *b, const cJSON *doc)
{
    const cJSON *r, *suite, *c, *id;

    strbuf_puts(b, "<section id=\"requirements\">\n<h2>Requirements</h2>\n");
    if (!report_doc_arr(doc, "requirements") || !report_doc_arr(doc, "requirements")->child) {
        strbuf_puts(b, "<p class=\"muted\">The report lists no requirements.</p>\n</section>\n");
        return;
    }
    strbuf_puts(b, "<table><tr><th>id</th><th>grade</th><th>status</th><th>rule</th>"
                       "<th>cases</th><th>failing cases</th></tr>\n");
    cJSON_ArrayForEach(r, report_doc_arr(doc, "requirements")) {
        const char *rid = report_doc_str(r, "id", "?");
        const char *st = report_doc_str(r, "status", "unknown");
        struct status_tally n = {0};
        int shown = 0;

        cJSON_ArrayForEach(id, report_doc_arr(r, "cases"))
            if (cJSON_IsString(id) && (c = report_doc_find_case(doc, id->valuestring)))
                status_tally_add(&n, status_of(report_doc_str(c, "status", NULL)));
        strbuf_puts(b, "<tr><td><b>");
        esc(b, rid);
        strbuf_puts(b, "</b></td><td>");
        esc(b, report_doc_str(r, "grade", ""));
        strbuf_puts(b, "</td><td>");
        status_badge(b, st);
        strbuf_puts(b, "</td><td>");
        esc(b, report_doc_str(r, "rule", ""));
        if (n.total)
            strbuf_printf(b, "</td><td class=\"n\">%d/%d</td><td>", n.n[STATUS_PASSED],
                              n.total);
        else
            strbuf_puts(b, "</td><td class=\"n muted\">0</td><td>");
        cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
            cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
                if (report_doc_case_fails_req(c, rid)) {
                    strbuf_puts(b, shown++ ? ", <a href=\"#" : "<a href=\"#");
                    case_anchor(b, report_doc_str(c, "id", "?"));
                    strbuf_puts(b, "\"><code>");
                    esc(b, report_doc_str(c, "id", "?"));
                    strbuf_puts(b, "</code></a>");
                }
        strbuf_puts(b, "</td></tr>\n");
    }
    strbuf_puts(b, "</table>\n</section>\n");
}

static void all_cases(struct strbuf *b, const cJSON *doc)
{
    const cJSON *suite, *c;

    strbuf_puts(b, "<section id=\"cases\">\n<h2>All cases, by suite</h2>\n");
    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites")) {
        struct status_tally n = {0};

        if (!cJSON_IsObject(suite))
            continue;
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
            status_tally_add(&n, status_of(report_doc_str(c, "status", NULL)));
        strbuf_puts(b, "<details class=\"suite\"><summary><b>");
        esc(b, report_doc_str(suite, "suite", "unnamed"));
        strbuf_puts(b, "</b> ");
        esc(b, report_doc_str(suite, "title", ""));
        strbuf_printf(b, " <span class=\"muted\">(%d/%d passed", n.n[STATUS_PASSED], n.total);
        if (report_doc_str(suite, "file", NULL)) {
            strbuf_puts(b, ", ");
            esc(b, report_doc_str(suite, "file", ""));
        }
        strbuf_puts(b, ")</span></summary>\n<div>\n<table><tr><th>status</th><th>case</th>"
                           "<th>title</th><th>requirements</th><th>level</th><th>ms</th></tr>\n");
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases")) {
            enum status st = status_of(report_doc_str(c, "status", NULL));
            const char *id = report_doc_str(c, "id", "?");
            double ms = report_doc_num(c, "duration_ms", NAN);

            strbuf_puts(b, "<tr><td>");
            status_badge(b, report_doc_str(c, "status", NULL));
            strbuf_puts(b, "</td><td><code>");
            if (st != STATUS_PASSED && st != STATUS_SKIPPED) {
                strbuf_puts(b, "<a href=\"#");
                case_anchor(b, id);
                strbuf_puts(b, "\">");
                esc(b, id);
                strbuf_puts(b, "</a>");
            } else {
                esc(b, id);
            }
            strbuf_puts(b, "</code></td><td>");
            esc(b, report_doc_str(c, "title", ""));
            strbuf_puts(b, "</td><td>");
            req_spans(b, c);
            strbuf_puts(b, "</td><td>");
            esc(b, report_doc_str(c, "level", ""));
            if (isfinite(ms))
                strbuf_printf(b, "</td><td class=\"n\">%.1f</td></tr>\n", ms);
            else
                strbuf_puts(b, "</td><td class=\"n\"></td></tr>\n");
        }
        strbuf_puts(b, "</table>\n</div>\n</details>\n");
    }
    strbuf_puts(b, "</section>\n");
}

void report_html_render(const cJSON *doc, struct strbuf *out)
{
    struct status_tally n;
    int bad, warn, xfail;

    report_doc_count(doc, &n);
    bad = status_tally_failing(&n);
    warn = n.n[STATUS_WARNED];
    xfail = n.n[STATUS_XFAIL];
    strbuf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                         "<title>AFI conformance: ");
    esc(out, report_doc_str(doc, "implementation", "(unnamed implementation)"));
    strbuf_printf(out, " (%s)</title>\n<style>\n%s</style>\n</head>\n<body>\n",
                      report_doc_failed(doc) ? "failed" : "passed", style);
    header(out, doc, &n);
    strbuf_puts(out, "<nav>");
    if (bad)
        strbuf_printf(out, "<a href=\"#failures\">Failures (%d)</a>", bad);
    if (warn)
        strbuf_printf(out, "<a href=\"#warnings\">Warnings (%d)</a>", warn);
    if (xfail)
        strbuf_printf(out, "<a href=\"#xfail\">Expected failures (%d)</a>", xfail);
    strbuf_puts(out, "<a href=\"#areas\">Areas</a><a href=\"#requirements\">Requirements</a>"
                         "<a href=\"#cases\">All cases</a></nav>\n<main>\n");
    if (!bad)
        strbuf_puts(out, "<section id=\"failures\">\n<h2>Failures (0)</h2>\n<p>No case "
                             "failed.</p>\n</section>\n");
    case_section(out, doc, "failures", "Failures", NULL,
                 1u << STATUS_FAILED | 1u << STATUS_XPASS | 1u << STATUS_UNKNOWN);
    case_section(out, doc, "warnings", "Warnings",
                 "SHOULD cases that failed; they do not fail the run.", 1u << STATUS_WARNED);
    case_section(out, doc, "xfail", "Expected failures",
                 "Listed in the expected-failures file; they do not fail the run.",
                 1u << STATUS_XFAIL);
    areas(out, doc);
    requirements(out, doc);
    all_cases(out, doc);
    strbuf_puts(out, "</main>\n<footer>Rendered from the JSON report (format version 1). "
                         "Expand a case to see its request, expected and actual values, diff "
                         "and a curl command that reproduces it.</footer>\n</body>\n</html>\n");
}
