#!/usr/bin/python3
"""A minimal AFI target the way users first write one: Python's http.server, HTTP/1.1
keep-alive, the headers and the body written in two sends, TCP_NODELAY left off.

It answers enough for the plain echo workload of make bench as the reference server
would: GET /health, GET /schema (fixtures/profile-schema.json), POST /call/echo with an
HS256 bearer token (PyJWT) checked against AFI_SECRET. Against a client that delays
its ACKs, Nagle's algorithm holds the second send until the client acknowledges the
first, so every answer's body trails its headers by the client's delayed-ACK timer
(about 40 ms on Linux): the stall the runner detects and works around.

With --nodelay it sets TCP_NODELAY on each connection: the same server without the
stall, the best the runner can do against it.

Usage: AFI_SECRET=... slow_server.py [--port 0] [--base-path /afi] [--nodelay]; prints
"listening on URL" once it accepts connections.
"""
import argparse
import http.server
import json
import os
import socket
import sys

import jwt  # PyJWT, Debian's python3-jwt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(ROOT, "fixtures", "profile-schema.json")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    base = "/afi"
    secret = ""
    schema = b"{}"

    nodelay = False

    def setup(self):
        super().setup()
        if self.nodelay:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def answer(self, status, doc=None, raw=None, extra=()):
        body = raw if raw is not None else json.dumps(doc, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()   # the first send: status line and headers
        self.wfile.write(body)  # the second send: the body

    def error(self, status, code, message, extra=()):
        self.answer(status, {"error": {"code": code, "message": message}}, extra=extra)

    def do_GET(self):
        if self.path == self.base + "/health":
            self.answer(200, {"status": "ok"})
        elif self.path == self.base + "/schema":
            self.answer(200, raw=self.schema)
        else:
            self.error(404, "not_found", "no such route")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        if self.path != self.base + "/call/echo":
            self.error(404, "not_found", "no such function")
            return
        auth = self.headers.get("Authorization") or ""
        try:
            if not auth.startswith("Bearer "):
                raise jwt.InvalidTokenError("no bearer token")
            jwt.decode(auth[7:], self.secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        except jwt.InvalidTokenError:
            self.error(401, "unauthenticated", "a valid token is required",
                       extra=[("WWW-Authenticate", "Bearer")])
            return
        try:
            args = json.loads(raw)
            text = args["text"]
            if not isinstance(text, str) or set(args) != {"text"}:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            self.error(400, "validation_error", "echo takes one string, text")
            return
        self.answer(200, {"result": {"message": text}, "invalidate": []})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--base-path", default="/afi")
    ap.add_argument("--nodelay", action="store_true", help="set TCP_NODELAY: no stall")
    args = ap.parse_args()
    Handler.nodelay = args.nodelay
    Handler.secret = os.environ.get("AFI_SECRET") or sys.exit("slow_server: AFI_SECRET is not set")
    Handler.base = args.base_path
    with open(SCHEMA, "rb") as f:
        Handler.schema = f.read()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    print(f"listening on http://127.0.0.1:{srv.server_address[1]}{args.base_path}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
