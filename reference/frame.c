/* Splits a connection's bytes into requests and checks each head and chunked body (ROB-1). */
#include "frame.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum state {
	S_HEAD,			/* collecting a head */
	S_NO_BODY,		/* head passed on, no body: the next call ends the request */
	S_LENGTH,		/* Content-Length body */
	S_SIZE,			/* chunk-size digits */
	S_SIZE_WS,		/* blanks after the digits, before a ';' */
	S_EXT,			/* chunk extension */
	S_SIZE_LF,		/* the LF after the chunk-size line's CR */
	S_DATA,			/* chunk data */
	S_DATA_CR,		/* the CR after chunk data */
	S_DATA_LF,
	S_TRAILER,		/* the start of a trailer line (or of the final empty line) */
	S_TRAILER_NAME,
	S_TRAILER_VALUE,
	S_TRAILER_LF,		/* the LF ending a trailer line */
	S_FINAL_LF,		/* the LF of the final empty line */
	S_BAD,
};

#define MAX_CHUNK_LINE 4096	/* a chunk-size line, extensions included */
#define MAX_SIZE_DIGITS 15

void frame_init(struct frame *f)
{
	memset(f, 0, sizeof *f);
	f->state = S_HEAD;
}

int frame_idle(const struct frame *f)
{
	return f->state == S_HEAD && f->head_len == 0;
}

void frame_fail(struct frame *f, const char *why)
{
	snprintf(f->why, sizeof f->why, "%s", why);
	f->state = S_BAD;
}

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A control character other than HTAB: never allowed in a field value. */
static int is_ctl(unsigned char c)
{
	return (c < ' ' && c != '\t') || c == 0x7f;
}

/* Fills why with msg and returns -1, the refusal of every check below. */
static int bad_head(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return -1;
}

/* ROB-1: what libmicrohttpd would refuse with a page of its own, and what
 * would let two parsers see different requests (smuggling). */
int frame_check_head(const char *head, size_t len, struct frame_info *info, char *why, size_t whylen)
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
	size_t mlen = (size_t)(q - p);
	int head_method = mlen == 4 && !memcmp(p, "HEAD", 4);
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
	int host = 0, te = 0, length_seen = 0, expect = 0, withheld = 0;
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
			if (is_ctl((unsigned char)*c))
				return bad_head(why, whylen, "a header value contains a control character");
		while (v < vlast && (*v == ' ' || *v == '\t'))
			v++;
		while (vlast > v && (vlast[-1] == ' ' || vlast[-1] == '\t'))
			vlast--;
		size_t nlen = (size_t)(colon - p), vlen = (size_t)(vlast - v);
		if (nlen == 6 && !strncasecmp(p, "Expect", 6))
			expect = 1;
		if (nlen == sizeof FRAME_WITHHELD_HEADER - 1 && !strncasecmp(p, FRAME_WITHHELD_HEADER, nlen))
			withheld = 1;
		if (nlen == 4 && !strncasecmp(p, "Host", 4)) {
			if (host++)
				return bad_head(why, whylen, "two Host headers");
		}
		if (nlen == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
			if (te++)
				return bad_head(why, whylen, "two Transfer-Encoding headers");
			if (vlen != 7 || strncasecmp(v, "chunked", 7))
				return bad_head(why, whylen, "a Transfer-Encoding other than chunked");
		}
		if (nlen == 14 && !strncasecmp(p, "Content-Length", 14)) {
			unsigned long long n = 0;
			if (length_seen)
				return bad_head(why, whylen, "two Content-Length headers");
			if (v == vlast || vlen > 18)
				return bad_head(why, whylen, "the Content-Length is not a number of at most 18 digits");
			/* RFC 9110 lets whitespace follow the digits, but libmicrohttpd
			 * 0.9.75 answers such a length with its HTML page: refused here. */
			if (vlast != lend)
				return bad_head(why, whylen, "the Content-Length is followed by whitespace");
			for (const char *c = v; c < vlast; c++) {
				if (*c < '0' || *c > '9')
					return bad_head(why, whylen, "the Content-Length is not a number");
				n = n * 10 + (unsigned)(*c - '0');
			}
			length_seen = 1;
			length = n;
		}
	}
	if (te && length_seen)
		return bad_head(why, whylen, "both Content-Length and Transfer-Encoding are present");
	if (te && !http11)
		return bad_head(why, whylen, "Transfer-Encoding in an HTTP/1.0 request");
	if (http11 && !host)
		return bad_head(why, whylen, "an HTTP/1.1 request without a Host header");
	if (info) {
		info->chunked = te;
		info->has_length = length_seen;
		info->length = length;
		info->head_method = head_method;
		info->expect = expect;
		info->withheld_header = withheld;
	}
	return 0;
}

static enum frame_event fail(struct frame *f, const char *why, size_t *used, size_t n)
{
	frame_fail(f, why);
	*used = n;
	return FRAME_BAD;
}

/* Collects head bytes; the end is the first empty line (CRLF or LF). */
static enum frame_event take_head(struct frame *f, const char *data, size_t len, size_t *used)
{
	size_t i = 0;
	for (; i < len; i++) {
		if (f->head_len == FRAME_MAX_HEAD)
			return fail(f, "the header section is larger than 32 KiB", used, i);
		char c = data[i];
		f->head[f->head_len++] = c;
		/* Looked at once, when the line could first be too long. */
		if (f->head_len == FRAME_MAX_LINE + 1 && !memchr(f->head, '\n', FRAME_MAX_LINE))
			return fail(f, "the request line is longer than 16 KiB", used, i + 1);
		if (c != '\n' || f->head_len < 2)
			continue;
		const char *h = f->head;
		size_t n = f->head_len;
		if (h[n - 2] != '\n' && !(n >= 3 && h[n - 2] == '\r' && h[n - 3] == '\n'))
			continue;
		*used = i + 1;
		if (frame_check_head(f->head, f->head_len, &f->info, f->why, sizeof f->why) < 0) {
			f->state = S_BAD;
			return FRAME_BAD;
		}
		if (f->info.chunked) {
			f->state = S_SIZE;
			f->left = 0;
			f->digits = 0;
			f->line_len = 0;
			f->trailer_len = 0;
		} else if (f->info.has_length && f->info.length > 0) {
			f->state = S_LENGTH;
			f->left = f->info.length;
		} else {
			f->state = S_NO_BODY;
		}
		return FRAME_HEAD;
	}
	*used = len;
	return FRAME_MORE;
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

/* The request is complete: the next bytes start a new head. */
static enum frame_event end_request(struct frame *f, size_t *used, size_t n)
{
	f->state = S_HEAD;
	f->head_len = 0;
	*used = n;
	return FRAME_END;
}

/* Chunked framing, strictly: CRLF after every size line, chunk and trailer
 * line (a bare LF or CR is refused); no blank before the size. */
static enum frame_event take_chunks(struct frame *f, const char *data, size_t len, size_t *used)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)data[i];
		if (f->state == S_DATA) {
			size_t n = len - i < f->left ? len - i : (size_t)f->left;
			f->left -= n;
			i += n;
			if (!f->left)
				f->state = S_DATA_CR;
			continue;
		}
		i++;
		switch (f->state) {
		case S_SIZE:
		case S_SIZE_WS:
		case S_EXT:
			if (++f->line_len > MAX_CHUNK_LINE)
				return fail(f, "a chunk-size line is longer than 4 KiB", used, i);
			if (f->state == S_SIZE && hex_value((char)c) >= 0) {
				if (++f->digits > MAX_SIZE_DIGITS)
					return fail(f, "a chunk size has more than 15 hex digits", used, i);
				f->left = f->left * 16 + (unsigned)hex_value((char)c);
			} else if (c == '\r' && f->digits && f->state != S_SIZE_WS) {
				f->state = S_SIZE_LF;
			} else if (f->state == S_EXT) {
				if (is_ctl(c))
					return fail(f, "a chunk extension contains a control character", used, i);
			} else if (c == ';' && f->digits) {
				f->state = S_EXT;
			} else if ((c == ' ' || c == '\t') && f->digits) {
				f->state = S_SIZE_WS;
			} else {
				return fail(f, "a chunk-size line is malformed", used, i);
			}
			break;
		case S_SIZE_LF:
			if (c != '\n')
				return fail(f, "a chunk-size line does not end in CRLF", used, i);
			f->state = f->left ? S_DATA : S_TRAILER;
			f->line_len = 0;
			break;
		case S_DATA_CR:
			if (c != '\r')
				return fail(f, "chunk data is not followed by CRLF", used, i);
			f->state = S_DATA_LF;
			break;
		case S_DATA_LF:
			if (c != '\n')
				return fail(f, "chunk data is not followed by CRLF", used, i);
			f->state = S_SIZE;
			f->digits = 0;
			f->left = 0;
			break;
		case S_TRAILER:
		case S_TRAILER_NAME:
		case S_TRAILER_VALUE:
			if (++f->trailer_len > FRAME_MAX_HEAD)
				return fail(f, "the trailer section is larger than 32 KiB", used, i);
			if (f->state == S_TRAILER && c == '\r')
				f->state = S_FINAL_LF;
			else if (f->state != S_TRAILER_VALUE && is_tchar(c))
				f->state = S_TRAILER_NAME;
			else if (f->state == S_TRAILER_NAME && c == ':')
				f->state = S_TRAILER_VALUE;
			else if (f->state == S_TRAILER_VALUE && c == '\r')
				f->state = S_TRAILER_LF;
			else if (f->state != S_TRAILER_VALUE || is_ctl(c))
				return fail(f, "a trailer line is malformed", used, i);
			break;
		case S_TRAILER_LF:
			if (c != '\n')
				return fail(f, "a trailer line does not end in CRLF", used, i);
			f->state = S_TRAILER;
			break;
		case S_FINAL_LF:
			if (c != '\n')
				return fail(f, "the chunked body does not end in CRLF", used, i);
			return end_request(f, used, i);
		default:
			return fail(f, "internal framing state", used, i);
		}
	}
	*used = len;
	return FRAME_BODY;
}

enum frame_event frame_next(struct frame *f, const char *data, size_t len, size_t *used)
{
	*used = 0;
	switch (f->state) {
	case S_BAD:
		return FRAME_BAD;
	case S_HEAD:
		if (!len)
			return FRAME_MORE;
		return take_head(f, data, len, used);
	case S_NO_BODY:
		return end_request(f, used, 0);
	case S_LENGTH: {
		if (!len)
			return FRAME_MORE;
		size_t n = len < f->left ? len : (size_t)f->left;
		f->left -= n;
		if (!f->left)
			return end_request(f, used, n);
		*used = n;
		return FRAME_BODY;
	}
	default:
		if (!len)
			return FRAME_MORE;
		return take_chunks(f, data, len, used);
	}
}
