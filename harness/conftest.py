"""Shared pytest fixtures: paths to the built binaries, and targets started on free loopback ports."""
import os
import secrets
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

from children import free_port, stop_child, wait_health  # noqa: F401 (tests import them from here)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# AFI_BUILD points the harness at other binaries (e.g. build/asan); default: build/.
BUILD = os.environ.get("AFI_BUILD") or os.path.join(ROOT, "build")
SERVER = os.path.join(BUILD, "reference-server")
RUNNER = os.path.join(BUILD, "conformance")
FIXTURES = os.path.join(ROOT, "fixtures")
PYTHON = "/usr/bin/python3"
FASTAPI_SERVE = os.path.join(ROOT, "harness", "ports", "fastapi", "serve.py")


class Target:
    """A running AFI target: base URL, secret (a fresh one unless given), process; stop()
    ends it. health_timeout: how long it may take to answer /health."""

    def __init__(self, argv, env_extra=None, base_path="/afi", secret=None, health_timeout=15.0):
        self.secret = secret or secrets.token_hex(24)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}{base_path}"
        env = dict(os.environ, AFI_SECRET=self.secret, **(env_extra or {}))
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        # stderr goes to a file, not a pipe: a pipe nobody drains blocks a chatty target
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            wait_health(self.base, timeout=health_timeout, proc=self.proc)
        except Exception as e:
            self.stop()
            raise RuntimeError(f"{e}; its stderr ends with: {self.stderr_tail()!r}") from e

    def stderr_tail(self, n=2000):
        """The last n bytes the target wrote to stderr (n None: all of it)."""
        self.log.flush()
        self.log.seek(0, os.SEEK_END)
        size = self.log.tell()
        self.log.seek(0 if n is None else max(0, size - n))
        return self.log.read().decode("utf-8", "replace")

    def stop(self):
        stop_child(self.proc)


def reference_argv():
    return [SERVER, "--port", "{port}"]


def fastapi_argv():
    return [PYTHON, FASTAPI_SERVE, "--port", "{port}"]


def run_conformance(*args, secret=None, timeout=300):
    """Runs build/conformance with args; returns the CompletedProcess (text mode)."""
    env = dict(os.environ)
    if secret is not None:
        env["AFI_SECRET"] = secret
    return subprocess.run([RUNNER, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="session")
def reference():
    """The reference server, started once for the session."""
    t = Target(reference_argv())
    yield t
    t.stop()


@pytest.fixture(scope="session")
def fastapi_port():
    """The FastAPI port, started once for the session."""
    t = Target(fastapi_argv())
    yield t
    t.stop()


# ---------------------------------------------------------------------------
# Helpers for the black-box tests (test_cli.py, test_reports.py,
# test_reference_blackbox.py). Everything above keeps its meaning.
# ---------------------------------------------------------------------------
import base64
import http.client as httpclient
import http.server as httpserver
import json
import re
import threading
import urllib.parse
import uuid

DOCS = os.path.join(ROOT, "docs")
PROTOCOL_MD = os.path.join(DOCS, "protocol.md")
HARNESS_DATA = os.path.join(ROOT, "harness", "data")


def requirement_ids():
    """The requirement ids of docs/protocol.md, in document order, read from its headings."""
    ids = []
    with open(PROTOCOL_MD, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^#### ([A-Z]+-\d+) · (MUST|SHOULD) · (.+)$", line.rstrip("\n"))
            if m:
                ids.append((m.group(1), m.group(2), m.group(3)))
    return ids


def need_binary(path):
    """Fails the calling test with a clear reason when a binary was not built."""
    if not os.access(path, os.X_OK):
        pytest.fail(f"{os.path.relpath(path, ROOT)} is not built (make {os.path.relpath(path, ROOT)})",
                    pytrace=False)


def conformance(*args, secret=None, timeout=120, env_extra=None, cwd=ROOT):
    """Runs build/conformance from the repository root; returns the CompletedProcess (text mode).

    Unlike run_conformance, AFI_SECRET is removed from the environment unless secret is given,
    so a test never depends on the caller's shell."""
    need_binary(RUNNER)
    env = {k: v for k, v in os.environ.items() if k != "AFI_SECRET"}
    if secret is not None:
        env["AFI_SECRET"] = secret
    env.update(env_extra or {})
    # errors="replace": a runner that echoes a target's invalid UTF-8 must not crash the harness
    # (test_reports.py checks the terminal output's bytes itself)
    return subprocess.run([RUNNER, *args], env=env, capture_output=True,
                          encoding="utf-8", errors="replace", timeout=timeout, cwd=cwd)


def output_of(cp):
    return (cp.stdout or "") + (cp.stderr or "")


def fixture_suite_files():
    """The suite files the runner loads from fixtures/ by default (docs/fixtures.md)."""
    if not os.path.isdir(FIXTURES):
        return []
    return sorted(os.path.join(FIXTURES, n) for n in os.listdir(FIXTURES)
                  if n.endswith(".json") and n != "profile-schema.json"
                  and not n.endswith(".schema.json"))


def fixture_cases():
    """Every case of the repository's fixtures, in file order, read directly from the files."""
    cases = []
    for path in fixture_suite_files():
        with open(path, encoding="utf-8") as f:
            cases.extend(json.load(f).get("cases", []))
    return cases


def fixture_case_ids():
    """Every case id of the repository's fixtures."""
    return [c["id"] for c in fixture_cases()]


def cluster_case_ids():
    """The case ids tagged cluster: they need two targets or more, a single target skips them."""
    return [c["id"] for c in fixture_cases() if "cluster" in c.get("tags", [])]


def jwks_case_ids():
    """The case ids tagged jwks: they need the runner's JWK Set (--key-source jwks), a run
    without it skips them."""
    return [c["id"] for c in fixture_cases() if "jwks" in c.get("tags", [])]


def write_suite(directory, suite, cases, identities=None, area="HLT", title=None):
    """Writes a fixture suite file named <suite>.json into directory; returns its path."""
    doc = {"suite": suite, "area": area, "title": title or f"harness suite {suite}",
           "identities": identities or {}, "cases": cases}
    path = os.path.join(str(directory), suite + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
    return path


def health_case(case_id, expect_status_value="ok", requirements=("HLT-1",), title=None, **extra):
    """A one-step case GET /health expecting {"status": expect_status_value}."""
    case = {"id": case_id, "title": title or f"health answers {expect_status_value}",
            "requirements": list(requirements), "level": "core", "tags": [],
            "steps": [{"name": "GET /health",
                       "request": {"method": "GET", "path": "/health"},
                       "expect": {"status": 200, "body": {"status": expect_status_value}}}]}
    case.update(extra)
    return case


def report_case_ids(report):
    """{case id: status} of a JSON report."""
    out = {}
    for s in report["suites"]:
        for c in s["cases"]:
            out[c["id"]] = c["status"]
    return out


CLOSING_RE = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\b")


def closing_line(stdout):
    """The last non-empty line of the runner's stdout."""
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


# --- HTTP ----------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.header_list = headers  # [(name, value)] as received
        self.body = body

    def header(self, name):
        """All values of a header joined with ', ' (case-insensitive name), or None."""
        vals = [v for k, v in self.header_list if k.lower() == name.lower()]
        return ", ".join(vals) if vals else None

    def headers_named(self, name):
        return [v for k, v in self.header_list if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


def http(base, method, path, body=None, headers=None, token=None, cookie=None,
         timeout=15, chunked=False):
    """One request to base+path over a fresh connection. body: bytes, str, or a JSON-able
    object (dict/list/number, sent compact with Content-Type: application/json).
    headers may be a dict or a list of pairs (for repeated headers)."""
    u = urllib.parse.urlsplit(base)
    conn = httpclient.HTTPConnection(u.hostname, u.port, timeout=timeout)
    hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in hdrs}
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if "content-type" not in names:
            hdrs.append(("Content-Type", "application/json"))
    elif isinstance(body, str):
        body = body.encode("utf-8")
    if token is not None:
        hdrs.append(("Authorization", "Bearer " + token))
    if cookie is not None:
        hdrs.append(("Cookie", "afi_viewer=" + cookie))
    try:
        conn.putrequest(method, u.path + path, skip_accept_encoding=True)
        for k, v in hdrs:
            conn.putheader(k, v)
        if body is not None and not chunked:
            conn.putheader("Content-Length", str(len(body)))
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        if body is not None:
            try:
                if chunked:
                    step = 65536
                    for i in range(0, len(body), step):
                        piece = body[i:i + step]
                        conn.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
                    conn.send(b"0\r\n\r\n")
                else:
                    conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the target may answer early (413, 401) and stop reading
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.getheaders(), data)
    finally:
        conn.close()


def raw_exchange(port, data, timeout=10, host="127.0.0.1"):
    """Sends raw bytes over a TCP connection, half-closes, returns every byte answered."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:  # the target answered early and closed: read what it said
            pass
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except OSError:  # reset, timeout, not connected
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)


# --- tokens -----------------------------------------------------------------------


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint(secret, sub=None, role=None, jti=True, ttl=600, claims=None, omit=(), alg="HS256",
         header=None):
    """An HS* JWT signed with secret (PyJWT). sub defaults to a fresh unique viewer."""
    import jwt  # PyJWT (python3-jwt)
    now = int(time.time())
    payload = {"sub": sub if sub is not None else "v-" + uuid.uuid4().hex[:12],
               "exp": now + ttl, "iat": now}
    if role is not None:
        payload["role"] = role
    if jti is True:
        payload["jti"] = uuid.uuid4().hex
    elif isinstance(jti, str):
        payload["jti"] = jti
    payload.update(claims or {})
    for k in omit:
        payload.pop(k, None)
    return jwt.encode(payload, secret, algorithm=alg, headers=header)


def sign_raw(secret, header_obj, payload_obj, digest="sha256"):
    """A compact JWS from arbitrary header and payload objects, HMAC-signed by hand."""
    import hashlib
    import hmac
    h = b64url(json.dumps(header_obj, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload_obj, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{h}.{p}".encode(), getattr(hashlib, digest)).digest()
    return f"{h}.{p}.{b64url(sig)}"


# --- a deliberately wrong target -------------------------------------------------------


class FakeTarget:
    """A stdlib HTTP server in a thread that answers by a handler function.

    handler(method, path, headers, body) -> (status, [(name, value)], body bytes).
    Base URL: http://127.0.0.1:PORT/afi."""

    def __init__(self, handler):
        class H(httpserver.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                status, hdrs, out = handler(self.command, self.path, self.headers, body)
                self.send_response(status)
                for k, v in hdrs:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _any

        self.server = httpserver.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}/afi"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def profile_schema_document():
    """fixtures/profile-schema.json if present (a canonical schema is a valid answer to /schema)."""
    p = os.path.join(FIXTURES, "profile-schema.json")
    if os.path.exists(p):
        with open(p, "rb") as f:
            return f.read()
    return b'{"openapi":"3.1.0","x-afi-version":"1","x-afi-contexts":{},"paths":{}}'


def json_answer(status, obj, extra_headers=()):
    return status, [("Content-Type", "application/json"), *extra_headers], \
        json.dumps(obj).encode()


@pytest.fixture
def wrong_target():
    """A target that answers /health and /schema correctly and every POST /call/* with
    400 bad_request (a valid envelope with the wrong code for most cases)."""
    schema = profile_schema_document()

    def handler(method, path, headers, body):
        p = path.split("?")[0]
        if p == "/afi/health":
            return json_answer(200, {"status": "ok"})
        if p == "/afi/schema":
            return 200, [("Content-Type", "application/json")], schema
        if p.startswith("/afi/call/"):
            return json_answer(400, {"error": {"code": "bad_request",
                                               "message": "WRONG-TARGET says no",
                                               "details": None}})
        return json_answer(404, {"error": {"code": "not_found", "message": "no such path",
                                           "details": None}})

    t = FakeTarget(handler)
    yield t
    t.stop()


@pytest.fixture
def secret():
    return secrets.token_hex(24)


# --- runs shared by test_cli.py and test_reports.py -------------------------------------------

REPORT_FORMATS = {"json": "report.json", "junit": "junit.xml", "md": "report.md",
                  "tap": "report.tap", "html": "report.html"}


class Run:
    """One `conformance run` with all five reports written into a directory."""

    def __init__(self, directory, cp):
        self.dir = str(directory)
        self.cp = cp
        self.paths = {fmt: os.path.join(self.dir, name) for fmt, name in REPORT_FORMATS.items()}
        self.report = None
        if os.path.exists(self.paths["json"]):
            with open(self.paths["json"], encoding="utf-8") as f:
                self.report = json.load(f)

    def text(self, fmt):
        with open(self.paths[fmt], encoding="utf-8") as f:
            return f.read()

    def need_report(self):
        if self.report is None:
            pytest.fail(f"no JSON report was written; runner exit {self.cp.returncode}\n"
                        f"{output_of(self.cp)[-3000:]}", pytrace=False)
        return self.report


def run_with_reports(directory, target, *args, name=None):
    reports = []
    for fmt, fname in REPORT_FORMATS.items():
        reports += ["--report", f"{fmt}:{os.path.join(str(directory), fname)}"]
    extra = ["--name", name] if name else []
    cp = conformance("run", "--target", target.base, *extra, *reports, *args, secret=target.secret)
    return Run(directory, cp)


@pytest.fixture(scope="session")
def reference_run(reference, tmp_path_factory):
    """The repository's whole suite against the reference server, all five reports."""
    need_binary(RUNNER)
    return run_with_reports(tmp_path_factory.mktemp("reference-run"), reference, name="reference")


FAILING_SUITES = {
    "alpha": dict(area="HLT", title="alpha: health checks", identities={}, cases=[
        health_case("alpha.pass", title="health is ok"),
        health_case("alpha.fail", "broken", title="health deliberately expected broken"),
        health_case("alpha.should", "broken", title="a should-grade miss", grade="should"),
    ]),
    "beta": dict(area="CTX", title="beta: bundles", identities={"alice": {"role": "USER"}}, cases=[
        {"id": "beta.pass", "title": "global bundle is 200", "requirements": ["CTX-2"],
         "level": "core", "tags": [],
         "steps": [{"name": "GET /context/global",
                    "request": {"method": "GET", "path": "/context/global"},
                    "expect": {"status": 200, "body": {"context": "global"}}}]},
        {"id": "beta.fail-role", "title": "alice is deliberately expected to be ADMIN",
         "requirements": ["CTX-2"], "level": "core", "tags": [],
         "steps": [{"name": "GET the user bundle as alice",
                    "request": {"method": "GET", "path": "/context/user", "identity": "alice"},
                    "expect": {"status": 200, "body": {"data": {"whoami": {"role": "ADMIN"}}}}}]},
    ]),
}


@pytest.fixture(scope="session")
def failing_run(reference, tmp_path_factory):
    """Two temporary suites with deliberately wrong expectations against the reference server."""
    need_binary(RUNNER)
    suites = tmp_path_factory.mktemp("failing-suites")
    for name, spec in FAILING_SUITES.items():
        write_suite(suites, name, spec["cases"], spec["identities"], spec["area"], spec["title"])
    out = tmp_path_factory.mktemp("failing-run")
    run = run_with_reports(out, reference, "--spec", PROTOCOL_MD, "--suite", str(suites / "alpha.json"),
                           "--suite", str(suites / "beta.json"), name="failing-demo")
    run.suites_dir = str(suites)
    return run
