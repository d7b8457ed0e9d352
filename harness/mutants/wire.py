"""The request and response values the mutating proxy hands to mutants, and JWT helpers.

A mutant sees one Req (what the client sent, path relative to the AFI base) and calls
forward(req) to get the upstream's Resp; it may rewrite either, answer by itself, or
send extra requests upstream. Nothing here talks to the network.
"""
import base64
import hashlib
import hmac
import json

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "proxy-authorization", "proxy-authenticate", "expect",
              "content-length", "host"}


class Headers:
    """An ordered multi-map of HTTP headers with case-insensitive names."""

    def __init__(self, pairs=()):
        self.pairs = [(k, v) for k, v in pairs]

    def get(self, name, default=None):
        vals = self.get_all(name)
        return ", ".join(vals) if vals else default

    def get_all(self, name):
        n = name.lower()
        return [v for k, v in self.pairs if k.lower() == n]

    def has(self, name):
        return bool(self.get_all(name))

    def set(self, name, value):
        self.remove(name)
        self.pairs.append((name, value))

    def add(self, name, value):
        self.pairs.append((name, value))

    def remove(self, name):
        n = name.lower()
        self.pairs = [(k, v) for k, v in self.pairs if k.lower() != n]

    def copy(self):
        return Headers(self.pairs)


def loads_strict(data):
    """Parses JSON like the protocol wants it (duplicate keys refused); None when not JSON."""
    def no_dups(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                raise ValueError("duplicate key")
            d[k] = v
        return d
    try:
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            return None
        return json.loads(text, object_pairs_hook=no_dups,
                          parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Req:
    """A request as the client sent it; path is relative to the AFI base (query kept)."""

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body  # bytes, or None when the client sent no body at all

    def copy(self):
        return Req(self.method, self.path, self.headers.copy(), self.body)

    @property
    def route(self):
        return self.path.split("?", 1)[0]

    def _name_after(self, prefix):
        """The one non-empty path segment after prefix, else None."""
        r = self.route
        name = r[len(prefix):]
        if r.startswith(prefix) and "/" not in name and name:
            return name
        return None

    @property
    def fn(self):
        """The function name of POST-able /call/{name} paths, else None."""
        return self._name_after("/call/")

    @property
    def context(self):
        return self._name_after("/context/")

    def json(self):
        if not self.body:
            return {} if self.body is not None or self.method == "POST" else None
        return loads_strict(self.body)

    def set_json(self, obj):
        self.body = dumps(obj)

    def bearer(self):
        """The token of a well-formed `Authorization: Bearer <t>` header, else None."""
        vals = self.headers.get_all("Authorization")
        if len(vals) != 1:
            return None
        parts = vals[0].split(" ", 1)
        if len(parts) == 2 and parts[0].lower() == "bearer" and parts[1]:
            return parts[1]
        return None

    def cookie_token(self):
        for c in self.headers.get_all("Cookie"):
            for part in c.split(";"):
                k, _, v = part.strip().partition("=")
                if k == "afi_viewer":
                    return v
        return None

    def token(self):
        """The credential the protocol would use: the header wins over the cookie."""
        if self.headers.has("Authorization"):
            return self.bearer()
        return self.cookie_token()

    def presents_credential(self):
        return self.headers.has("Authorization") or self.cookie_token() is not None

    def set_token(self, token):
        """Sends token as the Bearer header and drops the cookie credential."""
        self.headers.set("Authorization", "Bearer " + token)
        self.headers.remove("Cookie")


class Resp:
    def __init__(self, status, headers, body, reason=""):
        self.status = status
        self.headers = headers
        self.body = body
        self.reason = reason

    def json(self):
        return loads_strict(self.body) if self.body else None

    def set_json(self, obj):
        self.body = dumps(obj)

    @property
    def code(self):
        """The envelope's error code, or None."""
        j = self.json()
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            return j["error"].get("code")
        return None


def envelope(status, code, message, details=None, headers=()):
    h = Headers([("Content-Type", "application/json"), *headers])
    return Resp(status, h, dumps({"error": {"code": code, "message": message,
                                            "details": details}}))


def ok_json(obj, headers=()):
    return Resp(200, Headers([("Content-Type", "application/json"), *headers]), dumps(obj))


# --- JWT (HS256 only; enough to re-sign a token the way a buggy adapter would accept it) ---

def b64url_decode(s):
    s = s.encode("ascii") if isinstance(s, str) else s
    return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_parts(token):
    """(header, claims) of a compact JWS without verifying it, or None."""
    try:
        h, p, _ = token.split(".")
        header = json.loads(b64url_decode(h))
        claims = json.loads(b64url_decode(p))
        if isinstance(header, dict) and isinstance(claims, dict):
            return header, claims
    except (ValueError, UnicodeDecodeError, TypeError, AttributeError):
        pass
    return None


def jwt_verify(token, secret, algs=("HS256",)):
    """True when token is signed with secret under one of algs (HS256/384/512)."""
    digests = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    parts = jwt_parts(token)
    if parts is None or parts[0].get("alg") not in algs:
        return False
    h, p, s = token.split(".")
    try:
        sig = b64url_decode(s)
    except ValueError:
        return False
    want = hmac.new(secret.encode(), f"{h}.{p}".encode(), digests[parts[0]["alg"]]).digest()
    return hmac.compare_digest(sig, want)


def jwt_sign(claims, secret):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(sig)}"
