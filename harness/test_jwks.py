"""The full level with a JWK Set (docs/protocol.md FULL-6..FULL-8), at both key types.

With --key-source jwks the runner serves the issuer's key in a JWK Set of its own and the
spawned target fetches it (AFI_JWKS_URL). The reference server and the FastAPI port pass
the whole suite that way, the cases of fixtures/jwks.json included; every one of those
cases fails against a fault of the port made for it (harness/mutants/port_faults.py,
faults jwks_*), at both key types; a target given with --target fetches the runner's set
at --jwks-port; and the part of FULL-8 the runner cannot check, a target starting before
its issuer (503 until the first fetch), is checked here against a JWK Set served by this
test.
"""
import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from children import free_port
from conftest import FIXTURES, PYTHON, Target, fixture_case_ids, http, jwks_case_ids, run_conformance
from mutants import runs
from mutants.port_faults import PORT_FAULTS
from test_full_level import KEY_TYPES, TARGETS, assert_killed, fault_matrix, spawn_run, statuses

JWKS_SUITE = os.path.join(FIXTURES, "jwks.json")
# Each fault of FULL-6..FULL-8 and the case of fixtures/jwks.json made to catch it.
KILLERS = {
    "jwks_kid_ignored": "jwks.kid.selects",
    "jwks_first_key": "jwks.kid.selects",
    "jwks_no_kid_first_key": "jwks.kid.missing",
    "jwks_unknown_kid_first_key": "jwks.kid.elsewhere",
    "jwks_key_form_unchecked": "jwks.kid.flawed",
    "jwks_kid_url_fetched": "jwks.kid.elsewhere",
    "jwks_no_refresh": "jwks.rotate.new-kid",
    "jwks_merge_keys": "jwks.rotate.old-kid-removed",
    "jwks_cache_forever": "jwks.cache.expires",
    "jwks_refresh_unbounded": "jwks.refresh.rate-limited",
    "jwks_no_timeout": "jwks.fetch.slow",
    "jwks_failure_clears": "jwks.fetch.down",
    "jwks_status_unchecked": "jwks.fetch.error-status",
    "jwks_no_size_bound": "jwks.fetch.huge",
}


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_the_whole_suite_passes_with_a_jwk_set(target, key_type, tmp_path):
    rc, report, out = spawn_run(TARGETS[target], key_type, tmp_path, f"{target}-jwks", "--key-source", "jwks")
    assert report, out
    status = statuses(report)
    assert {i: status[i] for i in jwks_case_ids() if status[i] != "passed"} == {}, out
    bad = {i: s for i, s in status.items() if s not in ("passed", "skipped")}
    assert not bad and rc == 0, f"{bad} {out}"
    # only the cases tagged cluster (they need two targets) are skipped
    s = report["summary"]
    assert s["passed"] == len(fixture_case_ids()) - s["cluster_skipped"]["cases"], s


def test_every_jwks_fault_has_its_case():
    assert {n for n in PORT_FAULTS if n.startswith("jwks_")} == set(KILLERS)
    with open(JWKS_SUITE, encoding="utf-8") as f:
        cases = {c["id"]: c for c in json.load(f)["cases"]}
    assert set(KILLERS.values()) == set(cases), "every case has a fault of its own"
    for fault, case in KILLERS.items():
        assert PORT_FAULTS[fault].rule in cases[case]["requirements"], (fault, case)
        assert cases[case]["tags"] == ["jwks"], case


def _fault_run(fault, key_type, tmp_path):
    return spawn_run(f"{PYTHON} {runs.FAULT_SERVE} --port {{port}}", key_type, tmp_path, f"jwks-{fault}",
                     "--key-source", "jwks", "--suite", JWKS_SUITE, "--only", KILLERS[fault],
                     env={"AFI_FAULT": fault})


@pytest.fixture(scope="module")
def fault_runs(tmp_path_factory):
    """Every jwks fault at both key types against its case, two runs at a time."""
    return fault_matrix(_fault_run, KILLERS, tmp_path_factory.mktemp("jwks-faults"))


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("fault", sorted(KILLERS))
def test_each_jwks_case_kills_its_fault(fault_runs, fault, key_type):
    assert_killed(fault_runs[(fault, key_type)], fault, KILLERS[fault])


def _short_coordinate_key():
    """A P-256 key whose x or y starts with a zero byte (about one key in 128)."""
    while True:
        key = ec.generate_private_key(ec.SECP256R1())
        n = key.public_key().public_numbers()
        if n.x < 1 << 248 or n.y < 1 << 248:
            return key


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_p256_coordinate_shorter_than_32_bytes_makes_its_key_unusable(target):
    """FULL-6: x and y are 32 bytes each (RFC 7518 6.2.1.2). The same key published twice, in
    full and with its coordinates' leading zero bytes dropped (as PyJWT 2.6's to_jwk writes
    them): the full one verifies, the short one is ignored, so its kid is invalid_token."""
    key = _short_coordinate_key()
    full = public_jwk(key.public_key(), kid="full", use="sig")
    short = dict(full, kid="short")
    for c in ("x", "y"):
        short[c] = _b64url(base64.urlsafe_b64decode(full[c] + "=").lstrip(b"\0"))
    assert (short["x"], short["y"]) != (full["x"], full["y"])
    issuer = Issuer(full, short)
    t = Target(TARGETS[target].split(), {"AFI_JWKS_URL": issuer.url})
    try:
        def whoami(kid):
            token = jwt.encode({"sub": "alice", "exp": int(time.time()) + 600}, key, algorithm="ES256",
                               headers={"kid": kid})
            return http(t.base, "POST", "/call/whoami", body={}, token=token)
        r = whoami("full")
        assert r.status == 200 and r.json()["result"]["sub"] == "alice", (r.status, r.body)
        r = whoami("short")
        assert r.status == 401 and r.json()["error"]["code"] == "invalid_token", (r.status, r.body)
    finally:
        t.stop()
        issuer.close()


def _private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_target_given_with_target_fetches_the_runners_set_at_jwks_port(target, tmp_path):
    """--target with --jwks-port and --private-key: the target was started first, pointed at
    the port the runner serves its set on (its first fetch failed: it starts anyway)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = tmp_path / "issuer.pem"
    private.write_bytes(_private_pem(key))
    port = free_port()
    t = Target(TARGETS[target].split(), {"AFI_JWKS_URL": f"http://127.0.0.1:{port}/jwks.json",
                                         "AFI_JWKS_CACHE_SECONDS": "3", "AFI_JWKS_REFRESH_SECONDS": "1",
                                         "AFI_ISSUER": "afi-conformance-issuer",
                                         "AFI_AUDIENCE": "afi-conformance"})
    try:
        cp = run_conformance("run", "--target", t.base, "--level", "full", "--private-key", str(private),
                             "--key-source", "jwks", "--jwks-port", str(port), "--suite", JWKS_SUITE,
                             "--jobs", "2", secret=t.secret)
        assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr[-2000:]
        assert f"{len(jwks_case_ids())} passed, 0 failed" in cp.stdout
        assert f"AFI_JWKS_URL=http://127.0.0.1:{port}/jwks.json" in cp.stderr, "the runner says where its set is"
    finally:
        t.stop()


class Issuer:
    """A JWK Set served on 127.0.0.1 by a test: `keys` (public JWKs) served while `ok`,
    500 otherwise; `fetches` counts the GETs."""

    def __init__(self, *public_jwks, ok=True):
        self.keys, self.ok, self.fetches = list(public_jwks), ok, 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.fetches += 1
                body = json.dumps({"keys": issuer.keys}).encode() if issuer.ok else b"down"
                self.send_response(200 if issuer.ok else 500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public_key, **members):
    """public_key as a JWK, with members (kid, use) added. A P-256 point's x and y take their
    full 32 bytes, as RFC 7518 6.2.1.2 and FULL-6 require: Debian's PyJWT (2.6) to_jwk drops
    their leading zero bytes, and both targets rightly ignore the key it then writes for about
    one P-256 key in 128 (a test whose set held only that key saw 503, no usable key)."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        n = public_key.public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": _b64url(n.x.to_bytes(32, "big")),
               "y": _b64url(n.y.to_bytes(32, "big"))}
    else:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
    return dict(jwk, **members)


def signing_key(key_type, kid):
    """(private key, its public JWK with kid and use sig, algorithm) of a fresh key."""
    key = ec.generate_private_key(ec.SECP256R1()) if key_type == "p256" else rsa.generate_private_key(65537, 2048)
    return key, public_jwk(key.public_key(), kid=kid, use="sig"), "ES256" if key_type == "p256" else "RS256"


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_target_starts_before_its_issuer_and_answers_503_until_the_first_fetch(target, key_type):
    """FULL-8: the first fetch failed (500), the target started; a token is 503 unavailable
    within the bound, an anonymous call is answered as always, and once the set can be
    fetched (after the refresh interval) the same token verifies."""
    key, public, alg = signing_key(key_type, "k1")
    issuer = Issuer(public, ok=False)
    t = Target(TARGETS[target].split(), {"AFI_JWKS_URL": issuer.url, "AFI_JWKS_REFRESH_SECONDS": "1"})
    try:
        token = jwt.encode({"sub": "alice", "exp": int(time.time()) + 600}, key, algorithm=alg,
                           headers={"kid": "k1"})
        started = time.monotonic()
        r = http(t.base, "POST", "/call/whoami", body={}, token=token)
        assert r.status == 503 and r.json()["error"]["code"] == "unavailable", (r.status, r.body)
        assert time.monotonic() - started < 5, "answered within the fetch bound"
        assert http(t.base, "POST", "/call/echo", body={"text": "x"}).status == 200, "anonymous: as always"
        bad = http(t.base, "POST", "/call/whoami", body={}, token=jwt.encode({"sub": "a"}, "s" * 32, "HS256"))
        assert bad.status == 401, "a token refused for its form needs no set"
        issuer.ok = True
        # The next fetch is due a refresh interval (1 s) after the failed one; a shared
        # machine may run it late, so the token is tried until a generous deadline.
        deadline = time.monotonic() + 15
        while True:
            r = http(t.base, "POST", "/call/whoami", body={}, token=token)
            if r.status != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r.status == 200 and r.json()["result"]["sub"] == "alice", (r.status, r.body)
    finally:
        t.stop()
        issuer.close()
