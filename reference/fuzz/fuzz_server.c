/* libFuzzer target: whole byte streams through the real server path (gate,
 * libmicrohttpd, dispatch) over a socket pair. Whatever the bytes, no
 * answer is libmicrohttpd's own HTML page, and every answer with a status of
 * 400 or more is the JSON envelope (ENV-1, ROB-1). */
#define _GNU_SOURCE	/* memmem */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "server.h"
#include "store_mem.h"

#define DEADLINE_MS 3000	/* a `sleep` call may hold an answer back this long at most here */

static const char secret[] = "fuzz-secret-fuzz-secret-fuzz-secret-0123";
static struct server *srv;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	static struct dispatch d;
	static struct auth_config auth = {.secret = (const unsigned char *)secret, .secret_len = sizeof secret - 1};
	struct server_config cfg = {.bind = "127.0.0.1", .base = "/afi", .threads = 1};
	char err[256];
	signal(SIGPIPE, SIG_IGN);
	struct store *store = store_mem_new();
	if (!store || dispatch_init(&d, store, &auth, err, sizeof err) < 0 ||
	    !(srv = server_start(&cfg, &d, err, sizeof err))) {
		fprintf(stderr, "fuzz_server: cannot start: %s\n", store ? err : "out of memory");
		abort();
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The value of the header `name` (its colon included, case-blind) in the head
 * [p, hend), after any spaces; NULL when the head has none. */
static const char *header_value(const char *p, const char *hend, const char *name)
{
	size_t n = strlen(name);
	for (const char *h = memchr(p, '\n', (size_t)(hend - p)); h && h < hend; h = memchr(h, '\n', (size_t)(hend - h))) {
		h++;
		if ((size_t)(hend - h) >= n && !strncasecmp(h, name, n)) {
			for (h += n; h < hend && *h == ' '; h++)
				;
			return h;
		}
	}
	return NULL;
}

/* Checks the answers in out[0..len): each a status line and head, and for a
 * status >= 400 the JSON content type and the envelope. */
static void check_answers(const char *out, size_t len)
{
	const char *p = out, *end = out + len;
	while (p < end) {
		if (end - p < 12 || memcmp(p, "HTTP/1.1 ", 9))
			abort();	/* not an answer where one must start */
		const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (!hend)
			return;	/* cut short by the deadline */
		int status = atoi(p + 9);
		const char *body = hend + 4;
		const char *length = header_value(p, hend, "Content-Length:");
		const char *type = header_value(p, hend, "Content-Type:");
		size_t blen = length ? strtoull(length, NULL, 10) : 0;
		/* An answer to HEAD has no body although it names a length. */
		if ((size_t)(end - body) >= 9 && !memcmp(body, "HTTP/1.1 ", 9) &&
		    ((size_t)(end - body) <= blen || memcmp(body + blen, "HTTP/1.1 ", 9)))
			blen = 0;
		/* libmicrohttpd's own page: an HTML body, whatever its status. Only
		 * where a body starts: an answer may carry "<html" inside JSON (echo
		 * returns its text), and libFuzzer learns the bytes from this very
		 * check, so a search of the whole stream aborts on correct answers. */
		if ((type && !strncasecmp(type, "text/html", 9)) ||
		    ((size_t)(end - body) >= 5 && !strncasecmp(body, "<html", 5)))
			abort();
		if (status >= 400) {
			if (!type || strncasecmp(type, "application/json", 16))
				abort();
			if (blen && (size_t)(end - body) >= 10 && memcmp(body, "{\"error\":{", 10))
				abort();	/* a 4xx/5xx body that is not the envelope */
		}
		if ((size_t)(end - body) < blen)
			return;
		p = body + blen;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	if (server_adopt(srv, sv[0]) < 0) {
		close(sv[1]);
		return 0;
	}
	size_t sent = 0, got = 0, cap = 1 << 16;
	char *out = malloc(cap);
	long long deadline = now_ms() + DEADLINE_MS;
	int writing = 1;
	while (out && now_ms() < deadline) {
		if (writing && sent == size) {
			shutdown(sv[1], SHUT_WR);
			writing = 0;
		}
		struct pollfd pfd = {.fd = sv[1], .events = POLLIN | (writing ? POLLOUT : 0)};
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (pfd.revents & POLLOUT) {
			ssize_t n = send(sv[1], data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0)
				writing = 0;	/* the server closed early */
		}
		if (pfd.revents & (POLLIN | POLLHUP)) {
			if (got == cap) {
				char *bigger = realloc(out, cap * 2);
				if (!bigger)
					break;
				out = bigger;
				cap *= 2;
			}
			ssize_t n = recv(sv[1], out + got, cap - got, 0);
			if (n == 0 || (n < 0 && pfd.revents & POLLHUP))
				break;
			if (n > 0)
				got += (size_t)n;
		}
	}
	close(sv[1]);
	if (out)
		check_answers(out, got);
	free(out);
	return 0;
}
