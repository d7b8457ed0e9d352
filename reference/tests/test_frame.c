/* Request framing (ROB-1): every malformation is refused as the first and as a
 * later request of a connection, however the bytes are split. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "malformed.h"

#define OK_GET "GET /afi/health HTTP/1.1\r\nHost: x\r\n\r\n"
#define OK_POST "POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"

/* What framing a stream gives: the requests completed, whether it was
 * refused, and the bytes passed on (which must be a prefix of the input). */
struct outcome {
	int completed;
	int bad;
	size_t passed;
	char why[160];
};

/* Feeds data in pieces of step bytes (0: all at once). */
static struct outcome feed(const char *data, size_t len, size_t step)
{
	static struct frame f;
	struct outcome o = {0};
	char *passed = malloc(len + FRAME_MAX_HEAD + 1);
	cr_assert(passed);
	frame_init(&f);
	for (size_t at = 0; at < len && !o.bad;) {
		size_t n = step && len - at > step ? step : len - at;
		const char *p = data + at;
		at += n;
		for (;;) {
			size_t used = 99;
			enum frame_event ev = frame_next(&f, p, n, &used);
			cr_assert_leq(used, n);
			if (ev == FRAME_MORE) {
				cr_assert_eq(used, n);
				break;
			}
			if (ev == FRAME_BAD) {
				o.bad = 1;
				strcpy(o.why, f.why);
				break;
			}
			if (ev == FRAME_HEAD) {
				memcpy(passed + o.passed, f.head, f.head_len);
				o.passed += f.head_len;
			} else {
				memcpy(passed + o.passed, p, used);
				o.passed += used;
				o.completed += ev == FRAME_END;
			}
			p += used;
			n -= used;
			if (ev == FRAME_BODY && !n)
				break;
		}
	}
	cr_assert_leq(o.passed, len);
	cr_assert(!memcmp(passed, data, o.passed), "what is passed on is the input, unchanged");
	free(passed);
	return o;
}

/* The same stream fed at once, byte by byte and in pieces of 7 gives the same outcome. */
static struct outcome feed_all_ways(const char *data, size_t len)
{
	struct outcome a = feed(data, len, 0), b = feed(data, len, 1), c = feed(data, len, 7);
	cr_assert_eq(a.completed, b.completed);
	cr_assert_eq(a.completed, c.completed);
	cr_assert_eq(a.bad, b.bad);
	cr_assert_eq(a.bad, c.bad);
	if (!a.bad) {	/* a refused request's bytes before the fault may or may not have gone */
		cr_assert_eq(a.passed, b.passed);
		cr_assert_eq(a.passed, c.passed);
	}
	return a;
}


Test(frame, every_malformation_is_refused_first_and_later)
{
	for (size_t i = 0; i < malformed_count; i++) {
		const char *bad = malformed[i].head;
		size_t blen = malformed[i].len;
		struct outcome o = feed_all_ways(bad, blen);
		cr_assert(o.bad, "%s: accepted as the first request", malformed[i].name);
		cr_assert(o.why[0], "%s: a refusal says why", malformed[i].name);
		cr_assert_eq(o.completed, 0, "%s", malformed[i].name);

		char stream[512];
		size_t pre = strlen(OK_GET OK_POST);
		memcpy(stream, OK_GET OK_POST, pre);
		memcpy(stream + pre, bad, blen);
		o = feed_all_ways(stream, pre + blen);
		cr_assert(o.bad, "%s: accepted as a later request", malformed[i].name);
		cr_assert_eq(o.completed, 2, "%s: the requests before it are complete", malformed[i].name);
		cr_assert_geq(o.passed, pre, "%s", malformed[i].name);
	}
}

Test(frame, nul_bytes_are_counted)
{
	static const char nul[] = OK_GET "GET /x HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n";
	struct outcome o = feed_all_ways(nul, sizeof nul - 1);
	cr_assert(o.bad);
	cr_assert_eq(o.completed, 1);
	cr_assert_str_eq(o.why, "a header value contains a control character");
}

Test(frame, well_formed_requests_pass_in_sequence)
{
	static const char s[] = OK_GET
		"GET /afi/health HTTP/1.0\r\n\r\n"
		"POST /afi/call/echo HTTP/1.1\nHost: x\nContent-Length:  7\n\n{\"a\":1}"
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Bin: caf\xc3\xa9\r\n"
		"Transfer-Encoding: Chunked\r\n\r\n2;ext=1\r\n{}\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n"
		"PATCH /x?q=%00 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
		"HEAD /afi/health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
	struct outcome o = feed_all_ways(s, sizeof s - 1);
	cr_assert(!o.bad, "refused: %s", o.why);
	cr_assert_eq(o.completed, 6);
	cr_assert_eq(o.passed, sizeof s - 1);
}

Test(frame, a_partial_request_is_not_idle)
{
	static struct frame f;
	size_t used;
	frame_init(&f);
	cr_assert(frame_idle(&f));
	cr_assert_eq(frame_next(&f, "GET /", 5, &used), FRAME_MORE);
	cr_assert(!frame_idle(&f));
	frame_init(&f);
	static const char post[] = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab";
	cr_assert_eq(frame_next(&f, post, sizeof post - 1, &used), FRAME_HEAD);
	cr_assert_eq(frame_next(&f, post + used, sizeof post - 1 - used, &used), FRAME_BODY);
	cr_assert_eq(used, 2);
	cr_assert(!frame_idle(&f), "three body bytes are still announced");
	frame_fail(&f, "the connection ended inside a request");
	cr_assert_eq(frame_next(&f, "cde", 3, &used), FRAME_BAD);
	cr_assert_str_eq(f.why, "the connection ended inside a request");
}

Test(frame, an_announced_body_is_not_read_into_the_head)
{
	static struct frame f;
	size_t used;
	frame_init(&f);
	static const char big[] = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999999999\r\n\r\n";
	cr_assert_eq(frame_next(&f, big, sizeof big - 1, &used), FRAME_HEAD);
	cr_assert_eq(used, sizeof big - 1);
	cr_assert(f.info.has_length);
	cr_assert_eq(f.info.length, 999999999999999999ull);
}

Test(frame, oversized_heads_and_request_lines_are_refused)
{
	size_t n = FRAME_MAX_HEAD + 100;
	char *s = malloc(n + 64);
	cr_assert(s);
	/* a header section over 32 KiB, first and after a request */
	for (int later = 0; later < 2; later++) {
		size_t at = 0;
		if (later) {
			memcpy(s, OK_GET, strlen(OK_GET));
			at = strlen(OK_GET);
		}
		at += (size_t)sprintf(s + at, "GET /x HTTP/1.1\r\nHost: x\r\nX-Big: ");
		memset(s + at, 'a', n - at);
		memcpy(s + n, "\r\n\r\n", 4);
		struct outcome o = feed(s, n + 4, 0);
		cr_assert(o.bad);
		cr_assert_eq(o.completed, later);
		cr_assert_str_eq(o.why, "the header section is larger than 32 KiB");
		/* a request line over 16 KiB */
		at = later ? strlen(OK_GET) : 0;
		at += (size_t)sprintf(s + at, "GET /");
		memset(s + at, 'a', FRAME_MAX_LINE);
		o = feed(s, at + FRAME_MAX_LINE, 1000);
		cr_assert(o.bad);
		cr_assert_eq(o.completed, later);
		cr_assert_str_eq(o.why, "the request line is longer than 16 KiB");
	}
	/* 20 KB of headers is within the limit */
	size_t at = (size_t)sprintf(s, "GET /x HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(s + at, 'a', 20000);
	memcpy(s + at + 20000, "\r\n\r\n", 4);
	struct outcome o = feed(s, at + 20004, 0);
	cr_assert(!o.bad, "%s", o.why);
	cr_assert_eq(o.completed, 1);
	free(s);
}

Test(frame, check_head_reports_the_body_framing)
{
	struct frame_info info;
	char why[160];
	static const char chunked[] = "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
	cr_assert_eq(frame_check_head(chunked, sizeof chunked - 1, &info, why, sizeof why), 0);
	cr_assert(info.chunked && !info.has_length && !info.head_method);
	static const char head[] = "HEAD /x HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n";
	cr_assert_eq(frame_check_head(head, sizeof head - 1, &info, why, sizeof why), 0);
	cr_assert(!info.chunked && info.has_length && info.length == 12 && info.head_method);
	cr_assert(!info.expect && !info.withheld_header);
	static const char flagged[] = "POST /x HTTP/1.1\r\nHost: x\r\nexpect: 100-continue\r\n"
				      "afi-withheld-length: 3\r\nContent-Length: 2\r\n\r\n";
	cr_assert_eq(frame_check_head(flagged, sizeof flagged - 1, &info, why, sizeof why), 0);
	cr_assert(info.expect && info.withheld_header && info.length == 2);
}
