#!/usr/bin/python3
"""A bare Python http.client loop replaying the suite's requests (harness/bench/plan.py):
one keep-alive connection, each answer's status checked and its JSON body parsed, captures
filled in. make bench uses it as the floor of what any runner in Python could cost.

Usage: AFI_SECRET=... pyloop.py --target http://127.0.0.1:PORT/afi [--suite DIR]
"""
import argparse
import http.client
import json
import os
import secrets
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plan as planlib  # noqa: E402


def _fill(s, caps):
    return planlib.VAR.sub(lambda m: caps[m.group(1)][0] if m.group(1) in caps else m.group(0), s)


def _fill_json(v, caps):
    if isinstance(v, str):
        m = planlib.VAR.fullmatch(v)
        if m and m.group(1) in caps:
            return caps[m.group(1)][1]
        return _fill(v, caps)
    if isinstance(v, list):
        return [_fill_json(x, caps) for x in v]
    if isinstance(v, dict):
        return {k: _fill_json(x, caps) for k, x in v.items()}
    return v


class Loop:
    def __init__(self, base, timeout=10, fresh=False):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = u.hostname, u.port, u.path
        self.timeout = timeout
        self.fresh = fresh  # a new connection per request, as simple clients do
        self.conn = None
        self.requests = 0
        self.mismatches = []

    def send(self, method, path, headers=(), body=None, chunked=False):
        """One request; (status, headers, body bytes), status 0 when no answer came."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.putrequest(method, self.prefix + path, skip_host=False,
                                     skip_accept_encoding=True)
                for k, v in headers:
                    self.conn.putheader(k, v)
                if body is not None and not chunked:
                    self.conn.putheader("Content-Length", str(len(body)))
                self.conn.endheaders()
                if body is not None:
                    if chunked:
                        self.conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if body else b"0\r\n\r\n")
                    else:
                        self.conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # a server may refuse a huge body early; its answer may still be readable
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt:
                    return 0, {}, b""
                continue
            try:
                r = self.conn.getresponse()
                data = r.read()
                if r.will_close or self.fresh:
                    self.close()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (http.client.HTTPException, OSError):
                self.close()
                return 0, {}, b""
        return 0, {}, b""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def check(self, where, status, allowed, data):
        self.requests += 1
        if allowed is not None and status not in allowed:
            self.mismatches.append(f"{where}: status {status}, expected {allowed}")
        if data:
            try:
                return json.loads(data)
            except ValueError:
                return None
        return None

    def replay(self, cases):
        st, _, data = self.send("GET", "/health")
        self.check("GET /health", st, [200], data)
        st, _, data = self.send("GET", "/schema")
        self.check("GET /schema", st, [200], data)
        for case in cases:
            caps = {}
            for i, step in enumerate(case["steps"], 1):
                headers = [(k, _fill(v, caps)) for k, v in step["headers"]]
                body = step["body"]
                if step["json"] is not None:
                    body = json.dumps(_fill_json(step["json"], caps), separators=(",", ":"),
                                      ensure_ascii=False).encode("utf-8", "surrogatepass")
                path = _fill(step["path"], caps)
                for _ in range(step["repeat"]):
                    st, hdrs, data = self.send(step["method"], path, headers, body, step["chunked"])
                    doc = self.check(f"{case['id']} step {i}", st, step["status"], data)
                    for name, (kind, what) in step["captures"].items():
                        try:
                            if kind == "header":
                                v = hdrs[what.lower()]
                                caps[name] = (v, v)
                            else:
                                v = planlib.jpath(doc, what)
                                caps[name] = (v if isinstance(v, str) else json.dumps(v), v)
                        except (KeyError, IndexError, TypeError):
                            self.mismatches.append(f"{case['id']} step {i}: cannot capture {name}")
            if case["robustness"]:
                st, _, data = self.send("GET", "/health")
                self.check(f"{case['id']} health", st, [200], data)
        self.close()


def replay(base, cases, fresh=False):
    """Replays the built cases against base (fresh: a new connection per request);
    returns (seconds, requests, mismatches)."""
    loop = Loop(base, fresh=fresh)
    t0 = time.perf_counter()
    loop.replay(cases)
    return time.perf_counter() - t0, loop.requests, loop.mismatches


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--target", required=True)
    ap.add_argument("--suite", action="append")
    ap.add_argument("--level", default="core")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cases = planlib.load(args.suite or [os.path.join(root, "fixtures")], args.level)
    built = planlib.build(cases, os.environ["AFI_SECRET"], secrets.token_hex(4))
    secs, n, bad = replay(args.target, built)
    for m in bad[:20]:
        print(m)
    print(f"{n} requests in {secs:.3f} s, {secs / n * 1000:.3f} ms per request, "
          f"{len(bad)} mismatches (expected {planlib.count_requests(cases)} requests)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
