/* matrix.c: `conformance matrix`, several implementations' JSON reports side
 * by side, one row per requirement (grouped by area), one column per
 * implementation, in the manner of the Autobahn and Bowtie matrices. */
#include "matrix.h"
#include "report.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "report_html.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: conformance matrix REPORT.json... --html OUT [--md OUT]\n"
    "\n"
    "Puts the JSON reports of several runs (one per implementation, written by\n"
    "`conformance run --report json:PATH`) side by side: one row per requirement\n"
    "of docs/protocol.md, grouped by area, one column per implementation (named\n"
    "by the report's \"implementation\"). A cell is the requirement's status in\n"
    "that run (passed, failed, warned, untested) with how many of its cases\n"
    "passed; a failing cell expands to the failing case ids and their messages.\n"
    "\n"
    "options:\n"
    "  --html OUT   write a self-contained HTML page to OUT\n"
    "  --md OUT     write a Markdown table to OUT\n"
    "  -h, --help   show this help\n"
    "At least one of --html and --md is needed.\n"
    "\n"
    "exit status: 0 written; 2 bad usage, a report that cannot be read or is not\n"
    "an AFI conformance report (version 1), or an output that cannot be written.\n";

/* One implementation: a column. */
struct matrix_col {
    const char *path;
    char *label;                    /* owned */
    cJSON *doc;                     /* owned */
};

/* One requirement: a row. Pointers into the first report that names it. */
struct matrix_row {
    const char *id, *rule, *grade;
    char area[32];
};

struct matrix {
    struct matrix_col *cols;
    size_t ncols;
    struct matrix_row *rows;
    size_t nrows;
};

static void matrix_free(struct matrix *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ncols; i++) {
        free(m->cols[i].label);
        cJSON_Delete(m->cols[i].doc);
    }
    free(m->cols);
    free(m->rows);
    memset(m, 0, sizeof *m);
}

static char *label_for(const struct matrix *m, size_t i)
{
    const char *name = report_doc_str(m->cols[i].doc, "implementation", NULL);
    const char *base = strrchr(m->cols[i].path, '/');
    struct strbuf b;

    base = base ? base + 1 : m->cols[i].path;
    if (!name || !*name)
        name = base;
    strbuf_init(&b);
    strbuf_puts(&b, name);
    /* Two runs of one implementation: the file tells the columns apart. */
    for (size_t j = 0; j < i; j++)
        if (strcmp(m->cols[j].label, name) == 0 ||
            (strncmp(m->cols[j].label, name, strlen(name)) == 0 &&
             strncmp(m->cols[j].label + strlen(name), " (", 2) == 0)) {
            strbuf_printf(&b, " (%s)", m->cols[i].path);
            break;
        }
    return strbuf_take(&b);
}

/* Rows of one area in the order of their ids' numbers (ENV-2 before ENV-10),
 * so a report that lacks a requirement does not reorder the others. */
static int row_cmp(const void *pa, const void *pb)
{
    const struct matrix_row *a = pa, *b = pb;
    const char *da = strchr(a->id, '-'), *db = strchr(b->id, '-');
    long na = da ? strtol(da + 1, NULL, 10) : 0, nb = db ? strtol(db + 1, NULL, 10) : 0;

    if (na != nb)
        return na < nb ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* The rows: every requirement id of every report, in order of first appearance. */
static void collect_rows(struct matrix *m)
{
    size_t cap = 0;
    const cJSON *r;

    for (size_t i = 0; i < m->ncols; i++)
        cap += (size_t)cJSON_GetArraySize(report_doc_arr(m->cols[i].doc, "requirements"));
    m->rows = mem_calloc(cap, sizeof *m->rows);
    for (size_t i = 0; i < m->ncols; i++)
        cJSON_ArrayForEach(r, report_doc_arr(m->cols[i].doc, "requirements")) {
            const char *id = report_doc_str(r, "id", NULL);
            size_t k;

            if (!id)
                continue;
            for (k = 0; k < m->nrows && strcmp(m->rows[k].id, id) != 0; k++)
                ;
            if (k < m->nrows)
                continue;
            m->rows[k].id = id;
            m->rows[k].rule = report_doc_str(r, "rule", "");
            m->rows[k].grade = report_doc_str(r, "grade", "");
            report_doc_req_area(id, m->rows[k].area, sizeof m->rows[k].area);
            m->nrows++;
        }
    /* Group by area (in order of first appearance), then sort each group. */
    for (size_t a = 0; a < m->nrows; a++) {
        size_t end = a + 1;

        for (size_t r = a + 1; r < m->nrows; r++)
            if (strcmp(m->rows[r].area, m->rows[a].area) == 0) {
                struct matrix_row t = m->rows[r];

                memmove(&m->rows[end + 1], &m->rows[end], (r - end) * sizeof t);
                m->rows[end++] = t;
            }
        qsort(&m->rows[a], end - a, sizeof m->rows[0], row_cmp);
        a = end - 1;
    }
}

static const cJSON *find_req(const cJSON *doc, const char *id)
{
    const cJSON *r;

    cJSON_ArrayForEach(r, report_doc_arr(doc, "requirements"))
        if (strcmp(report_doc_str(r, "id", ""), id) == 0)
            return r;
    return NULL;
}

/* A cell: the requirement's status in one run and its case counts. */
struct matrix_cell {
    const char *status;             /* passed, failed, warned, untested, or the report's word */
    int passed, total, failing;
};

static void cell_of(const cJSON *doc, const char *req_id, struct matrix_cell *cell)
{
    const cJSON *r = find_req(doc, req_id), *id, *c, *suite;

    memset(cell, 0, sizeof *cell);
    cell->status = r ? report_doc_str(r, "status", "untested") : "untested";
    cJSON_ArrayForEach(id, report_doc_arr(r, "cases"))
        if (cJSON_IsString(id) && (c = report_doc_find_case(doc, id->valuestring))) {
            const char *st = report_doc_str(c, "status", "");

            cell->total++;
            cell->passed += strcmp(st, "passed") == 0;
        }
    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
            cell->failing += report_doc_case_fails_req(c, req_id);
}

/* The CSS class of a status word: one of the report page's status classes. */
static const char *status_class(const char *status)
{
    static const char *const known[] = {"passed", "failed", "warned", "untested",
                                        "skipped", "xfail", "xpass"};

    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(status, known[i]) == 0)
            return known[i];
    return "unknown";
}

/* The first message a case has for req_id (or its first at all). */
static const char *case_message(const cJSON *c, const char *req_id)
{
    const cJSON *f;

    cJSON_ArrayForEach(f, report_doc_arr(c, "failures"))
        if (strcmp(report_doc_str(f, "requirement", ""), req_id) == 0)
            return report_doc_str(f, "message", "");
    return report_doc_str(cJSON_GetArrayItem(report_doc_arr(c, "failures"), 0), "message",
                          report_doc_str(c, "status", ""));
}

static const char matrix_style[] =
    "main{max-width:none}\n"
    "table.matrix td.cell{min-width:150px}\n"
    "table.matrix tr.area th{background:#eaeef2;font-size:13px;letter-spacing:.04em}\n"
    "table.matrix td.cell details{background:transparent;border:0;margin:0}\n"
    "table.matrix td.cell details>summary{padding:0}\n"
    "table.matrix td.cell ul{margin:4px 0 0;padding-left:18px;white-space:normal;"
    "font-weight:400;color:#1f2328;min-width:260px}\n"
    "table.matrix th.impl{min-width:130px}table.matrix th.impl small{display:block;"
    "font-weight:400;color:var(--muted)}\n"
    "td.rule{color:#1f2328;min-width:280px}\n";

static void html_counts_row(struct strbuf *b, const struct matrix *m)
{
    strbuf_puts(b, "<tr><td><b>cases</b></td><td class=\"muted\">all cases of the run</td>");
    for (size_t i = 0; i < m->ncols; i++) {
        struct status_tally n;
        int failed = report_doc_failed(m->cols[i].doc);

        report_doc_count(m->cols[i].doc, &n);
        strbuf_printf(b, "<td class=\"cell %s\">%s: %d/%d cases passed",
                          failed ? "failed" : "passed", failed ? "FAILED" : "PASSED",
                          n.n[STATUS_PASSED], n.total);
        if (n.n[STATUS_FAILED] + n.n[STATUS_XPASS] + n.n[STATUS_WARNED] + n.n[STATUS_XFAIL] +
            n.n[STATUS_SKIPPED])
            strbuf_printf(b, "<br><small>%d failed, %d xpass, %d warned, %d xfail, "
                              "%d skipped</small>", n.n[STATUS_FAILED], n.n[STATUS_XPASS],
                              n.n[STATUS_WARNED], n.n[STATUS_XFAIL], n.n[STATUS_SKIPPED]);
        strbuf_puts(b, "</td>");
    }
    strbuf_puts(b, "</tr>\n");
}

static void html_cell(struct strbuf *b, const cJSON *doc, const char *req_id)
{
    struct matrix_cell cell;
    const cJSON *suite, *c;

    cell_of(doc, req_id, &cell);
    strbuf_printf(b, "<td class=\"cell %s\">", status_class(cell.status));
    if (cell.failing) {
        strbuf_puts(b, "<details><summary>");
        report_fmt_html(b, cell.status);
        if (cell.total)
            strbuf_printf(b, " %d/%d", cell.passed, cell.total);
        strbuf_puts(b, "</summary><ul>");
        cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
            cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
                if (report_doc_case_fails_req(c, req_id)) {
                    strbuf_puts(b, "<li><code>");
                    report_fmt_html(b, report_doc_str(c, "id", "?"));
                    strbuf_puts(b, "</code> ");
                    report_fmt_html(b, report_doc_str(c, "status", ""));
                    strbuf_puts(b, ": ");
                    report_fmt_html(b, case_message(c, req_id));
                    strbuf_puts(b, "</li>");
                }
        strbuf_puts(b, "</ul></details>");
    } else {
        report_fmt_html(b, cell.status);
        if (cell.total)
            strbuf_printf(b, " %d/%d", cell.passed, cell.total);
    }
    strbuf_puts(b, "</td>");
}

static void matrix_html(struct strbuf *b, const struct matrix *m)
{
    strbuf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>AFI conformance matrix</title>\n<style>\n%s%s</style>\n</head>\n"
                      "<body>\n<header>\n<h1>AFI conformance matrix</h1>\n<p class=\"meta\">%zu "
                      "implementations · %zu requirements. A cell is the requirement's status "
                      "in that run and how many of its cases passed; a failing cell expands "
                      "to its failing cases.</p>\n</header>\n<main>\n",
                      report_html_style(), matrix_style, m->ncols, m->nrows);
    strbuf_puts(b, "<table class=\"matrix\">\n<tr><th>requirement</th><th>rule</th>");
    for (size_t i = 0; i < m->ncols; i++) {
        strbuf_puts(b, "<th class=\"impl\" title=\"");
        report_fmt_html(b, m->cols[i].path);
        strbuf_puts(b, "\">");
        report_fmt_html(b, m->cols[i].label);
        strbuf_puts(b, "<small>");
        report_fmt_html(b, report_doc_str(m->cols[i].doc, "target", ""));
        strbuf_puts(b, " · level ");
        report_fmt_html(b, report_doc_str(m->cols[i].doc, "level", "?"));
        strbuf_puts(b, "</small></th>");
    }
    strbuf_puts(b, "</tr>\n");
    html_counts_row(b, m);
    for (size_t r = 0; r < m->nrows; r++) {
        /* Rows are grouped by area: a heading row where the area changes. */
        if (r == 0 || strcmp(m->rows[r].area, m->rows[r - 1].area) != 0) {
            strbuf_printf(b, "<tr class=\"area\"><th colspan=\"%zu\">", m->ncols + 2);
            report_fmt_html(b, m->rows[r].area);
            strbuf_puts(b, "</th></tr>\n");
        }
        strbuf_puts(b, "<tr><td><b>");
        report_fmt_html(b, m->rows[r].id);
        strbuf_puts(b, "</b></td><td class=\"rule\">");
        report_fmt_html(b, m->rows[r].rule);
        strbuf_puts(b, "</td>");
        for (size_t i = 0; i < m->ncols; i++)
            html_cell(b, m->cols[i].doc, m->rows[r].id);
        strbuf_puts(b, "</tr>\n");
    }
    strbuf_puts(b, "</table>\n</main>\n</body>\n</html>\n");
}

static const char *md_icon(const char *status)
{
    const char *cls = status_class(status);

    return strcmp(cls, "passed") == 0 ? "✅" : strcmp(cls, "warned") == 0 ? "⚠️"
           : strcmp(cls, "untested") == 0 ? "➖" : "❌";
}

/* Failing case ids a Markdown cell names; the HTML page lists them all. */
enum { MATRIX_MD_IDS = 5 };

static void md_cell(struct strbuf *b, const cJSON *doc, const char *req_id)
{
    struct matrix_cell cell;
    const cJSON *suite, *c;
    int n = 0;

    cell_of(doc, req_id, &cell);
    strbuf_printf(b, " %s ", md_icon(cell.status));
    report_fmt_md(b, cell.status);
    if (cell.total)
        strbuf_printf(b, " %d/%d", cell.passed, cell.total);
    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
            if (report_doc_case_fails_req(c, req_id) && n++ < MATRIX_MD_IDS) {
                strbuf_puts(b, n > 1 ? ", " : ": ");
                strbuf_puts(b, "<code>");
                report_fmt_md(b, report_doc_str(c, "id", "?"));
                strbuf_puts(b, "</code>");
            }
    if (n > MATRIX_MD_IDS)
        strbuf_printf(b, " and %d more", n - MATRIX_MD_IDS);
    strbuf_puts(b, " |");
}

static void matrix_md(struct strbuf *b, const struct matrix *m)
{
    strbuf_printf(b, "## AFI conformance matrix\n\n%zu implementations · %zu requirements\n\n"
                      "| requirement |", m->ncols, m->nrows);
    for (size_t i = 0; i < m->ncols; i++) {
        strbuf_puts(b, " ");
        report_fmt_md(b, m->cols[i].label);
        strbuf_puts(b, " |");
    }
    strbuf_puts(b, "\n|---|");
    for (size_t i = 0; i < m->ncols; i++)
        strbuf_puts(b, "---|");
    strbuf_puts(b, "\n| **cases** |");
    for (size_t i = 0; i < m->ncols; i++) {
        struct status_tally n;
        int failed = report_doc_failed(m->cols[i].doc);

        report_doc_count(m->cols[i].doc, &n);
        strbuf_printf(b, " %s %d/%d passed", failed ? "❌" : "✅", n.n[STATUS_PASSED],
                          n.total);
        if (status_tally_failing(&n))
            strbuf_printf(b, ", %d failed", status_tally_failing(&n));
        strbuf_puts(b, " |");
    }
    strbuf_putn(b, "\n", 1);
    for (size_t r = 0; r < m->nrows; r++) {
        if (r == 0 || strcmp(m->rows[r].area, m->rows[r - 1].area) != 0) {
            strbuf_puts(b, "| **");
            report_fmt_md(b, m->rows[r].area);
            strbuf_puts(b, "** |");
            for (size_t i = 0; i < m->ncols; i++)
                strbuf_puts(b, " |");
            strbuf_putn(b, "\n", 1);
        }
        strbuf_puts(b, "| **");
        report_fmt_md(b, m->rows[r].id);
        strbuf_puts(b, "** ");
        report_fmt_md(b, m->rows[r].rule);
        strbuf_puts(b, " |");
        for (size_t i = 0; i < m->ncols; i++)
            md_cell(b, m->cols[i].doc, m->rows[r].id);
        strbuf_putn(b, "\n", 1);
    }
}

static int write_out(const char *path, const struct matrix *m,
                     void (*render)(struct strbuf *, const struct matrix *))
{
    struct strbuf b;
    char err[512], *text;
    int rc;

    strbuf_init(&b);
    render(&b, m);
    text = strbuf_take(&b);
    rc = report_write_file(path, text, err, sizeof err);
    free(text);
    if (rc < 0)
        fprintf(stderr, "conformance matrix: %s\n", err);
    return rc;
}

int matrix_main(int argc, char **argv)
{
    const char *html = NULL, *md = NULL;
    struct matrix m = {0};
    char err[1024];
    int rc = 2;

    m.cols = mem_calloc((size_t)argc, sizeof *m.cols);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **opt = strcmp(a, "--html") == 0 ? &html : strcmp(a, "--md") == 0 ? &md : NULL;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            rc = 0;
            goto out;
        }
        if (strncmp(a, "--html=", 7) == 0) {
            html = a + 7;
        } else if (strncmp(a, "--md=", 5) == 0) {
            md = a + 5;
        } else if (opt) {
            if (i + 1 >= argc) {
                fprintf(stderr, "conformance matrix: %s needs a file name\n%s", a, usage);
                goto out;
            }
            *opt = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "conformance matrix: unknown option %s\n%s", a, usage);
            goto out;
        } else {
            m.cols[m.ncols++].path = a;
        }
    }
    if (m.ncols == 0 || (!html && !md)) {
        fprintf(stderr, "conformance matrix: %s\n%s",
                m.ncols ? "nothing to write: give --html OUT and/or --md OUT"
                        : "no report given", usage);
        goto out;
    }
    if ((html && !*html) || (md && !*md)) {
        fprintf(stderr, "conformance matrix: an output file name is empty\n");
        goto out;
    }
    for (size_t i = 0; i < m.ncols; i++) {
        m.cols[i].doc = report_doc_load(m.cols[i].path, err, sizeof err);
        if (!m.cols[i].doc) {
            fprintf(stderr, "conformance matrix: %s\n", err);
            goto out;
        }
        m.cols[i].label = label_for(&m, i);
    }
    collect_rows(&m);
    if ((html && write_out(html, &m, matrix_html) < 0) ||
        (md && write_out(md, &m, matrix_md) < 0))
        goto out;
    rc = 0;
out:
    matrix_free(&m);
    return rc;
}
