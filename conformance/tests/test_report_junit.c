/* test_report_junit.c: the JUnit writer, validated with xmllint against the
 * two schemas CI systems use (the Ant schema of windyroad/JUnit-Schema and
 * Jenkins' junit-10.xsd, both in tests/data), plus its structure. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "status.h"
#include "strbuf.h"
#include "testutil.h"

/* Runs xmllint on text against the schema xsd; returns its exit status and
 * leaves its complaints in msg. */
static int xmllint(const char *text, const char *xsd, char *msg, size_t msglen)
{
    char xml[] = "/tmp/afi-junit-XXXXXX", log[64], cmd[8192];
    int fd = mkstemp(xml), status;
    FILE *f;
    size_t n;

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    snprintf(log, sizeof log, "%s.log", xml);
    snprintf(cmd, sizeof cmd, "xmllint --noout --nonet --schema '%s' '%s' 2>'%s'",
             testutil_data_path(xsd), xml, log);
    status = system(cmd);
    f = fopen(log, "r");
    n = f ? fread(msg, 1, msglen - 1, f) : 0;
    msg[n] = '\0';
    if (f)
        fclose(f);
    unlink(log);
    unlink(xml);
    cr_assert(WIFEXITED(status), "xmllint ran");
    return WEXITSTATUS(status);
}

static void expect_valid(const char *xml, const char *what)
{
    char msg[4096];

    cr_expect_eq(xmllint(xml, "JUnit.xsd", msg, sizeof msg), 0, "%s vs JUnit.xsd: %s", what, msg);
    cr_expect_eq(xmllint(xml, "junit-10.xsd", msg, sizeof msg), 0, "%s vs junit-10.xsd: %s",
                 what, msg);
}

/* The validation itself can fail: documents each schema rejects. */
Test(report_junit, schemas_reject_invalid_documents)
{
    char msg[4096];

    cr_expect_neq(xmllint("<testsuites><testsuite name=\"x\"/></testsuites>", "JUnit.xsd",
                          msg, sizeof msg), 0, "Ant schema wants tests, failures, ...");
    cr_expect_neq(xmllint("<testsuites><testcase name=\"x\"/></testsuites>", "junit-10.xsd",
                          msg, sizeof msg), 0, "Jenkins schema: testcase under testsuites");
    cr_expect_neq(xmllint("<testsuites><testsuite>\x01</testsuite></testsuites>", "junit-10.xsd",
                          msg, sizeof msg), 0, "a control character is not XML");
}

Test(report_junit, sample_reports_validate)
{
    const char *names[] = {"pass.json", "fail.json", "sparse.json"};

    for (size_t i = 0; i < 3; i++) {
        cJSON *doc = testutil_load(names[i]);
        char *xml = testutil_render(doc, "junit");

        expect_valid(xml, names[i]);
        free(xml);
        cJSON_Delete(doc);
    }
}

Test(report_junit, empty_report_validates)
{
    cJSON *doc = cJSON_CreateObject();
    char *xml = testutil_render(doc, "junit");

    expect_valid(xml, "{}");
    cr_expect(strstr(xml, "<testsuites>\n</testsuites>\n"));
    free(xml);
    cJSON_Delete(doc);
}

/* Invalid UTF-8, every C0 control, DEL, U+FFFE/U+FFFF and CDATA and tag
 * breakers in the strings a target controls. */
Test(report_junit, hostile_strings_still_validate)
{
    cJSON *doc = testutil_load("fail.json");
    cJSON *suite = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "suites"), 1);
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(suite, "cases"), 0);
    cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "failures"), 0);
    cJSON *resp = cJSON_GetObjectItem(f, "response");
    char nasty[200], *xml;
    int n = 0;

    for (int ch = 1; ch < 0x20; ch++)
        nasty[n++] = (char)ch;
    strcpy(nasty + n, "\x7f\xff\xfe\xc3(\xef\xbf\xbe\xef\xbf\xbf]]></failure><![CDATA[&#0;\"'");
    cJSON_ReplaceItemInObject(c, "title", cJSON_CreateString(nasty));
    cJSON_ReplaceItemInObject(c, "id", cJSON_CreateString(nasty));
    cJSON_ReplaceItemInObject(f, "message", cJSON_CreateString(nasty));
    cJSON_ReplaceItemInObject(f, "requirement", cJSON_CreateString(nasty));
    cJSON_ReplaceItemInObject(resp, "body", cJSON_CreateString(nasty));
    cJSON_ReplaceItemInObject(suite, "suite", cJSON_CreateString(nasty));
    cJSON_ReplaceItemInObject(doc, "implementation", cJSON_CreateString(nasty));
    xml = testutil_render(doc, "junit");
    expect_valid(xml, "hostile");
    cr_expect_null(strstr(xml, "]]>"), "> is always escaped");
    cr_expect_null(strstr(xml, "<![CDATA["));
    cr_expect(strstr(xml, "\\u0001\\u0002"), "controls become visible text");
    free(xml);
    cJSON_Delete(doc);
}

Test(report_junit, structure_of_the_failing_report)
{
    cJSON *doc = testutil_load("fail.json");
    char *xml = testutil_render(doc, "junit");

    cr_expect_eq(testutil_count(xml, "<testsuite "), 4, "one testsuite per suite file");
    cr_expect_eq(testutil_count(xml, "<testcase "), 8, "one testcase per case");
    cr_expect_eq(testutil_count(xml, "<failure "), 3, "failed twice, xpass once");
    cr_expect_eq(testutil_count(xml, "<skipped "), 2, "skipped and xfail");
    cr_expect(strstr(xml, "<testsuite name=\"envelope\" package=\"afi\" id=\"1\" tests=\"3\" "
                          "failures=\"2\" errors=\"0\" skipped=\"1\" time=\"0.005\" "
                          "timestamp=\"2026-11-21T18:05:00\" hostname=\"127.0.0.1\">"), "%s", xml);
    cr_expect(strstr(xml, "<testcase classname=\"envelope\" name=\"env.unknown-path — An unknown "
                          "path is 404 not_found\" time=\"0.001\">"));
    cr_expect(strstr(xml, "<failure type=\"ENV-5\" message=\"[ENV-5] $.error.code: expected "
                          "&quot;not_found&quot;, got &quot;unknown&quot;\">"),
              "message: the first line of the first failure");
    cr_expect(strstr(xml, "<property name=\"requirements:env.wrong-method\" value=\"ENV-6\"/>"));
    /* the text holds the full failure: diff, request, response, curl */
    cr_expect(strstr(xml, "at $.error.code\n  expected: \"not_found\"\n  actual:   \"unknown\"\n"));
    cr_expect(strstr(xml, "request:\nGET http://127.0.0.1:40124/afi/nope\n"));
    cr_expect(strstr(xml, "response:\nHTTP 404\n"));
    cr_expect(strstr(xml, "reproduce:\ncurl -sS -i -X GET 'http://127.0.0.1:40124/afi/nope'\n"));
    cr_expect(strstr(xml, "second line of the message"));
    /* both failures of one case are in its one failure element */
    cr_expect(strstr(xml, "----\n\nstep 1 (DELETE /health): ENV-1 · Every answer"));
    cr_expect(strstr(xml, "<skipped type=\"xfail\" message=\"expected failure: [ENV-5] status: "
                          "expected 404, got 200\">"));
    cr_expect(strstr(xml, "<failure type=\"xpass\""));
    cr_expect(strstr(xml, "<skipped message=\"skipped\"/>"));
    cr_expect(strstr(xml, "<system-out>WARNING call.hostile-strings"), "warnings in system-out");
    free(xml);
    cJSON_Delete(doc);
}

Test(report_junit, passing_report_has_no_failures)
{
    cJSON *doc = testutil_load("pass.json");
    char *xml = testutil_render(doc, "junit");

    cr_expect_eq(testutil_count(xml, "<testcase "), 4);
    cr_expect_null(strstr(xml, "<failure"));
    cr_expect_null(strstr(xml, "<skipped"));
    cr_expect(strstr(xml, "timestamp=\"2026-11-21T18:00:00\""));
    free(xml);
    cJSON_Delete(doc);
}
