/* testutil.h: helpers the conformance unit tests share: sample report paths,
 * loading and rendering them, a scratch directory, reading files whole, and
 * the two pieces of the tests' scripted HTTP servers.
 * Each helper asserts (Criterion) instead of returning an error. */
#ifndef AFI_CONFORMANCE_TESTUTIL_H
#define AFI_CONFORMANCE_TESTUTIL_H

#include <stdio.h>

#include <cjson/cJSON.h>

/* The path of conformance/tests/data/<name>. The result lives in one of
 * eight rotating static buffers: valid until eight more calls. */
const char *testutil_data_path(const char *name);

/* The report document tests/data/<name>, loaded with report_doc_load.
 * Caller frees with cJSON_Delete. */
cJSON *testutil_load(const char *name);

/* doc rendered in fmt by report_render. Caller frees. */
char *testutil_render(const cJSON *doc, const char *fmt);

/* How many times needle occurs in hay, without overlaps. */
int testutil_count(const char *hay, const char *needle);

/* The scratch directory testutil_tmpdir_make creates (a Criterion .init)
 * and testutil_tmpdir_remove deletes with its contents (a .fini). */
extern char testutil_tmpdir[64];
void testutil_tmpdir_make(void);
void testutil_tmpdir_remove(void);

/* The rest of f, read to its end, as a string. Caller frees; f stays open. */
char *testutil_slurp(FILE *f);

/* The whole file at path as a string. Caller frees. */
char *testutil_slurp_path(const char *path);

/* A socket listening on 127.0.0.1 on a free port, which *port receives. */
int testutil_listen(int *port);

/* The length of the whole request (header section and body, Content-Length
 * or chunked) at the head of the NUL-terminated buf[0..n), or 0 while it is
 * incomplete. */
size_t testutil_request_len(const char *buf, size_t n);

/* Reads from fd until buf[0..*n) (of cap bytes, NUL-terminated) starts with a
 * whole request; returns its length, or 0 when the peer closed or failed first.
 * testutil_request_done drops that request from buf, keeping what follows. */
size_t testutil_read_request(int fd, char *buf, size_t cap, size_t *n);
void testutil_request_done(char *buf, size_t *n, size_t len);

#endif
