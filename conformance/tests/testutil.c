/* testutil.c: helpers the conformance unit tests share (see testutil.h). */
#include "testutil.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "report.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "status.h"
#include "strbuf.h"

char testutil_tmpdir[64];

const char *testutil_data_path(const char *name)
{
    static char buf[8][4096];
    static int next;
    const char *slash = strrchr(__FILE__, '/');
    int dirlen = slash ? (int)(slash - __FILE__) : 1;
    char *out = buf[next++ % 8];

    snprintf(out, sizeof buf[0], "%.*s/data/%s", dirlen, slash ? __FILE__ : ".", name);
    return out;
}

cJSON *testutil_load(const char *name)
{
    char err[512];
    cJSON *doc = report_doc_load(testutil_data_path(name), err, sizeof err);

    cr_assert_not_null(doc, "loading %s: %s", name, err);
    return doc;
}

char *testutil_render(const cJSON *doc, const char *fmt)
{
    char err[512];
    char *s = report_render(doc, fmt, err, sizeof err);

    cr_assert_not_null(s, "rendering %s: %s", fmt, err);
    return s;
}

int testutil_count(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

void testutil_tmpdir_make(void)
{
    strcpy(testutil_tmpdir, "/tmp/afi-conformance-test-XXXXXX");
    cr_assert_not_null(mkdtemp(testutil_tmpdir));
}

void testutil_tmpdir_remove(void)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", testutil_tmpdir);
    cr_expect_eq(system(cmd), 0);
}

char *testutil_slurp(FILE *f)
{
    struct strbuf b;
    char chunk[4096], *s;
    size_t n;

    strbuf_init(&b);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_putn(&b, chunk, n);
    s = strbuf_take(&b);
    cr_assert_not_null(s, "out of memory");
    return s;
}

char *testutil_slurp_path(const char *path)
{
    char err[200];
    size_t len;
    char *s = file_read(path, &len, err, sizeof err);

    cr_assert_not_null(s, "%s: %s", path, err);
    return s;
}
