"""`conformance model` (issue 13): random concurrent histories checked against the protocol's
sequential model.

The model must find, from a fixed seed set it was never tuned on (SEEDS), every mutant of
MODEL_KILLS in every seed, within a fixed budget per run: lost updates under concurrency, a
conditional set that writes on conflict, reads served from a per-instance cache after another
instance wrote, personal data keyed so that two subs collide, revocation not shared by the
instances, a per-viewer ETag shared across viewers. Proxy mutants with per-instance state run
as two proxy processes (two "instances") in front of one reference server; the FastAPI port's
faults run in one port process. The other way round it must pass, in every seed, the reference
server in memory and on PostgreSQL (one and two instances of one database) and the FastAPI
port. Two in-memory reference servers are not one deployment (nothing is shared): the model
must say so.
"""
import json
import os
import secrets
import subprocess

import pytest

from conftest import PYTHON, RUNNER, SERVER, need_binary
from mutants import catalogue, runs
from mutants.port_faults import DEPLOYMENT_FAULTS, PORT_FAULTS
from pgcluster import PgCluster

SEEDS = (9001, 9002, 9003, 9004, 9005)  # chosen before the first run; never changed to pass
BUDGET = ("--ops", "600", "--viewers", "8", "--clients", "8", "--keys", "4", "--time-limit", "5")

# (kind, name, instances): what each must-find bug is served by.
MODEL_KILLS = [
    ("proxy", "scope6_read_modify_write", 1),    # lost updates under concurrency
    ("proxy", "scope5_conflict_still_writes", 1),  # a conditional set that writes on conflict
    ("proxy", "rob2_instance_read_cache", 2),    # stale reads from a per-instance cache
    ("proxy", "scope2_sub_dot_name", 1),         # personal data keyed so two subs collide
    ("proxy", "auth6_instance_revocation", 2),   # revocation not shared by the instances
    ("proxy", "ctx4_viewerless_etag", 1),        # a per-viewer ETag shared across viewers
    ("fastapi", "lost_update", 1),
    ("fastapi", "if_rev_ignored", 1),
    ("fastapi", "personal_by_key", 1),
    ("fastapi", "revoke_nothing", 1),
    ("fastapi", "etag_shared", 1),
]


def model(targets, secret, seed, *extra, report=None, timeout=120):
    """Runs conformance model; returns (exit code, JSON report, output)."""
    argv = [RUNNER, "model", "--seed", str(seed), *BUDGET, "-q", *extra]
    for t in targets:
        argv += ["--target", t]
    if report:
        argv += ["--report", "json:" + report]
    cp = subprocess.run(argv, env=dict(os.environ, AFI_SECRET=secret), capture_output=True,
                        text=True, timeout=timeout)
    doc = None
    if report and os.path.exists(report):
        with open(report, encoding="utf-8") as f:
            doc = json.load(f)
    return cp.returncode, doc, cp.stdout + cp.stderr


def violated(doc):
    return sorted({v["requirement"] for v in doc["model"]["violations"]})


@pytest.fixture(scope="module")
def secret():
    return secrets.token_hex(24)


@pytest.fixture(scope="module")
def upstream(secret):
    need_binary(SERVER)
    need_binary(RUNNER)
    ref = runs.start_reference(secret)
    yield ref
    ref.stop()


@pytest.fixture(scope="module")
def proxies(upstream, secret):
    """Two mutating proxies in front of the one reference server: two instances whose
    per-instance mutant state (ctx.state) is their own."""
    ps = [runs.start_proxy(upstream.url, secret) for _ in range(2)]
    yield ps
    for p in ps:
        p.stop()


def test_model_mutants_are_served_but_not_in_the_suites_self_test():
    for name in ("rob2_instance_read_cache", "scope2_sub_dot_name", "auth6_instance_revocation"):
        assert catalogue.served(name) is catalogue.MODEL_MUTANTS[name]
        assert name not in catalogue.MUTANTS
    for kind, name, _ in MODEL_KILLS:
        assert (catalogue.served(name) if kind == "proxy" else PORT_FAULTS.get(name)) is not None


@pytest.mark.parametrize("kind,name,instances", MODEL_KILLS,
                         ids=[f"{k}-{n}" for k, n, _ in MODEL_KILLS])
def test_model_kills_mutant_in_every_seed(kind, name, instances, proxies, secret, tmp_path):
    port = None
    if kind == "proxy":
        targets = [f"{p.url}/m/{name}/afi" for p in proxies[:instances]]
    else:
        port = runs.start_fastapi(secret, fault=name)
        targets = [port.url]
    rule = (catalogue.served(name) if kind == "proxy" else PORT_FAULTS[name]).rule
    try:
        outcomes = {}
        for seed in SEEDS:
            rc, doc, out = model(targets, secret, seed, "--no-shrink",
                                 report=str(tmp_path / f"{seed}.json"))
            assert rc == 1 and doc["model"]["violations"], \
                f"{name} survived seed {seed} (exit {rc}):\n{out[-3000:]}"
            outcomes[seed] = violated(doc)
        named = [s for s, reqs in outcomes.items() if rule in reqs]
        assert named, f"{name} ({rule}) was killed, but never under its own rule: {outcomes}"
    finally:
        if port:
            port.stop()


@pytest.mark.parametrize("seed", SEEDS)
def test_model_passes_the_reference_in_memory(upstream, secret, seed, tmp_path):
    rc, doc, out = model([upstream.url], secret, seed, report=str(tmp_path / "r.json"))
    assert rc == 0, out[-4000:]
    assert doc["model"]["verdict"] == "passed" and doc["model"]["check"]["ops_checked"] > 100


def test_model_passes_the_fastapi_port_in_every_seed(secret, tmp_path):
    port = runs.start_fastapi(secret)
    try:
        for seed in SEEDS:
            rc, doc, out = model([port.url], secret, seed, report=str(tmp_path / f"{seed}.json"))
            assert rc == 0, f"seed {seed}:\n{out[-4000:]}"
    finally:
        port.stop()


@pytest.fixture(scope="module")
def pg_cluster():
    need_binary(SERVER)
    c = PgCluster()
    yield c
    c.remove()


@pytest.mark.parametrize("instances", [1, 2])
def test_model_passes_the_reference_on_postgresql(pg_cluster, secret, instances, tmp_path):
    servers = [runs.Process([SERVER, "--port", "0", "--store", pg_cluster.url],
                            {"AFI_SECRET": secret}, suffix="-reference-pg") for _ in range(instances)]
    try:
        for seed in SEEDS:
            rc, doc, out = model([s.url for s in servers], secret, seed,
                                 report=str(tmp_path / f"{seed}.json"))
            assert rc == 0, f"seed {seed}, {instances} instance(s):\n{out[-4000:]}"
    finally:
        for s in servers:
            s.stop()


# The port's deployment faults (port_faults.py's second table), each run as two port
# processes on one database. bundle_cache is left out: it survived 3 of 20 runs of the five
# seeds when this was written (a stale bundle needs a bundle read, the viewer's draft saved
# on the other instance and no write of the viewer's through the first in between);
# cluster.ctx.etag-across catches it in every run (harness/test_cluster.py). The model
# names what it sees, not the fault's rule: stale reads break linearizability (ROB-2), a
# tag that differs by instance looks like a change no write made (INV-2). A seed fixes the
# plan, not how two processes interleave it: a seed gets a second run before a fault counts
# as surviving it (with one run per seed, 3 of 12 runs of this test had a fault survive a
# seed, cas_process_lock the one whose name was looked at).
MODEL_DEPLOYMENT_KILLS = sorted(set(DEPLOYMENT_FAULTS) - {"bundle_cache"})


@pytest.mark.parametrize("name", MODEL_DEPLOYMENT_KILLS)
def test_model_kills_deployment_fault_on_postgresql_in_every_seed(pg_cluster, secret, name,
                                                                   tmp_path):
    env = {"AFI_SECRET": secret, "AFI_FAULT": name, "AFI_STORE": pg_cluster.url}
    ports = [runs.Process([PYTHON, runs.FAULT_SERVE, "--port", "0"], env, suffix="-fastapi-pg")
             for _ in range(2)]
    try:
        for seed in SEEDS:
            for attempt in range(2):
                rc, doc, out = model([p.url for p in ports], secret, seed, "--no-shrink",
                                     report=str(tmp_path / f"{seed}.{attempt}.json"))
                if rc == 1 and doc["model"]["violations"]:
                    break
            else:
                pytest.fail(f"{name} survived seed {seed} twice (exit {rc}):\n{out[-3000:]}")
    finally:
        for p in ports:
            p.stop()


def test_two_in_memory_servers_are_not_one_deployment(secret, tmp_path):
    """Each in-memory server has its own store: a logout on one is unknown to the other, and
    reads on one miss the other's writes. The model says so, under the ids that break."""
    servers = [runs.start_reference(secret) for _ in range(2)]
    try:
        rc, doc, out = model([s.url for s in servers], secret, SEEDS[0], "--no-shrink",
                             report=str(tmp_path / "r.json"))
        assert rc == 1, out[-3000:]
        assert "AUTH-6" in violated(doc), violated(doc)
    finally:
        for s in servers:
            s.stop()


def test_failing_history_is_shrunk_printed_and_emitted_as_a_case(proxies, upstream, secret, tmp_path):
    """A failure is shrunk to a few operations, printed with answers and as curl lines, and
    written as a fixture case that fails against the mutant and passes against the reference."""
    target = f"{proxies[0].url}/m/scope5_conflict_still_writes/afi"
    case = tmp_path / "case.json"
    rc, doc, out = model([target], secret, SEEDS[0], "--emit-case", str(case),
                         report=str(tmp_path / "r.json"))
    assert rc == 1, out[-3000:]
    shrunk = doc["model"]["shrunk"]
    assert 1 <= len(shrunk["history"]) <= 12, out[-4000:]
    assert shrunk["violations"] and "curl -sS" in shrunk["curl"]
    assert "shrunk to" in out and "curl -sS" in out and "seed 9001" in out
    env = dict(os.environ, AFI_SECRET=secret)
    cp = subprocess.run([RUNNER, "validate", str(case)], env=env, capture_output=True, text=True)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    bad = subprocess.run([RUNNER, "run", "--suite", str(case), "--target", target], env=env,
                         capture_output=True, text=True, timeout=60)
    good = subprocess.run([RUNNER, "run", "--suite", str(case), "--target", upstream.url],
                          env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1, bad.stdout[-3000:]
    assert good.returncode == 0, good.stdout[-3000:]


def test_seed_reproduces_the_plan_and_is_always_printed(upstream, secret, tmp_path):
    plans = []
    for i in range(2):
        rc, doc, out = model([upstream.url], secret, 77, report=str(tmp_path / f"{i}.json"))
        assert rc == 0 and "seed 77" in out
        plans.append([(o["kind"], o["client"], o["viewer"], o["target"]) for o in doc["model"]["history"]])
    assert sorted(plans[0]) == sorted(plans[1])
    cp = subprocess.run([RUNNER, "model", "--target", upstream.url, "--ops", "20"],
                        env=dict(os.environ, AFI_SECRET=secret), capture_output=True, text=True)
    assert cp.returncode == 0 and "conformance model: seed " in cp.stdout


def test_reports_show_the_model_run(proxies, secret, tmp_path):
    target = f"{proxies[0].url}/m/ctx4_viewerless_etag/afi"
    html, junit = tmp_path / "m.html", tmp_path / "m.xml"
    argv = [RUNNER, "model", "--target", target, "--seed", "9002", *BUDGET, "-q",
            "--report", f"html:{html}", "--report", f"junit:{junit}"]
    cp = subprocess.run(argv, env=dict(os.environ, AFI_SECRET=secret), capture_output=True,
                        text=True, timeout=120)
    assert cp.returncode == 1, cp.stdout[-3000:]
    for path in (html, junit):
        text = path.read_text(encoding="utf-8")
        assert "model.etags" in text and "CTX-4" in text and "shrunk history" in text


def test_usage_errors_and_an_unreachable_target(secret):
    env = dict(os.environ, AFI_SECRET=secret)
    cp = subprocess.run([RUNNER, "model"], env=env, capture_output=True, text=True)
    assert cp.returncode == 2 and "--target is required" in cp.stderr
    cp = subprocess.run([RUNNER, "model", "--target", "http://127.0.0.1:1/afi", "--ops", "0"],
                        env=env, capture_output=True, text=True)
    assert cp.returncode == 2
    cp = subprocess.run([RUNNER, "model", "--target", "http://127.0.0.1:1/afi", "--timeout-ms", "500"],
                        env=env, capture_output=True, text=True)
    assert cp.returncode == 3 and "unreachable" in cp.stderr


def test_a_search_past_its_limit_is_undecided_not_a_verdict(upstream, secret, tmp_path):
    """With one model step per key no key's search can finish: the run says so and fails
    nothing, rather than guess."""
    rc, doc, out = model([upstream.url], secret, SEEDS[0], "--steps", "1",
                         report=str(tmp_path / "r.json"))
    assert rc == 0, out[-3000:]
    assert doc["model"]["verdict"] == "undecided" and doc["model"]["check"]["keys_undecided"] > 0
    assert "could not be decided within the limit" in out


def test_operations_without_an_answer_may_have_happened(upstream, secret, tmp_path):
    """With a 1 ms timeout many operations get no answer: each may have taken effect or not
    (a logout too), and a correct target still passes."""
    unanswered = 0
    for seed in SEEDS[:3]:
        rc, doc, out = model([upstream.url], secret, seed, "--timeout-ms", "1",
                             report=str(tmp_path / f"{seed}.json"))
        assert rc == 0, f"seed {seed}:\n{out[-4000:]}"
        unanswered += sum(1 for o in doc["model"]["history"] if o["status"] == 0)
    assert unanswered > 0, "no operation timed out: the test proves nothing"
