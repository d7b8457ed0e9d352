"""A mutating reverse proxy: one process serves every protocol mutant in front of one target.

    /usr/bin/python3 harness/mutants/proxy.py --upstream http://127.0.0.1:8080/afi [--port 0]

prints `listening on http://127.0.0.1:PORT` and then serves http://127.0.0.1:PORT/m/<mutant>/afi,
which behaves like the upstream's /afi except for the one rule mutant <mutant> breaks
(harness/mutants/catalogue.py; `none` forwards unchanged). Mutants that re-sign tokens use
AFI_SECRET from the environment, the secret the upstream was started with.

Requests are read whole (Content-Length or chunked), forwarded over keep-alive
connections to the upstream, and the upstream's answer is relayed with its status,
headers (repeated ones kept) and body. The proxy answers by itself only for what it
cannot forward (malformed HTTP: 400 bad_request; an unknown mutant: 404 not_found),
always with the AFI error envelope.
"""
import argparse
import http.client
import http.server
import os
import select
import socket
import sys
import threading
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mutants import catalogue  # noqa: E402
from mutants.wire import HOP_BY_HOP, Headers, Req, Resp, envelope  # noqa: E402

MAX_BODY = 64 * 1024 * 1024


class Upstream:
    """Keep-alive HTTP/1.1 connections to the target, pooled across proxy threads."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.base = u.path.rstrip("/")
        self.pool = []
        self.lock = threading.Lock()

    def _connect(self):
        s = socket.create_connection((self.host, self.port), timeout=60)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def _take(self):
        with self.lock:
            if self.pool:
                return self.pool.pop(), True
        return self._connect(), False

    def _give(self, s):
        with self.lock:
            self.pool.append(s)

    def send(self, req):
        """Sends req upstream and returns its Resp; retries once on a stale pooled connection."""
        head = [f"{req.method} {self.base}{req.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for k, v in req.headers.pairs:
            if k.lower() not in HOP_BY_HOP:
                head.append(f"{k}: {v}")
        if req.body is not None:
            head.append(f"Content-Length: {len(req.body)}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (req.body or b"")
        for attempt in (0, 1):
            s, pooled = self._take() if attempt == 0 else (self._connect(), False)
            try:
                early = self._send_all(s, data)
                r = http.client.HTTPResponse(s, method=req.method)
                r.begin()
                body = r.read()
                headers = Headers(r.getheaders())
                if r.will_close or early:
                    s.close()
                else:
                    self._give(s)
                return Resp(r.status, headers, body, r.reason)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.BadStatusLine) as e:
                s.close()
                if not pooled:
                    raise RuntimeError(f"upstream failed: {e!r}") from e
            except Exception:
                s.close()
                raise
        raise AssertionError("unreachable")

    @staticmethod
    def _send_all(s, data):
        """Writes data unless the target answers first (early 401/413); True if it did."""
        view = memoryview(data)
        while view:
            r, w, _ = select.select([s], [s], [], 60)
            if r:
                return True
            if not w:
                raise TimeoutError("upstream stopped reading")
            try:
                n = s.send(view[:262144])
            except (BrokenPipeError, ConnectionResetError):
                return True
            view = view[n:]
        return False


class Proxy:
    def __init__(self, upstream, secret):
        self.upstream = upstream
        self.secret = secret
        self.states = {}
        self.lock = threading.Lock()

    def context(self, name):
        with self.lock:
            if name not in self.states:
                self.states[name] = MutantContext(self, name)
            return self.states[name]


class MutantContext:
    """What a mutant function gets: forward(), the shared secret, and its own state."""

    def __init__(self, proxy, name):
        self.name = name
        self.secret = proxy.secret
        self.state = {}
        self.lock = threading.Lock()
        self._up = proxy.upstream

    def forward(self, req):
        return self._up.send(req)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    proxy = None  # set by serve()
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("proxy: " + fmt % args + "\n")

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def send_error(self, code, message=None, explain=None):
        """Malformed HTTP the stdlib refuses by itself still gets the AFI envelope."""
        status, errcode = {404: (404, "not_found"), 413: (413, "payload_too_large")}.get(
            code, (400, "bad_request"))
        self.close_connection = True
        self._write(envelope(status, errcode, message or "malformed request"), head=False)

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                if len(out) + size > MAX_BODY:
                    raise OverflowError
                out += self.rfile.read(size)
                self.rfile.readline(65537)
        cl = self.headers.get_all("Content-Length")
        if not cl:
            return None
        if len(set(cl)) != 1 or not cl[0].strip().isdigit():
            raise ValueError("bad Content-Length")
        n = int(cl[0])
        if n > MAX_BODY:
            raise OverflowError
        return self.rfile.read(n)

    def handle_any(self):
        try:
            body = self._read_body()
        except OverflowError:
            self.close_connection = True
            return self._write(envelope(413, "payload_too_large", "body too large for the proxy"))
        except ValueError:
            self.close_connection = True
            return self._write(envelope(400, "bad_request", "malformed body framing"))
        parts = self.path.split("/", 3)  # '', 'm', name, rest
        if len(parts) < 3 or parts[1] != "m" or catalogue.served(parts[2]) is None:
            return self._write(envelope(404, "not_found", "no such mutant"))
        name = parts[2]
        rest = "/" + parts[3] if len(parts) > 3 else ""
        base = self.proxy.upstream.base
        if not (rest == base or rest.startswith(base + "/") or rest.startswith(base + "?")):
            return self._write(envelope(404, "not_found", "outside the proxied base"))
        req = Req(self.command, rest[len(base):], Headers(self.headers.items()), body)
        ctx = self.proxy.context(name)
        try:
            resp = catalogue.served(name).fn(ctx, req)
        except Exception:
            sys.stderr.write(f"proxy: mutant {name} failed on {self.command} {rest}:\n"
                             + traceback.format_exc())
            resp = envelope(500, "internal_error", "the mutating proxy failed")
        self._write(resp)

    def _write(self, resp, head=None):
        if resp.status == 0:  # a mutant playing a crashed worker: hang up without answering
            self.close_connection = True
            return
        head = self.command == "HEAD" if head is None else head
        self.send_response(resp.status, resp.reason or None)
        length = None
        for k, v in resp.headers.pairs:
            lk = k.lower()
            if lk == "content-length":
                length = v
            elif lk not in HOP_BY_HOP and lk not in ("date", "server"):
                self.send_header(k, v)
        no_body = resp.status == 304 or resp.status == 204 or resp.status < 200
        if head:
            if length is not None:
                self.send_header("Content-Length", length)
        elif not no_body:
            self.send_header("Content-Length", str(len(resp.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head and not no_body:
            self.wfile.write(resp.body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True


def serve(upstream_url, port=0, secret=None, verbose=False):
    """Binds the proxy on 127.0.0.1:port; returns the server (call serve_forever())."""
    handler = type("BoundHandler", (Handler,), {
        "proxy": Proxy(Upstream(upstream_url), secret), "verbose": verbose})
    return Server(("127.0.0.1", port), handler)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", help="the target's base URL, e.g. http://127.0.0.1:8080/afi")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--list", action="store_true", help="print the mutant catalogue and exit")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    if a.list:
        for m in [*catalogue.MUTANTS.values(), *catalogue.MODEL_MUTANTS.values()]:
            print(f"{m.name:32} {m.rule:9} {m.desc}")
        return 0
    srv = serve(a.upstream, a.port, os.environ.get("AFI_SECRET"), a.verbose)
    print(f"listening on http://127.0.0.1:{srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
