/* report_md.c: a Markdown summary for a pull-request comment or a CI step
 * summary: verdict and counts, a table of areas, the requirements that did
 * not pass, then every failure and warning with its diff and a collapsed
 * request/response/curl. Passing cases are counted, never listed. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void code(struct report_buf *b, const char *s)
{
    report_buf_puts(b, "<code>");
    report_buf_md(b, s);
    report_buf_puts(b, "</code>");
}

static void counts_line(struct report_buf *b, const struct report_status_tally *n)
{
    report_buf_printf(b, "**%d cases:** %d passed · %d failed · %d warned · %d skipped · "
                      "%d expected failures · %d unexpected passes",
                      n->total, n->n[REPORT_PASSED], n->n[REPORT_FAILED], n->n[REPORT_WARNED],
                      n->n[REPORT_SKIPPED], n->n[REPORT_XFAIL], n->n[REPORT_XPASS]);
    if (n->n[REPORT_UNKNOWN])
        report_buf_printf(b, " · %d with an unknown status", n->n[REPORT_UNKNOWN]);
    report_buf_puts(b, "\n\n");
}

static void areas_table(struct report_buf *b, const cJSON *doc)
{
    size_t n;
    struct report_doc_area *areas = report_doc_areas(doc, &n);

    if (!areas)
        return;
    report_buf_puts(b, "| area | cases | passed | failed | warned | skipped | xfail | xpass |\n"
                       "|---|--:|--:|--:|--:|--:|--:|--:|\n");
    for (size_t i = 0; i < n; i++) {
        const struct report_status_tally *c = &areas[i].counts;
        int bad = report_status_tally_failing(c);

        report_buf_printf(b, "| %s ", bad ? "❌" : c->n[REPORT_WARNED] ? "⚠️"
                                      : c->n[REPORT_PASSED] ? "✅" : "➖");
        report_buf_md(b, areas[i].name);
        report_buf_printf(b, " | %d | %d | %d | %d | %d | %d | %d |\n", c->total,
                          c->n[REPORT_PASSED], c->n[REPORT_FAILED], c->n[REPORT_WARNED],
                          c->n[REPORT_SKIPPED], c->n[REPORT_XFAIL], c->n[REPORT_XPASS]);
    }
    report_buf_putn(b, "\n", 1);
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
static void failing_cases(struct report_buf *b, const cJSON *doc, const char *req)
{
    const cJSON *suite, *c;
    int n = 0;

    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
            if (report_doc_case_fails_req(c, req)) {
                if (n < MD_IDS_MAX) {
                    report_buf_puts(b, n ? ", " : "");
                    code(b, report_doc_str(c, "id", "?"));
                }
                n++;
            }
    if (n > MD_IDS_MAX)
        report_buf_printf(b, " and %d more", n - MD_IDS_MAX);
}

static void requirements(struct report_buf *b, const cJSON *doc)
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
    report_buf_printf(b, "**%d requirements:** %d passed · %d failed · %d warned · %d untested\n\n",
                      total, n[0], n[1], n[2], n[3]);
    cJSON_ArrayForEach(r, report_doc_arr(doc, "requirements")) {
        const char *st = report_doc_str(r, "status", "unknown");
        const char *id = report_doc_str(r, "id", "?");

        if (!cJSON_IsObject(r) || strcmp(st, "passed") == 0 || strcmp(st, "untested") == 0)
            continue;
        if (!shown++)
            report_buf_puts(b, "| requirement | status | rule | failing cases |\n|---|---|---|---|\n");
        report_buf_puts(b, "| **");
        report_buf_md(b, id);
        report_buf_printf(b, "** | %s ", strcmp(st, "warned") == 0 ? "⚠️" : "❌");
        report_buf_md(b, st);
        report_buf_puts(b, " | ");
        report_buf_md(b, report_doc_str(r, "rule", ""));
        report_buf_puts(b, " | ");
        failing_cases(b, doc, id);
        report_buf_puts(b, " |\n");
    }
    if (shown)
        report_buf_putn(b, "\n", 1);
    if (n[3]) {
        int i = 0;

        report_buf_puts(b, "Untested: ");
        cJSON_ArrayForEach(r, report_doc_arr(doc, "requirements"))
            if (strcmp(report_doc_str(r, "status", ""), "untested") == 0) {
                if (i++)
                    report_buf_puts(b, ", ");
                report_buf_md(b, report_doc_str(r, "id", "?"));
            }
        report_buf_puts(b, "\n\n");
    }
}

/* "**ENV-5** " for a failure that names its requirement, else nothing. */
static void bold_req(struct report_buf *b, const cJSON *f)
{
    const char *req = report_doc_str(f, "requirement", NULL);

    if (req) {
        report_buf_puts(b, "**");
        report_buf_md(b, req);
        report_buf_puts(b, "** ");
    }
}

/* An http code block of the request or response obj as report_text writes
 * it; nothing when obj is NULL. */
static void http_block(struct report_buf *b, void (*text)(struct report_buf *, const cJSON *),
                       const cJSON *obj)
{
    struct report_buf t;

    if (!obj)
        return;
    report_buf_init(&t);
    text(&t, obj);
    report_buf_md_code(b, "http", t.data);
    report_buf_free(&t);
    report_buf_putn(b, "\n", 1);
}

static void failure(struct report_buf *b, const cJSON *f)
{
    const cJSON *d;
    struct report_buf t;
    const char *curl = report_doc_str(f, "curl", NULL);

    report_buf_puts(b, "- ");
    bold_req(b, f);
    report_buf_md(b, report_doc_str(f, "rule", ""));
    report_buf_puts(b, "  \n  ");
    report_buf_init(&t);
    report_text_step(&t, f);
    report_buf_md(b, t.data);
    report_buf_free(&t);
    report_buf_puts(b, ": ");
    report_buf_md(b, report_doc_str(f, "message", "(no message)"));
    report_buf_puts(b, "\n\n");
    if (report_doc_arr(f, "diffs") && report_doc_arr(f, "diffs")->child) {
        report_buf_init(&t);
        cJSON_ArrayForEach(d, report_doc_arr(f, "diffs"))
            report_buf_printf(&t, "@@ %s @@\n- %s\n+ %s\n", report_doc_str(d, "path", "?"),
                              report_doc_str(d, "expected", ""), report_doc_str(d, "actual", ""));
        report_buf_md_code(b, "diff", t.data);
        report_buf_free(&t);
        report_buf_putn(b, "\n", 1);
    }
    if (!report_doc_obj(f, "request") && !report_doc_obj(f, "response") && !curl)
        return;
    report_buf_puts(b, "<details><summary>request, response, curl</summary>\n\n");
    http_block(b, report_text_request, report_doc_obj(f, "request"));
    http_block(b, report_text_response, report_doc_obj(f, "response"));
    if (curl) {
        report_buf_md_code(b, "sh", curl);
        report_buf_putn(b, "\n", 1);
    }
    report_buf_puts(b, "</details>\n\n");
}

static void case_heading(struct report_buf *b, const char *icon, const cJSON *c)
{
    report_buf_printf(b, "#### %s ", icon);
    code(b, report_doc_str(c, "id", "?"));
    report_buf_puts(b, " ");
    report_buf_md(b, report_doc_str(c, "title", ""));
    report_buf_puts(b, "\n\n");
}

enum detail { DETAIL_FULL, DETAIL_LIST, DETAIL_IDS };

static void list_item(struct report_buf *b, const cJSON *c)
{
    const cJSON *f = cJSON_GetArrayItem(report_doc_arr(c, "failures"), 0);

    report_buf_puts(b, "- ");
    code(b, report_doc_str(c, "id", "?"));
    report_buf_puts(b, " ");
    report_buf_md(b, report_doc_str(c, "title", ""));
    if (f) {
        report_buf_puts(b, ": ");
        bold_req(b, f);
        report_buf_md(b, report_doc_str(f, "message", ""));
    }
    report_buf_putn(b, "\n", 1);
}

static void full_item(struct report_buf *b, const cJSON *c, enum report_status st,
                      const char *icon)
{
    const cJSON *f;

    case_heading(b, icon, c);
    if (st == REPORT_XPASS)
        report_buf_puts(b, "Passed, but is listed as an expected failure: remove it "
                           "from the expected-failures file.\n\n");
    else if (st == REPORT_UNKNOWN)
        report_buf_puts(b, "The report gives this case an unknown status.\n\n");
    cJSON_ArrayForEach(f, report_doc_arr(c, "failures"))
        if (cJSON_IsObject(f))
            failure(b, f);
}

/* Every case whose status is in the bit set want, under a heading with their
 * count: in full (the first MD_FULL_MAX, then a line each), as a list with
 * the first message, or as a line of ids. */
static void section(struct report_buf *b, const cJSON *doc, const char *title, const char *icon,
                    unsigned want, enum detail detail)
{
    const cJSON *suite, *c;
    int n = 0, i = 0;

    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
            n += !!(want & 1u << report_status_of(report_doc_str(c, "status", NULL)));
    if (!n)
        return;
    report_buf_printf(b, "### %s (%d)\n\n", title, n);
    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases")) {
            enum report_status st = report_status_of(report_doc_str(c, "status", NULL));

            if (!(want & 1u << st))
                continue;
            i++;
            if (detail == DETAIL_IDS) {
                report_buf_puts(b, i > 1 ? ", " : "");
                code(b, report_doc_str(c, "id", "?"));
            } else if (detail == DETAIL_FULL && i <= MD_FULL_MAX) {
                full_item(b, c, st, icon);
            } else if (i <= MD_FULL_MAX + MD_LIST_MAX) {
                if (detail == DETAIL_FULL && i == MD_FULL_MAX + 1)
                    report_buf_printf(b, "The other %d, briefly:\n\n", n - MD_FULL_MAX);
                list_item(b, c);
            }
        }
    if (n > MD_FULL_MAX + MD_LIST_MAX && detail != DETAIL_IDS)
        report_buf_printf(b, "- … and %d more: the HTML and JUnit reports list every one.\n",
                          n - MD_FULL_MAX - MD_LIST_MAX);
    if (detail == DETAIL_IDS)
        report_buf_puts(b, "\n\n");
    else if (detail == DETAIL_LIST || n > MD_FULL_MAX)
        report_buf_putn(b, "\n", 1);
}

void report_md_render(const cJSON *doc, struct report_buf *out)
{
    struct report_status_tally n;
    int failed = report_doc_failed(doc);
    double ms = report_doc_num(doc, "duration_ms", NAN);

    report_doc_count(doc, &n);
    report_buf_printf(out, "## %s AFI conformance: ", failed ? "❌" : "✅");
    report_buf_md(out, report_doc_str(doc, "implementation", "(unnamed implementation)"));
    report_buf_printf(out, " %s\n\n", failed ? "failed" : "passed");
    report_buf_puts(out, "Target ");
    code(out, report_doc_str(doc, "target", "?"));
    report_buf_puts(out, " · level ");
    report_buf_md(out, report_doc_str(doc, "level", "?"));
    if (report_doc_str(doc, "shard", NULL)) {
        report_buf_puts(out, " · shard ");
        report_buf_md(out, report_doc_str(doc, "shard", ""));
    }
    if (report_doc_str(doc, "started_at", NULL)) {
        report_buf_puts(out, " · started ");
        report_buf_md(out, report_doc_str(doc, "started_at", ""));
    }
    if (isfinite(ms) && ms >= 0)
        report_buf_printf(out, " · %.2f s", ms / 1000.0);
    if (report_doc_obj(doc, "tool")) {
        report_buf_puts(out, " · ");
        report_buf_md(out, report_doc_str(report_doc_obj(doc, "tool"), "name", "?"));
        report_buf_puts(out, " ");
        report_buf_md(out, report_doc_str(report_doc_obj(doc, "tool"), "version", ""));
    }
    report_buf_puts(out, "\n\n");
    counts_line(out, &n);
    areas_table(out, doc);
    requirements(out, doc);
    section(out, doc, "Failures", "❌",
            1u << REPORT_FAILED | 1u << REPORT_XPASS | 1u << REPORT_UNKNOWN, DETAIL_FULL);
    section(out, doc, "Warnings (SHOULD cases; the run does not fail)", "⚠️",
            1u << REPORT_WARNED, DETAIL_FULL);
    section(out, doc, "Expected failures", "", 1u << REPORT_XFAIL, DETAIL_LIST);
    section(out, doc, "Skipped", "", 1u << REPORT_SKIPPED, DETAIL_IDS);
}
