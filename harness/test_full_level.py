"""The full level (docs/protocol.md FULL-1..FULL-5): public-key tokens, at both key types.

The reference server and the FastAPI port pass the whole suite at --level full with an RSA
and with a P-256 key (the runner generates it for --spawn and hands the target its public
half); a target refuses to start on a key configuration it does not support; and every
case of fixtures/full.json fails against a fault of the port made for it
(harness/mutants/port_faults.py, rule FULL-*), at both key types, while the unfaulted port
passes it (the first test).
"""
import concurrent.futures
import json
import os
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from conftest import (FASTAPI_SERVE, PYTHON, ROOT, RUNNER, SERVER, Target,
                      cluster_case_ids, fixture_case_ids, jwks_case_ids, need_binary, run_conformance)
from mutants import runs
from mutants.port_faults import PORT_FAULTS

KEY_TYPES = ("rsa", "p256")
FULL_SUITE = os.path.join(ROOT, "fixtures", "full.json")
TARGETS = {"reference": f"{SERVER} --port {{port}}",
           "fastapi": f"{PYTHON} {FASTAPI_SERVE} --port {{port}}"}
# Each FULL-* fault of the port and the case of fixtures/full.json made to catch it.
KILLERS = {
    "key_ignored": "full.key.valid",
    "hs256_public_key": "full.key.alg-confusion",
    "alg_case_insensitive": "full.key.alg-names",
    "psychic_signature": "full.sig.zero-and-order",
    "der_signature_accepted": "full.sig.der",
    "jwk_header_trusted": "full.hdr.other-keys",
    "crit_ignored": "full.hdr.crit",
    "exp_int64_wrap": "full.claims.exp",
    "iss_unchecked": "full.claims.iss",
    "aud_substring": "full.claims.aud",
    "revoke_token_bytes": "full.revoke.malleated",
}


def spawn_run(command, key_type, tmp_path, name, *extra, env=None):
    """`run --spawn command --level full --key-type key_type`; (exit code, report, output)."""
    need_binary(RUNNER)
    path = os.path.join(str(tmp_path), f"{name}-{key_type}.json")
    # --timeout-ms is also how long --spawn waits for /health: a busy machine starts the port slowly
    argv = [RUNNER, "run", "--spawn", command, "--level", "full", "--key-type", key_type,
            "--jobs", "2", "--timeout-ms", "60000", "--report", "json:" + path, "-q", *extra]
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=400, cwd=ROOT,
                        env=dict(os.environ, **(env or {})))
    report = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    return cp.returncode, report, cp.stdout[-3000:] + cp.stderr[-3000:]


def statuses(report):
    return {c["id"]: c["status"] for s in report["suites"] for c in s["cases"]}


def fault_matrix(run, faults, tmp):
    """run(fault, key_type, tmp) for every fault at every key type, two runs at a time:
    {(fault, key_type): what run returned}."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {(f, k): pool.submit(run, f, k, tmp) for f in faults for k in KEY_TYPES}
        return {key: fut.result() for key, fut in futures.items()}


def assert_killed(result, fault, case):
    """result, a spawn_run against fault, failed the run (exit 1) and case with it."""
    rc, report, out = result
    assert report, out
    assert rc == 1, out
    status = statuses(report)
    assert status[case] == "failed", f"{fault} survives {case}: {status}\n{out}"


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_the_whole_suite_passes_at_the_full_level(target, key_type, tmp_path):
    rc, report, out = spawn_run(TARGETS[target], key_type, tmp_path, target)
    assert report, out
    # the cases tagged cluster need two targets, those tagged jwks the runner's JWK Set
    # (harness/test_jwks.py): a run with one target and a key file skips them
    skipped = set(cluster_case_ids()) | set(jwks_case_ids())
    bad = {i: s for i, s in statuses(report).items() if s != "passed" and i not in skipped}
    assert not bad and rc == 0, f"{bad} {out}"
    s = report["summary"]
    assert s["passed"] == len(fixture_case_ids()) - len(skipped)
    assert {i for i in statuses(report) if i.startswith("full.")} == set(KILLERS.values())


def test_private_key_against_a_target_configured_by_hand(tmp_path):
    """--private-key FILE with --target: the target holds the public half, issuer and audience."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private, public = tmp_path / "issuer.pem", tmp_path / "issuer.pub"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    t = Target([SERVER, "--port", "{port}"], {"AFI_PUBLIC_KEY_FILE": str(public),
                                               "AFI_ISSUER": "afi-conformance-issuer",
                                               "AFI_AUDIENCE": "afi-conformance"})
    try:
        cp = run_conformance("run", "--target", t.base, "--level", "full", "--private-key",
                             str(private), "--suite", FULL_SUITE, "--jobs", "2", secret=t.secret)
        assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr[-2000:]
        assert f"{len(KILLERS)} passed, 0 failed" in cp.stdout
        # the same target refuses what the runner mints without the key: HS256
        core = run_conformance("run", "--target", t.base, "--only", "auth.logout.revokes",
                               secret=t.secret)
        assert core.returncode == 1, core.stdout[-2000:]
    finally:
        t.stop()


def _pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


UNSUPPORTED = {
    # AFI_JWKS_URL itself is supported (harness/test_jwks.py); with a key file it is ambiguous
    "jwks-url-and-key-file": ({"AFI_JWKS_URL": "http://127.0.0.1:9/jwks.json"},
                              lambda: _pem(ec.generate_private_key(ec.SECP256R1())), "ambiguous"),
    "jwks-url-not-http": ({"AFI_JWKS_URL": "file:///etc/passwd"}, None, "http"),
    "jwks-refresh-seconds": ({"AFI_JWKS_URL": "http://127.0.0.1:9/jwks.json", "AFI_JWKS_REFRESH_SECONDS": "0"},
                             None, "AFI_JWKS_REFRESH_SECONDS"),
    "missing-file": ({"AFI_PUBLIC_KEY_FILE": "/nonexistent/afi.pub"}, None, "cannot be read"),
    "not-pem": ({}, b"not a key\n", "not a PEM public key"),
    "p384": ({}, lambda: _pem(ec.generate_private_key(ec.SECP384R1())), "P-256"),
    "rsa-1024": ({}, lambda: _pem(rsa.generate_private_key(65537, 1024)), "2048"),
    "ed25519": ({}, lambda: _pem(ed25519.Ed25519PrivateKey.generate()), "P-256"),
}


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_an_unsupported_key_configuration_refuses_to_start(target, case, tmp_path):
    """FULL-1: never started with the configuration ignored; exit 2 and the reason."""
    env, content, reason = UNSUPPORTED[case]
    env = dict(os.environ, AFI_SECRET="s" * 40, **env)
    if content is not None:
        path = tmp_path / "key.pub"
        path.write_bytes(content() if callable(content) else content)
        env["AFI_PUBLIC_KEY_FILE"] = str(path)
    argv = TARGETS[target].replace("{port}", "0").split()
    cp = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert cp.returncode == 2 and "listening" not in cp.stdout, cp.stdout + cp.stderr
    assert reason in cp.stderr, cp.stderr


def test_every_full_fault_has_its_case():
    # the faults of a JWK Set (FULL-6..FULL-8, named jwks_*) are harness/test_jwks.py's
    full = {n for n, f in PORT_FAULTS.items() if f.rule.startswith("FULL-") and not n.startswith("jwks_")}
    assert full == set(KILLERS)
    with open(FULL_SUITE, encoding="utf-8") as f:
        cases = {c["id"]: c["requirements"] for c in json.load(f)["cases"]}
    for fault, case in KILLERS.items():
        assert PORT_FAULTS[fault].rule in cases[case], (fault, case)


def _fault_run(fault, key_type, tmp_path):
    return spawn_run(f"{PYTHON} {runs.FAULT_SERVE} --port {{port}}", key_type, tmp_path,
                     f"fault-{fault}", "--suite", FULL_SUITE, env={"AFI_FAULT": fault})


@pytest.fixture(scope="module")
def fault_runs(tmp_path_factory):
    """Every FULL-* fault at both key types, two runs at a time."""
    return fault_matrix(_fault_run, KILLERS, tmp_path_factory.mktemp("full-faults"))


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("fault", sorted(KILLERS))
def test_each_full_case_kills_its_fault(fault_runs, fault, key_type):
    assert_killed(fault_runs[(fault, key_type)], fault, KILLERS[fault])
