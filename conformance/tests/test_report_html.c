/* test_report_html.c: the HTML page's structure (balanced tags, nothing
 * external, failures inside <details>, passes collapsed), its escaping, and
 * the matrix page through the same checker. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "matrix.h"
#include "report.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "status.h"
#include "strbuf.h"
#include "testutil.h"

/* What the checker learned about a page. */
struct page {
    struct strbuf outside;      /* text outside every <details> */
    int details, tags;
};

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3 : -1;

        if (n < 0)
            return 0;
        for (int i = 1; i <= n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        p += n + 1;
    }
    return 1;
}

/* Walks the page as the writer emits it (every '<' in it starts a tag, as
 * text is escaped): tags are known and balanced, attributes are quoted, no
 * src and only in-page href, no control characters. */
static void check_page(const char *html, struct page *pg)
{
    static const char *const known[] = {
        "html", "head", "meta", "title", "style", "body", "header", "nav", "main", "section",
        "footer", "h1", "h2", "h3", "h4", "p", "div", "span", "b", "small", "code", "pre",
        "table", "tr", "th", "td", "details", "summary", "a", "ul", "li", "br",
    };
    const char *stack[64];
    int depth = 0, details = 0;
    const char *p = html;

    memset(pg, 0, sizeof *pg);
    strbuf_init(&pg->outside);
    cr_assert(strncmp(html, "<!DOCTYPE html>\n", 16) == 0);
    cr_expect(valid_utf8(html), "the page is valid UTF-8");
    p += 16;
    while (*p) {
        char name[16];
        size_t n = 0;
        int closing, known_tag = 0;
        const char *end;

        cr_assert((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t',
                  "control character 0x%02x at offset %ld", (unsigned char)*p, (long)(p - html));
        if (*p != '<') {
            if (!details)
                strbuf_putn(&pg->outside, p, 1);
            p++;
            continue;
        }
        closing = p[1] == '/';
        for (const char *q = p + 1 + closing; *q >= 'a' && *q <= 'z' ? 1 : (*q >= '0' && *q <= '9');
             q++)
            if (n < sizeof name - 1)
                name[n++] = *q;
        name[n] = '\0';
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            known_tag |= strcmp(name, known[i]) == 0;
        cr_assert(known_tag, "unknown or raw tag at offset %ld: %.40s", (long)(p - html), p);
        end = strchr(p, '>');
        cr_assert_not_null(end);
        /* attributes: no src, href only to an anchor of the page */
        for (const char *a = p; a < end; a++) {
            if (*a == '"') {
                a = strchr(a + 1, '"');
                cr_assert(a && a < end, "attribute value closed: %.60s", p);
                continue;
            }
            cr_assert(strncasecmp(a, "src=", 4) != 0, "no src: %.60s", p);
            if (strncasecmp(a, "href=", 5) == 0)
                cr_assert(a[5] == '"' && a[6] == '#', "href to this page only: %.60s", p);
            if (*a == '=')
                cr_assert(a[1] == '"', "attribute quoted: %.60s", p);
        }
        pg->tags++;
        if (closing) {
            cr_assert_gt(depth, 0, "close without open: %s", name);
            cr_assert_str_eq(stack[depth - 1], name, "</%s> closes <%s>", name, stack[depth - 1]);
            depth--;
            if (strcmp(name, "details") == 0)
                details--;
        } else if (strcmp(name, "meta") != 0 && strcmp(name, "br") != 0) {
            cr_assert_lt(depth, 64);
            for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
                if (strcmp(name, known[i]) == 0)
                    stack[depth++] = known[i];
            if (strcmp(name, "details") == 0) {
                details++;
                pg->details++;
            }
            if (strcmp(name, "style") == 0) {
                end = strstr(end, "</style>");
                cr_assert_not_null(end);
                for (const char *c = p; c < end; c++)
                    cr_assert(strncasecmp(c, "url(", 4) && strncasecmp(c, "@import", 7),
                              "no external stylesheet resources");
                p = end;
                continue;
            }
        }
        p = end + 1;
    }
    cr_expect_eq(depth, 0, "every element is closed");
}

static void html_escaped(struct strbuf *b, const char *s)
{
    strbuf_init(b);
    report_fmt_html(b, s);
}

Test(report_html, failing_report_structure)
{
    cJSON *doc = testutil_load("fail.json"), *suite, *c, *f;
    char *html = testutil_render(doc, "html");
    struct page pg;
    const char *fails, *areas, *reqs, *cases;

    check_page(html, &pg);
    for (const char *q = html; *q; q++)
        cr_assert(strncasecmp(q, "<script", 7) != 0, "no script element");
    cr_expect_null(strstr(html, "</script>"), "hostile text is escaped");
    cr_expect(strstr(html, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    cr_expect(strstr(html, "AFI conformance: fastapi-port &lt;b&gt;&amp;amp;&lt;/b&gt; "
                           "<span class=\"verdict fail\">FAILED</span>"));
    cr_expect(strstr(pg.outside.data, "http://127.0.0.1:40124/afi"), "the target as text");
    cr_expect(strstr(html, "<div class=\"card failed\"><b>2</b>failed</div>"));
    /* failures come first; the tables after them */
    fails = strstr(html, "<section id=\"failures\">");
    areas = strstr(html, "<section id=\"areas\">");
    reqs = strstr(html, "<section id=\"requirements\">");
    cases = strstr(html, "<section id=\"cases\">");
    cr_assert(fails && areas && reqs && cases);
    cr_expect(fails < areas && areas < reqs && reqs < cases);
    /* every non-passing case is a <details>, and its failures are only in it */
    cJSON_ArrayForEach(suite, cJSON_GetObjectItem(doc, "suites"))
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(suite, "cases")) {
            const char *st = cJSON_GetObjectItem(c, "status")->valuestring;
            const char *id = cJSON_GetObjectItem(c, "id")->valuestring;
            char want[256];

            if (strcmp(st, "passed") == 0 || strcmp(st, "skipped") == 0) {
                cr_expect_null(strstr(pg.outside.data, id), "passing %s is collapsed", id);
                continue;
            }
            snprintf(want, sizeof want, "<details class=\"case %s\" id=\"case-%s\">", st, id);
            cr_expect(strstr(html, want), "%s", want);
            cJSON_ArrayForEach(f, cJSON_GetObjectItem(c, "failures")) {
                struct strbuf m;
                char *nl;

                html_escaped(&m, cJSON_GetObjectItem(f, "message")->valuestring);
                if ((nl = strchr(m.data, '\n')))
                    *nl = '\0';
                cr_expect(strstr(html, m.data), "message of %s shown", id);
                cr_expect_null(strstr(pg.outside.data, m.data), "message of %s only in <details>", id);
                strbuf_free(&m);
            }
        }
    /* a failure shows request, expected, actual, diff and curl */
    cr_expect(strstr(html, "<tr><td><code>$.error.code</code></td><td><code>&quot;not_found&quot;"
                           "</code></td><td><code>&quot;unknown&quot;</code></td></tr>"));
    cr_expect(strstr(html, "<pre class=\"request\">GET http://127.0.0.1:40124/afi/nope\n"
                           "accept: application/json\n</pre>"));
    cr_expect(strstr(html, "<pre class=\"response\">HTTP 404\n"));
    cr_expect(strstr(html, "<pre class=\"curl\">curl -sS -i -X GET &#39;http://127.0.0.1:40124/afi/nope&#39;</pre>"));
    /* the per-requirement table links failing cases */
    cr_expect(strstr(html, "<a href=\"#case-env.unknown-path\"><code>env.unknown-path</code></a>, "
                           "<a href=\"#case-env.trailing-slash\">"));
    cr_expect(strstr(html, "<td><span class=\"st untested\">untested</span></td>"));
    strbuf_free(&pg.outside);
    free(html);
    cJSON_Delete(doc);
}

Test(report_html, passing_report)
{
    cJSON *doc = testutil_load("pass.json");
    char *html = testutil_render(doc, "html");
    struct page pg;

    check_page(html, &pg);
    cr_expect(strstr(html, "<span class=\"verdict pass\">PASSED</span>"));
    cr_expect(strstr(html, "<p>No case failed.</p>"));
    cr_expect_eq(pg.details, 2, "only the two suites, collapsed");
    cr_expect_null(strstr(pg.outside.data, "env.unknown-path"));
    strbuf_free(&pg.outside);
    free(html);
    cJSON_Delete(doc);
}

Test(report_html, sparse_empty_and_hostile_reports)
{
    cJSON *sparse = testutil_load("sparse.json"), *empty = cJSON_CreateObject(), *hostile = testutil_load("fail.json");
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
                                      cJSON_GetObjectItem(hostile, "suites"), 1), "cases"), 0);
    char *html;
    struct page pg;

    cJSON_ReplaceItemInObject(c, "id", cJSON_CreateString("x\"><b>\xff\x01</details>"));
    cJSON_ReplaceItemInObject(hostile, "target", cJSON_CreateString("javascript:alert(1)<a href=\"http://x\">"));
    html = testutil_render(sparse, "html");
    check_page(html, &pg);
    strbuf_free(&pg.outside);
    free(html);
    html = testutil_render(empty, "html");
    check_page(html, &pg);
    strbuf_free(&pg.outside);
    free(html);
    html = testutil_render(hostile, "html");
    check_page(html, &pg);
    cr_expect(strstr(html, "id=\"case-x&quot;&gt;&lt;b&gt;\xef\xbf\xbd\\u0001&lt;/details&gt;\""));
    strbuf_free(&pg.outside);
    free(html);
    cJSON_Delete(sparse);
    cJSON_Delete(empty);
    cJSON_Delete(hostile);
}

/* ---- the matrix page ---- */

Test(matrix_html, page_structure, .init = testutil_tmpdir_make, .fini = testutil_tmpdir_remove)
{
    char out[128], pass[4096], fail[4096];
    char *argv[] = {"matrix", pass, fail, "--html", out, NULL};
    char *html;
    struct page pg;

    snprintf(out, sizeof out, "%s/m/matrix.html", testutil_tmpdir);
    snprintf(pass, sizeof pass, "%s", testutil_data_path("pass.json"));
    snprintf(fail, sizeof fail, "%s", testutil_data_path("fail.json"));
    cr_assert_eq(matrix_main(5, argv), 0);
    html = testutil_slurp_path(out);
    check_page(html, &pg);
    cr_expect(strstr(html, "<th class=\"impl\""));
    cr_expect(strstr(html, ">reference<small>"));
    cr_expect(strstr(html, ">fastapi-port &lt;b&gt;&amp;amp;&lt;/b&gt;<small>"));
    cr_expect(strstr(html, "<tr class=\"area\"><th colspan=\"4\">ENV</th></tr>"));
    cr_expect(strstr(html, "<tr><td><b>ENV-5</b></td><td class=\"rule\">Any other path under the "
                           "base is 404 not_found</td><td class=\"cell passed\">passed 2/2</td>"
                           "<td class=\"cell failed\"><details><summary>failed 0/2</summary><ul>"
                           "<li><code>env.unknown-path</code> failed: "));
    cr_expect(strstr(pg.outside.data, "env.unknown-path") == NULL, "failing ids are expandable");
    strbuf_free(&pg.outside);
    free(html);
}
