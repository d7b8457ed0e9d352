/* The connection gate's checks of request heads and chunked framing (ROB-1). */
#include <criterion/criterion.h>
#include <string.h>

#include "gate.h"

static int head(const char *h)
{
	char why[160] = "";
	int chunked = -1;
	int r = gate_check_head(h, strlen(h), &chunked, why, sizeof why);
	if (r < 0)
		cr_assert(why[0], "a refusal says why");
	else
		cr_assert(chunked == 0 || chunked == 1);
	return r;
}

Test(gate, well_formed_heads_pass)
{
	cr_assert_eq(head("GET /afi/health HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
	cr_assert_eq(head("GET /afi/health HTTP/1.0\r\n\r\n"), 0, "HTTP/1.0 needs no Host");
	cr_assert_eq(head("POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n"
			  "Content-Type: application/json\r\nX-Bin: caf\xc3\xa9\r\n\r\n"), 0);
	cr_assert_eq(head("POST /x HTTP/1.1\nHost: x\nContent-Length:  7 \nContent-Length: 7\n\n"), 0);
	cr_assert_eq(head("PATCH /x?q=%00 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
}

Test(gate, malformed_heads_are_refused)
{
	const char *bad[] = {
		"GARBAGE\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01\r\n\r\n",
		"GET /x HTTP/2.0\r\nHost: x\r\n\r\n",
		"GET  /x HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /x HTTP/1.1\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\x01b\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char why[160] = "";
		size_t len = strlen(bad[i]);
		cr_assert_eq(gate_check_head(bad[i], len, NULL, why, sizeof why), -1, "head %zu accepted", i);
		cr_assert(why[0]);
	}
	static const char nul[] = "POST /x HTTP/1.1\r\nHost: x\r\n\x00\x01\x02: \xff\xfe\r\n\r\n";
	char why[160];
	cr_assert_eq(gate_check_head(nul, sizeof nul - 1, NULL, why, sizeof why), -1, "NUL bytes in a header name");
}

Test(gate, chunk_framing)
{
	const char *ok[] = {"", "2\r\n{}\r\n0\r\n\r\n", "2;ext=1\r\n{}\r\n", "A\r\n0123", "2\r\n{}", "1f"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		cr_assert_eq(gate_check_chunks(ok[i], strlen(ok[i])), 0, "'%s'", ok[i]);
	const char *bad[] = {"zz\r\n{}\r\n0\r\n\r\n", "\r\n", "2\r\n{}x\r\n", "2 x\r\n{}\r\n", "1234567890123456\r\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(gate_check_chunks(bad[i], strlen(bad[i])), -1, "'%s'", bad[i]);
}
