"""The framing suite (fixtures/framing.json) can fail: every case fails against a small raw
test server that answers malformed and well-formed requests alike with an HTML 400, and
against one that keeps silent; and the reference server passes every case, the SHOULDs
included (harness/test_framing_port.py holds the FastAPI port to the same). The mutating
proxy reads requests whole, so it cannot express a framing fault: these servers stand in
for its mutants."""
import json
import os
import socket
import threading

import pytest

from conftest import FIXTURES, RUNNER, need_binary, run_conformance

HTML = b"<html><body><h1>400 Bad Request</h1></body></html>"


def framing_ids():
    with open(os.path.join(FIXTURES, "framing.json"), encoding="utf-8") as f:
        return {c["id"] for c in json.load(f)["cases"]}


class RawServer:
    """Answers GET .../health and .../schema with JSON, kept alive, so that a run can start
    and its ROB-1 checks pass; any other request gets mode's answer: "html" a text/html 400
    and a close, "silent" nothing at all on a connection left open."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}/afi"
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf and b"\n\n" not in buf:
                    data = c.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n") if b"\r\n\r\n" in buf else buf.partition(b"\n\n")
                line = head.split(b"\r\n")[0].split(b" ")
                if len(line) == 3 and line[0] == b"GET" and line[1].endswith((b"/health", b"/schema")):
                    body = b'{"status":"ok"}' if line[1].endswith(b"/health") else b"{}"
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                              + str(len(body)).encode() + b"\r\n\r\n" + body)
                    continue
                if self.mode == "html":
                    c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: "
                              + str(len(HTML)).encode() + b"\r\nConnection: close\r\n\r\n" + HTML)
                    return
                while c.recv(65536):  # silent: read on, answer nothing, never close
                    pass
                return
        except OSError:
            return
        finally:
            if self.mode == "html":
                c.close()

    def stop(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def run_framing(tmp_path, base, secret, level="full"):
    need_binary(RUNNER)
    path = os.path.join(str(tmp_path), "framing.json")
    cp = run_conformance("run", "--target", base, "--only", "framing.*", "--level", level,
                         "--jobs", "12", "--report", "json:" + path, secret=secret)
    assert os.path.exists(path), f"no report (exit {cp.returncode}): {cp.stderr[-2000:]}"
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    return cp, {c["id"]: c for s in report["suites"] for c in s["cases"] if c["status"] != "skipped"}


@pytest.mark.parametrize("mode", ["html", "silent"])
def test_every_framing_case_fails_against_a_broken_server(mode, tmp_path):
    server = RawServer(mode)
    try:
        cp, cases = run_framing(tmp_path, server.base, "f" * 40)
    finally:
        server.stop()
    assert cp.returncode == 1, cp.stdout[-2000:]
    assert set(cases) == framing_ids()
    passed = sorted(i for i, c in cases.items() if c["status"] not in ("failed", "warned"))
    assert not passed, f"framing cases that do not notice a {mode} server: {passed}"
    if mode == "html":
        # An HTML 400 is the ENV-1 violation the issue measured: the run-wide check names it,
        # and as a MUST it fails even the should-grade cases.
        for i, c in cases.items():
            reqs = {f["requirement"] for f in c["failures"]}
            assert c["status"] == "failed" and "ENV-1" in reqs, (i, c["status"], reqs)
    else:
        for i, c in cases.items():
            msgs = " ".join(f.get("message") or "" for f in c["failures"])
            assert "within" in msgs, (i, msgs[:300])


def test_the_reference_passes_every_framing_case(reference, tmp_path):
    cp, cases = run_framing(tmp_path, reference.base, reference.secret)
    assert set(cases) == framing_ids()
    bad = sorted((i, c["status"]) for i, c in cases.items() if c["status"] != "passed")
    assert not bad and cp.returncode == 0, (bad, cp.stdout[-2000:])
