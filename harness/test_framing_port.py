"""HTTP framing of the FastAPI port (ROB-1, ENV-1): its Framer (afi_fastapi/framing.py, the
rules of reference/frame.c) refuses every malformation of test_framing_reference.py's list,
whole or byte by byte, and passes well-formed streams on unchanged; and the port passes the
whole framing suite (fixtures/framing.json) on both of uvicorn's parsers, h11 (default) and
httptools (--fast), as it answers every raw malformation with the envelope or a close."""
import json
import os
import sys

import pytest

from conftest import FASTAPI_SERVE, PYTHON, ROOT, Target, need_binary, RUNNER, run_conformance
from test_framing_reference import CHUNKED, HEALTH, MALFORMED, answers, assert_envelope, exchange

sys.path.insert(0, os.path.join(ROOT, "harness", "ports", "fastapi"))
from afi_fastapi import framing  # noqa: E402

ECHO = b'POST /afi/call/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' \
       b'Content-Length: 14\r\n\r\n{"text":"one"}'
WELL_FORMED = [
    HEALTH,
    ECHO,
    CHUNKED + b"5;ext=1\r\nhello\r\n0\r\n\r\n",
    CHUNKED + b"3 ;x\r\nabc\r\n00\r\nX-Trailer: yes\r\nX-Other:\r\n\r\n",
    b"GET /afi/health HTTP/1.0\n\n",
    b"GET /afi/health HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Tab: a\tb \r\n\r\n",
]


def feed_all(data, step=None):
    f = framing.Framer()
    if step is None:
        return f, f.feed(data)
    return f, b"".join(f.feed(data[i:i + step]) for i in range(0, len(data), step))


@pytest.mark.parametrize("step", [None, 1, 7])
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_framer_refuses_every_malformation_after_the_requests_before_it(name, step):
    stream = HEALTH + ECHO + MALFORMED[name]
    f, passed = feed_all(stream, step)
    assert f.why, f"{name}: not refused"
    # a head is held back whole; of a chunked body, what was sound before the fault passes
    assert stream.startswith(passed) and passed.startswith(HEALTH + ECHO), (name, passed[-200:])
    assert f.completed == 2 and (passed == HEALTH + ECHO or b"chunked" in MALFORMED[name]), name
    assert f.feed(HEALTH) == b"" and f.completed == 2  # nothing passes after a malformation


@pytest.mark.parametrize("step", [None, 1, 2, 5])
def test_framer_passes_well_formed_streams_on_unchanged(step):
    stream = b"".join(WELL_FORMED) * 2
    f, passed = feed_all(stream, step)
    assert f.why is None and passed == stream and f.completed == 2 * len(WELL_FORMED)
    assert f.idle()


def test_framer_holds_an_incomplete_request_and_says_it_is_not_idle():
    f = framing.Framer()
    assert f.feed(ECHO[:20]) == b"" and not f.idle()  # a head passes once complete
    head_len = ECHO.index(b"\r\n\r\n") + 4
    assert f.feed(ECHO[20:head_len + 3]) == ECHO[:head_len + 3]  # body bytes pass as they come
    assert not f.idle() and f.completed == 0
    assert f.feed(ECHO[head_len + 3:]) == ECHO[head_len + 3:] and f.idle() and f.completed == 1
    f.fail("the connection ended inside a request")
    assert f.why == "the connection ended inside a request"


def padded_head(total):
    """A GET head of exactly total bytes (its final empty line included)."""
    base = b"GET /afi/health HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n"
    return base[:-4] + b"a" * (total - len(base)) + b"\r\n\r\n"


def test_framer_limits_are_those_of_frame_c():
    for data, ok in [(padded_head(framing.MAX_HEAD), True), (padded_head(framing.MAX_HEAD + 1), False)]:
        f, passed = feed_all(data)
        assert (f.why is None) == ok and (passed == data) == ok, (len(data), f.why)
    line = b"GET /" + b"a" * (framing.MAX_LINE - len(b"GET / HTTP/1.1\r\n")) + b" HTTP/1.1\r\n"
    assert len(line) == framing.MAX_LINE
    for data, ok in [(line + b"Host: x\r\n\r\n", True), (line[:5] + b"a" + line[5:] + b"Host: x\r\n\r\n", False)]:
        f, _ = feed_all(data)
        assert (f.why is None) == ok, f.why
    f, _ = feed_all(CHUNKED + b"1" * 16 + b"\r\n")
    assert f.why == "a chunk-size line is malformed"


MODES = {"h11": [], "httptools": ["--fast"]}


@pytest.fixture(scope="module", params=sorted(MODES))
def port(request):
    t = Target([PYTHON, FASTAPI_SERVE, "--port", "{port}", *MODES[request.param]])
    yield t
    t.stop()


def test_the_port_passes_the_whole_framing_suite(port, tmp_path):
    need_binary(RUNNER)
    path = os.path.join(str(tmp_path), "framing.json")
    cp = run_conformance("run", "--target", port.base, "--only", "framing.*", "--level", "full",
                         "--jobs", "8", "--report", "json:" + path, secret=port.secret)
    assert os.path.exists(path), f"no report (exit {cp.returncode}): {cp.stderr[-2000:]}"
    with open(path, encoding="utf-8") as f:
        cases = [c for s in json.load(f)["suites"] for c in s["cases"] if c["status"] != "skipped"]
    assert len(cases) > 40
    bad = [(c["id"], c["status"]) for c in cases if c["status"] != "passed"]
    assert not bad and cp.returncode == 0, (bad, cp.stdout[-2000:])


@pytest.mark.parametrize("later", [False, True], ids=["first", "later"])
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_the_port_refuses_every_malformation_with_the_envelope(port, name, later):
    got = answers(exchange(port.port, (HEALTH * 2 if later else b"") + MALFORMED[name])[0])
    ok = got[:2] if later else []
    assert [a[0] for a in ok] == ([200, 200] if later else []), got
    rest = got[len(ok):]
    assert len(rest) <= 1, f"{name}: answered after the malformed request: {rest}"
    if rest:
        assert assert_envelope(rest[0], 400) == "bad_request"
