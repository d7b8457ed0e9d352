/* report_junit.c: JUnit XML for CI systems, valid against both the strict Ant
 * schema (windyroad JUnit.xsd) and Jenkins' junit-10.xsd, which is why
 * requirement ids are suite properties (the schemas allow no per-testcase
 * properties) and warnings go to the suite's system-out. */
#include "report_junit.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "report_text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void attr(struct strbuf *b, const char *name, const char *value)
{
    strbuf_printf(b, " %s=\"", name);
    report_fmt_xml(b, value, 1);
    strbuf_putn(b, "\"", 1);
}

static void property(struct strbuf *b, const char *name, const char *value)
{
    if (!value)
        return;
    strbuf_puts(b, "      <property");
    attr(b, "name", name);
    attr(b, "value", value);
    strbuf_puts(b, "/>\n");
}

/* The Ant schema wants a local "YYYY-MM-DDTHH:MM:SS" without zone; the
 * report's started_at is UTC, so its first 19 characters are that. */
static void timestamp(const cJSON *doc, char out[20])
{
    const char *s = report_doc_str(doc, "started_at", "");
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";

    for (int i = 0; i < 19; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i]) {
            strcpy(out, "1970-01-01T00:00:00");
            return;
        }
    }
    memcpy(out, s, 19);
    out[19] = '\0';
}

/* The target's host: the closest thing the report has to a hostname. */
static void hostname(const cJSON *doc, char *out, size_t outlen)
{
    const char *t = report_doc_str(doc, "target", ""), *p = strstr(t, "://");
    size_t n = 0;

    p = p ? p + 3 : t;
    if (*p == '[')
        for (; p[n] && p[n] != ']'; n++)
            ;
    for (; p[n] && !strchr(":/?#", p[n]); n++)
        ;
    if (n == 0 || n >= outlen || strspn(p, "[]:.-_abcdefghijklmnopqrstuvwxyz"
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") < n) {
        snprintf(out, outlen, "localhost");
        return;
    }
    memcpy(out, p, n);
    out[n] = '\0';
}

static void requirements_list(struct strbuf *b, const cJSON *c)
{
    const cJSON *r;
    int first = 1;

    cJSON_ArrayForEach(r, report_doc_arr(c, "requirements")) {
        if (!cJSON_IsString(r))
            continue;
        strbuf_printf(b, "%s%s", first ? "" : " ", r->valuestring);
        first = 0;
    }
}

/* All failures of a case as one text: what a CI shows under the test. */
static void failures_text(struct strbuf *b, const cJSON *c)
{
    const cJSON *f;
    int i = 0;

    cJSON_ArrayForEach(f, report_doc_arr(c, "failures")) {
        if (i++)
            strbuf_puts(b, "\n----\n\n");
        report_text_failure(b, f);
    }
}

/* An element (failure or skipped) with type and message, whose text is the
 * case's failures. */
static void outcome(struct strbuf *b, const char *elem, const char *type,
                    const char *prefix, const cJSON *c)
{
    const cJSON *first = cJSON_GetArrayItem(report_doc_arr(c, "failures"), 0);
    struct strbuf t;

    strbuf_init(&t);
    strbuf_puts(&t, prefix);
    if (first) {
        const char *req = report_doc_str(first, "requirement", NULL);

        if (req)
            strbuf_printf(&t, "[%s] ", req);
        report_text_first_line(&t, report_doc_str(first, "message", ""));
    } else {
        strbuf_puts(&t, "the report lists no failure details");
    }
    strbuf_printf(b, "      <%s", elem);
    attr(b, "type", type);
    attr(b, "message", t.data ? t.data : "");
    strbuf_free(&t);
    strbuf_putn(b, ">", 1);
    strbuf_init(&t);
    failures_text(&t, c);
    report_fmt_xml(b, t.data, 0);
    strbuf_free(&t);
    strbuf_printf(b, "</%s>\n", elem);
}

static void testcase(struct strbuf *b, const char *suite, const cJSON *c,
                     struct strbuf *sysout)
{
    const char *id = report_doc_str(c, "id", "?");
    const char *status = report_doc_str(c, "status", "unknown");
    const cJSON *first = cJSON_GetArrayItem(report_doc_arr(c, "failures"), 0);
    const char *type = report_doc_str(first, "requirement", "failure");
    enum status st = status_of(status);
    struct strbuf t;

    strbuf_init(&t);
    strbuf_puts(&t, id);
    if (*report_doc_str(c, "title", ""))
        strbuf_printf(&t, " — %s", report_doc_str(c, "title", ""));
    strbuf_puts(b, "    <testcase");
    attr(b, "classname", suite);
    attr(b, "name", t.data);
    strbuf_free(&t);
    strbuf_puts(b, " time=\"");
    report_fmt_seconds(b, report_doc_num(c, "duration_ms", 0));
    strbuf_putn(b, "\"", 1);

    switch (st) {
    case STATUS_PASSED:
        strbuf_puts(b, "/>\n");
        return;
    case STATUS_WARNED:
        /* A SHOULD failure does not fail the run: the test passes and the
         * warning goes to the suite's system-out. */
        strbuf_puts(b, "/>\n");
        strbuf_printf(sysout, "WARNING %s (a SHOULD case failed; the run does not fail):\n", id);
        failures_text(sysout, c);
        strbuf_putn(sysout, "\n", 1);
        return;
    case STATUS_SKIPPED:
        strbuf_puts(b, ">\n      <skipped message=\"skipped\"/>\n    </testcase>\n");
        return;
    case STATUS_XFAIL:
        strbuf_puts(b, ">\n");
        outcome(b, "skipped", "xfail", "expected failure: ", c);
        break;
    case STATUS_XPASS:
        strbuf_puts(b, ">\n      <failure type=\"xpass\" message=\"passed, but is listed "
                           "as an expected failure: remove it from the list\"/>\n");
        break;
    case STATUS_FAILED:
        strbuf_puts(b, ">\n");
        outcome(b, "failure", type, "", c);
        break;
    default:
        strbuf_puts(b, ">\n      <failure type=\"unknown\"");
        attr(b, "message", "the report gives this case an unknown status");
        strbuf_puts(b, ">status: ");
        report_fmt_xml(b, status, 0);
        strbuf_puts(b, "</failure>\n");
        break;
    }
    strbuf_puts(b, "    </testcase>\n");
}

static void testsuite(struct strbuf *b, const cJSON *doc, const cJSON *suite, int index,
                      const char *ts, const char *host)
{
    const char *name = report_doc_str(suite, "suite", "unnamed");
    const cJSON *c;
    struct status_tally n = {0};
    struct strbuf sysout, pname;
    double ms = 0;

    cJSON_ArrayForEach(c, report_doc_arr(suite, "cases")) {
        status_tally_add(&n, status_of(report_doc_str(c, "status", NULL)));
        ms += report_doc_num(c, "duration_ms", 0) > 0 ? report_doc_num(c, "duration_ms", 0) : 0;
    }
    strbuf_puts(b, "  <testsuite");
    attr(b, "name", *name ? name : "unnamed");
    attr(b, "package", "afi");
    strbuf_printf(b, " id=\"%d\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"",
                      index, n.total, status_tally_failing(&n),
                      n.n[STATUS_SKIPPED] + n.n[STATUS_XFAIL]);
    report_fmt_seconds(b, ms);
    strbuf_printf(b, "\" timestamp=\"%s\"", ts);
    attr(b, "hostname", host);
    strbuf_puts(b, ">\n    <properties>\n");
    property(b, "area", report_doc_str(suite, "area", NULL));
    property(b, "title", report_doc_str(suite, "title", NULL));
    property(b, "file", report_doc_str(suite, "file", NULL));
    property(b, "implementation", report_doc_str(doc, "implementation", NULL));
    property(b, "target", report_doc_str(doc, "target", NULL));
    char *targets = report_doc_targets(doc, " ");
    property(b, "targets", targets);
    free(targets);
    property(b, "level", report_doc_str(doc, "level", NULL));
    property(b, "shard", report_doc_str(doc, "shard", NULL));
    cJSON_ArrayForEach(c, report_doc_arr(suite, "cases")) {
        struct strbuf reqs;

        strbuf_init(&pname);
        strbuf_init(&reqs);
        strbuf_printf(&pname, "requirements:%s", report_doc_str(c, "id", "?"));
        requirements_list(&reqs, c);
        property(b, pname.data, reqs.data ? reqs.data : "");
        strbuf_free(&pname);
        strbuf_free(&reqs);
    }
    strbuf_puts(b, "    </properties>\n");
    strbuf_init(&sysout);
    cJSON_ArrayForEach(c, report_doc_arr(suite, "cases"))
        testcase(b, name, c, &sysout);
    strbuf_puts(b, "    <system-out>");
    report_fmt_xml(b, sysout.data, 0);
    strbuf_puts(b, "</system-out>\n    <system-err></system-err>\n  </testsuite>\n");
    strbuf_free(&sysout);
}

void report_junit_render(const cJSON *doc, struct strbuf *out)
{
    const cJSON *suite;
    char ts[20], host[256];
    int i = 0;

    timestamp(doc, ts);
    hostname(doc, host, sizeof host);
    /* The Ant schema allows no attributes on <testsuites>: totals are per suite. */
    strbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    cJSON_ArrayForEach(suite, report_doc_arr(doc, "suites"))
        if (cJSON_IsObject(suite))
            testsuite(out, doc, suite, i++, ts, host);
    strbuf_puts(out, "</testsuites>\n");
}
