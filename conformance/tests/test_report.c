/* test_report.c: the report dispatcher, file writing, escapers, the report
 * tree readers, and the JSON, Markdown and TAP writers. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "status.h"
#include "strbuf.h"
#include "testutil.h"

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A buffer run through one escaper, as a new string. */
typedef void (*escaper)(struct strbuf *, const char *);
static char *esc_with(escaper e, const char *s)
{
    struct strbuf b;

    strbuf_init(&b);
    e(&b, s);
    return strbuf_take(&b);
}

static void xml_text(struct strbuf *b, const char *s) { report_fmt_xml(b, s, 0); }
static void xml_attr(struct strbuf *b, const char *s) { report_fmt_xml(b, s, 1); }

/* ---- formats and specs ---- */

Test(report, format_known)
{
    const char *yes[] = {"json", "junit", "md", "tap", "html"};

    for (size_t i = 0; i < 5; i++)
        cr_expect(report_format_known(yes[i]), "%s", yes[i]);
    cr_expect_not(report_format_known("xml"));
    cr_expect_not(report_format_known(""));
    cr_expect_not(report_format_known("JSON"));
    cr_expect_not(report_format_known(NULL));
}

Test(report, parse_spec)
{
    char buf[64], err[256], *fmt, *path;

    cr_assert_eq(report_parse_spec("junit:out/j.xml", buf, &fmt, &path, err, sizeof err), 0);
    cr_expect_str_eq(fmt, "junit");
    cr_expect_str_eq(path, "out/j.xml");
    cr_assert_eq(report_parse_spec("json:C:/x.json", buf, &fmt, &path, err, sizeof err), 0);
    cr_expect_str_eq(path, "C:/x.json", "only the first colon separates");

    cr_expect_eq(report_parse_spec("html", buf, &fmt, &path, err, sizeof err), -1);
    cr_expect(strstr(err, "FORMAT:PATH"), "%s", err);
    cr_expect_eq(report_parse_spec("html:", buf, &fmt, &path, err, sizeof err), -1);
    cr_expect(strstr(err, "empty"), "%s", err);
    cr_expect_eq(report_parse_spec("pdf:x.pdf", buf, &fmt, &path, err, sizeof err), -1);
    cr_expect(strstr(err, "unknown format \"pdf\""), "%s", err);
}

Test(report, render_rejects_unknown_format_and_non_object)
{
    cJSON *doc = testutil_load("pass.json"), *arr = cJSON_CreateArray();
    char err[256] = "";

    cr_expect_null(report_render(doc, "pdf", err, sizeof err));
    cr_expect(strstr(err, "pdf"), "%s", err);
    err[0] = '\0';
    cr_expect_null(report_render(arr, "html", err, sizeof err));
    cr_expect(strstr(err, "not a JSON object"), "%s", err);
    cJSON_Delete(doc);
    cJSON_Delete(arr);
}

/* ---- writing files ---- */

Test(report, write_creates_parents_and_matches_render, .init = testutil_tmpdir_make, .fini = testutil_tmpdir_remove)
{
    cJSON *doc = testutil_load("fail.json");
    char path[256], err[256];
    const char *fmts[] = {"json", "junit", "md", "tap", "html"};

    for (size_t i = 0; i < 5; i++) {
        char *want = testutil_render(doc, fmts[i]), *got;

        snprintf(path, sizeof path, "%s/a/b/report.%s", testutil_tmpdir, fmts[i]);
        cr_assert_eq(report_write(doc, fmts[i], path, err, sizeof err), 0, "%s", err);
        got = testutil_slurp_path(path);
        cr_expect_str_eq(got, want, "%s file equals its rendering", fmts[i]);
        free(got);
        free(want);
    }
    cJSON_Delete(doc);
}

Test(report, write_through_a_symlink_keeps_the_link, .init = testutil_tmpdir_make, .fini = testutil_tmpdir_remove)
{
    cJSON *doc = testutil_load("pass.json");
    char target[256], link[256], err[256], *got, *want = testutil_render(doc, "tap");
    struct stat st;

    snprintf(target, sizeof target, "%s/real.tap", testutil_tmpdir);
    snprintf(link, sizeof link, "%s/link.tap", testutil_tmpdir);
    cr_assert_eq(symlink(target, link), 0);
    cr_assert_eq(report_write(doc, "tap", link, err, sizeof err), 0, "%s", err);
    cr_assert_eq(lstat(link, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "the symlink is still a symlink");
    got = testutil_slurp_path(target);
    cr_expect_str_eq(got, want);
    free(got);
    free(want);
    cJSON_Delete(doc);
}

Test(report, write_reports_an_unwritable_path, .init = testutil_tmpdir_make, .fini = testutil_tmpdir_remove)
{
    cJSON *doc = testutil_load("pass.json");
    char file[256], path[300], err[512] = "";
    FILE *f;

    snprintf(file, sizeof file, "%s/plain", testutil_tmpdir);
    f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/sub/report.json", file);
    cr_expect_eq(report_write(doc, "json", path, err, sizeof err), -1);
    cr_expect(strstr(err, file), "the message names the path: %s", err);
    cJSON_Delete(doc);
}

/* ---- escapers ---- */

Test(report_fmt, xml_escapes_markup_and_replaces_invalid_characters)
{
    char *s = esc_with(xml_text, "a<b>&\"'");

    cr_expect_str_eq(s, "a&lt;b&gt;&amp;\"'");
    free(s);
    s = esc_with(xml_attr, "a\"b'c\nd\te");
    cr_expect_str_eq(s, "a&quot;b&#39;c&#10;d&#9;e");
    free(s);
    /* control characters, DEL, a lone continuation byte, a truncated
     * sequence, an overlong '/', a surrogate, U+FFFE */
    s = esc_with(xml_text, "x\x01y\x1b\x7f|\x80|\xc3|\xc0\xaf|\xed\xa0\x80|\xef\xbf\xbe.");
    cr_expect_str_eq(s, "x\\u0001y\\u001b\\u007f|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd"
                        "\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\\ufffe.");
    free(s);
    s = esc_with(xml_text, "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x9a\x80 a\r\nb");
    cr_expect_str_eq(s, "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x9a\x80 a\nb", "valid UTF-8 kept, CRLF read as LF");
    free(s);
}

Test(report_fmt, html_escapes_quotes)
{
    char *s = esc_with(report_fmt_html, "</script><a href='x'>\"&amp;");

    cr_expect_str_eq(s, "&lt;/script&gt;&lt;a href=&#39;x&#39;&gt;&quot;&amp;amp;");
    free(s);
}

Test(report_fmt, md_inline_is_literal)
{
    char *s = esc_with(report_fmt_md, "a|b *c* _d_ `e` <f> [g] & #h\nnext");

    cr_expect_str_eq(s, "a\\|b \\*c\\* \\_d\\_ \\`e\\` \\<f\\> \\[g\\] \\& \\#h next");
    free(s);
}

Test(report_fmt, md_code_fence_outlasts_backticks)
{
    struct strbuf b;
    char *s;

    strbuf_init(&b);
    report_fmt_md_code(&b, "diff", "a ````` b");
    s = strbuf_take(&b);
    cr_expect_str_eq(s, "``````diff\na ````` b\n``````\n");
    free(s);
    strbuf_init(&b);
    report_fmt_md_code(&b, "", "x\n");
    s = strbuf_take(&b);
    cr_expect_str_eq(s, "```\nx\n```\n");
    free(s);
}

Test(report_fmt, yaml_tap_and_json_strings)
{
    char *s = esc_with(report_fmt_yaml_str, "say \"hi\"\\\n\t\x02");

    cr_expect_str_eq(s, "\"say \\\"hi\\\"\\\\\\n\\t\\\\u0002\"");
    free(s);
    s = esc_with(report_fmt_tap, "a # b \\ c\nd");
    cr_expect_str_eq(s, "a \\# b \\\\ c d");
    free(s);
    s = esc_with(report_fmt_json_str, "q\"\\\n\x01\xff\xc3\xa9");
    cr_expect_str_eq(s, "\"q\\\"\\\\\\n\\u0001\xef\xbf\xbd\xc3\xa9\"");
    free(s);
}

Test(report_fmt, printf_grows_and_seconds)
{
    struct strbuf b;
    char *s;

    strbuf_init(&b);
    for (int i = 0; i < 1000; i++)
        strbuf_printf(&b, "%04d", i);
    cr_expect_eq(b.len, 4000);
    strbuf_free(&b);
    strbuf_init(&b);
    report_fmt_seconds(&b, 1534.75);
    strbuf_puts(&b, " ");
    report_fmt_seconds(&b, -1);
    s = strbuf_take(&b);
    cr_expect_str_eq(s, "1.535 0.000");
    free(s);
    strbuf_free(NULL);
}

/* ---- reading reports ---- */

Test(report_doc, counts_and_areas)
{
    cJSON *doc = testutil_load("fail.json");
    struct status_tally n;
    struct report_doc_area *a;
    size_t na;

    report_doc_count(doc, &n);
    cr_expect_eq(n.total, 8);
    cr_expect_eq(n.n[STATUS_PASSED], 2);
    cr_expect_eq(n.n[STATUS_FAILED], 2);
    cr_expect_eq(n.n[STATUS_WARNED], 1);
    cr_expect_eq(n.n[STATUS_SKIPPED], 1);
    cr_expect_eq(n.n[STATUS_XFAIL], 1);
    cr_expect_eq(n.n[STATUS_XPASS], 1);
    cr_expect(report_doc_failed(doc));
    a = report_doc_areas(doc, &na);
    cr_assert_eq(na, 4);
    cr_expect_str_eq(a[0].name, "HLT");
    cr_expect_str_eq(a[1].name, "ENV");
    cr_expect_eq(a[1].counts.total, 3);
    cr_expect_eq(a[1].counts.n[STATUS_FAILED], 2);
    cr_expect_str_eq(a[2].name, "CALL");
    cr_expect_str_eq(a[3].name, "AUTH");
    free(a);
    cJSON_Delete(doc);
    doc = testutil_load("pass.json");
    cr_expect_not(report_doc_failed(doc));
    cJSON_Delete(doc);
}

Test(report_doc, case_fails_requirement)
{
    cJSON *c = cJSON_Parse("{\"status\":\"failed\",\"requirements\":[\"ENV-6\"],"
                           "\"failures\":[{\"requirement\":\"ENV-6\"},{\"requirement\":\"ENV-1\"}]}");
    cJSON *plain = cJSON_Parse("{\"status\":\"failed\",\"requirements\":[\"A-1\",\"A-2\"]}");
    cJSON *other = cJSON_Parse("{\"status\":\"xfail\",\"requirements\":[\"A-1\"],"
                               "\"failures\":[{\"requirement\":\"ENV-1\"}]}");
    cJSON *xpass = cJSON_Parse("{\"status\":\"xpass\",\"requirements\":[\"A-1\"]}");
    cJSON *pass = cJSON_Parse("{\"status\":\"passed\",\"requirements\":[\"A-1\"]}");

    cr_expect(report_doc_case_fails_req(c, "ENV-6"));
    cr_expect(report_doc_case_fails_req(c, "ENV-1"), "a run-wide check names its own id");
    cr_expect_not(report_doc_case_fails_req(c, "ENV-5"));
    cr_expect(report_doc_case_fails_req(plain, "A-2"), "every requirement the case checks");
    cr_expect(report_doc_case_fails_req(other, "A-1"), "a failed case counts against its own ids");
    cr_expect(report_doc_case_fails_req(other, "ENV-1"));
    cJSON_Delete(other);
    cr_expect_not(report_doc_case_fails_req(xpass, "A-1"));
    cr_expect_not(report_doc_case_fails_req(pass, "A-1"));
    cJSON_Delete(c);
    cJSON_Delete(plain);
    cJSON_Delete(xpass);
    cJSON_Delete(pass);
}

Test(report_doc, req_area)
{
    char a[8];

    report_doc_req_area("SCOPE-5", a, sizeof a);
    cr_expect_str_eq(a, "SCOPE");
    report_doc_req_area("VERYLONGAREA-1", a, sizeof a);
    cr_expect_str_eq(a, "VERYLON");
}

Test(report_doc, load_names_the_file_and_the_problem, .init = testutil_tmpdir_make, .fini = testutil_tmpdir_remove)
{
    static const struct { const char *text, *want; } bad[] = {
        {"", "empty"},
        {"{\"format\":", "not JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"version\":1}", "\"format\" is missing"},
        {"{\"format\":\"junit\",\"version\":1}", "\"format\" is \"junit\""},
        {"{\"format\":\"afi-conformance-report\",\"version\":2,\"suites\":[],\"requirements\":[]}",
         "version 2 is not supported"},
        {"{\"format\":\"afi-conformance-report\",\"version\":1,\"requirements\":[]}",
         "\"suites\" is missing"},
        {"{\"format\":\"afi-conformance-report\",\"version\":1,\"suites\":[]}",
         "\"requirements\" is missing"},
    };
    char path[256], err[512];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f;

        snprintf(path, sizeof path, "%s/bad%zu.json", testutil_tmpdir, i);
        f = fopen(path, "w");
        fputs(bad[i].text, f);
        fclose(f);
        err[0] = '\0';
        cr_expect_null(report_doc_load(path, err, sizeof err), "%s", bad[i].text);
        cr_expect(strstr(err, path), "names the file: %s", err);
        cr_expect(strstr(err, bad[i].want), "says %s: %s", bad[i].want, err);
    }
    snprintf(path, sizeof path, "%s/absent.json", testutil_tmpdir);
    cr_expect_null(report_doc_load(path, err, sizeof err));
    cr_expect(strstr(err, "cannot open") && strstr(err, path), "%s", err);
}

/* Every format survives a report with missing, mistyped and junk members. */
Test(report, sparse_and_empty_reports_render_in_every_format)
{
    const char *fmts[] = {"json", "junit", "md", "tap", "html"};
    cJSON *sparse = testutil_load("sparse.json"), *empty = cJSON_CreateObject();

    for (size_t i = 0; i < 5; i++) {
        char *s = testutil_render(sparse, fmts[i]), *e = testutil_render(empty, fmts[i]);

        cr_expect_gt(strlen(s), 0);
        cr_expect_gt(strlen(e), 0);
        free(s);
        free(e);
    }
    cJSON_Delete(sparse);
    cJSON_Delete(empty);
}

Test(report, shard_is_shown_in_every_summary)
{
    cJSON *doc = testutil_load("pass.json");
    char *md, *tap, *xml, *html;

    cJSON_AddStringToObject(doc, "shard", "2/3");
    md = testutil_render(doc, "md");
    tap = testutil_render(doc, "tap");
    xml = testutil_render(doc, "junit");
    html = testutil_render(doc, "html");
    cr_expect(strstr(md, " · shard 2/3 · "));
    cr_expect(strstr(tap, "level core, shard 2/3\n"));
    cr_expect(strstr(xml, "<property name=\"shard\" value=\"2/3\"/>"));
    cr_expect(strstr(html, " · shard <b>2/3</b>"));
    free(md);
    free(tap);
    free(xml);
    free(html);
    cJSON_Delete(doc);
}

/* ---- json ---- */

Test(report_json, round_trips_and_is_stable)
{
    cJSON *doc = testutil_load("fail.json"), *back;
    char *a = testutil_render(doc, "json"), *b = testutil_render(doc, "json");

    cr_expect_str_eq(a, b);
    back = cJSON_Parse(a);
    cr_assert_not_null(back, "the JSON report parses");
    cr_expect(cJSON_Compare(doc, back, 1), "and equals the tree it came from");
    cr_expect(starts(a, "{\n  \"format\": \"afi-conformance-report\",\n  \"version\": 1,\n"),
              "two-space indentation, keys in order: %.60s", a);
    cr_expect_eq(a[strlen(a) - 1], '\n');
    cr_expect(strstr(a, "\"tags\": [],"), "empty arrays stay on one line");
    cJSON_Delete(back);
    cJSON_Delete(doc);
    free(a);
    free(b);
}

Test(report_json, invalid_utf8_becomes_replacement_characters)
{
    cJSON *doc = cJSON_CreateObject(), *back;
    char *s;

    cJSON_AddStringToObject(doc, "body", "ok\xff\xfe\x01");
    s = testutil_render(doc, "json");
    cr_expect_null(strchr(s, '\xff'));
    back = cJSON_Parse(s);
    cr_assert_not_null(back);
    cr_expect_str_eq(cJSON_GetObjectItem(back, "body")->valuestring,
                     "ok\xef\xbf\xbd\xef\xbf\xbd\x01");
    cJSON_Delete(back);
    cJSON_Delete(doc);
    free(s);
}

/* ---- markdown ---- */

/* Counts the unescaped | of a Markdown line. */
static int pipes(const char *line, size_t len)
{
    int n = 0;

    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\\') {
            i++;
            continue;
        }
        n += line[i] == '|';
    }
    return n;
}

/* Outside fenced code blocks: every table row has its header's number of
 * cells, and the only raw HTML tags are the ones the writer emits. */
static void check_md(const char *md)
{
    static const char *const tags[] = {"<code>", "</code>", "<details>", "</details>",
                                       "<summary>", "</summary>"};
    int in_fence = 0, header_pipes = -1;
    const char *line = md;

    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);

        if (len >= 3 && strncmp(line, "```", 3) == 0) {
            in_fence = !in_fence;
        } else if (!in_fence) {
            if (len && line[0] == '|') {
                if (header_pipes < 0)
                    header_pipes = pipes(line, len);
                cr_expect_eq(pipes(line, len), header_pipes, "row: %.*s", (int)len, line);
            } else {
                header_pipes = -1;
            }
            for (size_t i = 0; i < len; i++) {
                int ok = 0;

                if (line[i] == '\\') {
                    i++;
                    continue;
                }
                if (line[i] != '<')
                    continue;
                for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++)
                    ok |= strncmp(line + i, tags[t], strlen(tags[t])) == 0;
                cr_expect(ok, "raw tag in: %.*s", (int)len, line);
            }
        }
        line += len + (nl ? 1 : 0);
    }
    cr_expect_not(in_fence, "every fence is closed");
}

Test(report_md, failing_report)
{
    cJSON *doc = testutil_load("fail.json");
    char *md = testutil_render(doc, "md");

    check_md(md);
    cr_expect(starts(md, "## ❌ AFI conformance: fastapi-port \\<b\\>\\&amp;\\</b\\> failed\n"),
              "%.80s", md);
    cr_expect(strstr(md, "**8 cases:** 2 passed · 2 failed · 1 warned · 1 skipped · "
                         "1 expected failures · 1 unexpected passes"));
    cr_expect(strstr(md, "| area | cases | passed | failed | warned | skipped | xfail | xpass |"));
    cr_expect(strstr(md, "| ❌ ENV | 3 | 0 | 2 | 0 | 0 | 1 | 0 |"));
    cr_expect(strstr(md, "| **ENV-5** | ❌ failed | Any other path under the base is 404 not\\_found | "
                         "<code>env.unknown-path</code>, <code>env.trailing-slash</code> |"));
    cr_expect(strstr(md, "### Failures (3)"));
    cr_expect(strstr(md, "#### ❌ <code>env.unknown-path</code>"));
    cr_expect(strstr(md, "- **ENV-6** A known path with a wrong method is 405 with an Allow header"));
    cr_expect(strstr(md, "```diff\n@@ $.error.code @@\n- \"not_found\"\n+ \"unknown\"\n"));
    cr_expect(strstr(md, "```sh\ncurl -sS -i -X GET 'http://127.0.0.1:40124/afi/nope'\n```"));
    cr_expect_eq(testutil_count(md, "<details>"), 4, "one collapsed request block per failure with one");
    cr_expect_eq(testutil_count(md, "</details>"), 4);
    cr_expect(strstr(md, "### Warnings"));
    cr_expect(strstr(md, "### Expected failures (1)"));
    cr_expect(strstr(md, "Untested: AUTH-6"));
    /* passing cases are counted, never listed */
    cr_expect_null(strstr(md, "health.ok"));
    cr_expect_null(strstr(md, "call.echo"));
    free(md);
    cJSON_Delete(doc);
}

Test(report_md, passing_report)
{
    cJSON *doc = testutil_load("pass.json");
    char *md = testutil_render(doc, "md");

    check_md(md);
    cr_expect(starts(md, "## ✅ AFI conformance: reference passed\n"), "%.50s", md);
    cr_expect_null(strstr(md, "### Failures"));
    cr_expect_null(strstr(md, "<details>"));
    cr_expect_null(strstr(md, "env.unknown-path"));
    free(md);
    cJSON_Delete(doc);
}

/* A long failure list is cut to fit a pull-request comment (65536 characters). */
Test(report_md, many_failures_fit_a_comment)
{
    cJSON *doc = testutil_load("fail.json");
    cJSON *suite = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "suites"), 1);
    cJSON *cases = cJSON_GetObjectItem(suite, "cases");
    cJSON *model = cJSON_GetArrayItem(cases, 0);
    char *md;

    for (int i = 0; i < 150; i++) {
        cJSON *c = cJSON_Duplicate(model, 1);
        char id[32];

        snprintf(id, sizeof id, "env.many-%03d", i);
        cJSON_ReplaceItemInObject(c, "id", cJSON_CreateString(id));
        cJSON_AddItemToArray(cases, c);
    }
    md = testutil_render(doc, "md");
    check_md(md);
    cr_expect_lt(strlen(md), 65536, "%zu characters", strlen(md));
    cr_expect_eq(testutil_count(md, "#### ❌"), 10, "ten failing cases in full");
    cr_expect(strstr(md, "The other 143, briefly:\n\n- <code>env.many-"), "then one line each");
    cr_expect(strstr(md, "- … and 43 more: the HTML and JUnit reports list every one.\n"));
    cr_expect(strstr(md, "<code>env.many-005</code> and 144 more |"), "requirement rows cut too");
    free(md);
    cJSON_Delete(doc);
}

/* ---- tap ---- */

Test(report_tap, plan_points_and_diagnostics)
{
    cJSON *doc = testutil_load("fail.json");
    char *tap = testutil_render(doc, "tap");
    const char *line = tap;
    int next = 1, in_yaml = 0, points = 0;
    static const char *const want[] = {
        "ok 1 - health.ok GET /health answers 200 ok",
        "not ok 2 - env.unknown-path An unknown path is 404 not_found",
        "not ok 3 - env.trailing-slash A trailing slash is another path # TODO expected failure",
        "not ok 4 - env.wrong-method DELETE /health is 405 with Allow",
        "ok 5 - call.echo echo returns its argument",
        "not ok 6 - call.hostile-strings Hostile </script>",
        "not ok 7 - call.listed-but-passes Listed as expected to fail but passes",
        "ok 8 - auth.logout logout revokes only the presented token # SKIP",
    };

    cr_expect(starts(tap, "TAP version 13\n"));
    cr_expect(strstr(tap, "\n1..8\n"));
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);

        for (size_t i = 0; i < len; i++)
            cr_expect((unsigned char)line[i] >= 0x20, "no control characters: %.*s", (int)len, line);
        if (in_yaml) {
            cr_expect(len >= 2 && strncmp(line, "  ", 2) == 0, "YAML indented: %.*s", (int)len, line);
            if (len == 5 && strncmp(line, "  ...", 5) == 0)
                in_yaml = 0;
        } else if (strncmp(line, "ok ", 3) == 0 || strncmp(line, "not ok ", 7) == 0) {
            int n = atoi(line + (line[0] == 'o' ? 3 : 7));

            cr_expect_eq(n, next, "test points numbered in order");
            cr_expect(n >= 1 && n <= 8 && starts(line, want[n - 1]), "%.*s", (int)len, line);
            next++;
            points++;
            if (line[0] == 'n') {
                cr_expect(nl && strncmp(nl + 1, "  ---\n", 6) == 0, "a YAML block follows");
            }
        } else if (strncmp(line, "  ---", 5) == 0 && len == 5) {
            in_yaml = 1;
        } else {
            cr_expect(line[0] == '#' || strncmp(line, "TAP version", 11) == 0 ||
                      strncmp(line, "1..", 3) == 0, "unexpected line: %.*s", (int)len, line);
        }
        line += len + (nl ? 1 : 0);
    }
    cr_expect_eq(points, 8);
    cr_expect_not(in_yaml, "every YAML block ends");
    /* The hostile title's '#' is escaped: the only directive is the warning. */
    cr_expect(strstr(tap, "| pipe \\# hash"));
    cr_expect(strstr(tap, "# TODO warning: a SHOULD case failed"));
    cr_expect(strstr(tap, "  severity: fail\n  status: xpass\n"));
    cr_expect(strstr(tap, "    - requirement: \"ENV-1\"\n      rule: \"Every answer with status >= 400"));
    cr_expect(strstr(tap, "          expected: \"\\\"not_found\\\"\"\n          actual: \"\\\"unknown\\\"\"\n"));
    free(tap);
    cJSON_Delete(doc);
}

Test(report_tap, passing_and_empty)
{
    cJSON *doc = testutil_load("pass.json"), *empty = cJSON_CreateObject();
    char *tap = testutil_render(doc, "tap"), *e = testutil_render(empty, "tap");

    cr_expect(strstr(tap, "\n1..4\nok 1 - health.ok"));
    cr_expect_null(strstr(tap, "not ok"));
    cr_expect_null(strstr(tap, "  ---"));
    cr_expect(strstr(e, "\n1..0 # SKIP"));
    free(tap);
    free(e);
    cJSON_Delete(doc);
    cJSON_Delete(empty);
}
