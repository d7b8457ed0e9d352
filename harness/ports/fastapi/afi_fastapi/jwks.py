"""The JWK Set of AFI_JWKS_URL (FULL-6..FULL-8): fetched with urllib in a thread, so the
event loop keeps answering; cached; refetched for an unknown kid at most once per
AFI_JWKS_REFRESH_SECONDS; every fetch bounded in time and size.

A porter copies this file as it is: each rule is one small function or constant, named by
its requirement id. RSA keys come from PyJWT's from_jwk, P-256 keys from their x and y once
their form is checked (from_jwk's own checks vary by PyJWT version); either is a cryptography
key, so PyJWT verifies with it as with the key file of FULL-1.
"""
import asyncio
import binascii
import json
import math
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Optional

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.utils import base64url_decode

FETCH_TIMEOUT = 2.0            # FULL-8: seconds for a whole fetch, connecting included
MAX_BYTES = 1048576            # FULL-8: a larger body is a failed fetch
MAX_KEYS = 100                 # FULL-8: a set with more keys is a failed fetch
MIN_RSA_BITS = 2048            # FULL-6: a smaller RSA key is not usable
P256_OCTETS = 32               # FULL-6: x and y of a P-256 key, leading zeros included
CACHE_SECONDS = 300            # FULL-7: defaults of AFI_JWKS_CACHE_SECONDS ...
REFRESH_SECONDS = 10           # ... and AFI_JWKS_REFRESH_SECONDS
MAX_SECONDS = 86400


class ConfigProblem(Exception):
    """A JWKS configuration the port refuses to start with (FULL-1)."""


class NoSet(Exception):
    """FULL-8: no fetch has succeeded yet, so no token can be verified (503)."""


class FetchFailed(Exception):
    """FULL-8: a fetch that failed; the previous set stays."""


@dataclass(frozen=True)
class Key:
    key: object    # a cryptography public key
    alg: str       # "RS256" or "ES256": the key's type alone names it (FULL-1)


def _seconds(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= MAX_SECONDS:
        raise ConfigProblem(f"{name} must be whole seconds from 1 to {MAX_SECONDS}, not {value!r}")
    return int(value)


def settings():
    """(url, cache seconds, refresh seconds), or None without AFI_JWKS_URL; ConfigProblem
    for a value the port refuses (FULL-1, FULL-7)."""
    url = os.environ.get("AFI_JWKS_URL")
    if not url:
        return None
    if os.environ.get("AFI_PUBLIC_KEY_FILE"):
        raise ConfigProblem("AFI_JWKS_URL and AFI_PUBLIC_KEY_FILE are both set, and which one verifies "
                            "tokens would be ambiguous; set one of them")
    if not url.startswith(("http://", "https://")):
        raise ConfigProblem(f"AFI_JWKS_URL must be an http:// or https:// URL, not {url!r}")
    return (url, _seconds("AFI_JWKS_CACHE_SECONDS", CACHE_SECONDS),
            _seconds("AFI_JWKS_REFRESH_SECONDS", REFRESH_SECONDS))


def full_coordinates(jwk) -> bool:
    """FULL-6: x and y are P256_OCTETS bytes each (RFC 7518 6.2.1.2); a shorter coordinate,
    as some libraries write one that starts with a zero byte, is not padded."""
    try:
        return all(len(base64url_decode(jwk[c])) == P256_OCTETS for c in ("x", "y"))
    except (KeyError, TypeError, ValueError, binascii.Error):
        return False


def _p256_point(jwk):
    """The P-256 public key at (x, y); ValueError off the curve."""
    x, y = (int.from_bytes(base64url_decode(jwk[c]), "big") for c in ("x", "y"))
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def usable_key(jwk) -> Optional[Key]:
    """FULL-6: the JWK as a key when it can verify (RSA of 2048 bits or more: RS256; a P-256
    point: ES256; alg, use and key_ops allowing it), else None; kid is not looked at."""
    if not isinstance(jwk, dict):
        return None
    if "use" in jwk and jwk["use"] != "sig":
        return None
    if "key_ops" in jwk and not (isinstance(jwk["key_ops"], list) and "verify" in jwk["key_ops"]):
        return None
    alg = {"RSA": "RS256", "EC": "ES256"}.get(jwk.get("kty"))
    if alg is None or ("alg" in jwk and jwk["alg"] != alg):
        return None
    if alg == "ES256" and (jwk.get("crv") != "P-256" or not full_coordinates(jwk)):
        return None
    try:
        if alg == "ES256":
            return Key(_p256_point(jwk), alg)
        key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps({k: v for k, v in jwk.items() if k != "d"}))
    except Exception:  # members that do not decode, a point off the curve: ignored
        return None
    return Key(key, alg) if isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS else None


def parse_set(body: bytes) -> dict:
    """FULL-6, FULL-8: kid -> Key of a JWK Set document; FetchFailed when it is not one, has
    more than MAX_KEYS keys or no usable key. Unusable entries are ignored; a kid two usable
    keys share selects neither."""
    try:
        doc = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError):
        raise FetchFailed("the JWK Set is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise FetchFailed("the document is not a JWK Set (an object with a keys array)")
    if len(doc["keys"]) > MAX_KEYS:
        raise FetchFailed(f"the JWK Set has {len(doc['keys'])} keys, more than {MAX_KEYS}")
    keys, shared = {}, set()
    for jwk in doc["keys"]:
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        key = usable_key(jwk) if isinstance(kid, str) else None
        if key is None:
            continue
        if kid in keys:
            shared.add(kid)
        keys[kid] = key
    for kid in shared:
        del keys[kid]
    if not keys:
        raise FetchFailed("the JWK Set has no usable key")
    return keys


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """FULL-7: a redirect is not followed (it is a failed fetch)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def status_ok(status) -> bool:
    """FULL-8: only a 200 answer brings a set."""
    return status == 200


def read_bounded(answer, deadline) -> bytes:
    """FULL-8: the body, read until MAX_BYTES + 1 at most and within the deadline."""
    chunks, size = [], 0
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise FetchFailed(f"the JWK Set took longer than {FETCH_TIMEOUT} s")
        chunk = answer.read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BYTES:
            raise FetchFailed(f"the JWK Set is larger than {MAX_BYTES} bytes")
        chunks.append(chunk)


def fetch(url) -> dict:
    """One GET of the set (blocking: run it in a thread), bounded by FULL-8."""
    deadline = time.monotonic() + FETCH_TIMEOUT if FETCH_TIMEOUT else None
    try:
        try:
            answer = _OPENER.open(urllib.request.Request(url, headers={"Accept": "application/json"}),
                                  timeout=FETCH_TIMEOUT)
        except urllib.error.HTTPError as exc:  # 3xx not followed, 4xx, 5xx: an answer still
            answer = exc
        with answer:
            if not status_ok(answer.status):
                raise FetchFailed(f"GET {url} answered {answer.status}, not 200")
            return parse_set(read_bounded(answer, deadline))
    except (OSError, ValueError) as exc:
        raise FetchFailed(f"GET {url}: {exc}") from None


class Jwks:
    """The cached set of one process: fetched lazily, rate-limited, one fetch at a time."""

    def __init__(self, url, cache_seconds, refresh_seconds):
        self.url, self.cache_seconds, self.refresh_seconds = url, cache_seconds, refresh_seconds
        self.keys = None          # kid -> Key; None until a fetch succeeds
        self.fetched_at = -math.inf
        self.attempted_at = -math.inf
        self.fetching = False

    def stale(self, now) -> bool:
        """FULL-7: the set is kept AFI_JWKS_CACHE_SECONDS from the fetch that brought it."""
        return now - self.fetched_at >= self.cache_seconds

    def may_fetch(self, now) -> bool:
        """FULL-7: at most one fetch started per AFI_JWKS_REFRESH_SECONDS, whatever the reason."""
        return not self.fetching and now - self.attempted_at >= self.refresh_seconds

    def install(self, keys) -> None:
        """FULL-7: a fetched set replaces the previous one whole."""
        self.keys = keys

    def failed(self, why) -> None:
        """FULL-8: a failed fetch changes nothing; the previous set stays."""

    async def refresh(self) -> None:
        """One bounded fetch, the event loop free meanwhile (FULL-8)."""
        self.fetching, self.attempted_at = True, time.monotonic()
        try:
            work = asyncio.to_thread(fetch, self.url)
            keys = await (asyncio.wait_for(work, FETCH_TIMEOUT) if FETCH_TIMEOUT else work)
        except (FetchFailed, asyncio.TimeoutError) as exc:
            self.failed(str(exc) or "the fetch timed out")
        else:
            self.install(keys)
            self.fetched_at = time.monotonic()
        finally:
            self.fetching = False

    def lookup(self, kid) -> Optional[Key]:
        """FULL-3, FULL-6: kid is compared with the set's kids, never used otherwise."""
        return (self.keys or {}).get(kid)

    async def key(self, kid) -> Optional[Key]:
        """FULL-6, FULL-7: the key kid selects, after the one refetch an unknown kid or a stale
        set allows (a request waits for one fetch at most); None when no key has the kid.
        NoSet while no fetch has succeeded."""
        now = time.monotonic()
        if (self.lookup(kid) is None or self.stale(now)) and self.may_fetch(now):
            await self.refresh()
        if self.keys is None:
            raise NoSet("the JWK Set could not be fetched yet")
        return self.lookup(kid)


_cache = None


def configured() -> Optional[Jwks]:
    """The process's Jwks, or None without AFI_JWKS_URL. Made for the first token that
    needs it, with the first fetch done then and there (FULL-8), the event loop held for
    that one bounded fetch: so requests arriving together all find the set, instead of
    being 503 while a fetch of the first of them is on its way."""
    global _cache
    if _cache is None and settings() is not None:
        cache = Jwks(*settings())
        cache.attempted_at = time.monotonic()
        try:
            cache.install(fetch(cache.url))
            cache.fetched_at = time.monotonic()
        except FetchFailed as exc:
            cache.failed(str(exc))
        _cache = cache
    return _cache
