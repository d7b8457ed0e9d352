"""Issue 12, a deployment is several targets: `conformance run --target A --target B` (and
--spawn repeated) spreads every case's steps over the instances and runs the cases tagged
cluster (fixtures/cluster.json). Two reference instances on one throwaway PostgreSQL and the
FastAPI port on PostgreSQL pass them; two reference instances each on its own memory (nothing
shared) fail them, each failure naming the instance that answered; one target skips them and
says why, once. The port's deployment faults each pass the whole suite as one process and fail
their cluster case as two processes on one database."""
import json
import os
import re
import secrets
import subprocess

import pytest

from conftest import (FASTAPI_SERVE, PYTHON, ROOT, RUNNER, SERVER, cluster_case_ids,
                      Target, closing_line, fixture_cases, jwks_case_ids, need_binary,
                      output_of, run_conformance, write_suite)
from mutants.port_faults import DEPLOYMENT_FAULTS
from mutants.runs import FAULT_SERVE
from pgcluster import PgCluster

SKIP_LINE = re.compile(r"^(\d+) cases? tagged cluster skipped: (?:it needs|they need) at least 2 "
                       r"targets, this run has 1 \(give --target or --spawn once per instance\)$")


@pytest.fixture(scope="module")
def pg():
    """A throwaway PostgreSQL cluster; yields a function making a fresh database URL."""
    cluster = PgCluster()
    yield cluster.database
    cluster.remove()


@pytest.fixture
def started():
    """Starts instances (argv, secret) and stops every one of them after the test."""
    running = []

    def start(argv, secret, env=None):
        running.append(Target(argv, env, secret=secret, health_timeout=60))
        return running[-1]
    yield start
    for inst in running:
        inst.stop()


def run_all(tmp_path, bases, secret, *extra):
    report = tmp_path / "report.json"
    args = ["run", "--jobs", "2", "--report", f"json:{report}", *extra]
    for b in bases:
        args += ["--target", b]
    cp = run_conformance(*args, secret=secret, timeout=600)
    assert report.exists(), output_of(cp)[-3000:]
    return cp, json.loads(report.read_text())


def cases(report):
    return {c["id"]: c for s in report["suites"] for c in s["cases"]}


def not_passed(report):
    return [f"{c['id']} [{c['status']}]: {(c['failures'] or [{}])[0].get('message', '')}"
            for c in cases(report).values() if c["status"] != "passed"]


def test_two_reference_instances_on_one_postgres_pass_everything(pg, started, tmp_path):
    need_binary(RUNNER)
    secret, url = secrets.token_hex(24), pg()
    a = started([SERVER, "--port", "{port}", "--store", url], secret)
    b = started([SERVER, "--port", "{port}", "--store", url], secret)
    cp, rep = run_all(tmp_path, [a.base, b.base], secret, "--level", "full")
    # without a key the FULL-* cases are skipped (harness/test_full_level.py, test_jwks.py run them)
    bad = [c for c in not_passed(rep) if not c.startswith(("full.", "jwks.")) or "[skipped]" not in c]
    assert not bad, "\n".join(bad[:30])
    assert cp.returncode == 0, output_of(cp)[-3000:]
    assert rep["target"] == a.base and rep["targets"] == [a.base, b.base]
    got = cases(rep)
    assert cluster_case_ids() and all(got[i]["status"] == "passed" for i in cluster_case_ids())
    full = [i for i in got if i.startswith(("full.", "jwks."))]
    s = rep["summary"]
    assert s["passed"] == s["total"] - len(full) == len(got) - len(full)
    assert "cluster_skipped" not in rep["summary"]
    assert f"against 2 targets ({a.base}, {b.base})" in cp.stdout


def test_two_fastapi_processes_on_postgres_pass_the_cluster_cases(pg, started, tmp_path):
    """Two port processes on one database, each a target. (serve.py --workers 2, its URL
    given twice, passes the whole suite: test_port_pg.py.)"""
    need_binary(RUNNER)
    secret, url = secrets.token_hex(24), pg()
    ports = [started([PYTHON, FASTAPI_SERVE, "--port", "{port}", "--store", url], secret)
             for _ in range(2)]
    cp, rep = run_all(tmp_path, [p.base for p in ports], secret, "--only", "cluster.*",
                      "--level", "full")
    assert cp.returncode == 0, output_of(cp)[-3000:]
    ran = [i for i, c in cases(rep).items() if c["status"] != "skipped"]
    assert sorted(ran) == sorted(cluster_case_ids()), output_of(cp)[-2000:]
    assert all(cases(rep)[i]["status"] == "passed" for i in ran), "\n".join(not_passed(rep))


def test_two_instances_that_share_nothing_fail_and_name_who_answered(started, tmp_path):
    """Two reference servers on their own memory: every cluster case that needs shared state
    fails (the cases can fail), and each failure names the target that answered, with that
    target's URL in the request and the curl line."""
    need_binary(RUNNER)
    secret = secrets.token_hex(24)
    a = started([SERVER, "--port", "{port}"], secret)
    b = started([SERVER, "--port", "{port}"], secret)
    cp, rep = run_all(tmp_path, [a.base, b.base], secret, "--only", "cluster.*",
                      "--level", "full")
    assert cp.returncode == 1, output_of(cp)[-2000:]
    got = cases(rep)
    stateful = [i for i in cluster_case_ids() if i != "cluster.schema.one-schema"]
    assert got["cluster.schema.one-schema"]["status"] == "passed"  # one build, one schema
    for cid in stateful:
        assert got[cid]["status"] == "failed", (cid, got[cid]["status"])
        for f in got[cid]["failures"]:
            if f["target"] is None:  # a step spread over both: each target's answers listed
                assert f"target #0 ({a.base}) answered" in f["message"], f["message"]
                assert f"target #1 ({b.base}) answered" in f["message"], f["message"]
                continue
            base = [a.base, b.base][f["target"]]
            assert f["request"]["url"].startswith(base + "/"), (f["target"], f["request"]["url"])
            assert f["curl"].endswith(f"'{f['request']['url']}'"), f["curl"]
    # write on A, read on B: B answered the old state, and the summary says it was B
    f = got["cluster.kv.write-a-read-b"]["failures"][0]
    assert f["step"] == 2 and f["target"] == 1, f
    assert "$.result.rev: expected 1, got 0" in f["message"], f["message"]
    assert f"answered by target #1 {b.base}" in cp.stdout, cp.stdout[-3000:]
    f = got["cluster.auth.logout-a-revokes-on-b"]["failures"][0]
    assert f["target"] == 1 and "status: expected 401, got 200" in f["message"], f
    f = got["cluster.counter.concurrent"]["failures"][0]
    assert f["target"] is None and "collect($.result.value)" in f["message"], f
    md = run_conformance("run", "--target", a.base, "--target", b.base, "--only", "cluster.kv.write-*",
                         "--level", "full", "-q", "--report", f"md:{tmp_path / 'r.md'}", secret=secret)
    assert md.returncode == 1 and f"Targets <code>{a.base}, {b.base}</code>" in (tmp_path / "r.md").read_text()
    assert re.search(r"step 2 \(alice reads it on B: rev 1\) on target \\?#1", (tmp_path / "r.md").read_text())


# Each deployment fault (right in one process, wrong across processes on one database) and
# the cluster case that catches it.
DEPLOYMENT_KILLERS = {
    "revocation_memo": "cluster.auth.logout-a-revokes-on-b",
    "read_cache": "cluster.kv.write-a-read-b",
    "bundle_cache": "cluster.ctx.etag-across",
    "etag_per_process": "cluster.ctx.etag-across",
    "incr_process_lock": "cluster.counter.concurrent",
    "cas_process_lock": "cluster.kv.if-rev-race",
}


def test_every_deployment_fault_has_a_cluster_case_of_its_rule():
    assert set(DEPLOYMENT_KILLERS) == set(DEPLOYMENT_FAULTS)
    requirements = {c["id"]: c["requirements"] for c in fixture_cases()}
    for fault, case in DEPLOYMENT_KILLERS.items():
        assert case in cluster_case_ids(), (fault, case)
        assert DEPLOYMENT_FAULTS[fault].rule in requirements[case], (fault, case)


@pytest.mark.parametrize("fault", sorted(DEPLOYMENT_KILLERS))
def test_a_deployment_fault_passes_alone_and_fails_across_two(fault, pg, started, tmp_path):
    """Issue 12's own examples of what only a deployment shows: the port with the fault passes
    the whole suite as one process on PostgreSQL, and two such processes on one database,
    both targets of one run, fail the fault's cluster case."""
    need_binary(RUNNER)
    secret = secrets.token_hex(24)

    def fault_on(url):
        return started([PYTHON, FAULT_SERVE, "--port", "{port}", "--store", url], secret,
                       {"AFI_FAULT": fault, "AFI_STORE": url})
    alone = fault_on(pg())
    (tmp_path / "alone").mkdir()
    cp, rep = run_all(tmp_path / "alone", [alone.base], secret, "--level", "full")
    assert f"fault {fault} applied" in alone.stderr_tail(None), alone.stderr_tail()
    skipped = set(cluster_case_ids()) | set(jwks_case_ids()) | {
        i for i in cases(rep) if i.startswith("full.")}  # full.*: no key given
    bad = [c for c in not_passed(rep) if c.split(" ")[0] not in skipped]
    assert not bad and cp.returncode == 0, "\n".join(bad[:20]) + output_of(cp)[-1500:]
    alone.stop()

    url = pg()
    a, b = fault_on(url), fault_on(url)
    killer = DEPLOYMENT_KILLERS[fault]
    # The lock faults lose an update only when two requests interleave, which the case
    # provokes but a scheduler may not grant: a second run before the fault counts as
    # surviving (as test_model does per seed). A fault the case misses misses both.
    for attempt in ("first", "second"):
        run_dir = tmp_path / attempt
        run_dir.mkdir()
        cp, rep = run_all(run_dir, [a.base, b.base], secret, "--only", "cluster.*", "--level", "full")
        if cp.returncode == 1 and cases(rep)[killer]["status"] == "failed":
            break
    assert cp.returncode == 1 and cases(rep)[killer]["status"] == "failed", (
        f"{fault} survives {killer} across two processes, in two runs:\n" + "\n".join(not_passed(rep))
        + output_of(cp)[-1500:])


def test_a_single_target_skips_the_cluster_cases_and_says_why_once(started, tmp_path):
    """--level full on one target: the cases tagged cluster are skipped, the summary says
    why in one line before the closing line, the JSON report counts them."""
    need_binary(RUNNER)
    secret = secrets.token_hex(24)
    a = started([SERVER, "--port", "{port}"], secret)
    cp, rep = run_all(tmp_path, [a.base], secret, "--level", "full")
    assert cp.returncode == 0, output_of(cp)[-3000:]
    n = len(cluster_case_ids())
    lines = [ln for ln in cp.stdout.splitlines() if "tagged cluster" in ln]
    assert len(lines) == 1 and SKIP_LINE.match(lines[0]), cp.stdout[-2000:]
    assert int(SKIP_LINE.match(lines[0]).group(1)) == n
    assert rep["summary"]["cluster_skipped"] == {"cases": n, "targets_needed": 2, "targets": 1}
    assert all(cases(rep)[i]["status"] == "skipped" for i in cluster_case_ids())
    assert rep["targets"] == [a.base] and rep["target"] == a.base
    assert "against " + a.base + " (run" in cp.stdout  # the header of one target as before
    assert "answered by target" not in cp.stdout
    # the cluster cases are level full: a core run of one target says nothing about them
    core = run_conformance("run", "--target", a.base, "-q", secret=secret)
    assert core.returncode == 0 and "cluster" not in core.stdout, output_of(core)[-2000:]


def test_a_pinned_target_the_run_lacks_is_a_clear_error(started, tmp_path):
    """A case not tagged cluster that pins target 1 cannot run on one target: exit 2, naming
    the suite file, the case, the step and how many targets it needs."""
    need_binary(RUNNER)
    secret = secrets.token_hex(24)
    a = started([SERVER, "--port", "{port}"], secret)
    case = {"id": "pin.one", "title": "pins target 1", "requirements": ["HLT-1"],
            "level": "core", "tags": [],
            "steps": [{"request": {"method": "GET", "path": "/health", "target": 1},
                       "expect": {"status": 200}}]}
    suite = write_suite(tmp_path, "pin", [case])
    spec = ["--spec", os.path.join(ROOT, "docs", "protocol.md")]
    cp = run_conformance("run", "--target", a.base, "--suite", suite, *spec, secret=secret)
    assert cp.returncode == 2, output_of(cp)
    assert "pin.json: case pin.one, step 1" in cp.stderr and "needs at least 2 targets, the run has 1" \
        in cp.stderr, cp.stderr
    both = run_conformance("run", "--target", a.base, "--target", a.base, "--suite", suite, *spec,
                           secret=secret)
    assert both.returncode == 0 and closing_line(both.stdout) == "1 passed, 0 failed", output_of(both)


def test_spawn_twice_starts_two_instances_with_one_secret(tmp_path):
    """--spawn repeated: each instance on its own free port, both with the run's secret (the
    cases that mint tokens pass on both; these keep no state, which two memory stores
    would not share)."""
    need_binary(RUNNER)
    report = tmp_path / "r.json"
    cp = run_conformance("run", "--spawn", f"{SERVER} --port {{port}}", "--spawn",
                         f"{SERVER} --port {{port}}", "--only", "auth.hostile.*", "--only", "calls.*",
                         "--report", f"json:{report}", secret=secrets.token_hex(24))
    assert cp.returncode == 0, output_of(cp)[-3000:]
    rep = json.loads(report.read_text())
    assert len(rep["targets"]) == 2 and len(set(rep["targets"])) == 2, rep["targets"]
    assert rep["summary"]["passed"] > 1


def test_make_cluster_runs_both_deployments_and_leaves_nothing_behind(tmp_path):
    """scripts/cluster.sh (make cluster): both deployments pass the whole suite with every
    instance a target, five reports each, and its PostgreSQL and instances are gone after."""
    need_binary(RUNNER)
    env = dict(os.environ, AFI_BUILD=os.path.dirname(RUNNER), REPORTS=str(tmp_path / "cluster"))
    cp = subprocess.run([os.path.join(ROOT, "scripts", "cluster.sh"), "-q"], env=env, cwd=ROOT,
                        capture_output=True, text=True, timeout=900)
    assert cp.returncode == 0, output_of(cp)[-4000:]
    for impl, distinct in (("reference", 2), ("fastapi", 1)):
        d = tmp_path / "cluster" / impl
        assert sorted(p.name for p in d.iterdir()) == ["junit.xml", "report.html", "report.json",
                                                       "report.md", "report.tap"], impl
        rep = json.loads((d / "report.json").read_text())
        assert len(rep["targets"]) == 2 and len(set(rep["targets"])) == distinct, rep["targets"]
        s = rep["summary"]
        # with a key file, the cases tagged jwks (they need --key-source jwks) are skipped
        skipped = {c["id"] for c in cases(rep).values() if c["status"] == "skipped"}
        assert skipped == set(jwks_case_ids()), (impl, skipped)
        assert s["passed"] == s["total"] - len(skipped) > 0, (impl, s)
        assert all(c["status"] == "passed" for c in cases(rep).values() if c["id"] in cluster_case_ids())
    tmp_dirs = re.findall(r"a throwaway PostgreSQL in (/tmp/afi-cluster-\w+)", cp.stdout)
    assert len(tmp_dirs) == 1, cp.stdout
    assert not os.path.exists(tmp_dirs[0])
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert tmp_dirs[0] not in ps, [ln for ln in ps.splitlines() if tmp_dirs[0] in ln]
