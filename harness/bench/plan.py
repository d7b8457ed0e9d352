"""The conformance suite as a flat list of concrete requests, for the bench's replays.

make bench compares the runner's cost per request with newman's and with a bare Python
loop replaying the same requests. This module reads the fixture suites (docs/fixtures.md),
mints each case's tokens the way the runner does (conformance/token.c and identities.c: HS256,
sub r<run>.<case>.<owner>, jti j<run>.<case>.<owner>, the hostile kinds) and resolves
every built-in variable. Captured variables (${etag}) stay as placeholders that the
replayer fills from earlier answers. It also counts the requests a runner makes.
"""
import base64
import glob
import json
import os
import re
import time

VAR = re.compile(r"\$\{([^}]+)\}")
OTHER_SECRET = "a-different-secret-that-is-not-AFI_SECRET!"
# The status ENV-2 gives each error code: the status of an `error` shorthand
# (docs/fixtures.md, Shorthands; conformance/env2.c).
ENV2_STATUS = {"invalid_json": 400, "bad_request": 400, "unauthenticated": 401, "invalid_token": 401,
               "token_expired": 401, "token_revoked": 401, "forbidden": 403, "not_found": 404,
               "unknown_function": 404, "unknown_context": 404, "method_not_allowed": 405,
               "conflict": 409, "payload_too_large": 413, "unsupported_media_type": 415,
               "validation_error": 422, "internal_error": 500, "unavailable": 503}


def suite_files(dirs):
    """The suite files of the given directories or files, as the runner picks them."""
    out = []
    for d in dirs:
        if os.path.isdir(d):
            for f in sorted(glob.glob(os.path.join(d, "*.json"))):
                b = os.path.basename(f)
                if b == "profile-schema.json" or b.endswith(".schema.json"):
                    continue
                out.append(f)
        else:
            out.append(d)
    return out


def load(dirs, level="core", only_ids=None):
    """[(suite, case)] of the chosen level in file order; only_ids restricts to those ids."""
    out = []
    for f in suite_files(dirs):
        with open(f, encoding="utf-8") as fh:
            suite = json.load(fh)
        for case in suite["cases"]:
            if level == "core" and case.get("level") != "core":
                continue
            if only_ids is not None and case["id"] not in only_ids:
                continue
            out.append((suite, case))
    return out


def _step_requests(st):
    """The requests of one step: its repeat, or for a raw step (docs/fixtures.md) the
    answers it expects, each to one request of its bytes."""
    if "raw" in st:
        return max(1, len(st["raw"].get("expect", [])))
    return st["request"].get("repeat", 1)


def count_requests(cases):
    """What a runner sends for these cases: GET /health and GET /schema once per run, every
    step times its repeat (a raw step its expected answers), and GET /health after each
    robustness case (conformance/runner.c, runwide.c)."""
    n = 2
    for _, case in cases:
        n += sum(_step_requests(st) for st in case["steps"])
        if "robustness" in case.get("tags", []):
            n += 1
    return n


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(claims, secret, alg):
    import hashlib
    import hmac
    header = {"alg": alg, "typ": "JWT"}
    head = _b64url(json.dumps(header, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    msg = f"{head}.{body}".encode()
    if alg == "none":
        return f"{head}.{body}."
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return f"{head}.{body}.{_b64url(hmac.new(secret.encode(), msg, digest).digest())}"


def mint(identity, sub, jti, secret, now):
    """The token the runner mints for this identity (conformance/token.c, same rules)."""
    kind = identity.get("hostile", "")
    if kind == "malformed":
        return "not-a-jwt.token"
    if kind == "garbage_base64":
        return f"{_b64url(b'not json {')}.{_b64url(bytes([1, 2]) + b'garbage')}.c2lnbmF0dXJl"
    ttl = int(identity.get("ttl", 600))
    claims = {"sub": sub, "iat": now, "exp": now + ttl}
    if (identity.get("jti", True) is not False or "same_jti_as" in identity) and jti:
        claims["jti"] = jti
    if isinstance(identity.get("role"), str):
        claims["role"] = identity["role"]
    alg, key = "HS256", secret
    if kind == "expired":
        claims["exp"] = now - 60
    elif kind == "expired_now":
        claims["exp"] = now
    elif kind == "not_yet_valid":
        claims["nbf"] = now + 60
    elif kind == "bad_signature":
        key = OTHER_SECRET
    elif kind == "alg_none":
        alg = "none"
    elif kind == "alg_hs384":
        alg = "HS384"
    elif kind == "alg_hs512":
        alg = "HS512"
    elif kind == "missing_sub":
        del claims["sub"]
    elif kind == "missing_exp":
        del claims["exp"]
    elif kind == "unknown_role":
        claims["role"] = "admin"
    elif kind == "oversized":
        claims["pad"] = "x" * 7600
    elif kind == "fractional_exp":
        claims["exp"] = now + ttl + 0.5
    for k, v in (identity.get("claims") or {}).items():
        claims.pop(k, None)
        claims[k] = v
    for k in identity.get("omit") or []:
        claims.pop(k, None)
    return _sign(claims, key, alg)


def _owner(suite, name, key="same_sub_as"):
    """The identity whose sub (or, with key same_jti_as, jti) this one shares."""
    ident = suite.get("identities", {}).get(name, {})
    return ident.get(key, name)


def _subst_text(s, env):
    """Replaces built-in variables in s; captured ones (not in env) are left for the replayer."""
    return VAR.sub(lambda m: env(m.group(1), m.group(0)), s)


def _subst_json(v, env):
    if isinstance(v, str):
        return _subst_text(v, env)
    if isinstance(v, list):
        return [_subst_json(x, env) for x in v]
    if isinstance(v, dict):
        return {k: _subst_json(x, env) for k, x in v.items()}
    return v


def build(cases, secret, run_id, now=None):
    """Concrete requests, in order: a list of cases, each a dict with id, robustness and
    steps; a step has method, path, headers [(name, value)], body (bytes or None),
    json (a template with ${capture} strings, or None), chunked, repeat, status (a list
    of allowed codes or None) and captures {name: ("header", NAME) | ("body", PATH)}."""
    now = int(now if now is not None else time.time())
    out = []
    for index, (suite, case) in enumerate(cases):
        idents = suite.get("identities", {})
        tokens = {}

        def token(name):
            if name not in tokens:
                sub = f"r{run_id}.{index}.{_owner(suite, name)}"
                jti = f"j{run_id}.{index}.{_owner(suite, name, 'same_jti_as')}"
                tokens[name] = mint(idents[name], sub, jti, secret, now)
            return tokens[name]

        def env(name, whole):
            if name == "run":
                return run_id
            if name == "case":
                return f"c{index}"
            kind, _, ident = name.partition(":")
            if ident in idents:
                if kind == "sub":
                    return f"r{run_id}.{index}.{_owner(suite, ident)}"
                if kind == "jti":
                    return f"j{run_id}.{index}.{_owner(suite, ident, 'same_jti_as')}"
                if kind == "token":
                    return token(ident)
            return whole

        steps = []
        for st in case["steps"]:
            if "raw" in st:
                continue  # raw bytes on a socket of its own: no HTTP client replays them
            r = st["request"]
            headers = []
            auth = r.get("auth", "header")
            ident = r.get("identity")
            fixture_headers = r.get("headers") or {}
            sets = {k.lower() for k in fixture_headers}
            if ident is not None and auth != "none":
                if auth in ("header", "both") and "authorization" not in sets:
                    headers.append(("Authorization", "Bearer " + token(ident)))
                if auth in ("cookie", "both") and "cookie" not in sets:
                    who = r.get("cookie_identity") if auth == "both" and r.get("cookie_identity") else ident
                    headers.append(("Cookie", "afi_viewer=" + token(who)))
            body, jbody = None, None
            if "json" in r:
                jbody = _subst_json(r["json"], env)
            elif "body" in r:
                body = r["body"].encode("utf-8", "surrogatepass")
            elif "body_b64" in r:
                body = base64.b64decode(r["body_b64"])
            elif "body_parts" in r:
                parts = []
                for p in r["body_parts"]:
                    chunk = p["text"].encode("utf-8", "surrogatepass") if "text" in p else base64.b64decode(p["b64"])
                    parts.append(chunk * p.get("repeat", 1))
                body = b"".join(parts)
            if "json" in r and "content-type" not in sets:
                headers.append(("Content-Type", "application/json"))
            # The fixture's own headers go out after the runner's, verbatim; null only
            # removes a header the HTTP library would add, and an array sends several lines.
            for name, value in fixture_headers.items():
                for one in (value if isinstance(value, list) else [value]):
                    if one is not None:
                        headers.append((name, _subst_text(one, env)))
            chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower()
                          for k, v in headers)
            exp = st.get("expect") or {}
            status = exp.get("status")
            # The shorthands (docs/fixtures.md): `error` and `result` set the status.
            if "error" in exp:
                code = exp["error"]["code"] if isinstance(exp["error"], dict) else exp["error"]
                status = ENV2_STATUS.get(code)
            elif "result" in exp:
                status = 200
            if isinstance(status, int):
                status = [status]
            captures = {k: (("header", v["header"]) if "header" in v else ("body", v["body"]))
                        for k, v in (st.get("capture") or {}).items()}
            # The `call` shorthand: POST /call/NAME.
            method = "POST" if "call" in r else r["method"]
            path = "/call/" + r["call"] if "call" in r else r["path"]
            steps.append({"method": method, "path": _subst_text(path, env),
                          "headers": headers, "body": body, "json": jbody, "chunked": chunked,
                          "repeat": r.get("repeat", 1), "status": status, "captures": captures})
        out.append({"id": case["id"], "robustness": "robustness" in case.get("tags", []),
                    "steps": steps})
    return out


def jpath(doc, path):
    """The value at a JSON path of the fixture format ($, .name, ["name"], [index]), or KeyError."""
    if not path.startswith("$"):
        raise KeyError(path)
    i, cur = 1, doc
    while i < len(path):
        if path[i] == ".":
            m = re.match(r"\.([A-Za-z_][A-Za-z0-9_-]*)", path[i:])
            cur = cur[m.group(1)]
            i += m.end()
        elif path.startswith('["', i):
            j = path.index('"]', i + 2)
            cur = cur[path[i + 2:j]]
            i = j + 2
        elif path[i] == "[":
            j = path.index("]", i)
            cur = cur[int(path[i + 1:j])]
            i = j + 1
        else:
            raise KeyError(path)
    return cur
