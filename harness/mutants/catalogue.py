"""The protocol mutants the mutating proxy can serve, one per function.

Each mutant breaks exactly one requirement of docs/protocol.md the way an adapter author
could plausibly get it wrong, and leaves every other answer as the upstream gave it. A
mutant is `fn(ctx, req) -> Resp`: ctx.forward(req) asks the upstream, ctx.secret is the
shared AFI secret (for mutants that re-sign tokens the way a lax verifier would accept
them), ctx.state/ctx.lock hold a stateful mutant's memory.

The mutants are grouped by the requirement they break, in the order the ids appear in
docs/protocol.md (the self-test checks this), after the helpers and the control `none`;
the equivalent variants, which must survive, come last. The conformance self-test
(harness/test_selftest.py) requires the suite to kill every mutant with a failing case
that names the mutant's rule.
"""
import hashlib
import json
import re
import time
import urllib.parse

from mutants.wire import (Headers, Req, Resp, envelope, jwt_parts, jwt_sign, jwt_verify,
                          loads_strict, ok_json)

MUTANTS = {}
# Mutants only a history of many clients on several instances shows (`conformance model`,
# harness/test_model.py): per-instance state that one instance, one request at a time,
# never contradicts. The fixed suite's self-test does not run them.
MODEL_MUTANTS = {}


class Mutant:
    def __init__(self, name, rule, desc, fn):
        self.name, self.rule, self.desc, self.fn = name, rule, desc, fn


def mutant(rule, desc, table=MUTANTS):
    def register(fn):
        if fn.__name__ in MUTANTS or fn.__name__ in MODEL_MUTANTS:
            raise ValueError(f"duplicate mutant {fn.__name__}")
        table[fn.__name__] = Mutant(fn.__name__, rule, desc, fn)
        return fn
    return register


def model_mutant(rule, desc):
    return mutant(rule, desc, MODEL_MUTANTS)


def served(name):
    """The mutant the proxy serves under name (the suite's or the model's), or None."""
    return MUTANTS.get(name) or MODEL_MUTANTS.get(name)


ROLES = ["USER", "READER", "WRITER", "ADMIN", "SUPERADMIN"]
KEY_RE = re.compile(r"^(personal|shared):[A-Za-z0-9_.-]{1,128}$")
MIB = 1048576
KEY_FUNCTIONS = ("kv_get", "kv_set", "kv_delete", "counter_incr")
DECLARED = {"kv_set": ("key", "value", "if_rev"), "save_draft": ("body",),
            "counter_incr": ("key", "by"), "kv_delete": ("key",)}


def gated_route(req):
    return req.route.startswith("/call/") or req.route.startswith("/context/")


def result_of(resp):
    """The `result` of a successful call answer, or None."""
    j = resp.json() if resp.status == 200 else None
    return j.get("result") if isinstance(j, dict) else None


def rewrite_code(resp, old, new, status=None, drop_challenge=False, challenge=None):
    if resp.code != old:
        return resp
    j = resp.json()
    j["error"]["code"] = new
    resp.set_json(j)
    if status is not None:
        resp.status = status
        resp.reason = ""
    if drop_challenge:
        resp.headers.remove("WWW-Authenticate")
    if challenge is not None:
        resp.headers.set("WWW-Authenticate", challenge)
    return resp


def valid_claims(ctx, req, algs=("HS256",)):
    """The claims of the request's credential when it is signed with the secret, else None."""
    tok = req.token()
    if tok and ctx.secret and jwt_verify(tok, ctx.secret, algs):
        return jwt_parts(tok)[1]
    return None


def resign(ctx, req, claims):
    req.set_token(jwt_sign(claims, ctx.secret))


def unauthorized_token(message):
    return envelope(401, "invalid_token", message,
                    headers=[("WWW-Authenticate", 'Bearer error="invalid_token"')])


def probe_credential(ctx, req):
    """Asks the upstream what it makes of req's credential (a side-effect-free whoami)."""
    probe = Req("POST", "/call/whoami", Headers([("Content-Type", "application/json")]), b"{}")
    for name in ("Authorization", "Cookie"):
        for v in req.headers.get_all(name):
            probe.headers.add(name, v)
    return ctx.forward(probe)


def media_type_ok(value):
    if value is None:
        return False
    parts = [p.strip() for p in value.split(";")]
    if parts[0].lower() != "application/json":
        return False
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset" and v.strip().strip('"').lower() != "utf-8":
            return False
    return True


def inm_matches(inm, tag):
    if inm is None:
        return False
    for t in inm.split(","):
        t = t.strip()
        if t == "*" or (t[2:] if t.startswith("W/") else t) == tag:
            return True
    return False


def not_modified(src, tag=None):
    h = Headers()
    for name in ("ETag", "Cache-Control", "Vary"):
        if src.headers.has(name):
            h.set(name, src.headers.get(name))
    if tag is not None:
        h.set("ETag", tag)
    return Resp(304, h, b"")


def nesting_depth(body):
    depth = best = 0
    in_str = esc = False
    for b in body:
        if in_str:
            if esc:
                esc = False
            elif b == 0x5C:
                esc = True
            elif b == 0x22:
                in_str = False
        elif b == 0x22:
            in_str = True
        elif b in (0x5B, 0x7B):
            depth += 1
            best = max(best, depth)
        elif b in (0x5D, 0x7D):
            depth -= 1
    return best


# --- builders: most mutants change one kind of answer in one way ---------------------------

def reply_mutant(rule, desc, applies):
    """A mutant that forwards the request and edits the answers applies(req, resp) picks
    (edit(resp) changes the answer in place)."""
    def wrap(edit):
        def fn(ctx, req):
            resp = ctx.forward(req)
            if applies(req, resp):
                edit(resp)
            return resp
        fn.__name__ = edit.__name__
        return mutant(rule, desc)(fn)
    return wrap


def json_mutant(rule, desc, applies):
    """A reply_mutant that edits the answer's JSON: edit(j) changes it in place, or returns
    False to leave the answer exactly as the upstream sent it."""
    def wrap(edit):
        def on_answer(resp):
            j = resp.json()
            if edit(j) is not False:
                resp.set_json(j)
        on_answer.__name__ = edit.__name__
        return reply_mutant(rule, desc, applies)(on_answer)
    return wrap


def schema_mutant(rule, desc):
    """A mutant that edits the /schema document (edit(doc) changes it in place)."""
    return json_mutant(rule, desc, route_ok("/schema"))


def kv_get_mutant(rule, desc):
    """A mutant that edits the value kv_get reads back (edit(value) returns the new one)."""
    def wrap(edit):
        def on_answer(j):
            if "value" not in j["result"]:
                return False
            j["result"]["value"] = edit(j["result"]["value"])
        on_answer.__name__ = edit.__name__
        return json_mutant(rule, desc, answer_of("kv_get"))(on_answer)
    return wrap


def gate_mutant(rule, desc):
    """A mutant that puts the requests gated(req) picks behind an auth check: a credential
    the upstream refuses gets the upstream's 401 instead of the answer."""
    def wrap(gated):
        def fn(ctx, req):
            if gated(req):
                verdict = probe_credential(ctx, req)
                if verdict.status == 401:
                    return verdict
            return ctx.forward(req)
        fn.__name__ = gated.__name__
        return mutant(rule, desc)(fn)
    return wrap


# Which answers a reply_mutant or json_mutant edits: applies(req, resp).

def code_is(code):
    return lambda req, resp: resp.code == code


def status_is(status):
    return lambda req, resp: resp.status == status


def route_ok(route):
    return lambda req, resp: req.route == route and resp.status == 200


def answer_of(fn):
    """Successful answers of function fn whose result is an object."""
    return lambda req, resp: req.fn == fn and isinstance(result_of(resp), dict)


def is_error(req, resp):
    return resp.status >= 400 and resp.code is not None


def call_ok(req, resp):
    return resp.status == 200 and req.fn


def any_bundle(req, resp):
    return req.context


def bundle_ok(req, resp):
    return req.context and resp.status == 200


def with_json(req, obj):
    """A copy of req (same path and credential) whose body is obj."""
    again = req.copy()
    again.set_json(obj)
    return again


def call_as(ctx, req, fn, args):
    """Calls function fn with args upstream under req's credential; the upstream's answer."""
    other = with_json(req, args)
    other.path = "/call/" + fn
    return ctx.forward(other)


def map_leaves(value, leaf):
    if isinstance(value, list):
        return [map_leaves(v, leaf) for v in value]
    if isinstance(value, dict):
        return {k: map_leaves(v, leaf) for k, v in value.items()}
    return leaf(value)


def _nan_to_null(v):
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return None
    if isinstance(v, list):
        return [_nan_to_null(x) for x in v]
    if isinstance(v, dict):
        return {k: _nan_to_null(x) for k, x in v.items()}
    return v


WRITES = ("save_draft", "kv_set", "kv_delete", "counter_incr")


def retag_bundle(ctx, req, tag_of):
    """Serves a bundle under tag_of(upstream_tag) and answers If-None-Match against it."""
    inm = req.headers.get("If-None-Match")
    req.headers.remove("If-None-Match")
    resp = ctx.forward(req)
    if resp.status != 200 or not resp.headers.has("ETag"):
        return resp
    tag = '"' + hashlib.sha256(tag_of(resp.headers.get("ETag")).encode()).hexdigest()[:32] + '"'
    resp.headers.set("ETag", tag)
    return not_modified(resp, tag) if inm_matches(inm, tag) else resp


@mutant("-", "control: forwards everything unchanged (must pass the whole suite)")
def none(ctx, req):
    return ctx.forward(req)


# --- HLT-1: /health answers {"status":"ok"} and never looks at credentials --------------------

@gate_mutant("HLT-1", "/health sits behind the auth middleware: a bad credential gets 401")
def hlt1_auth_middleware(req):
    return req.route == "/health" and req.method == "GET" and req.presents_credential()


@json_mutant("HLT-1", "/health answers {\"status\": \"OK\"}", route_ok("/health"))
def hlt1_status_upper(j):
    j["status"] = "OK"


@reply_mutant("HLT-1", "/health answers Content-Type: text/plain", route_ok("/health"))
def hlt1_text_type(resp):
    resp.headers.set("Content-Type", "text/plain; charset=utf-8")


@gate_mutant("HLT-1", "/health reads the afi_viewer cookie: a bad cookie gets 401")
def hlt1_cookie_checked(req):
    return req.route == "/health" and req.cookie_token() is not None \
        and not req.headers.has("Authorization")


# --- SCH-1: /schema answers the OpenAPI document and ignores credentials ----------------------

@gate_mutant("SCH-1", "/schema sits behind the auth middleware: a bad credential gets 401")
def sch1_auth_middleware(req):
    return req.route == "/schema" and req.method == "GET" and req.presents_credential()


@reply_mutant("SCH-1", "/schema answers Content-Type: application/vnd.oai.openapi+json",
              route_ok("/schema"))
def sch1_openapi_media_type(resp):
    resp.headers.set("Content-Type", "application/vnd.oai.openapi+json")


# --- CALL-1: /call/{name} dispatches on the exact name ----------------------------------------

@mutant("CALL-1", "function and context names are matched case-insensitively")
def call1_case_insensitive(ctx, req):
    route, sep, query = req.path.partition("?")
    for prefix in ("/call/", "/context/"):
        if route.startswith(prefix):
            req.path = prefix + route[len(prefix):].lower() + sep + query
    return ctx.forward(req)


@mutant("CALL-1", "the path is percent-decoded before routing (/call/%65cho reaches echo)")
def call1_percent_decoded(ctx, req):
    route, sep, query = req.path.partition("?")
    req.path = urllib.parse.unquote(route) + sep + query
    return ctx.forward(req)


@mutant("CALL-1", "an unregistered function answers 404 not_found instead of unknown_function")
def call1_unknown_not_found(ctx, req):
    return rewrite_code(ctx.forward(req), "unknown_function", "not_found")


@mutant("CALL-1", "prefix routing: /call/echo/x reaches echo")
def call1_prefix_match(ctx, req):
    route, sep, query = req.path.partition("?")
    for prefix in ("/call/", "/context/"):
        rest = route[len(prefix):] if route.startswith(prefix) else ""
        if "/" in rest and rest.split("/", 1)[0]:
            req.path = prefix + rest.split("/", 1)[0] + sep + query
    return ctx.forward(req)


# --- CTX-1: /context/{name} answers the bundle of the exact name ------------------------------

@mutant("CTX-1", "an unknown context answers code unknown_function (copied from /call)")
def ctx1_unknown_code(ctx, req):
    return rewrite_code(ctx.forward(req), "unknown_context", "unknown_function")


# --- ENV-5: any other path is 404 not_found ---------------------------------------------------

@mutant("ENV-5", "a trailing slash is stripped before routing (/health/ answers /health)")
def env5_trailing_slash(ctx, req):
    route, sep, query = req.path.partition("?")
    if len(route) > 1 and route.endswith("/") and route.rstrip("/"):
        req.path = route.rstrip("/") + sep + query
    return ctx.forward(req)


@mutant("ENV-5", "/schema.json and /openapi.json are served as aliases of /schema")
def env5_schema_alias(ctx, req):
    if req.route in ("/schema.json", "/openapi.json"):
        req.path = "/schema"
    return ctx.forward(req)


@mutant("ENV-5", "GET / under the base answers 200 with an index of the endpoints")
def env5_root_index(ctx, req):
    if req.route in ("", "/") and req.method == "GET":
        return ok_json({"endpoints": ["/health", "/schema", "/call/{name}", "/context/{name}"]})
    return ctx.forward(req)


# --- ENV-6: a wrong method is 405 with Allow --------------------------------------------------

@reply_mutant("ENV-6", "405 answers lack the Allow header", status_is(405))
def env6_no_allow(resp):
    resp.headers.remove("Allow")


@mutant("ENV-6", "HEAD on a GET route is answered like GET (200, no body) instead of 405")
def env6_head_is_get(ctx, req):
    if req.method == "HEAD" and (req.route in ("/health", "/schema") or req.context):
        req.method = "GET"
        resp = ctx.forward(req)
        if resp.status == 200:
            resp.headers.set("Content-Length", str(len(resp.body)))
            return resp
        req.method = "HEAD"
    return ctx.forward(req)


@reply_mutant("ENV-6", "405 answers say Allow: GET, HEAD (the framework's implicit HEAD)",
              lambda req, resp: resp.status == 405 and resp.headers.get("Allow") == "GET")
def env6_allow_with_head(resp):
    resp.headers.set("Allow", "GET, HEAD")


@mutant("ENV-6", "OPTIONS is answered 204 with Allow (a CORS preflight handler), not 405")
def env6_options_204(ctx, req):
    if req.method == "OPTIONS":
        resp = ctx.forward(req)
        if resp.status == 405:
            return Resp(204, Headers([("Allow", resp.headers.get("Allow") or "GET")]), b"")
        return resp
    return ctx.forward(req)


# --- ENV-1: every error is the JSON envelope and nothing else ---------------------------------

@mutant("ENV-1", "unknown paths get the HTTP library's own 404 text/plain 'Not Found' page")
def env1_plain_404(ctx, req):
    resp = ctx.forward(req)
    if resp.code == "not_found":
        return Resp(404, Headers([("Content-Type", "text/plain; charset=utf-8")]), b"Not Found")
    return resp


@reply_mutant("ENV-1", "error envelopes carry an extra top-level \"status\" key", is_error)
def env1_extra_key(resp):
    j = resp.json()
    j["status"] = resp.status
    resp.set_json(j)


@reply_mutant("ENV-1", "error answers use Content-Type: application/problem+json (RFC 7807 habit)",
              is_error)
def env1_problem_json(resp):
    resp.headers.set("Content-Type", "application/problem+json")


@json_mutant("ENV-1", "error envelopes carry an empty message", is_error)
def env1_empty_message(j):
    j["error"]["message"] = ""


@json_mutant("ENV-1", "a null details is left out of the envelope (serialiser drops nulls)",
             is_error)
def env1_no_details_key(j):
    if j["error"].get("details") is not None:
        return False
    del j["error"]["details"]


# --- ENV-2: each code goes with its one status ------------------------------------------------

@reply_mutant("ENV-2", "validation_error is sent with status 400 instead of 422",
              code_is("validation_error"))
def env2_validation_400(resp):
    resp.status, resp.reason = 400, ""


@reply_mutant("ENV-2", "conflict is sent with status 412 Precondition Failed instead of 409",
              code_is("conflict"))
def env2_conflict_412(resp):
    resp.status, resp.reason = 412, ""


# --- ENV-3: validation details: every violation, sorted by loc --------------------------------

@json_mutant("ENV-3", "validation details are listed in discovery order, not sorted by loc",
             code_is("validation_error"))
def env3_unsorted_details(j):
    d = j["error"]["details"]
    if not (isinstance(d, list) and len(d) >= 2):
        return False
    j["error"]["details"] = d[::-1]


@json_mutant("ENV-3", "validation details give loc as a dotted string (\"body.text\") not an array",
             code_is("validation_error"))
def env3_dotted_loc(j):
    for d in j["error"]["details"] or []:
        if isinstance(d, dict) and isinstance(d.get("loc"), list):
            d["loc"] = ".".join(str(x) for x in d["loc"])


@json_mutant("ENV-3", "validation types use pydantic's names (value_error.missing, type_error, ...)",
             code_is("validation_error"))
def env3_pydantic_types(j):
    names = {"missing": "value_error.missing", "type": "type_error", "extra": "value_error.extra",
             "range": "value_error.number", "length": "value_error.any_str",
             "pattern": "value_error.str.regex"}
    for d in j["error"]["details"] or []:
        if isinstance(d, dict) and d.get("type") in names:
            d["type"] = names[d["type"]]


@json_mutant("ENV-3", "a wrong-typed key gets two entries (type and pattern): checks not short-circuited",
             code_is("validation_error"))
def env3_two_entries(j):
    details = j["error"]["details"]
    if not isinstance(details, list):
        return False
    out = []
    for d in details:
        if isinstance(d, dict) and d.get("type") == "type" and \
                d.get("loc") in (["body", "key"], ["body", "scope"]):
            out.append(dict(d, type="pattern", msg="does not match the pattern"))
        out.append(d)
    j["error"]["details"] = out


# --- ENV-4: internal_error carries no internal text -------------------------------------------

@json_mutant("ENV-4", "internal_error details carry the exception text", code_is("internal_error"))
def env4_leak_details(j):
    j["error"]["details"] = {"exception": "RuntimeError",
                             "text": "AFI-INTERNAL-DETAIL: the profile's fail() raised"}


@json_mutant("ENV-4", "internal_error message is the exception's own text",
             code_is("internal_error"))
def env4_leak_message(j):
    j["error"]["message"] = "RuntimeError: AFI-INTERNAL-DETAIL (reference/profile.c:88)"


@reply_mutant("ENV-4", "internal_error answers carry the exception text in an X-Error-Detail header",
              code_is("internal_error"))
def env4_leak_header(resp):
    resp.headers.set("X-Error-Detail", "RuntimeError: AFI-INTERNAL-DETAIL")


# --- ENV-7: 401 challenges: Bearer, error="invalid_token" for a presented credential ----------

@reply_mutant("ENV-7", "401 answers carry no WWW-Authenticate header", status_is(401))
def env7_no_challenge(resp):
    resp.headers.remove("WWW-Authenticate")


@reply_mutant("ENV-7", "401 for a presented bad credential says plain `Bearer`, no error=\"invalid_token\"",
              lambda req, resp: resp.status == 401
              and resp.code in ("invalid_token", "token_expired", "token_revoked"))
def env7_no_error_param(resp):
    resp.headers.set("WWW-Authenticate", "Bearer")


@reply_mutant("ENV-7", "401 unauthenticated (no credential) also says error=\"invalid_token\"",
              code_is("unauthenticated"))
def env7_error_on_anonymous(resp):
    resp.headers.set("WWW-Authenticate", 'Bearer error="invalid_token"')


# --- CALL-2: the body is an object of arguments; empty is {} ----------------------------------

@mutant("CALL-2", "a JSON body that is not an object is 400 invalid_json instead of 422")
def call2_non_object_400(ctx, req):
    resp = ctx.forward(req)
    if resp.code == "validation_error":
        d = resp.json()["error"]["details"]
        if isinstance(d, list) and len(d) == 1 and d[0].get("loc") == ["body"]:
            return envelope(400, "invalid_json", "the body must be a JSON object")
    return resp


@mutant("CALL-2", "a JSON null body counts as {} (`args = body or {}`)")
def call2_null_is_empty(ctx, req):
    if req.fn and req.body and req.body.strip(b" \t\r\n") == b"null":
        req.body = b"{}"
    return ctx.forward(req)


# --- CALL-3: media type, size, strict JSON, argument validation -------------------------------

@mutant("CALL-3", "the Content-Type of a call is not checked (a non-empty body is parsed as JSON)")
def call3_content_type_ignored(ctx, req):
    if req.fn and req.body:
        req.headers.set("Content-Type", "application/json")
    return ctx.forward(req)


@mutant("CALL-3", "size limit off by one: a body of exactly 1 MiB is 413")
def call3_limit_off_by_one(ctx, req):
    resp = ctx.forward(req)
    if req.fn and req.body is not None and len(req.body) >= MIB \
            and resp.status not in (401, 403, 404, 405):
        return envelope(413, "payload_too_large", "the body is larger than 1 MiB")
    return resp


@mutant("CALL-3", "a UTF-8 byte-order mark before the JSON body is skipped instead of refused")
def call3_bom_skipped(ctx, req):
    if req.fn and req.body and req.body.startswith(b"\xef\xbb\xbf"):
        req.body = req.body[3:]
    return ctx.forward(req)


@mutant("CALL-3", "integer arguments accept integral numbers written 1.0 or 1e2")
def call3_float_integers(ctx, req):
    j = req.json() if req.fn and req.body else None
    if isinstance(j, dict):
        changed = False
        for k in ("a", "b", "by", "ms", "if_rev"):
            v = j.get(k)
            if isinstance(v, float) and v.is_integer():
                j[k] = int(v)
                changed = True
        if changed:
            req.set_json(j)
    return ctx.forward(req)


@mutant("CALL-3", "a call without Content-Type is 415 even when its body is empty")
def call3_missing_type_refused(ctx, req):
    resp = ctx.forward(req)
    if req.fn and not req.body and not req.headers.has("Content-Type") \
            and resp.status not in (401, 403, 404, 405):
        return envelope(415, "unsupported_media_type", "Content-Type must be application/json")
    return resp


@mutant("CALL-3", "the charset parameter of Content-Type is ignored (latin1 accepted)")
def call3_charset_ignored(ctx, req):
    ct = req.headers.get("Content-Type")
    if req.fn and ct and ";" in ct:
        req.headers.set("Content-Type", ct.split(";", 1)[0].strip())
    return ctx.forward(req)


@mutant("CALL-3", "a lenient parser accepts NaN and Infinity (read as null)")
def call3_nan_accepted(ctx, req):
    resp = ctx.forward(req)
    if resp.code == "invalid_json" and req.body and (b"NaN" in req.body or b"Infinity" in req.body):
        try:
            value = json.loads(req.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            return resp
        return ctx.forward(with_json(req, _nan_to_null(value)))
    return resp


@mutant("CALL-3", "the parser stops after the first JSON value: trailing bytes are ignored")
def call3_trailing_ignored(ctx, req):
    resp = ctx.forward(req)
    if resp.code == "invalid_json" and req.body:
        ws = " \t\r\n"
        try:
            text = req.body.decode("utf-8").lstrip(ws)
            _, end = json.JSONDecoder().raw_decode(text)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return resp
        first = text[:end].encode("utf-8")
        if text[end:].strip(ws) and loads_strict(first) is not None:
            again = req.copy()
            again.body = first  # only the trailing bytes are forgiven, nothing else
            return ctx.forward(again)
    return resp


@mutant("CALL-3", "string lengths count UTF-16 code units (astral characters count twice)")
def call3_utf16_length(ctx, req):
    limits = {"echo": ("text", 1000), "save_draft": ("body", 10000)}
    j = req.json() if req.fn in limits and req.body else None
    if isinstance(j, dict):
        arg, limit = limits[req.fn]
        v = j.get(arg)
        units = len(v.encode("utf-16-le", "surrogatepass")) // 2 if isinstance(v, str) else 0
        if isinstance(v, str) and len(v) <= limit < units:
            resp = ctx.forward(req)
            if resp.status != 200:
                return resp
            return envelope(422, "validation_error", "the arguments do not match the schema",
                            [{"loc": ["body", arg], "type": "length",
                              "msg": f"{arg} is longer than {limit} characters"}])
    return ctx.forward(req)


@mutant("CALL-3", "a JSONC parser: /* */ and // comments in the body are skipped")
def call3_comments_skipped(ctx, req):
    resp = ctx.forward(req)
    if resp.code == "invalid_json" and req.body and (b"/*" in req.body or b"//" in req.body):
        text = re.sub(rb"/\*.*?\*/|//[^\n]*", b"", req.body, flags=re.S)
        if loads_strict(text) is not None:
            again = req.copy()
            again.body = text
            return ctx.forward(again)
    return resp


@mutant("CALL-3", "raw control characters inside strings are accepted (json strict=False)")
def call3_raw_controls(ctx, req):
    resp = ctx.forward(req)
    if resp.code == "invalid_json" and req.body and re.search(rb"[\x01-\x1f]", req.body):
        try:
            value = json.loads(req.body.decode("utf-8"), strict=False)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return resp
        return ctx.forward(with_json(req, value))
    return resp


@mutant("CALL-3", "the nesting limit is 32 levels (the spec requires at least 64)")
def call3_shallow_nesting(ctx, req):
    resp = ctx.forward(req)
    if req.fn and req.body and resp.status not in (401, 403, 404, 405, 413, 415) \
            and 32 < nesting_depth(req.body) <= 512:
        return envelope(400, "invalid_json", "the body is nested too deeply")
    return resp


@mutant("CALL-3", "integer maximums are exclusive: a value equal to the maximum is 422 range")
def call3_exclusive_maximum(ctx, req):
    maxima = {"add": {"a": 2**31, "b": 2**31}, "counter_incr": {"by": 1000}, "sleep": {"ms": 5000}}
    j = req.json() if req.fn in maxima and req.body else None
    resp = ctx.forward(req)
    if resp.status == 200 and isinstance(j, dict):
        hits = sorted(k for k, m in maxima[req.fn].items() if j.get(k) == m
                      and not isinstance(j.get(k), bool))
        if hits:
            return envelope(422, "validation_error", "the arguments do not match the schema",
                            [{"loc": ["body", k], "type": "range", "msg": f"{k} is too large"}
                             for k in hits])
    return resp


@mutant("CALL-3", "minLength is not enforced: echo accepts an empty text")
def call3_min_length_ignored(ctx, req):
    resp = ctx.forward(req)
    j = req.json() if req.fn == "echo" and req.body else None
    if resp.code == "validation_error" and isinstance(j, dict) and j.get("text") == "" \
            and set(j) == {"text"}:
        return ok_json({"result": {"message": ""}, "invalidate": []})
    return resp


@mutant("CALL-3", "an optional argument sent as null is treated as absent")
def call3_null_optional_dropped(ctx, req):
    optional = {"kv_set": ("if_rev",), "counter_incr": ("by",)}
    j = req.json() if req.fn in optional and req.body else None
    if isinstance(j, dict) and any(k in j and j[k] is None for k in optional[req.fn]):
        req.set_json({k: v for k, v in j.items() if not (k in optional[req.fn] and v is None)})
    return ctx.forward(req)


# --- CALL-4: the order of errors: 404, 405, 401/403, 413, 415, 400, 422 -----------------------

@mutant("CALL-4", "a body-size limit in front of routing and auth: any body over 1 MiB is 413 first")
def call4_size_before_auth(ctx, req):
    if req.body is not None and len(req.body) > MIB:
        return envelope(413, "payload_too_large", "the body is larger than 1 MiB")
    return ctx.forward(req)


@mutant("CALL-4", "the media type of /call/* is checked before the function lookup and auth")
def call4_media_before_auth(ctx, req):
    if req.route.startswith("/call/") and req.body and \
            not media_type_ok(req.headers.get("Content-Type")):
        return envelope(415, "unsupported_media_type", "Content-Type must be application/json")
    return ctx.forward(req)


@mutant("CALL-4", "the shared-write role check runs before argument validation (403 before 422)")
def call4_forbidden_before_validation(ctx, req):
    resp = ctx.forward(req)
    j = req.json() if req.fn in KEY_FUNCTIONS and req.fn != "kv_get" and req.body else None
    claims = valid_claims(ctx, req)
    if resp.code == "validation_error" and isinstance(j, dict) and claims is not None \
            and str(j.get("key", "")).startswith("shared:") \
            and claims.get("role", "USER") in ("USER", "READER"):
        return envelope(403, "forbidden", "writing shared: keys needs WRITER")
    return resp


# --- CALL-5: success is {result, invalidate}, invalidate sorted and unique --------------------

@json_mutant("CALL-5", "`invalidate` is left out when the function affects nothing", call_ok)
def call5_invalidate_omitted(j):
    if not (isinstance(j, dict) and j.get("invalidate") == []):
        return False
    del j["invalidate"]


@json_mutant("CALL-5", "`invalidate` lists the affects in declaration order, unsorted", call_ok)
def call5_invalidate_unsorted(j):
    if not (isinstance(j, dict) and isinstance(j.get("invalidate"), list)
            and len(j["invalidate"]) > 1):
        return False
    j["invalidate"] = j["invalidate"][::-1]


@reply_mutant("CALL-5", "successful calls answer Content-Type: text/plain", call_ok)
def call5_text_content_type(resp):
    resp.headers.set("Content-Type", "text/plain; charset=utf-8")


@json_mutant("CALL-5", "`invalidate` repeats an entry (affects merged from two sources)", call_ok)
def call5_duplicate_invalidate(j):
    if not (isinstance(j, dict) and j.get("invalidate")):
        return False
    j["invalidate"] = [j["invalidate"][0]] + j["invalidate"]


@json_mutant("CALL-5", "echo's result carries an undeclared extra key (length)", answer_of("echo"))
def call5_result_extra_key(j):
    r = j["result"]
    if not isinstance(r.get("message"), str):
        return False
    r["length"] = len(r["message"])


# --- CALL-6: a failed call changes no state ---------------------------------------------------

@mutant("CALL-6", "a write rejected with 422 still stores its valid part (validate after write)")
def call6_write_before_validate(ctx, req):
    resp = ctx.forward(req)
    j = req.json() if req.fn in DECLARED else None
    if resp.code == "validation_error" and isinstance(j, dict):
        fixed = {k: v for k, v in j.items() if k in DECLARED[req.fn]}
        if "by" in fixed and isinstance(fixed["by"], int) and not isinstance(fixed["by"], bool):
            fixed["by"] = min(max(fixed["by"], 1), 1000)
        if "if_rev" in fixed and (not isinstance(fixed["if_rev"], int)
                                  or isinstance(fixed["if_rev"], bool)):
            del fixed["if_rev"]
        if fixed != j:
            ctx.forward(with_json(req, fixed))
    return resp


@mutant("CALL-6", "logout revokes before validating its arguments: a 422 logout still revokes")
def call6_logout_revokes_on_422(ctx, req):
    resp = ctx.forward(req)
    if req.fn == "logout" and resp.code == "validation_error":
        claims = valid_claims(ctx, req)
        if claims and claims.get("jti"):
            again = with_json(req, {})
            again.headers.set("Content-Type", "application/json")
            ctx.forward(again)
    return resp


@mutant("CALL-6", "counter_incr on a non-integer touches the key (rev + 1) before answering 409")
def call6_conflict_bumps_rev(ctx, req):
    resp = ctx.forward(req)
    j = req.json() if req.fn == "counter_incr" and req.body else None
    if resp.code == "conflict" and isinstance(j, dict):
        cur = result_of(call_as(ctx, req, "kv_get", {"key": j["key"]}))
        if isinstance(cur, dict) and cur.get("rev"):
            call_as(ctx, req, "kv_set", {"key": j["key"], "value": cur["value"]})
    return resp


# --- AUTH-1: where the credential comes from: Bearer header, afi_viewer cookie ----------------

@mutant("AUTH-1", "the Bearer scheme name is matched case-sensitively (`bearer x` is refused)")
def auth1_scheme_case_sensitive(ctx, req):
    vals = req.headers.get_all("Authorization")
    if gated_route(req) and len(vals) == 1:
        scheme = vals[0].split(" ", 1)[0]
        if scheme.lower() == "bearer" and scheme != "Bearer":
            return unauthorized_token("unsupported authorization scheme")
    return ctx.forward(req)


@mutant("AUTH-1", "an Authorization header of another scheme (Basic ...) is ignored: anonymous")
def auth1_other_scheme_anonymous(ctx, req):
    vals = req.headers.get_all("Authorization")
    if len(vals) == 1 and vals[0].split(" ", 1)[0].lower() != "bearer":
        req.headers.remove("Authorization")
    return ctx.forward(req)


@mutant("AUTH-1", "when both are present the afi_viewer cookie wins over the header")
def auth1_cookie_wins(ctx, req):
    if req.headers.has("Authorization") and req.cookie_token() is not None:
        req.headers.remove("Authorization")
    return ctx.forward(req)


@mutant("AUTH-1", "`Authorization: Bearer` with no token is treated as anonymous")
def auth1_empty_bearer_anonymous(ctx, req):
    vals = req.headers.get_all("Authorization")
    if len(vals) == 1 and vals[0].strip().lower() == "bearer":
        req.headers.remove("Authorization")
    return ctx.forward(req)


@mutant("AUTH-1", "of two Authorization headers the first is used")
def auth1_first_of_two(ctx, req):
    vals = req.headers.get_all("Authorization")
    if len(vals) > 1:
        req.headers.set("Authorization", vals[0])
    return ctx.forward(req)


@mutant("AUTH-1", "an empty afi_viewer cookie is treated as anonymous")
def auth1_empty_cookie_anonymous(ctx, req):
    if req.cookie_token() == "" and not req.headers.has("Authorization"):
        req.headers.remove("Cookie")
    return ctx.forward(req)


@mutant("AUTH-1", "the cookie name is matched case-insensitively (AFI_VIEWER works)")
def auth1_cookie_name_case(ctx, req):
    cookies = req.headers.get_all("Cookie")
    if cookies and req.cookie_token() is None:
        fixed = [re.sub(r"(^|;\s*)afi_viewer=", r"\1afi_viewer=", c, flags=re.I) for c in cookies]
        if fixed != cookies:
            req.headers.remove("Cookie")
            for c in fixed:
                req.headers.add("Cookie", c)
    return ctx.forward(req)


# --- AUTH-2: HS256 tokens: claims and their types ---------------------------------------------

@mutant("AUTH-2", "a validly signed token without exp is accepted (exp optional)")
def auth2_exp_optional(ctx, req):
    claims = valid_claims(ctx, req)
    if claims is not None and "exp" not in claims:
        claims["exp"] = int(time.time()) + 600
        resign(ctx, req, claims)
    return ctx.forward(req)


@mutant("AUTH-2", "a fractional exp (NumericDate with a fraction) is refused as invalid_token")
def auth2_fractional_exp_refused(ctx, req):
    claims = valid_claims(ctx, req)
    if gated_route(req) and claims is not None and isinstance(claims.get("exp"), float) \
            and not claims["exp"].is_integer():
        return unauthorized_token("exp must be an integer")
    return ctx.forward(req)


@mutant("AUTH-2", "tokens longer than 8192 bytes are decoded and accepted")
def auth2_no_size_limit(ctx, req):
    tok = req.token()
    claims = valid_claims(ctx, req)
    if claims is not None and len(tok) > 8192:
        small = {k: v for k, v in claims.items() if len(json.dumps(v)) < 512}
        resign(ctx, req, small)
    return ctx.forward(req)


@mutant("AUTH-2", "ill-typed optional claims (iat, jti) are ignored instead of refused")
def auth2_lax_claim_types(ctx, req):
    claims = valid_claims(ctx, req)
    if claims is not None:
        bad = [k for k in ("iat", "nbf") if k in claims and (
            isinstance(claims[k], bool) or not isinstance(claims[k], (int, float)))]
        if "jti" in claims and (not isinstance(claims["jti"], str) or claims["jti"] == ""):
            bad.append("jti")
        if bad:
            resign(ctx, req, {k: v for k, v in claims.items() if k not in bad})
    return ctx.forward(req)


@mutant("AUTH-2", "sub is not length-checked (stored truncated to 128 code points)")
def auth2_sub_unbounded(ctx, req):
    claims = valid_claims(ctx, req)
    if claims is not None and isinstance(claims.get("sub"), str) and len(claims["sub"]) > 128:
        claims["sub"] = claims["sub"][:128]
        resign(ctx, req, claims)
    return ctx.forward(req)


@mutant("AUTH-2", "a numeric string exp (\"1900000000\") is coerced to a number")
def auth2_string_exp(ctx, req):
    claims = valid_claims(ctx, req)
    if claims is not None and isinstance(claims.get("exp"), str):
        try:
            claims["exp"] = float(claims["exp"])
        except ValueError:
            return ctx.forward(req)
        resign(ctx, req, claims)
    return ctx.forward(req)


@mutant("AUTH-2", "tokens without jti are refused (jti treated as required)")
def auth2_jti_required(ctx, req):
    claims = valid_claims(ctx, req)
    if gated_route(req) and claims is not None and "jti" not in claims:
        return unauthorized_token("the token has no jti")
    return ctx.forward(req)


# --- AUTH-3: the roles and their order --------------------------------------------------------

@mutant("AUTH-3", "role names are matched case-insensitively (\"admin\" is ADMIN)")
def auth3_role_case_insensitive(ctx, req):
    claims = valid_claims(ctx, req)
    role = claims.get("role") if claims else None
    if isinstance(role, str) and role not in ROLES and role.upper() in ROLES:
        claims["role"] = role.upper()
        resign(ctx, req, claims)
    return ctx.forward(req)


@mutant("AUTH-3", "an unknown role falls back to USER instead of invalid_token")
def auth3_unknown_role_user(ctx, req):
    claims = valid_claims(ctx, req)
    if claims is not None and "role" in claims and claims["role"] not in ROLES:
        del claims["role"]
        resign(ctx, req, claims)
    return ctx.forward(req)


@mutant("AUTH-3", "an explicit \"role\": null claim is read as USER instead of refused")
def auth3_null_role_user(ctx, req):
    claims = valid_claims(ctx, req)
    if claims is not None and "role" in claims and claims["role"] is None:
        del claims["role"]
        resign(ctx, req, claims)
    return ctx.forward(req)


# --- AUTH-4: a credential that fails verification is 401, never anonymous ---------------------

@mutant("AUTH-4", "HS384/HS512 tokens signed with the secret are accepted")
def auth4_hs384_accepted(ctx, req):
    tok = req.token()
    if tok and ctx.secret and jwt_verify(tok, ctx.secret, ("HS384", "HS512")):
        resign(ctx, req, jwt_parts(tok)[1])
    return ctx.forward(req)


@mutant("AUTH-4", "a token with a bad signature is treated as anonymous")
def auth4_bad_signature_anonymous(ctx, req):
    tok = req.token()
    parts = jwt_parts(tok) if tok else None
    if parts and parts[0].get("alg") == "HS256" and not jwt_verify(tok, ctx.secret or ""):
        req.headers.remove("Authorization")
        req.headers.remove("Cookie")
    return ctx.forward(req)


@mutant("AUTH-4", "an expired token is answered invalid_token instead of token_expired")
def auth4_expired_as_invalid(ctx, req):
    return rewrite_code(ctx.forward(req), "token_expired", "invalid_token")


@mutant("AUTH-4", "revocation is checked before expiry: revoked+expired is token_revoked")
def auth4_revoked_checked_first(ctx, req):
    parts = jwt_parts(req.token()) if req.token() else None
    jti = parts[1].get("jti") if parts else None
    resp = ctx.forward(req)
    if jti and ((req.fn == "logout" and resp.status == 200) or resp.code == "token_revoked"):
        with ctx.lock:  # what a store consulted before the expiry check would know
            ctx.state.setdefault("revoked", set()).add(jti)
    if resp.code == "token_expired" and jti:
        with ctx.lock:
            revoked = jti in ctx.state.get("revoked", set())
        if revoked:
            return rewrite_code(resp, "token_expired", "token_revoked")
    return resp


@mutant("AUTH-4", "expiry is exclusive (now > exp): a token expiring this very second still works")
def auth4_exp_inclusive(ctx, req):
    claims = valid_claims(ctx, req)
    resp = ctx.forward(req)
    if resp.code == "token_expired" and claims is not None \
            and isinstance(claims.get("exp"), (int, float)) and 0 <= time.time() - claims["exp"] < 2:
        claims["exp"] = int(time.time()) + 60
        resign(ctx, req, claims)
        return ctx.forward(req)
    return resp


# --- AUTH-5: auth levels: 401 for anonymous, 403 for too low a role ---------------------------

@mutant("AUTH-5", "a too-low role is answered 401 unauthenticated instead of 403 forbidden")
def auth5_forbidden_as_401(ctx, req):
    return rewrite_code(ctx.forward(req), "forbidden", "unauthenticated", status=401,
                        challenge="Bearer")


@mutant("AUTH-5", "anonymous on a gated function is 403 forbidden instead of 401")
def auth5_anonymous_403(ctx, req):
    return rewrite_code(ctx.forward(req), "unauthenticated", "forbidden", status=403,
                        drop_challenge=True)


@mutant("AUTH-5", "role levels match exactly: a SUPERADMIN is refused an ADMIN function")
def auth5_exact_role(ctx, req):
    needs = {"staff_report": "ADMIN", "root_only": "SUPERADMIN"}
    claims = valid_claims(ctx, req) if req.fn in needs else None
    if claims is not None and claims.get("role") in ROLES and claims["role"] != needs[req.fn]:
        resp = ctx.forward(req)
        if resp.status == 200:
            return envelope(403, "forbidden", f"{req.fn} needs {needs[req.fn]}")
        return resp
    return ctx.forward(req)


# --- AUTH-6: logout revokes that token's jti and nothing else ---------------------------------

@mutant("AUTH-6", "logout answers {revoked: true} but revokes nothing")
def auth6_logout_noop(ctx, req):
    claims = jwt_parts(req.token())[1] if req.token() and jwt_parts(req.token()) else {}
    if req.fn == "logout" and req.method == "POST" and req.body in (None, b"", b"{}") \
            and claims.get("jti"):
        verdict = probe_credential(ctx, req)
        if verdict.status != 200:
            return verdict
        return ok_json({"result": {"revoked": True}, "invalidate": []})
    return ctx.forward(req)


@mutant("AUTH-6", "a revoked token is answered token_expired instead of token_revoked")
def auth6_revoked_as_expired(ctx, req):
    return rewrite_code(ctx.forward(req), "token_revoked", "token_expired")


@mutant("AUTH-6", "revocation is keyed by (sub, jti): another sub's token with that jti still works")
def auth6_revocation_per_sub(ctx, req):
    claims = valid_claims(ctx, req)
    if claims is not None and isinstance(claims.get("jti"), str) and claims["jti"] \
            and isinstance(claims.get("sub"), str):
        # The upstream revokes by jti; giving each sub its own jti is a (sub, jti) store.
        claims["jti"] = f"{claims['jti']}@{claims['sub']}"
        resign(ctx, req, claims)
    return ctx.forward(req)


@model_mutant("AUTH-6", "revocation is per instance: logout is remembered by the instance that "
                        "answered it, the other instances still accept the token")
def auth6_instance_revocation(ctx, req):
    tok = req.token() if gated_route(req) else None
    parts = jwt_parts(tok) if tok else None
    jti = parts[1].get("jti") if parts and isinstance(parts[1], dict) else None
    if isinstance(jti, str) and jti:
        with ctx.lock:
            revoked = jti in ctx.state.setdefault("revoked", set())
        if revoked:
            return envelope(401, "token_revoked", "token revoked",
                            headers=[("WWW-Authenticate", 'Bearer error="invalid_token"')])
        if req.fn == "logout" and probe_credential(ctx, req).status == 200:
            with ctx.lock:
                ctx.state["revoked"].add(jti)
            return ok_json({"result": {"revoked": True}, "invalidate": []})
    return ctx.forward(req)


# --- SCH-2: OpenAPI 3.1.0, x-afi-version, x-afi-contexts --------------------------------------

@schema_mutant("SCH-2", "the schema says \"openapi\": \"3.0.3\"")
def sch2_openapi_303(doc):
    doc["openapi"] = "3.0.3"


@schema_mutant("SCH-2", "x-afi-contexts member lists are in registration order, unsorted")
def sch2_contexts_unsorted(doc):
    for k, v in doc.get("x-afi-contexts", {}).items():
        if isinstance(v, list) and len(v) > 1:
            doc["x-afi-contexts"][k] = v[::-1]


@schema_mutant("SCH-2", "x-afi-version is the integer 1, not the string \"1\"")
def sch2_version_integer(doc):
    doc["x-afi-version"] = 1


# --- SCH-3: one post operation per function, with its schemas ---------------------------------

@schema_mutant("SCH-3", "paths also documents the built-in routes /health and /schema")
def sch3_builtin_paths(doc):
    ok = {"responses": {"200": {"description": "Success"}}}
    doc.setdefault("paths", {})["/health"] = {"get": dict(ok, operationId="health")}
    doc["paths"]["/schema"] = {"get": dict(ok, operationId="schema")}


@schema_mutant("SCH-3", "the exported result schema of add types sum as a string")
def sch3_result_schema_lies(doc):
    op = doc["paths"]["/call/add"]["post"]
    res = op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["result"]
    res["properties"]["sum"] = {"type": "string"}


@schema_mutant("SCH-3", "operationIds are prefixed (call_echo) instead of the function name")
def sch3_operation_ids(doc):
    for path, item in doc.get("paths", {}).items():
        if "post" in item:
            item["post"]["operationId"] = "call_" + path.rsplit("/", 1)[-1]


@schema_mutant("SCH-3", "ARGS required lists are in declaration order, not sorted")
def sch3_required_unsorted(doc):
    for item in doc.get("paths", {}).values():
        op = item.get("post", {})
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}) \
            .get("schema", {})
        if len(schema.get("required", [])) > 1:
            schema["required"] = schema["required"][::-1]


# --- SCH-4: the canonical schema equals the profile's -----------------------------------------

@schema_mutant("SCH-4", "the exported echo schema says maxLength 1024 instead of 1000")
def sch4_echo_limit(doc):
    op = doc["paths"]["/call/echo"]["post"]
    op["requestBody"]["content"]["application/json"]["schema"]["properties"]["text"][
        "maxLength"] = 1024


@schema_mutant("SCH-4", "an extra top-level member (x-generator) that canonicalization keeps")
def sch4_extra_toplevel(doc):
    doc["x-generator"] = "afi-adapter 0.1"


@schema_mutant("SCH-4", "every requestBody says \"required\": true")
def sch4_request_body_required(doc):
    for item in doc.get("paths", {}).values():
        if "requestBody" in item.get("post", {}):
            item["post"]["requestBody"]["required"] = True


@schema_mutant("SCH-4", "echo also documents a 422 response")
def sch4_extra_response(doc):
    op = doc["paths"]["/call/echo"]["post"]
    op["responses"]["422"] = {"content": {"application/json": {"schema": {"type": "object"}}}}


@schema_mutant("SCH-4", "add's result schema carries an extra keyword (minProperties)")
def sch4_result_extra_keyword(doc):
    op = doc["paths"]["/call/add"]["post"]
    op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["result"][
        "minProperties"] = 1


@mutant("SCH-4", "the schema changes after the first /schema answer (sleep turns deprecated)")
def sch4_schema_drifts(ctx, req):
    resp = ctx.forward(req)
    if route_ok("/schema")(req, resp):
        with ctx.lock:
            seen = ctx.state.get("schemas", 0)
            ctx.state["schemas"] = seen + 1
        if seen:
            doc = resp.json()
            doc["paths"]["/call/sleep"]["post"]["deprecated"] = True
            resp.set_json(doc)
    return resp


# --- CTX-2: the bundle body: {context, data} over every member --------------------------------

@reply_mutant("CTX-2", "bundles carry an extra \"etag\" key next to context and data", bundle_ok)
def ctx2_extra_key(resp):
    j = resp.json()
    j["etag"] = resp.headers.get("ETag")
    resp.set_json(j)


@json_mutant("CTX-2", "bundle members are whole call answers {result, invalidate}, not results",
             bundle_ok)
def ctx2_members_wrapped(j):
    j["data"] = {k: {"result": v, "invalidate": []} for k, v in j["data"].items()}


@json_mutant("CTX-2", "bundles leave out members whose result is empty (no draft yet)", bundle_ok)
def ctx2_drops_empty_members(j):
    j["data"] = {k: v for k, v in j["data"].items()
                 if not (isinstance(v, dict) and v and all(x in ("", None) for x in v.values()))}


# --- CTX-3: a bundle needs its strictest member's level ---------------------------------------

@mutant("CTX-3", "the user bundle forgets its auth check: anonymous gets an empty viewer's data")
def ctx3_bundle_ungated(ctx, req):
    if req.method == "GET" and req.context == "user" and not req.presents_credential():
        return ok_json({"context": "user", "data": {"get_draft": {"draft": ""},
                                                    "whoami": {"sub": "", "role": "USER"}}},
                       headers=[("ETag", '"anonymous"'), ("Cache-Control", "private, no-cache"),
                                ("Vary", "Authorization, Cookie")])
    return ctx.forward(req)


@mutant("CTX-3", "bundle levels are ranked wrongly (viewer above the roles): the user bundle needs WRITER")
def ctx3_user_bundle_too_strict(ctx, req):
    if req.method == "GET" and req.context == "user":
        claims = valid_claims(ctx, req)
        if claims is not None and claims.get("role", "USER") in ("USER", "READER"):
            resp = ctx.forward(req)
            if resp.status in (200, 304):
                return envelope(403, "forbidden", "the user bundle needs WRITER")
            return resp
    return ctx.forward(req)


# --- CTX-4: strong per-viewer ETags, If-None-Match and 304 ------------------------------------

@reply_mutant("CTX-4", "bundle ETags are weak (W/\"...\")", any_bundle)
def ctx4_weak_etag(resp):
    tag = resp.headers.get("ETag")
    if tag and not tag.startswith("W/"):
        resp.headers.set("ETag", "W/" + tag)


@mutant("CTX-4", "If-None-Match is ignored: never 304")
def ctx4_inm_ignored(ctx, req):
    if req.context:
        req.headers.remove("If-None-Match")
    return ctx.forward(req)


@mutant("CTX-4", "If-None-Match is compared as one exact tag (lists, W/ and * never match)")
def ctx4_inm_exact_only(ctx, req):
    inm = req.headers.get("If-None-Match")
    if req.context and inm is not None and ("," in inm or "W/" in inm or inm.strip() == "*"):
        req.headers.remove("If-None-Match")
    return ctx.forward(req)


@reply_mutant("CTX-4", "304 answers drop Cache-Control and Vary", status_is(304))
def ctx4_304_bare(resp):
    resp.headers.remove("Cache-Control")
    resp.headers.remove("Vary")


@mutant("CTX-4", "the ETag hashes the stored data only, not the viewer: equal drafts share a tag")
def ctx4_viewerless_etag(ctx, req):
    if req.method != "GET" or not req.context:
        return ctx.forward(req)
    inm = req.headers.get("If-None-Match")
    req.headers.remove("If-None-Match")
    resp = ctx.forward(req)
    if resp.status != 200:
        return resp
    data = {k: v for k, v in resp.json()["data"].items() if k != "whoami"}
    tag = '"' + hashlib.sha256((req.context + json.dumps(data, sort_keys=True)).encode())\
        .hexdigest()[:32] + '"'
    resp.headers.set("ETag", tag)
    if inm_matches(inm, tag):
        return not_modified(resp, tag)
    return resp


@mutant("CTX-4", "public bundles are tagged per viewer too (the credential is always hashed in)")
def ctx4_public_tag_per_viewer(ctx, req):
    if req.method == "GET" and req.context == "global":
        cred = "|".join(req.headers.get_all("Authorization") + req.headers.get_all("Cookie"))
        return retag_bundle(ctx, req, lambda t: f"{t}/{cred}")
    return ctx.forward(req)


@mutant("CTX-4", "the ETag is sent unquoted (bare hex)")
def ctx4_unquoted_etag(ctx, req):
    if req.method == "GET" and req.context:
        inm = req.headers.get("If-None-Match")
        if inm is not None:
            req.headers.set("If-None-Match", ", ".join(
                t.strip() if t.strip() in ("*",) or t.strip().startswith(('"', 'W/"'))
                else f'"{t.strip()}"' for t in inm.split(",")))
    resp = ctx.forward(req)
    tag = resp.headers.get("ETag") if req.context else None
    if tag and tag.startswith('"'):
        resp.headers.set("ETag", tag.strip('"'))
    return resp


# --- CTX-5: cache headers of private and public bundles ---------------------------------------

@reply_mutant("CTX-5", "private bundles are sent Cache-Control: public, max-age=60",
              lambda req, resp: req.context and resp.status in (200, 304)
              and resp.headers.has("Vary"))
def ctx5_public_cache(resp):
    resp.headers.set("Cache-Control", "public, max-age=60")


@reply_mutant("CTX-5", "private bundles lack Vary: Authorization, Cookie", any_bundle)
def ctx5_no_vary(resp):
    resp.headers.remove("Vary")


@reply_mutant("CTX-5", "public bundles also carry Vary: Authorization, Cookie",
              lambda req, resp: req.context and resp.status in (200, 304)
              and not resp.headers.has("Vary"))
def ctx5_public_vary(resp):
    resp.headers.set("Vary", "Authorization, Cookie")


@reply_mutant("CTX-5", "private bundles say Vary: Authorization (the cookie is forgotten)",
              lambda req, resp: req.context and resp.headers.has("Vary"))
def ctx5_vary_authorization_only(resp):
    resp.headers.set("Vary", "Authorization")


# --- INV-1: invalidate lists exactly the declared affects -------------------------------------

@json_mutant("INV-1", "`invalidate` names only the affected contexts, never function: entries",
             call_ok)
def inv1_contexts_only(j):
    if not (isinstance(j, dict) and isinstance(j.get("invalidate"), list)):
        return False
    j["invalidate"] = [e for e in j["invalidate"] if not str(e).startswith("function:")]


@json_mutant("INV-1", "a kv_delete that deleted nothing answers an empty `invalidate`",
             answer_of("kv_delete"))
def inv1_noop_empty(j):
    if j["result"].get("deleted") is not False:
        return False
    j["invalidate"] = []


@json_mutant("INV-1", "kv_set over-invalidates: its invalidate also names context:global",
             lambda req, resp: resp.status == 200 and req.fn == "kv_set")
def inv1_extra_context(j):
    if not (isinstance(j, dict) and isinstance(j.get("invalidate"), list)):
        return False
    j["invalidate"] = sorted(set(j["invalidate"]) | {"context:global"})


@json_mutant("INV-1", "failed calls also carry an empty `invalidate` next to the error",
             lambda req, resp: req.fn and is_error(req, resp))
def inv1_failed_call_invalidates(j):
    j["invalidate"] = []


# --- INV-2: read-your-writes: a write changes the writer's bundle tag only --------------------

@mutant("INV-2", "bundles are cached per credential and never invalidated by writes")
def inv2_stale_bundle(ctx, req):
    if req.method != "GET" or not req.context:
        return ctx.forward(req)
    key = (req.route, tuple(req.headers.get_all("Authorization")),
           tuple(req.headers.get_all("Cookie")))
    with ctx.lock:
        cached = ctx.state.get(key)
    if cached is None:
        inm = req.headers.get("If-None-Match")
        req.headers.remove("If-None-Match")
        resp = ctx.forward(req)
        if resp.status != 200:
            return resp
        with ctx.lock:
            ctx.state[key] = cached = resp
        req.headers.set("If-None-Match", inm) if inm is not None else None
    if inm_matches(req.headers.get("If-None-Match"), cached.headers.get("ETag")):
        return not_modified(cached)
    return Resp(cached.status, cached.headers.copy(), cached.body)


@mutant("INV-2", "bundle ETags include a global write counter: any viewer's write changes everyone's tag")
def inv2_global_version_etag(ctx, req):
    if req.method == "GET" and req.context:
        with ctx.lock:
            version = ctx.state.get("version", 0)
        return retag_bundle(ctx, req, lambda t: f"{t}/{version}")
    resp = ctx.forward(req)
    if req.fn in WRITES and resp.status == 200:
        with ctx.lock:
            ctx.state["version"] = ctx.state.get("version", 0) + 1
    return resp


# --- SCOPE-1: the key pattern -----------------------------------------------------------------

@mutant("SCOPE-1", "keys are normalised (trimmed, scope lower-cased) instead of refused")
def scope1_key_normalised(ctx, req):
    j = req.json() if req.fn in KEY_FUNCTIONS and req.body else None
    if isinstance(j, dict) and isinstance(j.get("key"), str):
        scope, sep, name = j["key"].strip().partition(":")
        fixed = scope.lower() + sep + name
        if fixed != j["key"] and KEY_RE.match(fixed):
            j["key"] = fixed
            req.set_json(j)
    return ctx.forward(req)


@mutant("SCOPE-1", "over-long key names are silently truncated to 128 characters")
def scope1_long_key_truncated(ctx, req):
    j = req.json() if req.fn in KEY_FUNCTIONS and req.body else None
    if isinstance(j, dict) and isinstance(j.get("key"), str):
        scope, sep, name = j["key"].partition(":")
        if sep and len(name) > 128 and KEY_RE.match(scope + sep + name[:128]):
            j["key"] = scope + sep + name[:128]
            req.set_json(j)
    return ctx.forward(req)


@mutant("SCOPE-1", "the key pattern is not anchored at the end: the longest valid prefix is used")
def scope1_unanchored_pattern(ctx, req):
    j = req.json() if req.fn in KEY_FUNCTIONS and req.body else None
    if isinstance(j, dict) and isinstance(j.get("key"), str):
        m = re.match(r"(personal|shared):[A-Za-z0-9_.-]{1,128}", j["key"])
        if m and m.group(0) != j["key"]:
            j["key"] = m.group(0)
            req.set_json(j)
    return ctx.forward(req)


# --- SCOPE-2: personal data belongs to its viewer ---------------------------------------------

@mutant("SCOPE-2", "personal: keys are stored in one namespace for every viewer")
def scope2_personal_global(ctx, req):
    j = req.json() if req.fn and req.body else None
    personal = isinstance(j, dict) and (
        (req.fn in KEY_FUNCTIONS and str(j.get("key", "")).startswith("personal:"))
        or (req.fn == "kv_list" and j.get("scope") == "personal"))
    claims = valid_claims(ctx, req) if personal else None
    if claims is not None:
        claims["sub"] = "afi-everyone"
        resign(ctx, req, claims)
    return ctx.forward(req)


@mutant("SCOPE-2", "kv_list personal also lists the shared keys (prefix filter forgotten)")
def scope2_list_includes_shared(ctx, req):
    resp = ctx.forward(req)
    j = req.json() if req.fn == "kv_list" and req.body else None
    r = result_of(resp)
    if isinstance(j, dict) and j.get("scope") == "personal" and isinstance(r, dict):
        shared = result_of(ctx.forward(with_json(req, {"scope": "shared"})))
        if isinstance(shared, dict) and shared.get("keys"):
            out = resp.json()
            out["result"]["keys"] = sorted(set(r["keys"]) | set(shared["keys"]),
                                           key=lambda k: k.encode("utf-8"))
            resp.set_json(out)
    return resp


@mutant("SCOPE-2", "kv_delete of a personal: key deletes it for every viewer (owner left out of the delete)")
def scope2_delete_all_viewers(ctx, req):
    claims = valid_claims(ctx, req)
    now = time.monotonic()
    if claims is not None and isinstance(claims.get("sub"), str):
        with ctx.lock:
            seen = ctx.state.setdefault("seen", {})
            seen[claims["sub"]] = (now, claims)
            for sub in [s for s, (t, _) in seen.items() if now - t > 5]:
                del seen[sub]
    resp = ctx.forward(req)
    j = req.json() if req.fn == "kv_delete" and req.body else None
    if resp.status == 200 and isinstance(j, dict) and str(j.get("key", "")).startswith("personal:"):
        with ctx.lock:
            others = [c for s, (_, c) in ctx.state["seen"].items() if s != claims.get("sub")][-50:]
        for other in others:
            gone = req.copy()
            gone.set_token(jwt_sign(dict(other, exp=int(time.time()) + 600), ctx.secret))
            ctx.forward(gone)
    return resp


@model_mutant("SCOPE-2", "personal keys are stored under sub + \".\" + name, so the sub \"a\" with "
                         "personal:b.c and the sub \"a.b\" with personal:c are one key")
def scope2_sub_dot_name(ctx, req):
    j = req.json() if req.fn in KEY_FUNCTIONS and req.body else None
    key = j.get("key") if isinstance(j, dict) else None
    claims = valid_claims(ctx, req) if isinstance(key, str) and KEY_RE.match(key) \
        and key.startswith("personal:") else None
    if claims is None or not isinstance(claims.get("sub"), str):
        return ctx.forward(req)
    flat = claims["sub"] + "." + key[len("personal:"):]
    claims["sub"] = "afi-flat-store"
    resign(ctx, req, claims)
    req.set_json(dict(j, key="personal:h" + hashlib.sha256(flat.encode()).hexdigest()[:40]))
    resp = ctx.forward(req)
    out = resp.json() if resp.status == 200 else None
    if isinstance(out, dict) and isinstance(out.get("result"), dict) and "key" in out["result"]:
        out["result"]["key"] = key
        resp.set_json(out)
    return resp


# --- SCOPE-3: shared writes need WRITER -------------------------------------------------------

@mutant("SCOPE-3", "kv_delete of a shared: key does not check for WRITER")
def scope3_delete_unchecked(ctx, req):
    j = req.json() if req.fn == "kv_delete" and req.body else None
    claims = valid_claims(ctx, req) if isinstance(j, dict) and \
        str(j.get("key", "")).startswith("shared:") else None
    if claims is not None and ROLES.index(claims.get("role", "USER")
                                          if claims.get("role") in ROLES else "USER") < 2:
        claims["role"] = "WRITER"
        resign(ctx, req, claims)
    return ctx.forward(req)


@mutant("SCOPE-3", "counter_incr on a shared: key does not check for WRITER")
def scope3_incr_unchecked(ctx, req):
    j = req.json() if req.fn == "counter_incr" and req.body else None
    claims = valid_claims(ctx, req) if isinstance(j, dict) and \
        str(j.get("key", "")).startswith("shared:") else None
    if claims is not None and claims.get("role", "USER") in ("USER", "READER"):
        claims["role"] = "WRITER"
        resign(ctx, req, claims)
    return ctx.forward(req)


# --- SCOPE-4: values up to 64 KiB round-trip exactly ------------------------------------------

@kv_get_mutant("SCOPE-4", "stored strings lose non-ASCII characters (read back as '?')")
def scope4_ascii_only(value):
    return map_leaves(value, lambda v: v.encode("ascii", "replace").decode("ascii")
                      if isinstance(v, str) else v)


@kv_get_mutant("SCOPE-4", "integers beyond 2^31 are stored as doubles and read back as 1.0e..")
def scope4_big_int_float(value):
    return map_leaves(value, lambda v: float(v) if isinstance(v, int)
                      and not isinstance(v, bool) and abs(v) > 2**31 else v)


@mutant("SCOPE-4", "kv_set of a null value deletes the key (null means absent)")
def scope4_null_is_delete(ctx, req):
    j = req.json() if req.fn == "kv_set" and req.body else None
    if not (isinstance(j, dict) and "value" in j and j["value"] is None
            and isinstance(j.get("key"), str) and set(j) <= {"key", "value", "if_rev"}):
        return ctx.forward(req)
    cur = result_of(call_as(ctx, req, "kv_get", {"key": j["key"]}))
    if not isinstance(cur, dict) or ("if_rev" in j and j["if_rev"] != cur.get("rev")):
        return ctx.forward(req)
    gone = call_as(ctx, req, "kv_delete", {"key": j["key"]})
    if gone.status != 200:
        return gone
    return ok_json({"result": {"key": j["key"], "rev": cur["rev"] + 1},
                    "invalidate": ["context:user", "function:kv_get", "function:kv_list"]})


@mutant("SCOPE-4", "the value size limit is exclusive: exactly 65536 compact bytes is 422")
def scope4_limit_off_by_one(ctx, req):
    j = req.json() if req.fn == "kv_set" and req.body else None
    resp = ctx.forward(req)
    if resp.status == 200 and isinstance(j, dict) and "value" in j:
        size = len(json.dumps(j["value"], separators=(",", ":"), ensure_ascii=False)
                   .encode("utf-8"))
        if size == 65536:
            return envelope(422, "validation_error", "the arguments do not match the schema",
                            [{"loc": ["body", "value"], "type": "length",
                              "msg": "value is over 64 KiB"}])
    return resp


@kv_get_mutant("SCOPE-4", "stored strings are Unicode-normalised (NFC) by the store")
def scope4_nfc(value):
    import unicodedata
    return map_leaves(value, lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v)


# --- SCOPE-5: revs and if_rev -----------------------------------------------------------------

@mutant("SCOPE-5", "kv_set writes first and checks if_rev after: a 409 still writes")
def scope5_conflict_still_writes(ctx, req):
    resp = ctx.forward(req)
    j = req.json() if req.fn == "kv_set" else None
    if resp.code == "conflict" and isinstance(j, dict) and "if_rev" in j:
        del j["if_rev"]
        ctx.forward(with_json(req, j))
    return resp


@mutant("SCOPE-5", "kv_set of the value already stored skips the write: rev does not grow")
def scope5_same_value_keeps_rev(ctx, req):
    j = req.json() if req.fn == "kv_set" and req.body else None
    if isinstance(j, dict) and set(j) == {"key", "value"} and isinstance(j["key"], str):
        cur = result_of(call_as(ctx, req, "kv_get", {"key": j["key"]}))
        if isinstance(cur, dict) and cur.get("rev", 0) > 0 and cur.get("value") == j["value"] \
                and type(cur.get("value")) is type(j["value"]):
            # still answer the role check a real write would
            verdict = ctx.forward(with_json(req, {"key": j["key"], "value": j["value"],
                                                  "if_rev": -1}))
            if verdict.code == "conflict":
                return ok_json({"result": {"key": j["key"], "rev": cur["rev"]},
                                "invalidate": ["context:user", "function:kv_get",
                                               "function:kv_list"]})
            return ctx.forward(req)
    return ctx.forward(req)


# --- SCOPE-6: counter_incr is atomic and bounded ----------------------------------------------

@mutant("SCOPE-6", "counter_incr is a non-atomic read (kv_get), add, write (kv_set)")
def scope6_read_modify_write(ctx, req):
    j = req.json() if req.fn == "counter_incr" and req.body else None
    if not (isinstance(j, dict) and isinstance(j.get("key"), str) and set(j) <= {"key", "by"}):
        return ctx.forward(req)
    by = j.get("by", 1)
    if not isinstance(by, int) or isinstance(by, bool) or not 1 <= by <= 1000:
        return ctx.forward(req)
    got = call_as(ctx, req, "kv_get", {"key": j["key"]})
    cur = result_of(got)
    absent = isinstance(cur, dict) and cur.get("rev") == 0
    integer = isinstance(cur, dict) and isinstance(cur.get("value"), int) \
        and not isinstance(cur["value"], bool)
    if not (absent or integer) or (0 if absent else cur["value"]) + by > 2**53:
        return ctx.forward(req)  # the upstream answers the 409 conflicts itself
    new = (0 if absent else cur["value"]) + by
    time.sleep(0.003)
    wrote = call_as(ctx, req, "kv_set", {"key": j["key"], "value": new})
    if wrote.status != 200:
        return wrote
    return ok_json({"result": {"key": j["key"], "value": new},
                    "invalidate": ["function:kv_get", "function:kv_list"]})


@mutant("SCOPE-6", "counter_incr has no 2^53 ceiling: a sum above it is stored")
def scope6_no_ceiling(ctx, req):
    resp = ctx.forward(req)
    j = req.json() if req.fn == "counter_incr" and req.body else None
    if resp.code == "conflict" and isinstance(j, dict):
        cur = result_of(call_as(ctx, req, "kv_get", {"key": j["key"]}))
        v = cur.get("value") if isinstance(cur, dict) else None
        if isinstance(v, int) and not isinstance(v, bool):
            new = v + j.get("by", 1)
            if call_as(ctx, req, "kv_set", {"key": j["key"], "value": new}).status == 200:
                return ok_json({"result": {"key": j["key"], "value": new},
                                "invalidate": ["function:kv_get", "function:kv_list"]})
    return resp


# --- PROF-1: the profile functions behave as specified ----------------------------------------

@json_mutant("PROF-1", "add computes in 32-bit integers and wraps around", answer_of("add"))
def prof1_add_int32_wrap(j):
    r = j["result"]
    if not isinstance(r.get("sum"), int):
        return False
    r["sum"] = (r["sum"] + 2**31) % 2**32 - 2**31


@json_mutant("PROF-1", "echo trims surrounding whitespace from the message", answer_of("echo"))
def prof1_echo_trimmed(j):
    r = j["result"]
    if not isinstance(r.get("message"), str):
        return False
    r["message"] = r["message"].strip()


@json_mutant("PROF-1", "kv_list answers keys in storage order, not sorted", answer_of("kv_list"))
def prof1_kv_list_unsorted(j):
    r = j["result"]
    if not (isinstance(r.get("keys"), list) and len(r["keys"]) > 1):
        return False
    r["keys"] = r["keys"][::-1]


@json_mutant("PROF-1", "kv_delete always answers deleted: true, even for an absent key",
             answer_of("kv_delete"))
def prof1_delete_always_true(j):
    if j["result"].get("deleted") is not False:
        return False
    j["result"]["deleted"] = True


# --- ROB-1: malformed input gets a 4xx, never a crash -----------------------------------------

@mutant("ROB-1", "a recursive JSON parser: nesting past 10000 levels is a 500, not a 4xx")
def rob1_deep_nesting_500(ctx, req):
    resp = ctx.forward(req)
    if req.body and len(req.body) > 20000 and 400 <= resp.status < 500 \
            and resp.status not in (401, 403, 404, 405, 413, 415) \
            and nesting_depth(req.body) > 10000:
        return envelope(500, "internal_error", "internal error")
    return resp


@mutant("ROB-1", "invalid UTF-8 in a body crashes the worker: the connection drops unanswered")
def rob1_drop_on_bad_utf8(ctx, req):
    if req.fn and req.body:
        try:
            req.body.decode("utf-8")
        except UnicodeDecodeError:
            resp = ctx.forward(req)
            if resp.code == "invalid_json":
                return Resp(0, Headers(), b"")
            return resp
    return ctx.forward(req)


@mutant("ROB-1", "a NUL byte in a body wedges the server: /health drops for the next 2 seconds")
def rob1_wedged_after_nul(ctx, req):
    if req.route == "/health":
        with ctx.lock:
            wedged = time.monotonic() < ctx.state.get("until", 0)
        if wedged:
            return Resp(0, Headers(), b"")
    resp = ctx.forward(req)
    if req.body and b"\x00" in req.body and 400 <= resp.status < 500:
        with ctx.lock:
            ctx.state["until"] = time.monotonic() + 2
    return resp


# --- ROB-2: under concurrent load no update is lost --------------------------------------------

@model_mutant("ROB-2", "each instance caches kv_get answers and drops an entry only when a write "
                       "passes through that same instance: reads after another instance wrote are stale")
def rob2_instance_read_cache(ctx, req):
    j = req.json() if req.fn in KEY_FUNCTIONS and req.body else None
    key = j.get("key") if isinstance(j, dict) else None
    if not isinstance(key, str):
        return ctx.forward(req)
    tok = req.token()
    parts = jwt_parts(tok) if tok else None
    sub = parts[1].get("sub") if parts and isinstance(parts[1], dict) else None
    entry = (None if key.startswith("shared:") else sub, key)
    if req.fn != "kv_get":
        resp = ctx.forward(req)
        with ctx.lock:
            ctx.state.pop(entry, None)
        return resp
    with ctx.lock:
        cached = ctx.state.get(entry)
    if cached is not None and valid_claims(ctx, req) is not None:
        return Resp(cached.status, cached.headers.copy(), cached.body)
    resp = ctx.forward(req)
    if resp.status == 200:
        with ctx.lock:
            ctx.state[entry] = resp
    return resp


# --- equivalent variants: conformant answers the suite must NOT reject ------------------------
# Rule "=": each changes the answers only in ways docs/protocol.md allows; the self-test
# requires the whole suite to pass against them (a failure is a false positive of the suite).

def equivalent(desc):
    return mutant("=", desc)


def json_answer_mutant(desc):
    """An equivalent that edits every JSON answer (edit(resp) changes it in place)."""
    return reply_mutant("=", desc, lambda req, resp: resp.body and (
        resp.headers.get("Content-Type") or "").lower().startswith("application/json"))


def _reversed_keys(v):
    if isinstance(v, dict):
        return {k: _reversed_keys(v[k]) for k in reversed(list(v))}
    if isinstance(v, list):
        return [_reversed_keys(x) for x in v]
    return v


@json_answer_mutant("every JSON object in every answer has its keys in reverse order")
def eq_reordered_keys(resp):
    j = resp.json()
    if j is not None:
        resp.set_json(_reversed_keys(j))


@json_answer_mutant("every JSON answer is pretty-printed (indent 2, newline at the end)")
def eq_pretty_json(resp):
    j = resp.json()
    if j is not None:
        resp.body = (json.dumps(j, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@json_answer_mutant("JSON answers say Content-Type: application/json; charset=utf-8")
def eq_charset_param(resp):
    resp.headers.set("Content-Type", "application/json; charset=utf-8")


@reply_mutant("=", "401 challenges carry a realm: Bearer realm=\"afi\"[, error=\"invalid_token\"]",
              lambda req, resp: resp.status == 401 and resp.headers.has("WWW-Authenticate"))
def eq_realm_challenge(resp):
    rest = resp.headers.get("WWW-Authenticate")[len("Bearer"):].strip()
    resp.headers.set("WWW-Authenticate", 'Bearer realm="afi"' + (", " + rest if rest else ""))


@equivalent("every answer has extra headers (X-Request-Id, Server) and /health extra keys")
def eq_extra_headers_and_keys(ctx, req):
    resp = ctx.forward(req)
    resp.headers.add("X-Request-Id", "req-" + hashlib.sha1(req.path.encode()).hexdigest()[:8])
    resp.headers.add("X-Powered-By", "afi-equivalent")
    if req.route == "/health" and resp.status == 200:
        j = resp.json()
        j.update({"uptime_s": 12, "build": "test"})
        resp.set_json(j)
    return resp


@schema_mutant("=", "the schema has another info block, servers, and operation summaries")
def eq_schema_cosmetics(doc):
    doc["info"] = {"title": "Some other adapter", "version": "9.9.9",
                   "description": "cosmetic keys the canonical form removes"}
    doc["servers"] = [{"url": "https://example.invalid/afi", "description": "elsewhere"}]
    for item in doc.get("paths", {}).values():
        for op in item.values():
            if isinstance(op, dict):
                op["summary"] = "an operation"
                op["description"] = "described"
