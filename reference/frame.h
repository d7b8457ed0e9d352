/* Request framing for the gate (ROB-1): splits the byte stream of one
 * connection into requests, checks every head and the chunked framing of
 * every body, and says which bytes may be passed on to libmicrohttpd.
 *
 * No I/O: the gate feeds it what a connection sent and acts on the events.
 * Every request of a connection is framed the same way, the first as the
 * hundredth, so a malformation is refused wherever it appears. */
#ifndef AFI_FRAME_H
#define AFI_FRAME_H

#include <stddef.h>

/* The largest header section let through (request line and header lines);
 * libmicrohttpd's per-connection memory must hold it (see server.c). */
#define FRAME_MAX_HEAD (32 * 1024)
/* The longest request line, part of the header section. */
#define FRAME_MAX_LINE (16 * 1024)
/* A header the gate adds for libmicrohttpd (gate.h); a client's own is
 * flagged in frame_info so that the gate drops it. */
#define FRAME_WITHHELD_HEADER "AFI-Withheld-Length"

enum frame_event {
	FRAME_MORE,	/* all of data went into the head being collected: feed more */
	FRAME_HEAD,	/* a well-formed head is complete: pass on head[0..head_len) */
	FRAME_BODY,	/* pass on data[0..used): body bytes, chunk framing included */
	FRAME_END,	/* pass on data[0..used) (maybe none): the request is complete */
	FRAME_BAD,	/* malformed: why says what; nothing more of the stream is framed */
};

/* What the head check learns about a well-formed head. */
struct frame_info {
	int chunked;		/* Transfer-Encoding: chunked */
	int has_length;		/* a Content-Length was given */
	unsigned long long length;
	int head_method;	/* HEAD: its answer carries no body */
	int expect;		/* an Expect header: the client may wait before sending the body */
	int withheld_header;	/* a FRAME_WITHHELD_HEADER header */
};

/* One connection's framing state. Zero it with frame_init; it owns no
 * memory beyond itself. */
struct frame {
	int state;
	char head[FRAME_MAX_HEAD];
	size_t head_len;
	struct frame_info info;	/* of the current request, valid after FRAME_HEAD */
	unsigned long long left;	/* body or chunk bytes still to come */
	unsigned digits;	/* hex digits of the current chunk size */
	size_t line_len;	/* bytes of the current chunk-size or trailer line */
	size_t trailer_len;
	char why[160];
};

void frame_init(struct frame *f);

/* Consumes a prefix of data[0..len) and reports the event it led to; *used
 * gets the number of bytes consumed. Call again with the rest (and with len
 * 0 after FRAME_HEAD, for a request without a body to end) until FRAME_MORE,
 * or FRAME_BODY with everything used. After FRAME_BAD every call returns
 * FRAME_BAD. */
enum frame_event frame_next(struct frame *f, const char *data, size_t len, size_t *used);

/* 1 when no request is partly received (between requests), else 0. */
int frame_idle(const struct frame *f);

/* Marks the stream malformed (e.g. it ended or stalled inside a request)
 * with why; later calls of frame_next return FRAME_BAD. */
void frame_fail(struct frame *f, const char *why);

/* Checks one complete head (request line and header lines, up to and
 * including the empty line), as frame_next does. Returns 0 with *info
 * filled (info may be NULL) or -1 with a message for a person in why. */
int frame_check_head(const char *head, size_t len, struct frame_info *info, char *why, size_t whylen);

#endif
