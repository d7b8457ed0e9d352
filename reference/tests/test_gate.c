/* The gate in front of a real libmicrohttpd daemon: every request of a
 * connection is framed, answers keep their order, a malformed request is
 * refused with the envelope after the answers before it (ROB-1, ENV-1). */
#include <criterion/criterion.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "gate.h"
#include "malformed.h"
#include "timeout.h"

static struct MHD_Daemon *daemon_;
static struct gate *gate_;

/* Answers every request with 200 and the body "<method> <url> <body bytes>;",
 * the bytes followed by " withheld=<length>" when the gate withheld a body. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *data, size_t *size, void **con_cls)
{
	(void)cls;
	(void)version;
	(void)data;
	size_t *seen = *con_cls;
	if (!seen) {
		*con_cls = seen = calloc(1, sizeof *seen);
		return seen ? MHD_YES : MHD_NO;
	}
	if (*size) {
		*seen += *size;
		*size = 0;
		return MHD_YES;
	}
	char body[256];
	const char *withheld = MHD_lookup_connection_value(c, MHD_HEADER_KIND, FRAME_WITHHELD_HEADER);
	int n = snprintf(body, sizeof body, "%s %s %zu%s%s;", method, url, *seen, withheld ? " withheld=" : "",
			 withheld ? withheld : "");
	struct MHD_Response *r = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static void setup(void)
{
	daemon_ = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
				   answer, NULL, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
				   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(2 * FRAME_MAX_HEAD), MHD_OPTION_END);
	cr_assert(daemon_);
	char err[256];
	gate_ = gate_start(-1, &daemon_, 1, err, sizeof err);
	cr_assert(gate_, "%s", err);
}

static void teardown(void)
{
	gate_stop(gate_);
	MHD_stop_daemon(daemon_);
}

/* Sends data on a new gate connection (half-closing unless keep_open) and
 * returns everything answered until the gate closes, NUL-terminated. */
static char *exchange(const void *data, size_t len, int keep_open, size_t *outlen)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(gate_add(gate_, sv[0], (struct sockaddr *)&addr, sizeof addr), 0);
	for (size_t at = 0; at < len;) {
		ssize_t n = send(sv[1], (const char *)data + at, len - at, MSG_NOSIGNAL);
		if (n <= 0)
			break;	/* the gate answered and closed early */
		at += (size_t)n;
	}
	if (!keep_open)
		shutdown(sv[1], SHUT_WR);
	size_t cap = 1 << 16, got = 0;
	char *out = malloc(cap + 1);
	cr_assert(out);
	struct pollfd p = {.fd = sv[1], .events = POLLIN};
	while (poll(&p, 1, 15000) == 1) {
		if (got == cap)
			cr_assert((out = realloc(out, (cap *= 2) + 1)));
		ssize_t n = recv(sv[1], out + got, cap - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(sv[1]);
	out[got] = '\0';
	*outlen = got;
	return out;
}

static int count(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

#define OK_GET "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
#define OK_POST "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
#define ENVELOPE "{\"error\":{\"code\":\"bad_request\",\"message\":\"Malformed HTTP request: "

TestSuite(gate, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT_S);

Test(gate, every_malformation_first_and_later_gets_the_envelope_after_earlier_answers)
{
	for (size_t i = 0; i < malformed_count; i++) {
		size_t len;
		char *out = exchange(malformed[i].head, malformed[i].len, 0, &len);
		cr_assert(!strncmp(out, "HTTP/1.1 400 Bad Request\r\n", 26), "%s first: %s", malformed[i].name, out);
		cr_assert(strstr(out, "Content-Type: application/json\r\n"), "%s", malformed[i].name);
		cr_assert(strstr(out, ENVELOPE), "%s: %s", malformed[i].name, out);
		cr_assert_eq(count(out, "HTTP/1.1 200 "), 0, "%s", malformed[i].name);
		cr_assert_eq(count(out, "HTTP/1.1 400 Bad Request\r\n"), 1, "%s", malformed[i].name);
		free(out);

		char stream[512];
		size_t pre = strlen(OK_GET OK_POST);
		memcpy(stream, OK_GET OK_POST, pre);
		memcpy(stream + pre, malformed[i].head, malformed[i].len);
		out = exchange(stream, pre + malformed[i].len, 0, &len);
		const char *a = strstr(out, "GET /a 0;"), *b = strstr(out, "POST /b 2;"), *c = strstr(out, ENVELOPE);
		cr_assert(a && b && c && a < b && b < c, "%s later: %s", malformed[i].name, out);
		cr_assert_eq(count(out, "HTTP/1.1 200 "), 2, "%s later: %s", malformed[i].name, out);
		cr_assert_eq(count(out, "HTTP/1.1 400 Bad Request\r\n"), 1, "%s", malformed[i].name);
		free(out);
	}
}

Test(gate, oversized_head_and_request_line_first_and_later)
{
	size_t n = FRAME_MAX_HEAD + 200, len;
	char *s = malloc(n);
	cr_assert(s);
	for (int later = 0; later < 2; later++) {
		for (int line = 0; line < 2; line++) {
			size_t at = 0;
			if (later)
				at = (size_t)sprintf(s, OK_GET);
			at += (size_t)sprintf(s + at, line ? "GET /" : "GET /x HTTP/1.1\r\nHost: x\r\nX-Big: ");
			memset(s + at, 'a', n - at);
			char *out = exchange(s, n, 0, &len);
			cr_assert(strstr(out, ENVELOPE), "%s", out);
			cr_assert(strstr(out, line ? "request line is longer" : "header section is larger"), "%s", out);
			cr_assert_eq(count(out, "GET /a 0;"), later);
			free(out);
		}
	}
	free(s);
}

Test(gate, pipelined_requests_are_answered_in_order)
{
	static const char s[] = OK_GET OK_POST
		"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
		"HEAD /d HTTP/1.1\r\nHost: x\r\n\r\n" OK_GET;
	size_t len;
	char *out = exchange(s, sizeof s - 1, 0, &len);
	const char *a = strstr(out, "GET /a 0;"), *b = strstr(out, "POST /b 2;"), *c = strstr(out, "POST /c 5;");
	const char *e = a ? strstr(a + 1, "GET /a 0;") : NULL;
	cr_assert(a && b && c && e && a < b && b < c && c < e, "%s", out);
	cr_assert_eq(count(out, "HTTP/1.1 200"), 5, "%s", out);
	cr_assert(!strstr(out, "400"), "%s", out);
	free(out);
}

Test(gate, a_request_cut_short_is_refused)
{
	static const char s[] = OK_GET "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}";
	size_t len;
	char *out = exchange(s, sizeof s - 1, 0, &len);
	cr_assert(strstr(out, "GET /a 0;") && strstr(out, "the connection ended inside a request"), "%s", out);
	free(out);
}

Test(gate, a_stalled_body_is_refused_within_the_bound)
{
	static const char s[] = OK_GET "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}";
	size_t len;
	time_t t0 = time(NULL);
	char *out = exchange(s, sizeof s - 1, 1, &len);
	time_t took = time(NULL) - t0;
	cr_assert(strstr(out, "GET /a 0;") && strstr(out, "did not arrive within"), "%s", out);
	cr_assert_leq(took, GATE_STALL_SECONDS + 3, "answered after %lld s", (long long)took);
	free(out);
}

/* A request announcing a body of len bytes, the body, then OK_GET. */
static char *announced(unsigned long long len, const char *extra, size_t *n)
{
	char head[256];
	int h = snprintf(head, sizeof head, "POST /b HTTP/1.1\r\nHost: x\r\n%sContent-Length: %llu\r\n\r\n", extra, len);
	*n = (size_t)h + len + strlen(OK_GET);
	char *s = malloc(*n);
	cr_assert(s);
	memcpy(s, head, (size_t)h);
	memset(s + h, ' ', len);
	memcpy(s + h + len, OK_GET, strlen(OK_GET));
	return s;
}

Test(gate, an_oversized_body_within_the_bound_is_withheld_and_the_connection_kept)
{
	unsigned long long sizes[] = {DISPATCH_MAX_BODY + 1ull, GATE_DISCARD_MAX};
	for (int i = 0; i < 2; i++) {
		size_t n, len;
		char *s = announced(sizes[i], "", &n), want[64];
		char *out = exchange(s, n, 0, &len);
		snprintf(want, sizeof want, "POST /b 0 withheld=%llu;", sizes[i]);
		const char *a = strstr(out, want), *b = strstr(out, "GET /a 0;");
		cr_assert(a && b && a < b, "%llu: %.300s", sizes[i], out);
		cr_assert(!strstr(out, "Connection: close"), "%s", out);
		free(out);
		free(s);
	}
}

Test(gate, a_larger_body_or_one_after_expect_is_passed_on)
{
	const char *extra[] = {"", "Expect: 100-continue\r\n"};
	unsigned long long sizes[] = {GATE_DISCARD_MAX + 1, DISPATCH_MAX_BODY + 1ull};
	for (int i = 0; i < 2; i++) {
		size_t n, len;
		char *s = announced(sizes[i], extra[i], &n), want[64];
		char *out = exchange(s, n, 0, &len);
		snprintf(want, sizeof want, "POST /b %llu;", sizes[i]);
		cr_assert(strstr(out, want) && strstr(out, "GET /a 0;"), "%llu: %.300s", sizes[i], out);
		cr_assert(!strstr(out, "withheld"), "%s", out);
		free(out);
		free(s);
	}
}

Test(gate, a_stalled_withheld_body_closes_without_a_second_answer)
{
	char s[256];
	int n = snprintf(s, sizeof s, "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: %llu\r\n\r\n{}",
			 DISPATCH_MAX_BODY + 1ull);
	size_t len;
	char *out = exchange(s, (size_t)n, 1, &len);
	cr_assert(strstr(out, "withheld="), "%s", out);
	cr_assert_eq(count(out, "HTTP/1.1 "), 1, "%s", out);
	free(out);
}

Test(gate, a_clients_own_withheld_header_is_dropped)
{
	static const char s[] = "POST /b HTTP/1.1\r\nHost: x\r\n" FRAME_WITHHELD_HEADER ": 5\r\nContent-Length: 2\r\n\r\n{}";
	size_t len;
	char *out = exchange(s, sizeof s - 1, 0, &len);
	cr_assert(strstr(out, "POST /b 2;"), "%s", out);
	free(out);
}

/* Connection spreading: a handler that blocks its thread, as a store call
 * does (store.h), answers "together" only when every connection's request
 * is being handled at the same time, each on a thread of its own. */
#define SPREAD 4

static pthread_mutex_t spread_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spread_arrived = PTHREAD_COND_INITIALIZER;
static int spread_in;

static enum MHD_Result answer_when_all_in(void *cls, struct MHD_Connection *c, const char *url,
					   const char *method, const char *version, const char *data,
					   size_t *size, void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)data;
	(void)size;
	if (!*con_cls) {
		*con_cls = c;
		return MHD_YES;
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 3;
	pthread_mutex_lock(&spread_lock);
	spread_in++;
	pthread_cond_broadcast(&spread_arrived);
	while (spread_in < SPREAD && pthread_cond_timedwait(&spread_arrived, &spread_lock, &until) == 0)
		;
	const char *body = spread_in >= SPREAD ? "together" : "alone";
	pthread_mutex_unlock(&spread_lock);
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

TestSuite(gate_spread, .timeout = TEST_TIMEOUT_S);

Test(gate_spread, connections_accepted_in_a_burst_go_to_different_threads)
{
	struct MHD_Daemon *d[SPREAD];
	for (int i = 0; i < SPREAD; i++) {
		d[i] = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
					answer_when_all_in, NULL, MHD_OPTION_END);
		cr_assert(d[i]);
	}
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof addr;
	cr_assert_eq(bind(lfd, (struct sockaddr *)&addr, sizeof addr), 0);
	cr_assert_eq(listen(lfd, 16), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&addr, &alen), 0);
	char err[256];
	struct gate *g = gate_start(lfd, d, SPREAD, err, sizeof err);
	cr_assert(g, "%s", err);
	/* Every thread idle in epoll_wait, then a burst, as a load generator opens its connections. */
	usleep(200 * 1000);
	int c[SPREAD];
	for (int i = 0; i < SPREAD; i++)
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
	for (int i = 0; i < SPREAD; i++)
		cr_assert_eq(connect(c[i], (struct sockaddr *)&addr, sizeof addr), 0);
	for (int i = 0; i < SPREAD; i++)
		cr_assert_eq(send(c[i], OK_GET, strlen(OK_GET), 0), (ssize_t)strlen(OK_GET));
	for (int i = 0; i < SPREAD; i++) {
		char out[512] = "";
		size_t got = 0;
		struct pollfd p = {.fd = c[i], .events = POLLIN};
		while (!strstr(out, "\r\n\r\ntogether") && !strstr(out, "\r\n\r\nalone")) {
			cr_assert_eq(poll(&p, 1, 10000), 1, "connection %d: no answer", i);
			ssize_t n = recv(c[i], out + got, sizeof out - 1 - got, 0);
			cr_assert_gt(n, 0, "connection %d closed", i);
			got += (size_t)n;
			out[got] = '\0';
		}
		cr_assert(strstr(out, "\r\n\r\ntogether"), "connection %d was served alone: %s", i, out);
		close(c[i]);
	}
	gate_stop(g);
	for (int i = 0; i < SPREAD; i++)
		MHD_stop_daemon(d[i]);
}
