/* The malformed requests every framing test runs, first and later on a connection. */
#include "malformed.h"

/* Lengths come from sizeof: some of these hold NUL bytes. */
#define BAD(name, text) {name, text, sizeof text - 1}

const struct malformed malformed[] = {
	BAD("bad request line", "GARBAGE\r\n\r\n"),
	BAD("TLS hello", "\x16\x03\x01\x02\x00\x01\r\n\r\n"),
	BAD("HTTP/2.0", "GET /x HTTP/2.0\r\nHost: x\r\n\r\n"),
	BAD("two spaces", "GET  /x HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("no version", "GET /x\r\nHost: x\r\n\r\n"),
	BAD("header without colon", "POST /x HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n"),
	BAD("Content-Length +5", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello"),
	BAD("Content-Length 0x5", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello"),
	BAD("Content-Length -5", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
	BAD("Content-Length abc", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
	BAD("Content-Length 20 digits", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"),
	BAD("Content-Length with trailing space", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2 \r\n\r\n{}"),
	BAD("Content-Length empty", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n"),
	BAD("Content-Length list", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}"),
	BAD("two different Content-Length", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
	BAD("two equal Content-Length", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"),
	BAD("Content-Length with Transfer-Encoding", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
	BAD("unknown Transfer-Encoding", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
	BAD("Transfer-Encoding list", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
	BAD("two Transfer-Encoding", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
	BAD("Transfer-Encoding on HTTP/1.0", "POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
	BAD("obs-fold", "GET /x HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"),
	BAD("obs-fold with tab", "GET /x HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\tfolded\r\n\r\n"),
	BAD("space before colon", "GET /x HTTP/1.1\r\nHost : x\r\n\r\n"),
	BAD("bare CR in a value", "GET /x HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"),
	BAD("bare CR ending a line", "GET /x HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n"),
	BAD("bare CR in the target", "GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n"),
	BAD("NUL in a value", "GET /x HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"),
	BAD("control character in a value", "GET /x HTTP/1.1\r\nHost: a\x01" "b\r\n\r\n"),
	BAD("NUL in a name", "GET /x HTTP/1.1\r\nHost: x\r\n\0\x01\x02: \xff\r\n\r\n"),
	BAD("missing Host", "GET /x HTTP/1.1\r\n\r\n"),
	BAD("two Host", "GET /x HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
	BAD("bare LF in chunk size line", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\n{}\r\n0\r\n\r\n"),
	BAD("bare LF after chunk data", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\n0\r\n\r\n"),
	BAD("bare LF ending the chunked body", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\n"),
	BAD("chunk data longer than its size", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}x\r\n0\r\n\r\n"),
	BAD("chunk size not hex", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
	BAD("chunk size empty", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\n"),
	BAD("chunk size with a blank", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2 x\r\n{}\r\n"),
	BAD("chunk size 16 digits", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1234567890123456\r\n"),
	BAD("chunk extension with a CR", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;a\rb\r\n{}\r\n0\r\n\r\n"),
	BAD("trailer without colon", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a trailer\r\n\r\n"),
};

const size_t malformed_count = sizeof malformed / sizeof malformed[0];
