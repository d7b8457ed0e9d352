/* libmicrohttpd glue: one daemon per gate thread, driven by it (gate.h),
 * bodies read up to 1 MiB, and suspended connections for deferred answers.
 *
 * Why suspend/resume for `sleep`: each gate thread serves many connections,
 * so sleeping inside the handler would stall all of them for up to 5 s.
 * Instead the reply is computed at once, the connection is suspended, and the
 * delay thread resumes it when the time has come; the handler then sends the
 * reply it kept. */
#include "server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "delay.h"
#include "gate.h"

/* Bodies are read and dropped up to this size so that the client gets its
 * answer; a client that sends more is cut off without one. */
#define DISCARD_LIMIT (64ull * 1024 * 1024)

struct server {
	struct MHD_Daemon *daemons[GATE_MAX_LOOPS];	/* one per gate thread */
	unsigned ndaemons;
	struct dispatch *dispatch;
	struct delay *delay;
	struct gate *gate;
	char *base;
	size_t base_len;
	uint16_t port;
};

enum phase {
	PHASE_BODY,		/* reading the body of a call */
	PHASE_DISCARD,		/* the reply is known: skip the body, then send it */
	PHASE_SLEEPING,		/* suspended, reply kept for later */
	PHASE_WOKEN,		/* resumed: send the kept reply */
	PHASE_DONE,		/* a reply was queued */
};

struct request {
	struct server *srv;
	struct MHD_Connection *conn;
	enum phase phase;
	struct dispatch_request req;	/* header pointers live as long as the request */
	struct dispatch_state st;
	struct dispatch_reply reply;	/* kept while sleeping */
	char *body;
	size_t len, cap;
	size_t seen;		/* body bytes received, kept or not */
	int too_large;
};

/* Paths are compared byte for byte: no percent-decoding (section 1). */
static size_t keep_escapes(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct dispatch_request *req = cls;
	(void)kind;
	if (!strcasecmp(key, "Authorization")) {
		if (!req->authorization_count++)
			req->authorization = value ? value : "";
	} else if (!strcasecmp(key, "Cookie")) {
		if (!req->cookie)
			req->cookie = value;
	} else if (!strcasecmp(key, "Content-Type")) {
		if (!req->content_type)
			req->content_type = value ? value : "";
	} else if (!strcasecmp(key, "Content-Length") || !strcasecmp(key, FRAME_WITHHELD_HEADER)) {
		/* The gate withholds an oversized body and says how long it was
		 * announced (gate.h); it never passes both headers on. */
		if (!req->content_length)
			req->content_length = value;
	} else if (!strcasecmp(key, "If-None-Match")) {
		if (!req->if_none_match)
			req->if_none_match = value;
	}
	return MHD_YES;
}

static enum MHD_Result send_reply(struct request *r)
{
	struct dispatch_reply *rep = &r->reply;
	struct MHD_Response *resp;
	r->phase = PHASE_DONE;
	if (rep->body_static || !rep->body) {
		resp = MHD_create_response_from_buffer(rep->len, rep->body, MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(rep->len, rep->body, MHD_RESPMEM_MUST_FREE);
		if (resp)
			rep->body = NULL;	/* libmicrohttpd frees it */
	}
	if (!resp)
		return MHD_NO;
	if (rep->status != 304)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (rep->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
	if (rep->www_authenticate)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, rep->www_authenticate);
	if (rep->etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, rep->etag);
	if (rep->cache_control)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, rep->cache_control);
	if (rep->vary)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, rep->vary);
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)rep->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void wake(void *item)
{
	struct request *r = item;
	r->phase = PHASE_WOKEN;
	MHD_resume_connection(r->conn);
}

/* Keeps at most DISPATCH_MAX_BODY bytes; beyond that only counts (CALL-3). */
static void take_body(struct request *r, const char *data, size_t n)
{
	r->seen += n;
	if (r->too_large || n > DISPATCH_MAX_BODY - r->len) {
		r->too_large = 1;
		return;
	}
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 1024;
		while (cap < r->len + n)
			cap *= 2;
		if (cap > DISPATCH_MAX_BODY)
			cap = DISPATCH_MAX_BODY;
		char *p = realloc(r->body, cap);
		if (!p) {
			r->too_large = 1;	/* cannot hold it: refuse it as too large */
			return;
		}
		r->body = p;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
}

/* The first call for a request: the head is complete, no body byte has been
 * read. Decides what dispatch_begin can and sets the phase that follows. */
static enum MHD_Result start_request(struct server *s, struct MHD_Connection *conn, const char *url,
				     const char *method, void **con_cls)
{
	struct request *r = calloc(1, sizeof *r);
	if (!r)
		return MHD_NO;
	*con_cls = r;
	r->srv = s;
	r->conn = conn;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &r->req);
	r->req.method = method;
	/* ENV-5: a path outside the base is not_found like any unknown path. */
	if (strncmp(url, s->base, s->base_len) || (url[s->base_len] != '/' && url[s->base_len] != '\0')) {
		dispatch_error(&r->reply, ENVELOPE_NOT_FOUND, "There is nothing at this path.", NULL);
		r->phase = PHASE_DISCARD;
		return MHD_YES;
	}
	r->req.path = url + s->base_len;
	if (dispatch_begin(s->dispatch, &r->req, &r->st, &r->reply)) {
		/* Answering a POST before its body makes libmicrohttpd close
		 * the connection with the body unread. So a small body is read
		 * and dropped first, which keeps the connection, and so is the
		 * empty body of a request whose oversized body the gate withholds
		 * (gate.h: it is answered at once all the same). Any other body
		 * announced over 1 MiB is answered at once (CALL-3, 413 without
		 * waiting for it), and the gate reads and drops what the client
		 * still sends, so the close does not reset the answer. */
		if (r->req.content_length && strtoull(r->req.content_length, NULL, 10) > DISPATCH_MAX_BODY &&
		    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, FRAME_WITHHELD_HEADER))
			return send_reply(r);
		r->phase = PHASE_DISCARD;
		return MHD_YES;
	}
	r->phase = PHASE_BODY;
	if (r->req.content_length) {
		/* Small announced bodies get one exact allocation; big ones grow
		 * as bytes arrive, so an announcement alone reserves little. */
		unsigned long long n = strtoull(r->req.content_length, NULL, 10);
		if (n > 0 && n <= 65536 && (r->body = malloc(n)))
			r->cap = n;
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct server *s = cls;
	struct request *r = *con_cls;
	(void)version;

	if (!r)
		return start_request(s, conn, url, method, con_cls);
	switch (r->phase) {
	case PHASE_BODY:
		if (*upload_data_size) {
			take_body(r, upload_data, *upload_data_size);
			*upload_data_size = 0;
			return r->seen > DISCARD_LIMIT ? MHD_NO : MHD_YES;
		}
		dispatch_body(s->dispatch, &r->req, &r->st, r->body, r->len, r->too_large, &r->reply);
		if (r->reply.defer_ms) {
			r->phase = PHASE_SLEEPING;
			MHD_suspend_connection(conn);
			if (delay_add(s->delay, r, r->reply.defer_ms) < 0)
				wake(r);	/* cannot wait: answer now rather than never */
			return MHD_YES;
		}
		return send_reply(r);
	case PHASE_DISCARD:
		if (*upload_data_size) {
			r->len += *upload_data_size;	/* counted, not kept */
			*upload_data_size = 0;
			return r->len > DISCARD_LIMIT ? MHD_NO : MHD_YES;
		}
		return send_reply(r);
	case PHASE_WOKEN:
		return send_reply(r);
	case PHASE_SLEEPING:
		return MHD_YES;
	case PHASE_DONE:
		*upload_data_size = 0;	/* an early answer: the rest of the body is ignored */
		return MHD_YES;
	}
	return MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *r = *con_cls;
	(void)cls;
	(void)conn;
	(void)toe;
	if (!r)
		return;
	dispatch_state_clear(&r->st);
	dispatch_reply_clear(&r->reply);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

/* libmicrohttpd's messages, less the ones about TCP options: its side of
 * every connection is a Unix socket (gate.h), where TCP_NODELAY and TCP_CORK
 * fail at each answer and mean nothing. */
static void log_library(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (strstr(msg, "TCP_NODELAY") || strstr(msg, "TCP_CORK") || strstr(msg, "push the data from buffers"))
		return;
	fprintf(stderr, "reference-server: libmicrohttpd: %s", msg);
}

/* The listening socket is ours, not libmicrohttpd's, so that the gate sees
 * every connection first. */
static int listen_on(const struct server_config *cfg, uint16_t *port, int *v6, char *err, size_t errlen)
{
	struct sockaddr_storage addr = {0};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
	socklen_t len;
	if (inet_pton(AF_INET, cfg->bind, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(cfg->port);
		len = sizeof *a4;
		*v6 = 0;
	} else if (inet_pton(AF_INET6, cfg->bind, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(cfg->port);
		len = sizeof *a6;
		*v6 = 1;
	} else {
		snprintf(err, errlen, "--bind %s is not an IPv4 or IPv6 address", cfg->bind);
		return -1;
	}
	int fd = socket(addr.ss_family, SOCK_STREAM, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s", cfg->bind, cfg->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	*port = ntohs(*v6 ? a6->sin6_port : a4->sin_port);
	return fd;
}

struct server *server_start(const struct server_config *cfg, struct dispatch *d, char *err, size_t errlen)
{
	struct server *s = calloc(1, sizeof *s);
	int fd = -1, v6 = 0;
	if (!s || !(s->base = strdup(cfg->base))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->base_len = strlen(s->base);
	s->dispatch = d;
	fd = listen_on(cfg, &s->port, &v6, err, errlen);
	if (fd < 0)
		goto fail;
	s->delay = delay_new(wake, err, errlen);
	if (!s->delay)
		goto fail;
	unsigned threads = cfg->threads;
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 1;
	}
	if (threads > GATE_MAX_LOOPS)
		threads = GATE_MAX_LOOPS;
	/* External polling: the gate thread of each daemon runs it. */
	unsigned flags = MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
			 (v6 ? MHD_USE_IPv6 : 0);
	for (; s->ndaemons < threads; s->ndaemons++) {
		struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
							MHD_OPTION_EXTERNAL_LOGGER, log_library, NULL,	/* first, to see every message */
							MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, NULL,
							MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
							MHD_OPTION_CONNECTION_TIMEOUT, 60u,
							/* room for a head the gate let through, plus buffers */
							MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(2 * FRAME_MAX_HEAD),
							MHD_OPTION_END);
		if (!d) {
			snprintf(err, errlen, "cannot start libmicrohttpd");
			goto fail;
		}
		s->daemons[s->ndaemons] = d;
	}
	s->gate = gate_start(fd, s->daemons, threads, err, errlen);
	fd = -1;	/* the gate owns it now, even when it failed */
	if (!s->gate)
		goto fail;
	return s;
fail:
	if (fd >= 0)
		close(fd);
	if (s) {
		for (unsigned i = 0; i < s->ndaemons; i++)
			MHD_stop_daemon(s->daemons[i]);
		delay_free(s->delay);
		free(s->base);
		free(s);
	}
	return NULL;
}

int server_adopt(struct server *s, int fd)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	return gate_add(s->gate, fd, (struct sockaddr *)&addr, sizeof addr);
}

uint16_t server_port(const struct server *s)
{
	return s->port;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	/* Stop accepting and close every connection; every sleeping call must
	 * be resumed before its daemon may stop, which ends each request. */
	gate_stop(s->gate);
	delay_drain(s->delay, 6000);
	for (unsigned i = 0; i < s->ndaemons; i++)
		MHD_stop_daemon(s->daemons[i]);
	delay_free(s->delay);
	free(s->base);
	free(s);
}
