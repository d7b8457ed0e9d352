/* Accepts connections, checks each first request head, answers malformed
 * ones with the envelope and hands the rest to libmicrohttpd. */
#include "gate.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "envelope.h"

#define WAIT_SECONDS 10	/* a client that sends no complete head in time is dropped */
#define MAX_WAITING 1024

struct waiting {
	int fd;
	time_t since;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

struct gate {
	int listen_fd;
	int epoll_fd;
	int stop_pipe[2];
	pthread_t thread;
	struct MHD_Daemon *daemon;
	struct waiting waiting[MAX_WAITING];	/* fd == -1: free slot */
	char peek[GATE_MAX_HEAD + 1];
};

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Fills why with msg and returns -1, the refusal of every check below. */
static int bad_head(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return -1;
}

/* ROB-1: what libmicrohttpd would refuse with a page of its own. */
int gate_check_head(const char *head, size_t len, int *chunked_out, char *why, size_t whylen)
{
	const char *p = head, *end = head + len;
	const char *eol = memchr(p, '\n', len);
	if (!eol)
		return bad_head(why, whylen, "the request line is not terminated");
	/* Request line: method SP target SP HTTP/1.x */
	const char *q = p;
	while (q < eol && is_tchar((unsigned char)*q))
		q++;
	if (q == p || *q != ' ')
		return bad_head(why, whylen, "the request line has no valid method");
	const char *target = ++q;
	while (q < eol && (unsigned char)*q > ' ' && *q != 0x7f)
		q++;
	if (q == target || *q != ' ')
		return bad_head(why, whylen, "the request line has no valid target");
	q++;
	const char *vend = eol > q && eol[-1] == '\r' ? eol - 1 : eol;
	int http11;
	if (vend - q == 8 && !memcmp(q, "HTTP/1.1", 8))
		http11 = 1;
	else if (vend - q == 8 && !memcmp(q, "HTTP/1.0", 8))
		http11 = 0;
	else
		return bad_head(why, whylen, "the request line does not end in HTTP/1.0 or HTTP/1.1");
	int host = 0, chunked = 0, length_seen = 0;
	unsigned long long length = 0;
	for (p = eol + 1; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *lend = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (lend == p)
			break;	/* the empty line ends the head */
		if (*p == ' ' || *p == '\t')
			return bad_head(why, whylen, "a header line is folded (obsolete line folding)");
		const char *colon = p;
		while (colon < lend && is_tchar((unsigned char)*colon))
			colon++;
		if (colon == p || colon == lend || *colon != ':')
			return bad_head(why, whylen, "a header line has no valid name followed by a colon");
		const char *v = colon + 1, *vlast = lend;
		for (const char *c = v; c < lend; c++)
			if (((unsigned char)*c < ' ' && *c != '\t') || *c == 0x7f)
				return bad_head(why, whylen, "a header value contains a control character");
		while (v < vlast && (*v == ' ' || *v == '\t'))
			v++;
		while (vlast > v && (vlast[-1] == ' ' || vlast[-1] == '\t'))
			vlast--;
		size_t nlen = (size_t)(colon - p);
		if (nlen == 4 && !strncasecmp(p, "Host", 4))
			host = 1;
		if (nlen == 17 && !strncasecmp(p, "Transfer-Encoding", 17))
			chunked = 1;
		if (nlen == 14 && !strncasecmp(p, "Content-Length", 14)) {
			unsigned long long n = 0;
			if (v == vlast || vlast - v > 18)
				return bad_head(why, whylen, "the Content-Length is not a number of at most 18 digits");
			for (const char *c = v; c < vlast; c++) {
				if (*c < '0' || *c > '9')
					return bad_head(why, whylen, "the Content-Length is not a number");
				n = n * 10 + (unsigned)(*c - '0');
			}
			if (length_seen && n != length)
				return bad_head(why, whylen, "two different Content-Length headers");
			length_seen = 1;
			length = n;
		}
	}
	if (chunked && length_seen)
		return bad_head(why, whylen, "both Content-Length and Transfer-Encoding are present");
	if (http11 && !host)
		return bad_head(why, whylen, "an HTTP/1.1 request without a Host header");
	if (chunked_out)
		*chunked_out = chunked;
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int gate_check_chunks(const char *body, size_t len)
{
	size_t at = 0;
	while (at < len) {
		const char *eol = memchr(body + at, '\n', len - at);
		if (!eol)
			return 0;	/* the size line has not fully arrived */
		const char *p = body + at, *lend = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		unsigned long long size = 0;
		int digits = 0;
		for (; p < lend && hex_value(*p) >= 0; p++, digits++)
			size = size * 16 + (unsigned)hex_value(*p);
		while (p < lend && (*p == ' ' || *p == '\t'))
			p++;
		if (!digits || digits > 15 || (p < lend && *p != ';'))
			return -1;
		if (size == 0)
			return 0;	/* the last chunk; trailers are libmicrohttpd's */
		at = (size_t)(eol + 1 - body);
		if (size > len - at)
			return 0;	/* the data has not fully arrived */
		at += size;
		if (at < len && body[at] != '\r' && body[at] != '\n')
			return -1;
		if (at + 1 < len && body[at] == '\r' && body[at + 1] != '\n')
			return -1;
		at += at < len && body[at] == '\r' ? 2 : 1;
	}
	return 0;
}

/* Length of the head (through the empty line) in buf, or 0 when incomplete. */
static size_t head_length(const char *buf, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < n && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static void forget(struct gate *g, struct waiting *w)
{
	epoll_ctl(g->epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
	w->fd = -1;
}

/* ENV-1: even malformed HTTP gets the envelope (bad_request, ROB-1). */
static void refuse(struct gate *g, struct waiting *w, const char *why)
{
	char msg[256], head[256], drain[4096];
	snprintf(msg, sizeof msg, "Malformed HTTP request: %s.", why);
	size_t len = 0;
	char *body = envelope_render(ENVELOPE_BAD_REQUEST, msg, NULL, &len);
	int fd = w->fd;
	forget(g, w);
	if (body) {
		int n = snprintf(head, sizeof head,
				 "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\n"
				 "Content-Length: %zu\r\n\r\n", len);
		send(fd, head, (size_t)n, MSG_NOSIGNAL | MSG_MORE);
		send(fd, body, len, MSG_NOSIGNAL);
		free(body);
	}
	shutdown(fd, SHUT_WR);
	/* Read what the client sent so that closing does not reset the answer away. */
	while (recv(fd, drain, sizeof drain, MSG_DONTWAIT) > 0)
		;
	close(fd);
}

static void inspect(struct gate *g, struct waiting *w)
{
	ssize_t n = recv(w->fd, g->peek, GATE_MAX_HEAD, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {	/* closed or failed before sending a head */
		int fd = w->fd;
		forget(g, w);
		close(fd);
		return;
	}
	size_t head = head_length(g->peek, (size_t)n);
	if (!head) {
		if ((size_t)n >= GATE_MAX_HEAD)
			refuse(g, w, "the header section is larger than 32 KiB");
		return;	/* wait for more (edge-triggered) */
	}
	char why[160];
	int chunked = 0;
	if (gate_check_head(g->peek, head, &chunked, why, sizeof why) < 0) {
		refuse(g, w, why);
		return;
	}
	if (chunked && gate_check_chunks(g->peek + head, (size_t)n - head) < 0) {
		refuse(g, w, "the chunked body framing is malformed");
		return;
	}
	int fd = w->fd;
	forget(g, w);
	/* On failure libmicrohttpd has closed fd itself: closing it again here
	 * could close a descriptor another thread just got. */
	MHD_add_connection(g->daemon, fd, (struct sockaddr *)&w->addr, w->addrlen);
}

static void accept_all(struct gate *g)
{
	for (;;) {
		struct sockaddr_storage addr;
		socklen_t len = sizeof addr;
		int fd = accept(g->listen_fd, (struct sockaddr *)&addr, &len);
		if (fd < 0)
			return;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		struct waiting *w = NULL;
		for (int i = 0; i < MAX_WAITING && !w; i++)
			if (g->waiting[i].fd < 0)
				w = &g->waiting[i];
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET};
		if (!w) {
			close(fd);	/* too many connections still sending their head */
			continue;
		}
		ev.data.ptr = w;
		w->fd = fd;
		w->since = time(NULL);
		w->addr = addr;
		w->addrlen = len;
		if (epoll_ctl(g->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			w->fd = -1;
			close(fd);
			continue;
		}
		inspect(g, w);	/* the head may already be there */
	}
}

static void *run(void *arg)
{
	struct gate *g = arg;
	struct epoll_event ev[64];
	for (;;) {
		int n = epoll_wait(g->epoll_fd, ev, 64, 1000);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == &g->stop_pipe)
				return NULL;
			if (ev[i].data.ptr == &g->listen_fd)
				accept_all(g);
			else if (((struct waiting *)ev[i].data.ptr)->fd >= 0)
				inspect(g, ev[i].data.ptr);
		}
		time_t now = time(NULL);
		for (int i = 0; i < MAX_WAITING; i++) {
			struct waiting *w = &g->waiting[i];
			if (w->fd >= 0 && now - w->since > WAIT_SECONDS) {
				int fd = w->fd;
				forget(g, w);
				close(fd);
			}
		}
	}
}

struct gate *gate_start(int listen_fd, struct MHD_Daemon *daemon, char *err, size_t errlen)
{
	struct gate *g = calloc(1, sizeof *g);
	if (!g) {
		snprintf(err, errlen, "out of memory");
		close(listen_fd);
		return NULL;
	}
	g->listen_fd = listen_fd;
	g->daemon = daemon;
	g->stop_pipe[0] = g->stop_pipe[1] = -1;
	for (int i = 0; i < MAX_WAITING; i++)
		g->waiting[i].fd = -1;
	g->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &g->listen_fd};
	struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &g->stop_pipe};
	if (g->epoll_fd < 0 || pipe(g->stop_pipe) < 0 ||
	    epoll_ctl(g->epoll_fd, EPOLL_CTL_ADD, listen_fd, &lev) < 0 ||
	    epoll_ctl(g->epoll_fd, EPOLL_CTL_ADD, g->stop_pipe[0], &sev) < 0 ||
	    pthread_create(&g->thread, NULL, run, g)) {
		snprintf(err, errlen, "cannot start the connection gate: %s", strerror(errno));
		if (g->epoll_fd >= 0)
			close(g->epoll_fd);
		if (g->stop_pipe[0] >= 0) {
			close(g->stop_pipe[0]);
			close(g->stop_pipe[1]);
		}
		close(listen_fd);
		free(g);
		return NULL;
	}
	return g;
}

void gate_stop(struct gate *g)
{
	if (!g)
		return;
	if (write(g->stop_pipe[1], "x", 1) != 1)
		perror("reference-server: stopping the gate");
	pthread_join(g->thread, NULL);
	for (int i = 0; i < MAX_WAITING; i++)
		if (g->waiting[i].fd >= 0)
			close(g->waiting[i].fd);
	close(g->listen_fd);
	close(g->epoll_fd);
	close(g->stop_pipe[0]);
	close(g->stop_pipe[1]);
	free(g);
}
