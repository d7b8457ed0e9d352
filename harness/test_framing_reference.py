"""HTTP framing of the reference server over raw sockets (ROB-1, ENV-1): every malformation
of the gate's list is refused with a 4xx envelope (or a close), never a non-JSON body, both
as the first and as a later request of a kept-alive connection; an announced oversized body
is 413 before it is sent; a body shorter than announced is answered or closed within a bound;
pipelined requests are answered in order; a connection is reused after 4xx answers that leave
its framing intact."""
import concurrent.futures
import json
import socket
import time

import pytest

from conftest import SERVER, mint, need_binary

HEALTH = b"GET /afi/health HTTP/1.1\r\nHost: x\r\n\r\n"
STALL_BOUND = 10 + 5  # reference/gate.h GATE_STALL_SECONDS, plus scheduling slack
MIB = 1024 * 1024
ENV2_STATUS = {"bad_request": 400, "invalid_json": 400, "unauthenticated": 401, "not_found": 404,
               "unknown_function": 404, "payload_too_large": 413, "unsupported_media_type": 415,
               "validation_error": 422}

CHUNKED = b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
          b"Transfer-Encoding: chunked\r\n\r\n"
MALFORMED = {
    "bad request line": b"GARBAGE\r\n\r\n",
    "HTTP/2.0": b"GET /afi/health HTTP/2.0\r\nHost: x\r\n\r\n",
    "bad Content-Length": b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
    "duplicate Content-Length": b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                                b"Content-Length: 2\r\n\r\n{}",
    "different Content-Length": b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                                b"Content-Length: 3\r\n\r\n{}",
    "Content-Length +5": b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
    "Content-Length 0x5": b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello",
    "empty Content-Length": b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
    "Content-Length with Transfer-Encoding": b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "unknown Transfer-Encoding": b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\n"
                                 b"Transfer-Encoding: gzip\r\n\r\n",
    "obs-fold": b"GET /afi/health HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n",
    "space before the colon": b"GET /afi/health HTTP/1.1\r\nHost : x\r\n\r\n",
    "bare CR": b"GET /afi/health HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
    "bare LF in chunked framing": CHUNKED + b"2\n{}\r\n0\r\n\r\n",
    "bare LF after chunk data": CHUNKED + b"2\r\n{}\n0\r\n\r\n",
    "NUL in a header value": b"GET /afi/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    "CR in a header value": b"GET /afi/health HTTP/1.1\r\nHost: x\r\nX-A: a\r\r\n\r\n",
    "missing Host": b"GET /afi/health HTTP/1.1\r\n\r\n",
    "duplicate Host": b"GET /afi/health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    "oversized header section": b"GET /afi/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000
                                + b"\r\n\r\n",
    "oversized header section of many lines": b"GET /afi/health HTTP/1.1\r\nHost: x\r\n"
                                              + b"X-Big: a\r\n" * 4000 + b"\r\n",
    "oversized request line": b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
}


@pytest.fixture
def port(reference):
    need_binary(SERVER)
    return reference.port


def exchange(port, data, timeout=10, half_close=True):
    """Sends data on one connection and returns (every byte answered, seconds until the close)."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except OSError:
                break
            if not b:
                break
            out += b
    return out, time.monotonic() - t0


def answers(data):
    """Every answer of a raw stream as (status, headers{lower: value}, body); asserts that the
    stream is nothing but whole answers with a Content-Length each."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, f"a partial answer: {data[:300]!r}"
        lines = head.split(b"\r\n")
        assert lines[0].startswith(b"HTTP/1.1 "), lines[0]
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.decode("latin-1").partition(":")
            hdrs[k.strip().lower()] = v.strip()
        assert "content-length" in hdrs, head
        n = int(hdrs["content-length"])
        out.append((int(lines[0].split()[1]), hdrs, rest[:n]))
        data = rest[n:]
    return out


def assert_envelope(answer, status=None):
    """ENV-1: a 4xx answer is the JSON envelope and nothing else."""
    st, hdrs, body = answer
    assert 400 <= st < 500, answer
    assert hdrs.get("content-type", "").split(";")[0].strip() == "application/json", answer
    doc = json.loads(body)
    assert set(doc) == {"error"} and set(doc["error"]) == {"code", "message", "details"}, doc
    assert ENV2_STATUS.get(doc["error"]["code"]) == st, doc
    if status is not None:
        assert st == status, answer
    return doc["error"]["code"]


@pytest.mark.parametrize("later", [False, True], ids=["first", "later"])
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_rob_1_every_malformation_is_refused_on_every_request(port, name, later):
    before = HEALTH * 2 if later else b""
    got = answers(exchange(port, before + MALFORMED[name])[0])
    ok = got[:2] if later else []
    assert [a[0] for a in ok] == ([200, 200] if later else []), got
    rest = got[len(ok):]
    assert len(rest) <= 1, f"{name}: answered after the malformed request: {rest}"
    if rest:  # a close without an answer is allowed too
        assert assert_envelope(rest[0], 400) == "bad_request"


@pytest.mark.parametrize("later", [False, True], ids=["first", "later"])
def test_rob_1_a_20_kb_header_is_within_the_limit_on_every_request(port, later):
    big = b"GET /afi/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    got = answers(exchange(port, (HEALTH if later else b"") + big + HEALTH)[0])
    assert [a[0] for a in got] == [200] * (3 if later else 2), got


def oversized_announcement(port, later):
    head = b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           b"Content-Length: 2000000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall((HEALTH if later else b"") + head + b"{")
        out = b""
        while b"payload_too_large" not in out:
            b = s.recv(65536)  # a timeout fails the test: the body is never sent
            if not b:
                break
            out += b
    return answers(out[:out.rfind(b"}") + 1])


@pytest.mark.parametrize("later", [False, True], ids=["first", "later"])
def test_call_3_announced_oversized_body_is_413_before_it_is_sent(port, later):
    got = oversized_announcement(port, later)
    assert [a[0] for a in got] == ([200, 413] if later else [413]), got
    assert_envelope(got[-1], 413)


def short_body(port, later):
    head = b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           b"Content-Length: 40\r\n\r\n{\"text\":"
    return exchange(port, (HEALTH if later else b"") + head, timeout=STALL_BOUND + 5, half_close=False)


def test_rob_1_body_shorter_than_announced_is_answered_or_closed_within_a_bound(port):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda later: (later, *short_body(port, later)), [False, True]))
    for later, out, took in runs:
        assert took < STALL_BOUND, f"later={later}: still open after {took:.1f} s"
        got = answers(out)
        assert [a[0] for a in got[:1]] == ([200] if later else [got[0][0]] if got else []), got
        for a in got[1 if later else 0:]:
            assert_envelope(a, 400)


def test_rob_1_pipelined_requests_are_answered_in_order(port):
    reqs = b""
    for i in range(8):
        body = json.dumps({"text": f"t{i}"}).encode()
        reqs += (b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        reqs += HEALTH
    got = answers(exchange(port, reqs)[0])
    assert len(got) == 16, got
    for i in range(8):
        assert got[2 * i][0] == 200 and json.loads(got[2 * i][2])["result"]["message"] == f"t{i}"
        assert got[2 * i + 1][0] == 200 and json.loads(got[2 * i + 1][2])["status"] == "ok"


def post(path, body, ctype=b"application/json", token=None, chunked=False):
    h = b"POST /afi" + path + b" HTTP/1.1\r\nHost: x\r\n"
    if ctype:
        h += b"Content-Type: " + ctype + b"\r\n"
    if token:
        h += b"Authorization: Bearer " + token.encode() + b"\r\n"
    if chunked:
        size = b"%x" % len(body)
        return h + b"Transfer-Encoding: chunked\r\n\r\n" + size + b"\r\n" + body + b"\r\n0\r\n\r\n"
    return h + b"Content-Length: %d\r\n\r\n" % len(body) + body


KEEP_ALIVE_AFTER = {
    400: lambda secret: post(b"/call/echo", b"{"),
    401: lambda secret: post(b"/call/whoami", b"{}"),
    404: lambda secret: post(b"/call/nope", b"{}"),
    413: lambda secret: post(b"/call/echo", b"[" + b"0," * (MIB // 2) + b"0]", chunked=True),
    415: lambda secret: post(b"/call/echo", b'{"text":"x"}', ctype=b"text/plain"),
    422: lambda secret: post(b"/call/echo", b"{}"),
}


@pytest.mark.parametrize("status", sorted(KEEP_ALIVE_AFTER))
def test_rob_1_connection_is_reused_after_a_4xx(reference, port, status):
    first = KEEP_ALIVE_AFTER[status](reference.secret)
    token = mint(reference.secret)
    then = post(b"/call/echo", b'{"text":"again"}', token=token)
    got = answers(exchange(port, first + then + HEALTH, timeout=20)[0])
    assert [a[0] for a in got] == [status, 200, 200], got
    assert_envelope(got[0], status)
    assert "connection" not in got[0][1] or got[0][1]["connection"].lower() != "close", got[0]


DISCARD_MAX = 4 * MIB  # reference/gate.h GATE_DISCARD_MAX


@pytest.mark.parametrize("length", [MIB + 1, DISCARD_MAX, DISCARD_MAX + 1])
def test_rob_1_a_413_keeps_the_connection_when_the_body_is_within_the_discard_bound(reference, port, length):
    head = b"POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           b"Content-Length: %d\r\n\r\n" % length
    then = post(b"/call/echo", b'{"text":"again"}', token=mint(reference.secret))
    got = answers(exchange(port, head + b" " * length + then + HEALTH, timeout=20)[0])
    assert_envelope(got[0], 413)
    if length <= DISCARD_MAX:
        assert [a[0] for a in got] == [413, 200, 200], got
        assert got[0][1].get("connection", "").lower() != "close", got[0]
    else:  # never read: 413 at once, then the close
        assert len(got) == 1 and got[0][1].get("connection", "").lower() == "close", got
