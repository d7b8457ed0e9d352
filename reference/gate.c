/* Owns client connections, frames every request, relays well-formed ones to
 * the libmicrohttpd daemon its thread drives over a socket pair and answers
 * malformed ones with the envelope, after every earlier answer. */
#define _GNU_SOURCE	/* accept4, pipe2 */
#include "gate.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "envelope.h"

#define SPOOL_CAP (256 * 1024)	/* a direction stops reading beyond this much unsent */
#define ANSWER_HEAD_MAX 8192	/* an answer head longer than this is followed until close */
#define READ_CHUNK 65536

/* Bytes waiting to be sent: data[off..off+len). */
struct spool {
	char *data;
	size_t off, len, cap;
};

enum answer_state {
	ANSWER_HEAD,		/* collecting an answer head */
	ANSWER_BODY,		/* counting its Content-Length */
	ANSWER_UNTIL_CLOSE,	/* framing unknown: nothing more is counted */
};

struct link;

/* What an epoll event points at: one side of a link. */
struct end {
	struct link *link;
	int server_side;
};

/* A connection handed over by gate_add, waiting for its loop to take it. */
struct handover {
	struct handover *next;
	int fd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* One gate thread. Only it touches its links, so they need no lock. */
struct loop {
	struct gate *gate;
	pthread_t thread;
	int started;
	int epoll_fd;
	struct MHD_Daemon *daemon;	/* driven by this thread only (external polling) */
	int daemon_ready;	/* its epoll fd is readable or a connection was added: MHD_run */
	long long daemon_due;	/* ms (CLOCK_MONOTONIC) by which MHD_run is due (MHD_get_timeout) */
	struct link *fed;	/* links written to since the last MHD_run: their answers are read right after it */
	int wake_pipe[2];	/* gate_add wakes the loop for its handovers */
	pthread_mutex_t lock;	/* guards handovers */
	struct handover *handovers;
	struct link *links;
	unsigned nlinks;	/* links it serves or has been handed: the gate's balance */
	struct link *dead;	/* closed during an epoll batch, freed after it */
	char in[READ_CHUNK];
};

struct link {
	struct loop *loop;
	struct link *prev, *next;
	struct link *fed_next;	/* in loop->fed while fed is set */
	int fed;
	int cfd, mfd;		/* the client's socket; our end of the pair (-1 once closed) */
	unsigned cmask, mmask;	/* events registered for each */
	struct end cend, mend;
	struct frame *frame;
	struct spool to_server, to_client;
	struct spool kinds;	/* one byte per request passed on, unanswered: 1 for HEAD */
	unsigned long long completed, answered;	/* requests passed on in full; final answers */
	int partial;		/* the head of an incomplete request was passed on */
	int withholding;	/* the body being received is dropped, not passed on (gate.h) */
	enum answer_state astate;
	unsigned long long aleft;
	char ahead[ANSWER_HEAD_MAX];
	size_t ahead_len;
	int bad, client_eof, server_eof, closing, shut, dead;
	int server_unwritable;	/* libmicrohttpd stopped reading (it answered early): its answer may still come */
	time_t last_in, last_out, linger_until;
};

struct gate {
	int listen_fd;
	int stop_pipe[2];
	unsigned nloops;
	pthread_mutex_t balance_lock;	/* guards every loop's nlinks */
	struct loop loops[GATE_MAX_LOOPS];
};

static int spool_put(struct spool *s, const char *p, size_t n)
{
	if (s->off && s->off + s->len + n > s->cap) {
		memmove(s->data, s->data + s->off, s->len);
		s->off = 0;
	}
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n)
			cap *= 2;
		char *d = realloc(s->data, cap);
		if (!d)
			return -1;
		s->data = d;
		s->cap = cap;
	}
	memcpy(s->data + s->off + s->len, p, n);
	s->len += n;
	return 0;
}

static void spool_drop(struct spool *s, size_t n)
{
	s->off += n;
	s->len -= n;
	if (!s->len)
		s->off = 0;
}

/* The loop a new connection goes to: the one with the fewest connections,
 * the accepting one (self; NULL for gate_add) among equals, so that a
 * client that opens one connection at a time costs no handover. Why not
 * whichever thread accepts: a load generator opens all its connections at
 * once, one woken thread accepts most of them, and a store call blocks its
 * thread (store.h), so connections sharing a thread wait for each other's
 * statements while other threads idle. */
static struct loop *pick_loop(struct gate *g, struct loop *self)
{
	pthread_mutex_lock(&g->balance_lock);
	struct loop *best = self ? self : &g->loops[0];
	for (unsigned i = 0; i < g->nloops; i++) {
		if (g->loops[i].nlinks < best->nlinks)
			best = &g->loops[i];
	}
	best->nlinks++;
	pthread_mutex_unlock(&g->balance_lock);
	return best;
}

/* A connection pick_loop gave lp is gone. */
static void loop_leave(struct loop *lp)
{
	pthread_mutex_lock(&lp->gate->balance_lock);
	lp->nlinks--;
	pthread_mutex_unlock(&lp->gate->balance_lock);
}

static void link_release(struct link *l)
{
	free(l->frame);
	free(l->to_server.data);
	free(l->to_client.data);
	free(l->kinds.data);
	free(l);
}

/* Closes both sides, each taken out of the epoll set first: close() drops a
 * registration only with the last reference to the file, and one left behind
 * delivers events naming freed memory (fuzz_server caught that in run). The
 * memory goes after the current epoll batch, which may still hold events for
 * l. */
static void link_free(struct link *l)
{
	struct loop *lp = l->loop;
	if (l->prev)
		l->prev->next = l->next;
	else
		lp->links = l->next;
	if (l->next)
		l->next->prev = l->prev;
	for (struct link **f = &lp->fed; *f; f = &(*f)->fed_next) {
		if (*f == l) {
			*f = l->fed_next;
			break;
		}
	}
	epoll_ctl(lp->epoll_fd, EPOLL_CTL_DEL, l->cfd, NULL);
	close(l->cfd);
	if (l->mfd >= 0) {
		epoll_ctl(lp->epoll_fd, EPOLL_CTL_DEL, l->mfd, NULL);
		close(l->mfd);
	}
	loop_leave(lp);
	l->dead = 1;
	l->next = lp->dead;
	lp->dead = l;
}

/* ENV-1: even malformed HTTP gets the envelope (bad_request, ROB-1). */
static int put_refusal(struct link *l, const char *why)
{
	char msg[256], head[256];
	snprintf(msg, sizeof msg, "Malformed HTTP request: %s.", why);
	size_t len = 0;
	char *body = envelope_render(ENVELOPE_BAD_REQUEST, msg, NULL, &len);
	if (!body)
		return -1;
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n", len);
	int r = spool_put(&l->to_client, head, (size_t)n) < 0 || spool_put(&l->to_client, body, len) < 0 ? -1 : 0;
	free(body);
	return r;
}

/* One final answer has been relayed in full. */
static void answered_one(struct link *l)
{
	l->answered++;
	if (l->kinds.len)
		spool_drop(&l->kinds, 1);
	if (l->answered > l->completed)
		l->partial = 0;	/* an early answer to the request still arriving */
}

/* An answer head is complete in ahead: where does its body end? */
static void answer_head_done(struct link *l)
{
	const char *h = l->ahead;
	int status = l->ahead_len > 12 ? atoi(h + 9) : 0;
	l->ahead_len = 0;
	if (status >= 100 && status < 200)
		return;	/* interim (100 Continue): the final answer follows */
	int head_method = l->kinds.len && l->kinds.data[l->kinds.off];
	if (head_method || status == 204 || status == 304) {
		answered_one(l);
		return;
	}
	for (const char *p = strchr(h, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		if (!strncasecmp(p + 1, "Content-Length:", 15)) {
			l->aleft = strtoull(p + 16, NULL, 10);
			if (!l->aleft)
				answered_one(l);
			else
				l->astate = ANSWER_BODY;
			return;
		}
	}
	l->astate = ANSWER_UNTIL_CLOSE;
}

/* Follows the answers' framing in the bytes libmicrohttpd sent. */
static void follow_answers(struct link *l, const char *p, size_t n)
{
	while (n && l->astate != ANSWER_UNTIL_CLOSE) {
		if (l->astate == ANSWER_BODY) {
			size_t take = n < l->aleft ? n : (size_t)l->aleft;
			l->aleft -= take;
			p += take;
			n -= take;
			if (!l->aleft) {
				l->astate = ANSWER_HEAD;
				answered_one(l);
			}
			continue;
		}
		if (l->ahead_len == ANSWER_HEAD_MAX - 1) {
			l->astate = ANSWER_UNTIL_CLOSE;
			return;
		}
		l->ahead[l->ahead_len++] = *p++;
		n--;
		if (l->ahead_len >= 4 && !memcmp(l->ahead + l->ahead_len - 4, "\r\n\r\n", 4)) {
			l->ahead[l->ahead_len] = '\0';
			answer_head_done(l);
		}
	}
}

static int is_header(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len > n && line[n] == ':' && !strncasecmp(line, name, n);
}

/* Queues the head for libmicrohttpd: as it came, or without its
 * Content-Length and with FRAME_WITHHELD_HEADER instead when the body is
 * withheld; never with a client's own FRAME_WITHHELD_HEADER. */
static int put_head(struct link *l)
{
	const struct frame *f = l->frame;
	if (!l->withholding && !f->info.withheld_header)
		return spool_put(&l->to_server, f->head, f->head_len);
	const char *p = f->head, *end = f->head + f->head_len;
	for (const char *eol; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));	/* the head ends in LF */
		size_t n = (size_t)(eol + 1 - p);
		if (p != f->head && (n == 1 || (n == 2 && *p == '\r')) && l->withholding) {
			char line[64];
			int k = snprintf(line, sizeof line, FRAME_WITHHELD_HEADER ": %llu\r\n", f->info.length);
			if (spool_put(&l->to_server, line, (size_t)k) < 0)
				return -1;
		}
		if ((l->withholding && is_header(p, n, "Content-Length")) || is_header(p, n, FRAME_WITHHELD_HEADER))
			continue;
		if (spool_put(&l->to_server, p, n) < 0)
			return -1;
	}
	return 0;
}

/* Frames what the client sent and queues the well-formed part for the server. */
static int take_client_bytes(struct link *l, const char *p, size_t n)
{
	for (;;) {
		size_t used = 0;
		enum frame_event ev = frame_next(l->frame, p, n, &used);
		switch (ev) {
		case FRAME_MORE:
			return 0;
		case FRAME_BAD:
			l->bad = 1;
			return 0;
		case FRAME_HEAD: {
			const struct frame_info *fi = &l->frame->info;
			char kind = (char)fi->head_method;
			/* ROB-1, CALL-3: an oversized body within the bound is withheld (gate.h). */
			l->withholding = fi->has_length && fi->length > DISPATCH_MAX_BODY &&
					 fi->length <= GATE_DISCARD_MAX && !fi->expect;
			if (put_head(l) < 0 || spool_put(&l->kinds, &kind, 1) < 0)
				return -1;
			if (l->withholding)
				l->completed++;	/* libmicrohttpd has all of it */
			else
				l->partial = 1;
			break;
		}
		case FRAME_BODY:
		case FRAME_END:
			if (used && !l->withholding && spool_put(&l->to_server, p, used) < 0)
				return -1;
			if (ev == FRAME_END) {
				if (!l->withholding)
					l->completed++;
				l->withholding = 0;
				l->partial = 0;
			}
			break;
		}
		p += used;
		n -= used;
		if (ev == FRAME_BODY && !n)
			return 0;
	}
}

static void set_mask(struct link *l, int fd, struct end *e, unsigned *cur, unsigned want)
{
	if (*cur == want)
		return;
	struct epoll_event ev = {.events = want, .data.ptr = e};
	epoll_ctl(l->loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
	*cur = want;
}

static int would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Sends what is queued for the client. Returns -1 when the client is gone. */
static int flush_client(struct link *l)
{
	if (!l->to_client.len)
		return 0;
	ssize_t n = send(l->cfd, l->to_client.data + l->to_client.off, l->to_client.len, MSG_NOSIGNAL);
	if (n < 0 && !would_block())
		return -1;
	if (n > 0) {
		spool_drop(&l->to_client, (size_t)n);
		l->last_out = time(NULL);
	}
	return 0;
}

/* Sends what is queued for libmicrohttpd; a refusal to read means it has
 * answered early and closed, and its answer is still to be read. */
static void flush_server(struct link *l)
{
	if (!l->to_server.len || l->mfd < 0 || l->server_unwritable)
		return;
	ssize_t n = send(l->mfd, l->to_server.data + l->to_server.off, l->to_server.len, MSG_NOSIGNAL);
	if (n < 0 && !would_block())
		l->server_unwritable = 1;
	if (n > 0) {
		spool_drop(&l->to_server, (size_t)n);
		if (!l->fed) {
			l->fed = 1;
			l->fed_next = l->loop->fed;
			l->loop->fed = l;
		}
	}
}

/* Decides what follows from the link's state: closing, the refusal, the
 * events to wait for. Returns -1 when the link was freed. */
static int settle(struct link *l)
{
	time_t now = time(NULL);
	if (!l->closing) {
		if (l->client_eof && !l->bad && !frame_idle(l->frame)) {
			frame_fail(l->frame, "the connection ended inside a request");
			l->bad = 1;
		}
		int all_answered = l->answered >= l->completed;
		if (l->server_eof || ((l->bad || l->client_eof) && all_answered)) {
			/* A malformed request is refused only when no answer to it has
			 * gone out already (an early 413 may have, or the answer to a
			 * request whose withheld body stopped short). */
			if (l->bad && !l->withholding && l->answered == l->completed && l->astate == ANSWER_HEAD &&
			    put_refusal(l, l->frame->why) < 0) {
				link_free(l);
				return -1;
			}
			close(l->mfd);
			l->mfd = -1;
			l->closing = 1;
			if (flush_client(l) < 0) {
				link_free(l);
				return -1;
			}
		}
	}
	if (l->closing && !l->to_client.len) {
		if (l->client_eof) {
			link_free(l);
			return -1;
		}
		if (!l->shut) {
			shutdown(l->cfd, SHUT_WR);
			l->shut = 1;
			l->linger_until = now + GATE_LINGER_SECONDS;
		}
	}
	if (l->server_unwritable)
		spool_drop(&l->to_server, l->to_server.len);
	unsigned cwant = l->to_client.len ? EPOLLOUT : 0;
	if (!l->client_eof && (l->closing || (!l->bad && l->to_server.len < SPOOL_CAP)))
		cwant |= EPOLLIN;
	set_mask(l, l->cfd, &l->cend, &l->cmask, cwant);
	if (l->mfd >= 0) {
		unsigned mwant = l->to_server.len ? EPOLLOUT : 0;
		if (!l->server_eof && l->to_client.len < SPOOL_CAP)
			mwant |= EPOLLIN;
		set_mask(l, l->mfd, &l->mend, &l->mmask, mwant);
	}
	return 0;
}


/* Sending is tried at once rather than after an EPOLLOUT: the sockets are
 * nearly always writable, and each wait saved is an epoll round trip per
 * request. Returns -1 when the link was freed. */
static int client_event(struct link *l, unsigned events)
{
	char *in = l->loop->in;
	if (events & EPOLLOUT && flush_client(l) < 0) {
		link_free(l);	/* the client is gone */
		return -1;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) && !l->client_eof) {
		ssize_t n = recv(l->cfd, in, READ_CHUNK, 0);
		if (n < 0 && !would_block()) {
			link_free(l);
			return -1;
		}
		if (n == 0)
			l->client_eof = 1;
		if (n > 0) {
			l->last_in = time(NULL);
			if (!l->closing && !l->bad && take_client_bytes(l, in, (size_t)n) < 0) {
				link_free(l);
				return -1;
			}
			flush_server(l);
		}
	}
	return settle(l);
}

static int server_event(struct link *l, unsigned events)
{
	char *in = l->loop->in;
	if (events & EPOLLOUT)
		flush_server(l);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) && !l->server_eof) {
		ssize_t n = recv(l->mfd, in, READ_CHUNK, 0);
		if (n == 0 || (n < 0 && !would_block()))
			l->server_eof = 1;
		if (n > 0) {
			if (spool_put(&l->to_client, in, (size_t)n) < 0) {
				link_free(l);
				return -1;
			}
			follow_answers(l, in, (size_t)n);
			if (flush_client(l) < 0) {
				link_free(l);
				return -1;
			}
		}
	}
	return settle(l);
}

/* The time bounds of gate.h. */
static void check_times(struct loop *lp, time_t now)
{
	for (struct link *l = lp->links, *next; l; l = next) {
		next = l->next;
		if (l->closing) {
			if (l->shut && now >= l->linger_until)
				link_free(l);
		} else if (l->to_client.len && now - l->last_out > GATE_IDLE_SECONDS) {
			link_free(l);	/* the client does not read its answers */
		} else if (frame_idle(l->frame) && l->answered >= l->completed && !l->to_server.len &&
			   now - l->last_in > GATE_IDLE_SECONDS && now - l->last_out > GATE_IDLE_SECONDS) {
			link_free(l);
		} else if (!l->bad && !frame_idle(l->frame) && l->to_server.len < SPOOL_CAP &&
			   now - l->last_in > GATE_STALL_SECONDS) {
			frame_fail(l->frame, "the request did not arrive within 10 s");
			l->bad = 1;
			settle(l);
		}
	}
}

/* Pairs client fd (counted in lp->nlinks by pick_loop) with a new
 * libmicrohttpd connection. Closes fd on failure. */
static void link_open(struct loop *lp, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	int pair[2] = {-1, -1};
	struct link *l = calloc(1, sizeof *l);
	if (!l || !(l->frame = malloc(sizeof *l->frame)) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) < 0) {
		if (l)
			free(l->frame);
		free(l);
		close(fd);
		loop_leave(lp);
		return;
	}
	/* The gate relays an answer in the pieces libmicrohttpd wrote it in:
	 * Nagle's algorithm would hold the last piece back for an ACK. */
	int one = 1;
	if (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	frame_init(l->frame);
	l->loop = lp;
	l->cfd = fd;
	l->mfd = pair[0];
	l->cend.link = l->mend.link = l;
	l->mend.server_side = 1;
	l->last_in = l->last_out = time(NULL);
	l->cmask = EPOLLIN;
	l->mmask = EPOLLIN;
	struct epoll_event cev = {.events = l->cmask, .data.ptr = &l->cend};
	struct epoll_event mev = {.events = l->mmask, .data.ptr = &l->mend};
	if (epoll_ctl(lp->epoll_fd, EPOLL_CTL_ADD, fd, &cev) < 0 ||
	    epoll_ctl(lp->epoll_fd, EPOLL_CTL_ADD, pair[0], &mev) < 0) {
		close(pair[0]);
		close(pair[1]);
		close(fd);
		link_release(l);
		loop_leave(lp);
		return;
	}
	/* On failure libmicrohttpd has closed pair[1] itself. */
	lp->daemon_ready = 1;
	if (MHD_add_connection(lp->daemon, pair[1], addr, addrlen) != MHD_YES) {
		close(pair[0]);
		close(fd);
		link_release(l);
		loop_leave(lp);
		return;
	}
	l->next = lp->links;
	if (lp->links)
		lp->links->prev = l;
	lp->links = l;
}

static void take_handovers(struct loop *lp)
{
	char drain[64];
	while (read(lp->wake_pipe[0], drain, sizeof drain) > 0)
		;
	pthread_mutex_lock(&lp->lock);
	struct handover *h = lp->handovers;
	lp->handovers = NULL;
	pthread_mutex_unlock(&lp->lock);
	while (h) {
		struct handover *next = h->next;
		link_open(lp, h->fd, (struct sockaddr *)&h->addr, h->addrlen);
		free(h);
		h = next;
	}
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Runs the daemon when it has work or a timeout is due, then reads at once
 * what it answered on the links just written to: the request and its
 * answer pass in one turn of the loop, with no thread to wake. */
static void drive_daemon(struct loop *lp)
{
	long long now = now_ms();
	if (!lp->daemon_ready && !lp->fed && now < lp->daemon_due)
		return;
	lp->daemon_ready = 0;
	MHD_run(lp->daemon);
	MHD_UNSIGNED_LONG_LONG wait;
	lp->daemon_due = now + (MHD_get_timeout(lp->daemon, &wait) == MHD_YES && wait < 1000 ? (long long)wait : 1000);
	struct link *l = lp->fed;
	lp->fed = NULL;
	while (l) {
		struct link *next = l->fed_next;
		l->fed = 0;
		if (!l->dead && l->mfd >= 0)
			server_event(l, EPOLLIN);
		l = next;
	}
}

/* Queues fd for lp's thread and wakes it. Returns 0, or -1 when it could not
 * be queued (fd is closed then) or the wake failed (the handover stays
 * queued; gate_stop closes it). */
static int hand_over(struct loop *lp, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct handover *h = calloc(1, sizeof *h);
	if (!h || addrlen > sizeof h->addr) {
		free(h);
		close(fd);
		loop_leave(lp);
		return -1;
	}
	h->fd = fd;
	memcpy(&h->addr, addr, addrlen);
	h->addrlen = addrlen;
	pthread_mutex_lock(&lp->lock);
	h->next = lp->handovers;
	lp->handovers = h;
	pthread_mutex_unlock(&lp->lock);
	if (write(lp->wake_pipe[1], "x", 1) < 0 && errno != EAGAIN)
		return -1;
	return 0;
}

static void *run(void *arg)
{
	struct loop *lp = arg;
	struct gate *g = lp->gate;
	struct epoll_event ev[64];
	time_t checked = time(NULL);
	for (;;) {
		long long wait = lp->daemon_ready || lp->fed ? 0 : lp->daemon_due - now_ms();
		int n = epoll_wait(lp->epoll_fd, ev, 64, wait < 0 ? 0 : (int)wait);
		for (int i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;
			if (p == &g->stop_pipe)
				return NULL;
			if (p == &lp->daemon) {
				lp->daemon_ready = 1;
			} else if (p == &lp->wake_pipe) {
				take_handovers(lp);
			} else if (p == &g->listen_fd) {
				for (int k = 0; k < 16; k++) {
					struct sockaddr_storage addr;
					socklen_t len = sizeof addr;
					int fd = accept4(g->listen_fd, (struct sockaddr *)&addr, &len,
							 SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (fd < 0)
						break;
					struct loop *to = pick_loop(g, lp);
					if (to == lp)
						link_open(lp, fd, (struct sockaddr *)&addr, len);
					else
						hand_over(to, fd, (struct sockaddr *)&addr, len);
				}
			} else {
				struct end *e = p;
				if (e->link->dead)
					continue;
				if (!e->server_side)
					client_event(e->link, ev[i].events);
				else if (e->link->mfd >= 0)
					server_event(e->link, ev[i].events);
			}
		}
		drive_daemon(lp);
		time_t now = time(NULL);
		if (now != checked) {
			checked = now;
			check_times(lp, now);
		}
		while (lp->dead) {
			struct link *l = lp->dead;
			lp->dead = l->next;
			link_release(l);
		}
	}
}

int gate_add(struct gate *g, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return hand_over(pick_loop(g, NULL), fd, addr, addrlen);
}

static void loop_clear(struct loop *lp)
{
	while (lp->links)
		link_free(lp->links);
	while (lp->dead) {
		struct link *l = lp->dead;
		lp->dead = l->next;
		link_release(l);
	}
	while (lp->handovers) {
		struct handover *h = lp->handovers;
		lp->handovers = h->next;
		close(h->fd);
		free(h);
	}
	if (lp->epoll_fd >= 0)
		close(lp->epoll_fd);
	if (lp->wake_pipe[0] >= 0) {
		close(lp->wake_pipe[0]);
		close(lp->wake_pipe[1]);
	}
	pthread_mutex_destroy(&lp->lock);
}

static int loop_start(struct gate *g, struct loop *lp, struct MHD_Daemon *daemon)
{
	lp->gate = g;
	lp->daemon = daemon;
	pthread_mutex_init(&lp->lock, NULL);
	lp->wake_pipe[0] = lp->wake_pipe[1] = -1;
	lp->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &g->listen_fd};
	struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &g->stop_pipe};
	struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &lp->wake_pipe};
	struct epoll_event dev = {.events = EPOLLIN, .data.ptr = &lp->daemon};
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_EPOLL_FD);
	if (lp->epoll_fd < 0 || pipe2(lp->wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0 ||
	    (g->listen_fd >= 0 && epoll_ctl(lp->epoll_fd, EPOLL_CTL_ADD, g->listen_fd, &lev) < 0) ||
	    epoll_ctl(lp->epoll_fd, EPOLL_CTL_ADD, g->stop_pipe[0], &sev) < 0 ||
	    epoll_ctl(lp->epoll_fd, EPOLL_CTL_ADD, lp->wake_pipe[0], &wev) < 0 || !info ||
	    epoll_ctl(lp->epoll_fd, EPOLL_CTL_ADD, info->epoll_fd, &dev) < 0 ||
	    pthread_create(&lp->thread, NULL, run, lp))
		return -1;
	lp->started = 1;
	return 0;
}

struct gate *gate_start(int listen_fd, struct MHD_Daemon *const *daemons, unsigned loops, char *err, size_t errlen)
{
	struct gate *g = calloc(1, sizeof *g);
	if (!g) {
		snprintf(err, errlen, "out of memory");
		if (listen_fd >= 0)
			close(listen_fd);
		return NULL;
	}
	g->listen_fd = listen_fd;
	g->nloops = loops > GATE_MAX_LOOPS ? GATE_MAX_LOOPS : loops;
	pthread_mutex_init(&g->balance_lock, NULL);
	g->stop_pipe[0] = g->stop_pipe[1] = -1;
	if (pipe2(g->stop_pipe, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot start the connection gate: %s", strerror(errno));
		g->nloops = 0;
		gate_stop(g);
		return NULL;
	}
	for (unsigned i = 0; i < g->nloops; i++) {
		if (loop_start(g, &g->loops[i], daemons[i]) < 0) {
			snprintf(err, errlen, "cannot start the connection gate: %s", strerror(errno));
			g->nloops = i + 1;
			gate_stop(g);
			return NULL;
		}
	}
	return g;
}

void gate_stop(struct gate *g)
{
	if (!g)
		return;
	/* One byte wakes every loop: the pipe stays readable, no loop reads it. */
	if (g->stop_pipe[1] >= 0 && write(g->stop_pipe[1], "x", 1) != 1)
		perror("reference-server: stopping the gate");
	for (unsigned i = 0; i < g->nloops; i++) {
		if (g->loops[i].started)
			pthread_join(g->loops[i].thread, NULL);
		loop_clear(&g->loops[i]);
	}
	if (g->listen_fd >= 0)
		close(g->listen_fd);
	if (g->stop_pipe[0] >= 0) {
		close(g->stop_pipe[0]);
		close(g->stop_pipe[1]);
	}
	pthread_mutex_destroy(&g->balance_lock);
	free(g);
}
