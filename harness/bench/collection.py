"""Writes the suite's requests (harness/bench/plan.py) as a Postman collection for newman.

Each request carries one test, its status assertion, and the captures the fixture makes
(ETag headers, body values) as collection variables that later requests use. Bodies that
are not valid UTF-8 or that are large go in files (Postman's "file" body mode), so newman
sends exactly the bytes the runner sends. Differences that remain: newman cannot send a
chunked body (it sends the same bytes with Content-Length) and adds its own headers
(User-Agent, Accept, Postman-Token, ...).
"""
import json
import os

import plan as planlib

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
FILE_OVER = 64 * 1024


def _pm(s):
    """${name} (a capture) as Postman's {{name}}."""
    return planlib.VAR.sub(lambda m: "{{" + m.group(1) + "}}", s)


def _json_body(template):
    """Compact JSON text; a string that is exactly ${name} becomes {{name__json}} (typed)."""
    marks = {}

    def walk(v):
        if isinstance(v, str):
            m = planlib.VAR.fullmatch(v)
            if m:
                key = f"\u0000CAP{len(marks)}\u0000"
                marks[json.dumps(key)] = "{{" + m.group(1) + "__json}}"
                return key
            return v
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v

    text = json.dumps(walk(template), separators=(",", ":"), ensure_ascii=False)
    for k, v in marks.items():
        text = text.replace(k, v)
    return _pm(text)


def _test(allowed, captures):
    lines = []
    if allowed is not None:
        lines.append(f"pm.test('status', function () {{ pm.expect({json.dumps(allowed)}).to.include(pm.response.code); }});")
    for name, (kind, what) in captures.items():
        if kind == "header":
            lines.append(f"var v = pm.response.headers.get({json.dumps(what)}); "
                         f"pm.collectionVariables.set({json.dumps(name)}, v); "
                         f"pm.collectionVariables.set({json.dumps(name + '__json')}, JSON.stringify(v));")
        else:
            # The fixture paths used for captures are simple: $.a.b[0]
            js = what[1:].replace('["', "[\"").replace("'", "\\'")
            lines.append(f"var v = pm.response.json(){js}; "
                         f"pm.collectionVariables.set({json.dumps(name)}, typeof v === 'string' ? v : JSON.stringify(v)); "
                         f"pm.collectionVariables.set({json.dumps(name + '__json')}, JSON.stringify(v));")
    return lines


def _item(name, base, method, path, headers, body, allowed, captures, workdir, nfile):
    req = {"method": method,
           "header": [{"key": k, "value": _pm(v)} for k, v in headers],
           "url": base + _pm(path)}
    if body is not None:
        if isinstance(body, bytes):
            try:
                text = body.decode("utf-8")
                if len(body) > FILE_OVER or "\u0000" in text:
                    raise ValueError
                req["body"] = {"mode": "raw", "raw": text}
            except ValueError:
                path_ = os.path.join(workdir, f"body-{nfile[0]}.bin")
                nfile[0] += 1
                with open(path_, "wb") as f:
                    f.write(body)
                req["body"] = {"mode": "file", "file": {"src": path_}}
        else:
            req["body"] = {"mode": "raw", "raw": body}
    item = {"name": name, "request": req,
            "protocolProfileBehavior": {"disableUrlEncoding": True,
                                        "disableBodyPruning": True}}
    tests = _test(allowed, captures)
    if tests:
        item["event"] = [{"listen": "test", "script": {"type": "text/javascript", "exec": tests}}]
    return item


def collection(cases, base, workdir):
    """The Postman collection (a dict) replaying the built cases against base."""
    items = []
    nfile = [0]
    items.append(_item("GET /health", base, "GET", "/health", [], None, [200], {}, workdir, nfile))
    items.append(_item("GET /schema", base, "GET", "/schema", [], None, [200], {}, workdir, nfile))
    for case in cases:
        for i, st in enumerate(case["steps"], 1):
            body = st["body"] if st["json"] is None else _json_body(st["json"])
            for k in range(st["repeat"]):
                items.append(_item(f"{case['id']} step {i}" + (f" #{k + 1}" if st["repeat"] > 1 else ""),
                                   base, st["method"], st["path"], st["headers"], body,
                                   st["status"], st["captures"], workdir, nfile))
        if case["robustness"]:
            items.append(_item(f"{case['id']} health", base, "GET", "/health", [], None, [200], {},
                               workdir, nfile))
    return {"info": {"name": "AFI core suite (make bench)", "schema": SCHEMA}, "item": items}
