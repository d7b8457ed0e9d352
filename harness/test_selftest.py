"""The conformance suite's self-test: every protocol mutant must be killed by a case of its rule.

Mutants (harness/mutants/catalogue.py) are served by one mutating proxy in front of one
reference server, each under its own URL prefix; the rest are faults patched into the
FastAPI port (harness/mutants/port_faults.py, started by port_fault_serve.py with
AFI_FAULT=<name>), each variant started once. The whole suite runs against every
mutant; a mutant is killed when some case fails whose
`requirements` (or a failure's `requirement`) contain the mutant's rule and which
passes against the unmutated reference (twice: the control runs through the identity proxy).
A surviving mutant fails its own test id and names the rule the suite leaves unguarded.
The other way round, a few equivalent variants (catalogue rule "=": key order, whitespace,
extra headers, a realm, cosmetic schema keys) must pass the whole suite, so the suite is
checked for false positives too. The score is written to reports/mutation.md and
reports/mutation.json.

AFI_SELFTEST_WORKERS (default 8) is how many suite runs go at once.
"""
import collections
import concurrent.futures
import os
import re
import secrets
import subprocess
import time

import pytest

from conftest import PYTHON, ROOT, Target, http, need_binary, requirement_ids
from mutants import catalogue, runs
from mutants.port_faults import PORT_FAULTS

PROXY_MUTANTS = [n for n, m in catalogue.MUTANTS.items() if m.rule not in ("-", "=")]
EQUIVALENTS = [n for n, m in catalogue.MUTANTS.items() if m.rule == "="]
# The faults of FULL-* need a target with a public key: harness/test_full_level.py runs them.
CORE_FAULTS = [n for n, f in PORT_FAULTS.items() if not f.rule.startswith("FULL-")]
KEYS = [("proxy", n) for n in PROXY_MUTANTS] + [("fastapi", n) for n in CORE_FAULTS]
EQ_KEYS = [("equivalent", n) for n in EQUIVALENTS]
# The requirement ids the mutants must cover between them (CTX-1 and ROB-2 are optional).
AREAS = ([f"ENV-{i}" for i in range(1, 8)] + [f"CALL-{i}" for i in range(1, 7)]
         + [f"AUTH-{i}" for i in range(1, 7)] + [f"SCH-{i}" for i in range(1, 5)]
         + [f"CTX-{i}" for i in range(2, 6)] + ["INV-1", "INV-2"]
         + [f"SCOPE-{i}" for i in range(1, 7)] + ["HLT-1", "PROF-1", "ROB-1"])
FULL = ("--level", "full")  # every case may kill
# Cases that mostly wait (prof.sleep-max sleeps 5 s) run only against mutants of the rules
# they check; everywhere else they would add their wait to every run and kill nothing.
SLOW_CASES = {"prof.sleep-max": ("PROF-1",)}


# The proxy reads each request whole with http.server and sends it on re-framed, so the raw
# framing cases would test http.server, not the reference, and no proxy mutant can express a
# framing fault: every run skips them (harness/test_framing.py shows each can fail).
FRAMING = ("--skip", "framing.*")


def run_options(rule):
    """Options of a mutant's run; equivalent variants (rule "=") get the whole suite."""
    skips = [c for c, rules in SLOW_CASES.items() if rule not in rules and rule != "="]
    return FULL + FRAMING + tuple(a for c in skips for a in ("--skip", c))
MD = os.path.join(ROOT, "reports", "mutation.md")
JSON = os.path.join(ROOT, "reports", "mutation.json")


def key_id(key):
    kind, name = key
    return f"fastapi-{name}" if kind == "fastapi" else name


def describe(key):
    kind, name = key
    m = catalogue.MUTANTS[name] if kind in ("proxy", "equivalent") else PORT_FAULTS[name]
    return m.rule, m.desc


def selected_keys(session):
    keys = set()
    for item in session.items:
        cs = getattr(item, "callspec", None)
        if cs is not None and "mutant_key" in cs.params:
            keys.add(cs.params["mutant_key"])
    return [k for k in KEYS + EQ_KEYS if k in keys]


def run_one(key, proxy_url, ref_secret, workdir, control_passed):
    kind, name = key
    rule, desc = describe(key)
    t0 = time.monotonic()
    report_path = os.path.join(workdir, key_id(key) + ".json")
    error = None
    target = None
    try:
        if kind in ("proxy", "equivalent"):
            rc, report, out = runs.run_suite(f"{proxy_url}/m/{name}/afi", ref_secret,
                                             report_path, name, extra=run_options(rule))
        else:
            secret = secrets.token_hex(24)
            target = runs.start_fastapi(secret, fault=name)
            rc, report, out = runs.run_suite(target.url, secret, report_path, "fastapi-" + name,
                                             extra=run_options(rule))
        if report is None or rc not in (0, 1):
            error = f"the run did not complete (exit {rc}): {out.strip()[-600:]}"
    except Exception as e:  # a target that does not start is an error of this mutant only
        error, report = f"{type(e).__name__}: {e}", None
    finally:
        if target is not None:
            target.stop()
    failed = runs.failing_cases(report) if report else []
    kills = runs.killers(report, rule, control_passed) if report and kind != "equivalent" else []
    # For an equivalent variant: the failures that are its own (the case passes both controls).
    rejected = [c for c in failed if c in control_passed] if kind == "equivalent" else []
    return {"name": key_id(key), "kind": kind, "rule": rule, "desc": desc,
            "killed": bool(kills), "killers": kills, "failed": failed, "error": error,
            "rejected_by": rejected,
            "seconds": round(time.monotonic() - t0, 1)}


@pytest.fixture(scope="module")
def mutation(request, tmp_path_factory):
    """Runs the control and every selected mutant once; writes the mutation reports."""
    need_binary(runs.RUNNER)
    need_binary(runs.SERVER)
    t0 = time.monotonic()
    workdir = str(tmp_path_factory.mktemp("mutation"))
    secret = secrets.token_hex(24)
    ref = runs.start_reference(secret)
    proxy = None
    try:
        proxy = runs.start_proxy(ref.url, secret)
        rc, control, out = runs.run_suite(f"{proxy.url}/m/none/afi", secret,
                                          os.path.join(workdir, "control.json"), "control",
                                          extra=FULL + FRAMING)
        if control is None:
            pytest.fail(f"the control run through the identity proxy did not complete "
                        f"(exit {rc}): {out}", pytrace=False)
        # Every mutant run meets a reference server that earlier runs have written to, so a
        # case only counts as a killer if it also passes a second time against that server.
        _, again, out2 = runs.run_suite(f"{proxy.url}/m/none/afi", secret,
                                        os.path.join(workdir, "control2.json"), "control-again",
                                        extra=FULL + FRAMING)
        if again is None:
            pytest.fail(f"the second control run did not complete: {out2}", pytrace=False)
        passed = runs.passed_cases(control) & runs.passed_cases(again)
        control_info = {"exit": rc, "summary": control.get("summary"),
                        "failed": runs.failing_cases(control),
                        "unrepeatable": sorted(runs.passed_cases(control) - passed)}
        keys = selected_keys(request.session)
        # Interleave the FastAPI variants (slow to start) with the proxy runs.
        ports = [k for k in keys if k[0] == "fastapi"]
        proxied = [k for k in keys if k[0] != "fastapi"]
        order = []
        while ports or proxied:
            if ports:
                order.append(ports.pop(0))
            order.extend(proxied[:2])
            del proxied[:2]
        workers = int(os.environ.get("AFI_SELFTEST_WORKERS", "8"))
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = {k: pool.submit(run_one, k, proxy.url, secret, workdir, passed)
                       for k in order}
            results = {k: f.result() for k, f in futures.items()}
        # A mutant function that raised made the proxy answer 500: such a kill proves nothing.
        crashed = collections.Counter(re.findall(r"^proxy: mutant (\w+) failed on",
                                                 proxy.log_text(limit=None), re.M))
        for k, r in results.items():
            if k[0] != "fastapi" and crashed.get(k[1]):
                r["error"] = (f"the mutant raised {crashed[k[1]]} times in the proxy "
                              f"(answered 500 instead); see the traceback in the proxy log")
                r["killed"] = False
    finally:
        if proxy is not None:
            proxy.stop()
        ref.stop()
    wall = time.monotonic() - t0
    ordered = [results[k] for k in KEYS + EQ_KEYS if k in results]
    note = "" if len(ordered) == len(KEYS + EQ_KEYS) else \
        f"Partial run: {len(ordered)} of {len(KEYS + EQ_KEYS)} variants were selected."
    if ordered:
        runs.write_reports(ordered, control_info, MD, JSON, wall, note)
    return {"control": control, "control_info": control_info, "results": results}


def test_control_run_is_green(mutation):
    """The identity proxy is transparent: the suite passes through it, so kills are real."""
    info = mutation["control_info"]
    assert info["exit"] == 0 and not info["failed"], \
        f"the suite fails through the identity proxy: {info['failed']} ({info['summary']})"
    assert info["summary"]["passed"] > 0


def test_suite_is_repeatable(mutation):
    """A second run against the same target passes too: cases do not depend on a fresh store
    (a fixed jti revoked by the first run, a shared key left behind...). Such cases are not
    counted as killers, since every mutant run comes after the control."""
    bad = mutation["control_info"]["unrepeatable"]
    assert not bad, f"cases that pass once but fail when the suite runs again against the " \
        f"same target: {', '.join(bad)}"


@pytest.mark.parametrize("mutant_key", KEYS, ids=[key_id(k) for k in KEYS])
def test_mutant_killed(mutation, mutant_key):
    r = mutation["results"][mutant_key]
    rule_text = dict((i, t) for i, _, t in requirement_ids()).get(r["rule"], "?")
    if r["error"]:
        pytest.fail(f"mutant {r['name']} ({r['rule']}) could not be run: {r['error']}",
                    pytrace=False)
    if not r["killed"]:
        others = ", ".join(r["failed"][:8]) or "none"
        pytest.fail(f"mutant {r['name']} SURVIVED: rule {r['rule']} ({rule_text}) is left "
                    f"unguarded against: {r['desc']}. Cases that failed without naming "
                    f"{r['rule']}: {others}", pytrace=False)


@pytest.mark.parametrize("mutant_key", EQ_KEYS, ids=[key_id(k) for k in EQ_KEYS])
def test_equivalent_variant_passes(mutation, mutant_key):
    """A conformant variation (key order, whitespace, extra headers, a realm, cosmetic schema
    keys) must pass the whole suite: a failing case here over-constrains the protocol."""
    r = mutation["results"][mutant_key]
    if r["error"]:
        pytest.fail(f"variant {r['name']} could not be run: {r['error']}", pytrace=False)
    assert not r["rejected_by"], f"the suite rejects a conformant variant ({r['desc']}): " \
        f"{', '.join(r['rejected_by'][:10])}"


def test_catalogue_covers_every_area():
    """At least 40 mutants, each naming a real requirement, together covering every area."""
    ids = {i for i, _, _ in requirement_ids()}
    rules = {describe(k)[0] for k in KEYS}
    assert len(KEYS) >= 40
    assert rules <= ids, f"mutants name ids docs/protocol.md lacks: {sorted(rules - ids)}"
    assert not [a for a in AREAS if a not in rules], \
        f"requirements no mutant breaks: {[a for a in AREAS if a not in rules]}"
    for m in catalogue.MUTANTS.values():
        assert m.desc and m.name.isidentifier()


@pytest.mark.parametrize("table", [catalogue.MUTANTS, PORT_FAULTS],
                         ids=["catalogue", "port_faults"])
def test_mutants_are_grouped_by_requirement(table):
    """catalogue.py registers the control first, then the mutants rule by rule in the order
    of docs/protocol.md, then the equivalent variants; port_faults.py lists its faults in
    that order too: all of a rule's mutants in one place."""
    ids = [i for i, _, _ in requirement_ids()]
    rank = {"-": -1, "=": len(ids), **{i: n for n, i in enumerate(ids)}}
    names = list(table)
    ranks = [rank.get(table[n].rule, len(ids) + 1) for n in names]
    misplaced = [f"{n} ({table[n].rule})"
                 for n, r, before in zip(names[1:], ranks[1:], ranks) if r < before]
    assert not misplaced, f"mutants registered after a later rule's group: {', '.join(misplaced)}"


def test_port_carries_no_fault_code():
    """The FastAPI port is clean code a porter can copy: not one fault switch in it. Its
    faults live only in harness/mutants/port_faults.py, which patches each in from outside."""
    port = os.path.join(ROOT, "harness", "ports", "fastapi")
    hits = []
    for directory, _, files in os.walk(port):
        for name in sorted(f for f in files if f.endswith((".py", ".md"))):
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as f:
                hits += [f"{os.path.relpath(path, ROOT)}:{n}: {line.strip()}"
                         for n, line in enumerate(f, 1) if re.search(r"\bfaults?\b", line, re.I)]
    assert not hits, "the port mentions faults:\n" + "\n".join(hits)
    assert all(callable(f.patch) and f.desc for f in PORT_FAULTS.values())


def test_port_fault_reaches_every_worker():
    """serve.py --workers N spawns workers that import the app themselves: each applies the
    fault too (and says so), so no request meets a clean worker."""
    target = Target([PYTHON, runs.FAULT_SERVE, "--port", "{port}", "--workers", "2"],
                    {"AFI_FAULT": "leak_internal"})
    try:
        applied = set()
        deadline = time.monotonic() + 30
        while len(applied) < 3 and time.monotonic() < deadline:  # the parent and two workers
            applied = set(re.findall(r"fault leak_internal applied in process (\d+)",
                                     target.stderr_tail(100000)))
            time.sleep(0.2)
        assert len(applied) == 3, f"not every process applied the fault: {target.stderr_tail()}"
        for _ in range(6):
            r = http(target.base, "POST", "/call/fail")
            assert r.status == 500 and "AFI-INTERNAL-DETAIL" in r.json()["error"]["message"], r
    finally:
        target.stop()


def test_port_fault_serve_refuses_an_unknown_fault():
    """A misspelt AFI_FAULT exits 2 and names it, instead of serving the clean port."""
    cp = subprocess.run([PYTHON, runs.FAULT_SERVE, "--port", "0"], capture_output=True,
                        text=True, timeout=30,
                        env=dict(os.environ, AFI_SECRET="x" * 32, AFI_FAULT="no_such_fault"))
    assert cp.returncode == 2 and "no_such_fault" in cp.stderr, cp.stderr
