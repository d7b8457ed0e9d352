/* report_md.c: a Markdown summary for a pull-request comment or a CI step
 * summary: verdict and counts, a table of areas, the requirements that did
 * not pass, then every failure and warning with its diff and a collapsed
 * request/response/curl. Passing cases are counted, never listed. */
#include "report_md.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "report_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void code(struct strbuf *b, const char *s)
{
    strbuf_puts(b, "<code>");
    report_fmt_md(b, s);
    strbuf_puts(b, "</code>");
}

static void counts_line(struct strbuf *b, const struct status_tally *n)
{
    strbuf_printf(b, "**%d cases:** %d passed · %d failed · %d warned · %d skipped · "
                      "%d expected failures · %d unexpected passes",
                      n->total, n->n[STATUS_PASSED], n->n[STATUS_FAILED], n->n[STATUS_WARNED],
                      n->n[STATUS_SKIPPED], n->n[STATUS_XFAIL], n->n[STATUS_XPASS]);
    if (n->n[STATUS_UNKNOWN])
        strbuf_printf(b, " · %d with an unknown status", n->n[STATUS_UNKNOWN]);
    strbuf_puts(b, "\n\n");
}

static void areas_table(struct strbuf *b, const cJSON *doc)
{
    size_t n;
    struct report_doc_area *areas = report_doc_areas(doc, &n);

    if (!areas)
        return;
    strbuf_puts(b, "| area | cases | passed | failed | warned | skipped | xfail | xpass |\n"
                       "|---|--:|--:|--:|--:|--:|--:|--:|\n");
    for (size_t i = 0; i < n; i++) {
        const struct status_tally *c = &areas[i].counts;
        int bad = status_tally_failing(c);

        strbuf_printf(b, "| %s ", bad ? "❌" : c->n[STATUS_WARNED] ? "⚠️"
                                      : c->n[STATUS_PASSED] ? "✅" : "➖");
        report_fmt_md(b, areas[i].name);
        strbuf_printf(b, " | %d | %d | %d | %d | %d | %d | %d |\n", c->total,
                          c->n[STATUS_PASSED], c->n[STATUS_FAILED], c->n[STATUS_WARNED],
                          c->n[STATUS_SKIPPED], c->n[STATUS_XFAIL], c->n[STATUS_XPASS]);
    }
    strbuf_putn(b, "\n", 1);
    free(areas);
}

/* A pull-request comment holds 65536 characters: the summary stays whole, the
 * details of a long failure list are cut (the HTML and JUnit reports keep all). */
enum {
    MD_IDS_MAX = 8,                 /* failing case ids in a requirement's row */
    MD_FULL_MAX = 10,               /* cases of a section shown in full */
    MD_LIST_MAX = 100,              /* then one line each, up to this many */
};

/* The failing case ids of requirement req, comma separated, at most MD_IDS_MAX. */
static void failing_cases(struct strbuf *b, const cJSON *doc, const char *req)
{
    const cJSON *suite, *c;
    int n = 0;

    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
            if (report_doc_case_fails_req(c, req)) {
                if (n < MD_IDS_MAX) {
                    strbuf_puts(b, n ? ", " : "");
                    code(b, report_doc_str(c, "id", "?"));
                }
                n++;
            }
    if (n > MD_IDS_MAX)
        strbuf_printf(b, " and %d more", n - MD_IDS_MAX);
}

static void requirements(struct strbuf *b, const cJSON *doc)
{
    const cJSON *r;
    int n[4] = {0}, total = 0, shown = 0;
    static const char *const names[4] = {"passed", "failed", "warned", "untested"};

    cJSON_ArrayForEach(r, report_doc_arr(doc, "requirements")) {
        const char *st = report_doc_str(r, "status", "");

        if (!cJSON_IsObject(r))
            continue;
        total++;
        for (int i = 0; i < 4; i++)
            n[i] += strcmp(st, names[i]) == 0;
    }
    if (!total)
        return;
    strbuf_printf(b, "**%d requirements:** %d passed · %d failed · %d warned · %d untested\n\n",
                      total, n[0], n[1], n[2], n[3]);
    cJSON_ArrayForEach(r, report_doc_arr(doc, "requirements")) {
        const char *st = report_doc_str(r, "status", "unknown");
        const char *id = report_doc_str(r, "id", "?");

        if (!cJSON_IsObject(r) || strcmp(st, "passed") == 0 || strcmp(st, "untested") == 0)
            continue;
        if (!shown++)
            strbuf_puts(b, "| requirement | status | rule | failing cases |\n|---|---|---|---|\n");
        strbuf_puts(b, "| **");
        report_fmt_md(b, id);
        strbuf_printf(b, "** | %s ", strcmp(st, "warned") == 0 ? "⚠️" : "❌");
        report_fmt_md(b, st);
        strbuf_puts(b, " | ");
        report_fmt_md(b, report_doc_str(r, "rule", ""));
        strbuf_puts(b, " | ");
        failing_cases(b, doc, id);
        strbuf_puts(b, " |\n");
    }
    if (shown)
        strbuf_putn(b, "\n", 1);
    if (n[3]) {
        int i = 0;

        strbuf_puts(b, "Untested: ");
        cJSON_ArrayForEach(r, report_doc_arr(doc, "requirements"))
            if (strcmp(report_doc_str(r, "status", ""), "untested") == 0) {
                if (i++)
                    strbuf_puts(b, ", ");
                report_fmt_md(b, report_doc_str(r, "id", "?"));
            }
        strbuf_puts(b, "\n\n");
    }
}

/* "**ENV-5** " for a failure that names its requirement, else nothing. */
static void bold_req(struct strbuf *b, const cJSON *f)
{
    const char *req = report_doc_str(f, "requirement", NULL);

    if (req) {
        strbuf_puts(b, "**");
        report_fmt_md(b, req);
        strbuf_puts(b, "** ");
    }
}

/* An http code block of the request or response obj as report_text writes
 * it; nothing when obj is NULL. */
static void http_block(struct strbuf *b, void (*text)(struct strbuf *, const cJSON *),
                       const cJSON *obj)
{
    struct strbuf t;

    if (!obj)
        return;
    strbuf_init(&t);
    text(&t, obj);
    report_fmt_md_code(b, "http", t.data);
    strbuf_free(&t);
    strbuf_putn(b, "\n", 1);
}

static void failure(struct strbuf *b, const cJSON *f)
{
    const cJSON *d;
    struct strbuf t;
    const char *curl = report_doc_str(f, "curl", NULL);

    strbuf_puts(b, "- ");
    bold_req(b, f);
    report_fmt_md(b, report_doc_str(f, "rule", ""));
    strbuf_puts(b, "  \n  ");
    strbuf_init(&t);
    report_text_step(&t, f);
    report_fmt_md(b, t.data);
    strbuf_free(&t);
    strbuf_puts(b, ": ");
    report_fmt_md(b, report_doc_str(f, "message", "(no message)"));
    strbuf_puts(b, "\n\n");
    if (report_doc_arr(f, "diffs") && report_doc_arr(f, "diffs")->child) {
        strbuf_init(&t);
        cJSON_ArrayForEach(d, report_doc_arr(f, "diffs"))
            strbuf_printf(&t, "@@ %s @@\n- %s\n+ %s\n", report_doc_str(d, "path", "?"),
                              report_doc_str(d, "expected", ""), report_doc_str(d, "actual", ""));
        report_fmt_md_code(b, "diff", t.data);
        strbuf_free(&t);
        strbuf_putn(b, "\n", 1);
    }
    if (!report_doc_obj(f, "request") && !report_doc_obj(f, "response") && !curl)
        return;
    strbuf_puts(b, "<details><summary>request, response, curl</summary>\n\n");
    http_block(b, report_text_request, report_doc_obj(f, "request"));
    http_block(b, report_text_response, report_doc_obj(f, "response"));
    if (curl) {
        report_fmt_md_code(b, "sh", curl);
        strbuf_putn(b, "\n", 1);
    }
    strbuf_puts(b, "</details>\n\n");
}

static void case_heading(struct strbuf *b, const char *icon, const cJSON *c)
{
    strbuf_printf(b, "#### %s ", icon);
    code(b, report_doc_str(c, "id", "?"));
    strbuf_puts(b, " ");
    report_fmt_md(b, report_doc_str(c, "title", ""));
    strbuf_puts(b, "\n\n");
}

enum detail { DETAIL_FULL, DETAIL_LIST, DETAIL_IDS };

static void list_item(struct strbuf *b, const cJSON *c)
{
    const cJSON *f = cJSON_GetArrayItem(report_doc_arr(c, "failures"), 0);

    strbuf_puts(b, "- ");
    code(b, report_doc_str(c, "id", "?"));
    strbuf_puts(b, " ");
    report_fmt_md(b, report_doc_str(c, "title", ""));
    if (f) {
        strbuf_puts(b, ": ");
        bold_req(b, f);
        report_fmt_md(b, report_doc_str(f, "message", ""));
    }
    strbuf_putn(b, "\n", 1);
}

static void full_item(struct strbuf *b, const cJSON *c, enum status st,
                      const char *icon)
{
    const cJSON *f;

    case_heading(b, icon, c);
    if (st == STATUS_XPASS)
        strbuf_puts(b, "Passed, but is listed as an expected failure: remove it "
                           "from the expected-failures file.\n\n");
    else if (st == STATUS_UNKNOWN)
        strbuf_puts(b, "The report gives this case an unknown status.\n\n");
    cJSON_ArrayForEach(f, report_doc_arr(c, "failures"))
        if (cJSON_IsObject(f))
            failure(b, f);
}

/* Every case whose status is in the bit set want, under a heading with their
 * count: in full (the first MD_FULL_MAX, then a line each), as a list with
 * the first message, or as a line of ids. */
static void section(struct strbuf *b, const cJSON *doc, const char *title, const char *icon,
                    unsigned want, enum detail detail)
{
    const cJSON *suite, *c;
    int n = 0, i = 0;

    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
            n += !!(want & 1u << status_of(report_doc_str(c, "status", NULL)));
    if (!n)
        return;
    strbuf_printf(b, "### %s (%d)\n\n", title, n);
    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases")) {
            enum status st = status_of(report_doc_str(c, "status", NULL));

            if (!(want & 1u << st))
                continue;
            i++;
            if (detail == DETAIL_IDS) {
                strbuf_puts(b, i > 1 ? ", " : "");
                code(b, report_doc_str(c, "id", "?"));
            } else if (detail == DETAIL_FULL && i <= MD_FULL_MAX) {
                full_item(b, c, st, icon);
            } else if (i <= MD_FULL_MAX + MD_LIST_MAX) {
                if (detail == DETAIL_FULL && i == MD_FULL_MAX + 1)
                    strbuf_printf(b, "The other %d, briefly:\n\n", n - MD_FULL_MAX);
                list_item(b, c);
            }
        }
    if (n > MD_FULL_MAX + MD_LIST_MAX && detail != DETAIL_IDS)
        strbuf_printf(b, "- … and %d more: the HTML and JUnit reports list every one.\n",
                          n - MD_FULL_MAX - MD_LIST_MAX);
    if (detail == DETAIL_IDS)
        strbuf_puts(b, "\n\n");
    else if (detail == DETAIL_LIST || n > MD_FULL_MAX)
        strbuf_putn(b, "\n", 1);
}

void report_md_render(const cJSON *doc, struct strbuf *out)
{
    struct status_tally n;
    int failed = report_doc_failed(doc);
    double ms = report_doc_num(doc, "duration_ms", NAN);

    report_doc_count(doc, &n);
    strbuf_printf(out, "## %s AFI conformance: ", failed ? "❌" : "✅");
    report_fmt_md(out, report_doc_str(doc, "implementation", "(unnamed implementation)"));
    strbuf_printf(out, " %s\n\n", failed ? "failed" : "passed");
    char *targets = report_doc_targets(doc, ", ");
    strbuf_puts(out, targets ? "Targets " : "Target ");
    code(out, targets ? targets : report_doc_str(doc, "target", "?"));
    free(targets);
    strbuf_puts(out, " · level ");
    report_fmt_md(out, report_doc_str(doc, "level", "?"));
    if (report_doc_str(doc, "shard", NULL)) {
        strbuf_puts(out, " · shard ");
        report_fmt_md(out, report_doc_str(doc, "shard", ""));
    }
    if (report_doc_str(doc, "started_at", NULL)) {
        strbuf_puts(out, " · started ");
        report_fmt_md(out, report_doc_str(doc, "started_at", ""));
    }
    if (isfinite(ms) && ms >= 0)
        strbuf_printf(out, " · %.2f s", ms / 1000.0);
    if (report_doc_obj(doc, "tool")) {
        strbuf_puts(out, " · ");
        report_fmt_md(out, report_doc_str(report_doc_obj(doc, "tool"), "name", "?"));
        strbuf_puts(out, " ");
        report_fmt_md(out, report_doc_str(report_doc_obj(doc, "tool"), "version", ""));
    }
    strbuf_puts(out, "\n\n");
    counts_line(out, &n);
    areas_table(out, doc);
    requirements(out, doc);
    section(out, doc, "Failures", "❌",
            1u << STATUS_FAILED | 1u << STATUS_XPASS | 1u << STATUS_UNKNOWN, DETAIL_FULL);
    section(out, doc, "Warnings (SHOULD cases; the run does not fail)", "⚠️",
            1u << STATUS_WARNED, DETAIL_FULL);
    section(out, doc, "Expected failures", "", 1u << STATUS_XFAIL, DETAIL_LIST);
    section(out, doc, "Skipped", "", 1u << STATUS_SKIPPED, DETAIL_IDS);
}
