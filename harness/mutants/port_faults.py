"""The FastAPI port's faults, for mutants a proxy cannot express: one rule, one patch each.

The port (harness/ports/fastapi) carries no fault code. harness/mutants/port_fault_serve.py
starts it with AFI_FAULT=<name>, and before the app serves a request the fault's patch
replaces one small function, method or constant of the port's modules, so the process the
suite talks to is the clean port with exactly that one rule broken. This table is the only
list of the faults: name -> Fault(rule, what the port then does, patch).

A patch is `patch(port)`: port.<module> is one of the port's modules (imported on first
use), port.replace() rebinds one attribute and port.handler() swaps a function's handler.
Importing this file imports nothing of the port, so the self-test can read the table.
"""
import asyncio
import base64
import collections
import dataclasses
import hashlib
import hmac
import importlib
import json
import os
import sys
import time
import types

Fault = collections.namedtuple("Fault", "rule desc patch")
PORT_FAULTS = {}
# Deployment faults: right in one process, wrong in a deployment of several processes on
# one PostgreSQL database (issue 12: revocation not shared, lost updates across instances,
# stale bundles, ETags that differ by instance). The whole suite passes against one process
# of each; the cases tagged cluster, run across two, fail (harness/test_cluster.py). They
# patch PgStore, the store such a deployment shares, so they change nothing on memory.
DEPLOYMENT_FAULTS = {}
PACKAGE = "afi_fastapi"  # harness/ports/fastapi must be on sys.path to apply a patch


def known(name):
    """Whether name is a fault of either table."""
    return name in PORT_FAULTS or name in DEPLOYMENT_FAULTS


def fault(rule, desc, table=PORT_FAULTS):
    def register(patch):
        if known(patch.__name__):
            raise ValueError(f"duplicate fault {patch.__name__}")
        table[patch.__name__] = Fault(rule, desc, patch)
        return patch
    return register


class Port:
    """The port's modules, as port.auth, port.router, ...; and the two ways to change them."""

    def __getattr__(self, name):
        return importlib.import_module(f"{PACKAGE}.{name}")

    def replace(self, owner, name, new):
        """Sets owner.name (owner: a module or a class of the port) to new. A function is
        also rebound in every port module that imported it by name (`from .auth import
        revoke`), so the patch reaches every caller, not just those that write auth.revoke."""
        old = getattr(owner, name)  # AttributeError: the port lost what the patch breaks
        setattr(owner, name, new)
        if isinstance(owner, types.ModuleType) and isinstance(old, types.FunctionType):
            for module in [m for n, m in list(sys.modules.items())
                           if n.startswith(PACKAGE + ".")]:
                for attr in [a for a, v in vars(module).items() if v is old]:
                    setattr(module, attr, new)

    def handler(self, name, fn):
        """Makes fn the handler of the registry's function name. The registry rows hold
        their handlers, so replacing functions.<name> would not reach a single call."""
        registry = self.registry
        row = registry.REGISTRY[name]
        if row.context is not None:
            raise ValueError(f"{name} is a member of a bundle: CONTEXTS holds its row too")
        registry.REGISTRY[name] = dataclasses.replace(row, handler=fn)


def apply(name):
    """Patches fault name (of either table) into the port of this process."""
    (PORT_FAULTS.get(name) or DEPLOYMENT_FAULTS[name]).patch(Port())


def _floats(value):
    """What a store that keeps every number as a double reads back."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, list):
        return [_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    return value


# --- ENV ---------------------------------------------------------------------------------

@fault("ENV-3", "validation details in argument declaration order, not sorted by loc")
def unsorted_details(port):
    port.replace(port.validate, "validate", port.validate._violations)


@fault("ENV-4", "the 500 message includes the exception text")
def leak_internal(port):
    envelope = port.envelope

    def internal_error(exc):
        return envelope.error_response(envelope.AfiError("internal_error",
                                                         f"internal error: {exc}"))
    port.replace(envelope, "internal_error", internal_error)


# --- CALL --------------------------------------------------------------------------------

@fault("CALL-2", "a zero-byte body is invalid_json instead of {}")
def empty_body_400(port):
    router = port.router

    async def read_args(request):
        body = await router.read_body(request)
        router.check_media_type(request.headers.get("content-type"), body)
        return router.parse_object(body)  # zero bytes too, which are not JSON
    port.replace(router, "read_args", read_args)


@fault("CALL-3", "string lengths counted in UTF-8 bytes")
def bytes_length(port):
    port.replace(port.validate, "_length", lambda text: len(text.encode("utf-8")))


@fault("CALL-3", "duplicate object keys accepted, last wins")
def dup_keys_last_wins(port):
    strict = port.strict_json._DECODER
    # The decoder holds its duplicate-key hook; a copy with dict as the hook keeps the rest.
    port.replace(port.strict_json, "_DECODER", json.JSONDecoder(
        object_pairs_hook=dict, parse_float=strict.parse_float, parse_int=strict.parse_int,
        parse_constant=strict.parse_constant, strict=strict.strict))


@fault("CALL-3", "true accepted as an integer")
def bool_is_int(port):
    # _TYPES holds the integer check itself; bool is a subclass of int.
    port.replace(port.validate, "_TYPES",
                 dict(port.validate._TYPES, integer=lambda v: isinstance(v, int)))


@fault("CALL-3", "only the first violation is reported")
def first_violation_only(port):
    violations = port.validate._violations
    port.replace(port.validate, "_violations", lambda fn, args: violations(fn, args)[:1])


@fault("CALL-4", "413/415/400/422 decided before 401/403")
def body_before_auth(port):
    router = port.router

    async def call(request, fn):
        args = await router.read_args(request)
        viewer = await router.auth.authorize(request.headers, fn.auth, router.SECRET,
                                             router.STORE)
        return await router.invoke(fn, viewer, args)
    port.replace(router, "call", call)


@fault("CALL-6", "kv_set writes before the shared-key role check answers 403")
def failed_write_persists(port):
    functions = port.functions

    async def kv_set(call, args):
        key = args["key"]
        try:
            rev = await call.store.set(functions._owner(call, key), key, args["value"],
                                       args.get("if_rev"))
        except functions.Conflict as exc:
            raise functions._conflict(exc) from None
        functions._check_shared_write(call, key)  # too late: the write above happened
        return {"key": key, "rev": rev}
    port.handler("kv_set", kv_set)


# --- AUTH --------------------------------------------------------------------------------

@fault("AUTH-1", "the afi_viewer cookie is never read")
def cookie_ignored(port):
    port.replace(port.auth, "_cookie", lambda values: None)


@fault("AUTH-1", "the cookie is preferred over the header")
def cookie_wins(port):
    auth = port.auth
    presented_token = auth.presented_token

    def cookie_first(headers):
        return auth._cookie(headers.getlist("cookie")) or presented_token(headers)
    port.replace(auth, "presented_token", cookie_first)


@fault("AUTH-4", "a token failing verification is treated as anonymous")
def invalid_token_anonymous(port):
    verify = port.auth.verify

    async def verify_or_anonymous(token, secret, store):
        try:
            return await verify(token, secret, store)
        except port.envelope.AfiError:
            return None
    port.replace(port.auth, "verify", verify_or_anonymous)


@fault("AUTH-4", "a token with alg: none is decoded without a signature check")
def accept_alg_none(port):
    jwt, decode = port.auth.jwt, port.auth._decode

    def decode_alg_none_too(token, secret):
        if jwt.get_unverified_header(token).get("alg") == "none":
            return jwt.decode(token, options={"verify_signature": False})
        return decode(token, secret)
    port.replace(port.auth, "_decode", decode_alg_none_too)


@fault("AUTH-4", "algorithms HS256, HS384 and HS512 all accepted")
def accept_hs512(port):
    port.replace(port.auth, "ALGORITHMS", ("HS256", "HS384", "HS512"))


@fault("AUTH-4", "120 s of leeway on exp")
def expired_leeway(port):
    port.replace(port.auth, "_expired", lambda claims, now: now >= claims["exp"] + 120)


@fault("AUTH-4", "nbf is not checked")
def nbf_ignored(port):
    port.replace(port.auth, "_not_yet_valid", lambda claims, now: False)


@fault("AUTH-5", "role comparison one rank too lenient: ADMIN functions accept WRITER "
                 "(and shared writes accept READER)")
def role_off_by_one(port):
    roles = port.auth.ROLES
    port.replace(port.auth, "role_at_least",
                 lambda role, needed: roles.index(role) >= roles.index(needed) - 1)


@fault("AUTH-6", "logout revokes every token of the sub")
def revoke_sub(port):
    is_revoked = port.auth.is_revoked

    async def revoke(store, viewer):
        await store.revoke("sub:" + viewer.sub)

    async def sub_revoked(store, viewer):
        return await is_revoked(store, viewer) or await store.is_revoked("sub:" + viewer.sub)
    port.replace(port.auth, "revoke", revoke)
    port.replace(port.auth, "is_revoked", sub_revoked)


@fault("AUTH-6", "logout answers revoked: true but stores nothing")
def revoke_nothing(port):
    async def revoke(store, viewer):
        pass
    port.replace(port.auth, "revoke", revoke)


# --- FULL (the full level: a public key in AFI_PUBLIC_KEY_FILE) --------------------------

def _parts(token):
    """(header, claims, signing input, signature bytes) of a compact JWS, unverified."""
    head, body, sig = token.split(".")

    def unb64(part):
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(unb64(head)), json.loads(unb64(body)), f"{head}.{body}".encode(), unb64(sig)


def _lax_decode(port, accepts):
    """Makes the port's _decode also take the tokens accepts(header, msg, sig, key, alg)
    lets through (as a lax verifier would); every other token goes to the port's own."""
    auth = port.auth
    decode = auth._decode

    def lax(token, secret, selected=None):
        configured = selected or auth.public_key()
        try:
            header, claims, msg, sig = _parts(token)
        except ValueError:
            return decode(token, secret, selected)
        if configured and accepts(header, msg, sig, *configured):
            return claims
        return decode(token, secret, selected)
    port.replace(auth, "_decode", lax)


def _verifies(port, alg, key, msg, sig):
    """PyJWT's own RS256/ES256 check of sig (ES256: the 64-byte r || s)."""
    algorithm = port.auth.jwt.algorithms.get_default_algorithms()[alg]
    return algorithm.verify(msg, key, sig)


@fault("FULL-1", "AFI_PUBLIC_KEY_FILE read and then ignored: only HS256 with the secret verifies")
def key_ignored(port):
    port.replace(port.auth, "public_key", lambda: None)


@fault("FULL-1", "HS256 keyed with the public key file's bytes is accepted (algorithm confusion)")
def hs256_public_key(port):
    def accepts(header, msg, sig, key, alg):
        with open(os.environ["AFI_PUBLIC_KEY_FILE"], "rb") as f:
            pem = f.read()
        return header.get("alg") == "HS256" and hmac.compare_digest(
            hmac.new(pem, msg, hashlib.sha256).digest(), sig)
    _lax_decode(port, accepts)


@fault("FULL-1", "the algorithm name is compared case-insensitively (rs256, es256 accepted)")
def alg_case_insensitive(port):
    def accepts(header, msg, sig, key, alg):
        named = header.get("alg")
        return (isinstance(named, str) and named != alg and named.upper() == alg
                and _verifies(port, alg, key, msg, sig))
    _lax_decode(port, accepts)


@fault("FULL-2", "an all-zero signature verifies (ES256 r = s = 0: the psychic signature)")
def psychic_signature(port):
    _lax_decode(port, lambda header, msg, sig, key, alg:
                header.get("alg") == alg and sig and not any(sig))


@fault("FULL-2", "ES256 signatures in DER are accepted too (RS256: a leading zero byte too many)")
def der_signature_accepted(port):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    def accepts(header, msg, sig, key, alg):
        if header.get("alg") != alg:
            return False
        try:
            if alg == "ES256" and len(sig) != 64:
                key.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
                return True
            if alg == "RS256" and len(sig) > key.key_size // 8 and not sig[0]:
                key.verify(sig.lstrip(b"\0"), msg, padding.PKCS1v15(), hashes.SHA256())
                return True
        except (InvalidSignature, ValueError):
            return False
        return False
    _lax_decode(port, accepts)


@fault("FULL-3", "a jwk header is trusted: the token brings the key it is verified with")
def jwk_header_trusted(port):
    algorithms = port.auth.jwt.algorithms

    def accepts(header, msg, sig, key, alg):
        jwk = header.get("jwk")
        if header.get("alg") != alg or not isinstance(jwk, dict):
            return False
        own = (algorithms.ECAlgorithm if alg == "ES256" else algorithms.RSAAlgorithm).from_jwk(jwk)
        return _verifies(port, alg, own, msg, sig)
    _lax_decode(port, accepts)


@fault("FULL-3", "crit is not looked at: an unknown extension is ignored")
def crit_ignored(port):
    _lax_decode(port, lambda header, msg, sig, key, alg:
                "crit" in header and header.get("alg") == alg and _verifies(port, alg, key, msg, sig))


@fault("FULL-3", "a kid that is an http URL is fetched as a JWK Set, and its first key taken")
def jwks_kid_url_fetched(port):
    jwks = port.jwks

    async def fetched(token, header, cache):
        kid = header.get("kid")
        if not (isinstance(kid, str) and kid.startswith("http://")):
            return None
        try:
            keys = await asyncio.to_thread(jwks.fetch, kid)
        except jwks.FetchFailed:
            return None
        return _verifying_key(port, token, keys.values())
    _select_instead(port, fetched)  # defined with the faults of FULL-6..FULL-8


@fault("FULL-4", "exp is stored as a C int64: 1e300 and 2^63 wrap into the past")
def exp_int64_wrap(port):
    def expired(claims, now):
        exp = ((int(claims["exp"]) + 2 ** 63) % 2 ** 64) - 2 ** 63
        return now >= exp
    port.replace(port.auth, "_expired", expired)


@fault("FULL-4", "iss is never compared with AFI_ISSUER")
def iss_unchecked(port):
    port.replace(port.auth, "_issuer_ok", lambda claims, issuer: True)


@fault("FULL-4", "aud is matched as a substring of its JSON text (an array without ours passes)")
def aud_substring(port):
    port.replace(port.auth, "_audience_ok",
                 lambda claims, audience: audience in json.dumps(claims.get("aud")))


@fault("FULL-5", "revocation is keyed by the token's bytes, not its jti: a malleated "
                 "signature of a revoked token works again")
def revoke_token_bytes(port):
    auth = port.auth
    verify = auth.verify

    async def verify_keyed_by_bytes(token, secret, store):
        viewer = await verify(token, secret, store)
        keyed = dataclasses.replace(viewer, jti=hashlib.sha256(token.encode()).hexdigest())
        if await auth.is_revoked(store, keyed):
            raise port.envelope.AfiError("token_revoked", "the token was revoked by logout")
        return keyed
    port.replace(auth, "verify", verify_keyed_by_bytes)


# --- FULL-6..FULL-8 (the full level with a JWK Set: AFI_JWKS_URL) -----------------------

def _verifying_key(port, token, keys):
    """The first of keys (jwks.Key) whose algorithm the token names and whose signature it
    carries, as (key, algorithm); None when none verifies."""
    try:
        header, _, msg, sig = _parts(token)
    except ValueError:
        return None
    for k in keys:
        if header.get("alg") == k.alg and _verifies(port, k.alg, k.key, msg, sig):
            return k.key, k.alg
    return None


def _select_instead(port, choose):
    """Makes select_key take choose(token, header, cache) -> (key, alg) or None first, once
    the set is refreshed as the port would for the token's kid; a None goes to the port's
    own selection."""
    auth, jwks = port.auth, port.jwks
    select = auth.select_key

    async def select_key(token):
        cache = jwks.configured()
        try:
            header = _parts(token)[0]
        except ValueError:
            header = None
        if cache is not None and isinstance(header, dict):
            kid = header.get("kid")
            try:
                await cache.key(kid if isinstance(kid, str) else "")
            except jwks.NoSet:
                pass
            chosen = await choose(token, header, cache)
            if chosen is not None:
                return chosen
        return await select(token)
    port.replace(auth, "select_key", select_key)


@fault("FULL-6", "kid is not looked at: every key of the set is tried, and any that verifies is taken")
def jwks_kid_ignored(port):
    async def any_key(token, header, cache):
        return _verifying_key(port, token, (cache.keys or {}).values())
    _select_instead(port, any_key)


@fault("FULL-6", "kid is not looked at: the first key of the set verifies every token")
def jwks_first_key(port):
    async def first(token, header, cache):
        key = next(iter((cache.keys or {}).values()), None)
        return (key.key, key.alg) if key else None
    _select_instead(port, first)


@fault("FULL-6", "a token without kid is verified with the first key of the set")
def jwks_no_kid_first_key(port):
    async def first(token, header, cache):
        key = next(iter((cache.keys or {}).values()), None)
        return (key.key, key.alg) if key and "kid" not in header else None
    _select_instead(port, first)


@fault("FULL-6", "a kid not in the set falls back to the first key of the set")
def jwks_unknown_kid_first_key(port):
    async def fallback(token, header, cache):
        kid = header.get("kid")
        if not isinstance(kid, str) or cache.lookup(kid) is not None:
            return None
        key = next(iter((cache.keys or {}).values()), None)
        return (key.key, key.alg) if key else None
    _select_instead(port, fallback)


@fault("FULL-6", "a key's form is not checked: a P-256 coordinate under 32 bytes is read as if padded, "
                "and an RSA key of any size is taken")
def jwks_key_form_unchecked(port):
    port.replace(port.jwks, "full_coordinates", lambda jwk: True)
    port.replace(port.jwks, "MIN_RSA_BITS", 0)


@fault("FULL-7", "an unknown kid never refetches the set: only its cache time does")
def jwks_no_refresh(port):
    jwks = port.jwks
    key = jwks.Jwks.key

    async def key_without_refetch(self, kid):
        if self.lookup(kid) is None and not self.stale(time.monotonic()) and self.keys is not None:
            return None
        return await key(self, kid)
    port.replace(jwks.Jwks, "key", key_without_refetch)


@fault("FULL-7", "a fetched set is merged into the keys held: a key the issuer removed keeps verifying")
def jwks_merge_keys(port):
    port.replace(port.jwks.Jwks, "install", lambda self, keys: setattr(self, "keys", {**(self.keys or {}), **keys}))


@fault("FULL-7", "the set is cached forever: a key the issuer removed keeps verifying until a new kid")
def jwks_cache_forever(port):
    port.replace(port.jwks.Jwks, "stale", lambda self, now: self.keys is None)


@fault("FULL-7", "every unknown kid refetches the set: invented kids make the target fetch without bound")
def jwks_refresh_unbounded(port):
    port.replace(port.jwks.Jwks, "may_fetch", lambda self, now: True)


@fault("FULL-8", "the fetch has no timeout: a slow JWK Set server holds the request as long as it takes")
def jwks_no_timeout(port):
    port.replace(port.jwks, "FETCH_TIMEOUT", None)


@fault("FULL-8", "a failed fetch empties the set: while the JWK Set server is down, no token verifies")
def jwks_failure_clears(port):
    port.replace(port.jwks.Jwks, "failed", lambda self, why: setattr(self, "keys", {}))


@fault("FULL-8", "the status is not checked: the body of a 500 is taken as the set")
def jwks_status_unchecked(port):
    port.replace(port.jwks, "status_ok", lambda status: True)


@fault("FULL-8", "the body is read whole: a JWK Set of any size is taken")
def jwks_no_size_bound(port):
    port.replace(port.jwks, "MAX_BYTES", float("inf"))


# --- CTX ---------------------------------------------------------------------------------

@fault("CTX-4", "the tag is an unkeyed hash of context, member names and revs: the same for "
                "every viewer (and constant per context)")
def etag_shared(port):
    etag = port.bundle.etag
    # The port's own tag with an empty key, no viewer and no results.
    port.replace(port.bundle, "etag", lambda secret, sub, context, members, data:
                 etag(b"", "", context, members, dict.fromkeys(data)))


@fault("CTX-4", "the tag is keyed per viewer but leaves out the results, so it never changes "
                "after writes")
def etag_stale(port):
    etag = port.bundle.etag
    port.replace(port.bundle, "etag", lambda secret, sub, context, members, data:
                 etag(secret, sub, context, members, dict.fromkeys(data)))


# --- SCOPE -------------------------------------------------------------------------------

@fault("SCOPE-2", "personal data keyed by key only, shared by all viewers")
def personal_by_key(port):
    port.replace(port.functions, "_owner", lambda call, key: "")


@fault("SCOPE-2", "kv_list personal returns every viewer's personal keys")
def list_leak(port):
    async def every_owners_keys(self, owner, prefix):
        with self._lock:
            found = [k for (_, k) in self._data if k.startswith(prefix)]
        return sorted(set(found), key=lambda k: k.encode("utf-8"))
    port.replace(port.store.MemoryStore, "keys", every_owners_keys)


@fault("SCOPE-3", "no WRITER check on shared writes, deletes and increments")
def shared_write_any_role(port):
    port.replace(port.functions, "_check_shared_write", lambda call, key: None)


@fault("SCOPE-4", "stored integers come back as floats (5 -> 5.0)")
def float_ints(port):
    store = port.store.MemoryStore
    set_ = store.set

    async def set_floats(self, owner, key, value, if_rev=None):
        return await set_(self, owner, key, _floats(value), if_rev)
    port.replace(store, "set", set_floats)


@fault("SCOPE-5", "if_rev is not compared")
def if_rev_ignored(port):
    store = port.store.MemoryStore
    set_ = store.set

    async def set_unconditionally(self, owner, key, value, if_rev=None):
        return await set_(self, owner, key, value)
    port.replace(store, "set", set_unconditionally)


@fault("SCOPE-5", "a deleted then rewritten key continues its old rev")
def delete_keeps_rev(port):
    store = port.store.MemoryStore
    rev = store._rev
    tombstones = {}  # (owner, key) -> the rev it had when deleted; the port has one store

    async def delete(self, owner, key):
        with self._lock:
            entry = self._data.pop((owner, key), None)
            if entry:
                tombstones[(owner, key)] = entry[1]
            return entry is not None
    port.replace(store, "delete", delete)
    port.replace(store, "_rev", lambda self, owner, key:
                 rev(self, owner, key) or tombstones.get((owner, key), 0))


@fault("SCOPE-6", "counter_incr reads, awaits asyncio.sleep(0.001), writes, without the lock")
def lost_update(port):
    async def incr(self, owner, key, by):
        value, rev = await self.get(owner, key)
        value = value if rev else 0
        await asyncio.sleep(0.001)  # another increment of the same key runs here
        new = self._checked_sum(value, by)
        self._data[(owner, key)] = [new, rev + 1]
        return new
    port.replace(port.store.MemoryStore, "incr", incr)


# --- deployment faults ------------------------------------------------------------------

class _ProcessCache:
    """A cache in this process, per owner (a sub; "" for shared keys), that this process's
    own writes empty: exact in one process, stale in a deployment, where the other
    instances' writes never reach it. A write forgets its owner's entries, and a result
    computed across a write to its owner is not kept, so one process never reads stale."""

    def __init__(self, port):
        self.entries = {}                    # owner -> {key: value}
        self.gens = collections.Counter()    # owner -> writes so far
        store = port.store_pg.PgStore
        for name in ("set", "delete", "incr"):
            self._forget_around(port, store, name)

    def _forget_around(self, port, store, name):
        write = getattr(store, name)

        async def forgetting(s, owner, *args, **kwargs):
            self.forget(owner)
            try:
                return await write(s, owner, *args, **kwargs)
            finally:
                self.forget(owner)
        port.replace(store, name, forgetting)

    def forget(self, owner):
        self.gens[owner] += 1
        self.entries.pop(owner, None)

    async def get(self, owner, key, compute):
        kept = self.entries.get(owner, {})
        if key in kept:
            return kept[key]
        seen = self.gens[owner]
        value = await compute()
        if seen == self.gens[owner]:
            self.entries.setdefault(owner, {})[key] = value
        return value


@fault("AUTH-6", "whether a jti is revoked is remembered per process; logout updates only "
       "the memory of the process it reached", DEPLOYMENT_FAULTS)
def revocation_memo(port):
    store = port.store_pg.PgStore
    is_revoked, revoke = store.is_revoked, store.revoke
    memo = {}

    async def remembered(self, jti):
        if jti not in memo:
            memo[jti] = await is_revoked(self, jti)
        return memo[jti]

    async def revoke_here(self, jti):
        await revoke(self, jti)
        memo[jti] = True
    port.replace(store, "is_revoked", remembered)
    port.replace(store, "revoke", revoke_here)


@fault("SCOPE-5", "kv reads are cached per process, emptied only by that process's writes",
       DEPLOYMENT_FAULTS)
def read_cache(port):
    cache = _ProcessCache(port)
    store = port.store_pg.PgStore
    get = store.get

    async def cached_get(self, owner, key):
        value, rev = await cache.get(owner, key, lambda: get(self, owner, key))
        return json.loads(json.dumps(value)), rev  # a copy: callers may change what they get
    port.replace(store, "get", cached_get)


@fault("INV-2", "the results in context bundles are cached per process and viewer, emptied "
       "only by that process's writes", DEPLOYMENT_FAULTS)
def bundle_cache(port):
    cache = _ProcessCache(port)
    router = port.router
    build = router.context

    def cached(fn):
        async def handler(call, args):
            viewer = call.viewer  # the members read nothing but the viewer's personal keys
            return await cache.get(viewer.sub if viewer else "",
                                   (fn.name, viewer and viewer.role),
                                   lambda: fn.handler(call, args))
        return dataclasses.replace(fn, handler=handler)

    async def cached_context(request, name, members):
        return await build(request, name, [cached(fn) for fn in members])
    port.replace(router, "context", cached_context)


@fault("CTX-4", "each process keys the bundle ETag with a random salt of its own",
       DEPLOYMENT_FAULTS)
def etag_per_process(port):
    salt = os.urandom(16)
    etag = port.bundle.etag
    port.replace(port.bundle, "etag", lambda secret, *rest: etag(secret + salt, *rest))


@fault("SCOPE-6", "counter_incr reads, then writes the sum, under a lock of this process "
       "only", DEPLOYMENT_FAULTS)
def incr_process_lock(port):
    store = port.store_pg.PgStore
    lock = asyncio.Lock()

    async def incr(self, owner, key, by):
        async with lock:
            value, rev = await self.get(owner, key)
            new = port.store.MemoryStore._checked_sum(value if rev else 0, by)
            await asyncio.sleep(0.02)  # another process's increment of the key runs here
            await self.set(owner, key, new)
            return new
    port.replace(store, "incr", incr)


@fault("SCOPE-5", "if_rev is compared with a read, then the write made, under a lock of this "
       "process only", DEPLOYMENT_FAULTS)
def cas_process_lock(port):
    store = port.store_pg.PgStore
    set_ = store.set
    lock = asyncio.Lock()

    async def checked_here(self, owner, key, value, if_rev=None):
        if if_rev is None:
            return await set_(self, owner, key, value)
        async with lock:
            _, rev = await self.get(owner, key)
            if rev != if_rev:
                raise port.store.Conflict(f"if_rev is {if_rev} but the key is at rev {rev}")
            await asyncio.sleep(0.02)  # another process's writer of the key runs here
            return await set_(self, owner, key, value)
    port.replace(store, "set", checked_here)
