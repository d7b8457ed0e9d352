"""Credentials, token verification and the auth gate (AUTH-1..AUTH-6, ENV-7, FULL-1..FULL-8);
the only PyJWT user but for jwks.py's JWK parsing.

PyJWT checks the signature and pins the algorithm; every claim rule is checked here
by hand, because PyJWT's own claim checks differ from AUTH-2 (it truncates exp to
whole seconds, accepts numeric strings, and has no role or sub-length rule).
"""
import functools
import math
import os
import time
from dataclasses import dataclass
from typing import Optional

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from . import jwks
from .envelope import AfiError

ROLES = ("USER", "READER", "WRITER", "ADMIN", "SUPERADMIN")   # AUTH-3, lowest first
ALGORITHMS = ("HS256",)                                        # AUTH-2, AUTH-4: pinned
LEVELS = ("public", "viewer") + ROLES                          # CTX-3: strictness order
MAX_TOKEN_BYTES = 8192
COOKIE = "afi_viewer"


@dataclass(frozen=True)
class Viewer:
    sub: str
    role: str
    jti: Optional[str]


def _invalid(why: str) -> AfiError:
    return AfiError("invalid_token", f"the credential is not valid: {why}")


def presented_token(headers) -> Optional[str]:
    """AUTH-1: the presented token, None when anonymous; malformed forms raise invalid_token."""
    auth = headers.getlist("authorization")
    cookie = _cookie(headers.getlist("cookie"))
    if len(auth) > 1:
        raise _invalid("more than one Authorization header")
    if auth:  # the header wins over the cookie
        parts = auth[0].split(None, 1)
        if not parts or parts[0].lower() != "bearer":
            raise _invalid("the Authorization scheme is not Bearer")
        token = parts[1].strip() if len(parts) > 1 else ""
        if not token:
            raise _invalid("Bearer without a token")
        return token
    if cookie is not None and not cookie:
        raise _invalid(f"empty {COOKIE} cookie")
    return cookie


def _cookie(values) -> Optional[str]:
    for header in values:
        for part in header.split(";"):
            name, eq, value = part.partition("=")
            if eq and name.strip() == COOKIE:
                return value.strip().strip('"')
    return None


def _numeric_date(claims, name) -> bool:
    value = claims[name]
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


class KeyProblem(Exception):
    """A configuration of the full level this port does not support (FULL-1)."""


@functools.lru_cache(maxsize=1)
def public_key():
    """FULL-1: (key, algorithm) from AFI_PUBLIC_KEY_FILE, or None without one. The key's type
    alone names the algorithm; anything else raises KeyProblem, so the port refuses to start."""
    try:
        jwks.settings()  # FULL-1: AFI_JWKS_URL with a key file, or bad JWKS settings
    except jwks.ConfigProblem as exc:
        raise KeyProblem(str(exc)) from None
    path = os.environ.get("AFI_PUBLIC_KEY_FILE")
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            key = serialization.load_pem_public_key(f.read())
    except OSError as exc:
        raise KeyProblem(f"AFI_PUBLIC_KEY_FILE {path} cannot be read: {exc.strerror}") from None
    except ValueError:
        raise KeyProblem(f"AFI_PUBLIC_KEY_FILE {path} is not a PEM public key") from None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return key, "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1":
        return key, "ES256"
    raise KeyProblem(f"AFI_PUBLIC_KEY_FILE {path} is neither an RSA key of at least 2048 bits "
                     "nor a P-256 key")


def key_problem() -> Optional[str]:
    """Why the configured key cannot be used, None when it can (or there is none)."""
    try:
        public_key()
    except KeyProblem as exc:
        return str(exc)
    return None


async def select_key(token: str):
    """FULL-6: with AFI_JWKS_URL, (key, algorithm) of the set's key the token's kid selects;
    None without it. A header that could not name a key (no kid, an algorithm neither
    RS256 nor ES256, crit) is refused before any fetch (FULL-7); jwks.NoSet until a set
    was fetched (FULL-8)."""
    cache = jwks.configured()
    if cache is None:
        return None
    header = jwt.get_unverified_header(token)
    kid, alg = header.get("kid"), header.get("alg")
    if alg not in ("RS256", "ES256") or "crit" in header:
        raise jwt.InvalidTokenError("the algorithm is neither RS256 nor ES256, or crit is set")
    if not isinstance(kid, str):
        raise jwt.InvalidTokenError("no kid, and the keys of the JWK Set are chosen by kid")
    key = await cache.key(kid)
    if key is None or key.alg != alg:  # FULL-1: the key's type alone names the algorithm
        raise jwt.InvalidTokenError("no key of the JWK Set has this kid and algorithm")
    return key.key, key.alg


def _decode(token: str, secret: str, selected=None) -> dict:
    """The claims of a token whose signature checks out; PyJWT raises on anything else.
    Every claim check of PyJWT's is off: verify() applies AUTH-2 itself. With a public key
    (FULL-1), or the one select_key chose (FULL-6), PyJWT is pinned to its one algorithm and
    the secret verifies nothing; PyJWT takes ES256 only as the 64-byte r || s and OpenSSL
    refuses r, s of 0 or >= n (FULL-2); jku, x5u and jwk are never looked at, nor is kid
    but to select among a JWK Set's keys (FULL-3)."""
    if "crit" in jwt.get_unverified_header(token):
        raise jwt.InvalidTokenError("crit: no extension is supported")  # FULL-3
    configured = selected or public_key()
    key, algorithms = (configured[0], (configured[1],)) if configured else (secret, ALGORITHMS)
    return jwt.decode(token, key, algorithms=algorithms,
                      options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                               "verify_aud": False, "verify_iss": False})


def _issuer_ok(claims, issuer) -> bool:
    """AUTH-2, FULL-4: iss equals the configured issuer."""
    return claims.get("iss") == issuer


def _audience_ok(claims, audience) -> bool:
    """AUTH-2, FULL-4: aud equals the configured audience, or is an array containing it."""
    aud = claims.get("aud")
    return aud == audience or (isinstance(aud, list) and audience in aud)


def _not_yet_valid(claims, now) -> bool:
    """AUTH-2: nbf is optional; before it the token is invalid, with no leeway."""
    return "nbf" in claims and now < claims["nbf"]


def _expired(claims, now) -> bool:
    """AUTH-4: no leeway either: expired once now >= exp."""
    return now >= claims["exp"]


async def is_revoked(store, viewer: Viewer) -> bool:
    """AUTH-6: revocation is by jti; a token without one cannot be revoked."""
    return viewer.jti is not None and await store.is_revoked(viewer.jti)


async def revoke(store, viewer: Viewer) -> None:
    """AUTH-6: logout revokes the presented token's jti, so only that token stops working."""
    await store.revoke(viewer.jti)


async def verify(token: str, secret: str, store) -> Viewer:
    """AUTH-2/AUTH-4: a Viewer, or invalid_token, token_expired, token_revoked in that order."""
    if len(token.encode("utf-8")) > MAX_TOKEN_BYTES:
        raise _invalid("token too long")
    try:
        claims = _decode(token, secret, await select_key(token))
    except jwks.NoSet:
        raise AfiError("unavailable", "the issuer's keys (AFI_JWKS_URL) could not be fetched yet; "
                                      "try again shortly") from None
    except Exception as exc:  # any PyJWT or decoding failure is just a bad token
        raise _invalid(type(exc).__name__) from None

    now = time.time()
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 128:
        raise _invalid("sub must be a string of 1 to 128 characters")
    if "exp" not in claims or not _numeric_date(claims, "exp"):
        raise _invalid("exp must be a NumericDate")
    for name in ("nbf", "iat"):
        if name in claims and not _numeric_date(claims, name):
            raise _invalid(f"{name} must be a NumericDate")
    if _not_yet_valid(claims, now):
        raise _invalid("not valid yet (nbf)")
    jti = claims.get("jti")
    if "jti" in claims and (not isinstance(jti, str) or not jti):
        raise _invalid("jti must be a non-empty string")
    role = claims.get("role", "USER")
    if "role" in claims and (not isinstance(role, str) or role not in ROLES):
        raise _invalid("unknown role")
    issuer, audience = os.environ.get("AFI_ISSUER"), os.environ.get("AFI_AUDIENCE")
    if issuer and not _issuer_ok(claims, issuer):
        raise _invalid("wrong issuer")
    if audience and not _audience_ok(claims, audience):
        raise _invalid("wrong audience")

    viewer = Viewer(sub=sub, role=role, jti=jti)
    if _expired(claims, now):
        raise AfiError("token_expired", "the token has expired")
    if await is_revoked(store, viewer):
        raise AfiError("token_revoked", "the token was revoked by logout")
    return viewer


def role_at_least(role: str, needed: str) -> bool:
    """AUTH-3: the role hierarchy."""
    return ROLES.index(role) >= ROLES.index(needed)


def strictest(levels) -> str:
    """CTX-3: a bundle needs its strictest member's level."""
    return max(levels, key=LEVELS.index)


async def authorize(headers, level: str, secret: str, store) -> Optional[Viewer]:
    """AUTH-4/AUTH-5: the Viewer (None for anonymous on public) or 401/403.

    A credential that is presented is verified even for public functions: the
    target fails closed and never treats a bad credential as anonymous.
    """
    token = presented_token(headers)
    viewer = None
    if token is not None:
        viewer = await verify(token, secret, store)
    if level == "public":
        return viewer
    if viewer is None:
        raise AfiError("unauthenticated", "this needs a token")
    if level != "viewer" and not role_at_least(viewer.role, level):
        raise AfiError("forbidden", f"this needs the role {level} or higher")
    return viewer
