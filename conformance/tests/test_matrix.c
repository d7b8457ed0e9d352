/* test_matrix.c: `conformance matrix`: options, errors naming the file and
 * the problem, and the Markdown matrix's rows and cells. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "report.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "status.h"
#include "strbuf.h"
#include "testutil.h"

/* A scratch directory, and stdout and stderr captured. */
static void make_tmpdir(void)
{
    testutil_tmpdir_make();
    cr_redirect_stderr();
    cr_redirect_stdout();
}

static char *captured_stderr(void)
{
    fflush(stderr);
    return testutil_slurp(cr_get_redirected_stderr());
}

static char *tmp_file(const char *name, const char *text)
{
    static char path[4][256];
    static int next;
    char *p = path[next++ % 4];
    FILE *f;

    snprintf(p, sizeof path[0], "%s/%s", testutil_tmpdir, name);
    f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static int run(int argc, char **argv)
{
    return matrix_main(argc, argv);
}

Test(matrix, help_documents_usage, .init = make_tmpdir, .fini = testutil_tmpdir_remove)
{
    char *argv[] = {"matrix", "--help", NULL};
    char *out;

    cr_assert_eq(run(2, argv), 0);
    fflush(stdout);
    out = testutil_slurp(cr_get_redirected_stdout());
    cr_expect(strstr(out, "usage: conformance matrix REPORT.json... --html OUT [--md OUT]"));
    cr_expect(strstr(out, "--md OUT"));
    cr_expect(strstr(out, "exit status"));
    free(out);
}

Test(matrix, usage_errors_exit_2, .init = make_tmpdir, .fini = testutil_tmpdir_remove)
{
    char *no_reports[] = {"matrix", "--html", "x.html", NULL};
    char *no_output[] = {"matrix", (char *)testutil_data_path("pass.json"), NULL};
    char *dangling[] = {"matrix", (char *)testutil_data_path("pass.json"), "--md", NULL};
    char *unknown[] = {"matrix", (char *)testutil_data_path("pass.json"), "--pdf", "x", NULL};
    char *err;

    cr_expect_eq(run(3, no_reports), 2);
    cr_expect_eq(run(2, no_output), 2);
    cr_expect_eq(run(3, dangling), 2);
    cr_expect_eq(run(4, unknown), 2);
    err = captured_stderr();
    cr_expect(strstr(err, "no report given"), "%s", err);
    cr_expect(strstr(err, "nothing to write"), "%s", err);
    cr_expect(strstr(err, "--md needs a file name"), "%s", err);
    cr_expect(strstr(err, "unknown option --pdf"), "%s", err);
    free(err);
}

Test(matrix, unreadable_or_wrong_reports_name_the_file, .init = make_tmpdir, .fini = testutil_tmpdir_remove)
{
    static const struct { const char *text, *want; } bad[] = {
        {"{not json", "not JSON"},
        {"{\"format\":\"afi-conformance-report\",\"version\":3,\"suites\":[],\"requirements\":[]}",
         "version 3 is not supported"},
        {"{\"testsuites\":[]}", "\"format\" is missing"},
    };
    char out[300], *err;

    snprintf(out, sizeof out, "%s/out.html", testutil_tmpdir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[32];
        char *path;

        snprintf(name, sizeof name, "bad%zu.json", i);
        path = tmp_file(name, bad[i].text);
        {
            char *argv[] = {"matrix", (char *)testutil_data_path("pass.json"), path, "--html", out, NULL};

            cr_expect_eq(run(5, argv), 2, "%s", bad[i].text);
        }
    }
    {
        char missing[300];
        char *argv[] = {"matrix", missing, "--html", out, NULL};

        snprintf(missing, sizeof missing, "%s/missing.json", testutil_tmpdir);
        cr_expect_eq(run(4, argv), 2);
    }
    err = captured_stderr();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[512];

        snprintf(line, sizeof line, "conformance matrix: %s/bad%zu.json: ", testutil_tmpdir, i);
        cr_expect(strstr(err, line), "names the file: %s", err);
        cr_expect(strstr(err, bad[i].want), "says %s: %s", bad[i].want, err);
    }
    cr_expect(strstr(err, "missing.json: cannot open: No such file or directory"), "%s", err);
    cr_expect_null(fopen(out, "r"), "nothing written on error");
    free(err);
}

Test(matrix, markdown_rows_and_cells, .init = make_tmpdir, .fini = testutil_tmpdir_remove)
{
    char md[300], html[300];
    char *argv[] = {"matrix", (char *)testutil_data_path("pass.json"), (char *)testutil_data_path("fail.json"),
                    (char *)testutil_data_path("pass.json"), "--md", md, "--html", html, NULL};
    char *text, *env1, *env5, *env6;

    snprintf(md, sizeof md, "%s/matrix.md", testutil_tmpdir);
    snprintf(html, sizeof html, "%s/matrix.html", testutil_tmpdir);
    cr_assert_eq(run(8, argv), 0);
    text = testutil_slurp_path(md);
    cr_expect(strstr(text, "| requirement | reference | fastapi-port \\<b\\>\\&amp;\\</b\\> | "
                           "reference ("), "columns by implementation label, duplicates told "
                                           "apart: %.300s", text);
    cr_expect(strstr(text, "| **cases** | ✅ 4/4 passed | ❌ 2/8 passed, 3 failed |"));
    cr_expect(strstr(text, "| **ENV** | | | |\n"), "area heading row");
    cr_expect(strstr(text, "| **ENV-5** Any other path under the base is 404 not\\_found | ✅ passed 2/2 "
                           "| ❌ failed 0/2: <code>env.unknown-path</code>, "
                           "<code>env.trailing-slash</code> | ✅ passed 2/2 |"), "%s", text);
    cr_expect(strstr(text, "| **CALL-1** POST /call/{name} dispatches to the function of that exact "
                           "name | ➖ untested | ✅ passed 1/2 | ➖ untested |"),
              "an unexpected pass is not a requirement failure");
    cr_expect(strstr(text, "| ⚠️ warned 0/1: <code>call.hostile-strings</code> |"));
    /* rows sorted by number within an area, whichever report named them first */
    env1 = strstr(text, "| **ENV-1**");
    env5 = strstr(text, "| **ENV-5**");
    env6 = strstr(text, "| **ENV-6**");
    cr_assert(env1 && env5 && env6);
    cr_expect(env1 < env5 && env5 < env6);
    free(text);
    text = testutil_slurp_path(html);
    cr_expect(strstr(text, "<!DOCTYPE html>"));
    free(text);
}
