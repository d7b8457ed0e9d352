/* testutil.c: helpers the conformance unit tests share (see testutil.h). */
#include "testutil.h"

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

int testutil_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 8), 0);
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

size_t testutil_read_request(int fd, char *buf, size_t cap, size_t *n)
{
    size_t len;
    buf[*n] = '\0';
    while (!(len = testutil_request_len(buf, *n))) {
        ssize_t r = recv(fd, buf + *n, cap - 1 - *n, 0);
        if (r <= 0)
            return 0;
        *n += (size_t)r;
        buf[*n] = '\0';
    }
    return len;
}

void testutil_request_done(char *buf, size_t *n, size_t len)
{
    memmove(buf, buf + len, *n - len);
    *n -= len;
}

size_t testutil_request_len(const char *buf, size_t n)
{
    const char *end = strstr(buf, "\r\n\r\n");
    if (!end)
        return 0;
    size_t head = (size_t)(end + 4 - buf);
    const char *te = strstr(buf, "Transfer-Encoding: chunked");
    if (te && te < end) {
        const char *last = strstr(end + 4, "0\r\n\r\n");
        return last ? (size_t)(last + 5 - buf) : 0;
    }
    const char *cl = strstr(buf, "Content-Length: ");
    size_t body = cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
    return n >= head + body ? head + body : 0;
}
