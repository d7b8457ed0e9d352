"""Black-box tests of build/conformance's command line (docs/fixtures.md, README.md):
exit codes, --help, fixture errors, unreachable and spawned targets, selection, shards,
expected failures, the failure printout and its curl reproducer, coverage, list,
schema-diff and matrix."""
import fnmatch
import json
import os
import re
import shutil
import subprocess
import threading
import time

import pytest

from conftest import (CLOSING_RE, FIXTURES, HARNESS_DATA, PROTOCOL_MD, ROOT, SERVER, FakeTarget, closing_line,
                      cluster_case_ids, conformance, fixture_case_ids, free_port, health_case, json_answer,
                      output_of, profile_schema_document, report_case_ids, requirement_ids,
                      write_suite)

BROKEN = os.path.join(HARNESS_DATA, "broken")
VALID = os.path.join(HARNESS_DATA, "valid", "harness-ok.json")
# Suites outside fixtures/ name the spec explicitly: the runner's default is
# <suite dir>/../docs/protocol.md (conformance run --help).
SPEC = ["--spec", PROTOCOL_MD]


def executed(report):
    return {i for i, s in report_case_ids(report).items() if s != "skipped"}


def json_report(tmp_path, name, *args, secret=None):
    path = os.path.join(str(tmp_path), name + ".json")
    cp = conformance(*args, "--report", f"json:{path}", secret=secret)
    report = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    return cp, report


# --- --help -------------------------------------------------------------------------------

HELP_WORDS = {
    None: ["run", "list", "validate", "schema-diff", "coverage", "matrix"],
    "run": ["--target", "--suite", "--level", "--only", "--skip", "--expected-failures", "--jobs",
            "--timeout-ms", "--spin-us", "--secret", "--report", "--shard", "--spawn", "--name", "-v", "-q",
            "json", "junit", "md", "tap", "html", "AFI_SECRET"],
    "list": ["list", "--suite", "--level", "--only", "--skip"],
    "validate": ["validate", "FILE"],
    "schema-diff": ["--target"],
    "coverage": ["coverage", "--suite"],
    "matrix": ["--html", "--md", "REPORT"],
}


@pytest.mark.parametrize("sub", list(HELP_WORDS), ids=lambda s: s or "top")
def test_help_names_the_options_and_exits_0(sub):
    argv = ([sub] if sub else []) + ["--help"]
    cp = conformance(*argv)
    assert cp.returncode == 0, output_of(cp)
    text = cp.stdout
    assert text.strip(), f"`conformance {' '.join(argv)}` printed nothing on stdout"
    missing = [w for w in HELP_WORDS[sub] if w not in text]
    assert not missing, f"--help of {sub or 'conformance'} does not mention {missing}:\n{text}"


# --- usage errors: exit 2 -------------------------------------------------------------------


@pytest.mark.parametrize("argv,needle", [
    ([], None),
    (["frobnicate"], "frobnicate"),
    (["run"], "--target"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--level", "bogus"], "bogus"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--shard", "4/3"], "4/3"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--shard", "0/3"], "0/3"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--shard", "x"], "--shard"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--jobs", "0"], "--jobs"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--timeout-ms", "abc"], "--timeout-ms"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--spin-us", "-1"], "--spin-us"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--spin-us", "100001"], "--spin-us"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--report", "pdf:x.pdf"], "pdf"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--report", "json"], "--report"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--frobnicate"], "--frobnicate"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--suite", "/nonexistent/x.json"],
     "/nonexistent/x.json"),
    (["run", "--target", "http://127.0.0.1:9/afi", "--expected-failures", "/nonexistent/xf"],
     "/nonexistent/xf"),
    (["list", "--frobnicate"], "--frobnicate"),
    (["validate", "/nonexistent/x.json"], "/nonexistent/x.json"),
    (["schema-diff"], "--target"),
    (["matrix"], None),
], ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_usage_errors_exit_2_with_a_message(argv, needle):
    cp = conformance(*argv, secret="s" * 40)
    assert cp.returncode == 2, f"exit {cp.returncode}:\n{output_of(cp)}"
    assert cp.stderr.strip(), "a usage error must say something on stderr"
    if needle:
        assert needle in cp.stderr, f"the message does not name {needle!r}:\n{cp.stderr}"


def test_run_without_any_secret_is_a_usage_error(reference):
    cp = conformance("run", "--target", reference.base)
    assert cp.returncode == 2, output_of(cp)
    assert "AFI_SECRET" in cp.stderr or "--secret" in cp.stderr, cp.stderr


# --- exit 0 and the closing line ---------------------------------------------------------------


def test_whole_suite_passes_against_the_reference_server(reference_run):
    cp = reference_run.cp
    assert cp.returncode == 0, output_of(cp)[-4000:]
    report = reference_run.need_report()
    m = CLOSING_RE.match(closing_line(cp.stdout))
    assert m, f"closing line is not 'N passed, M failed': {closing_line(cp.stdout)!r}"
    s = report["summary"]
    assert int(m.group(1)) == s["passed"] and int(m.group(2)) == s["failed"] == 0
    assert (m.group(3) is not None) == (s["skipped"] > 0)
    if m.group(3):
        assert int(m.group(3)) == s["skipped"]
    assert s["passed"] > 0


def test_default_run_covers_every_core_fixture_case(reference_run):
    report = reference_run.need_report()
    ran = executed(report)
    core = set()
    for path in sorted(os.listdir(FIXTURES)):
        if path.endswith(".json") and path != "profile-schema.json" \
                and not path.endswith(".schema.json"):
            with open(os.path.join(FIXTURES, path), encoding="utf-8") as f:
                core |= {c["id"] for c in json.load(f)["cases"] if c.get("level") == "core"}
    assert core, "no core fixture case found"
    assert core <= ran, f"core cases not run: {sorted(core - ran)[:20]}"


def test_name_labels_the_report(reference_run):
    assert reference_run.need_report()["implementation"] == "reference"


# --- exit 1 and the failure printout ----------------------------------------------------------


def test_failing_case_exits_1_with_the_closing_counts(failing_run):
    cp = failing_run.cp
    assert cp.returncode == 1, output_of(cp)
    line = closing_line(cp.stdout)
    m = CLOSING_RE.match(line)
    assert m, f"closing line is not 'N passed, M failed': {line!r}"
    # alpha.pass, beta.pass pass; alpha.fail, beta.fail-role fail; alpha.should only warns
    assert (int(m.group(1)), int(m.group(2))) == (2, 2), line
    assert m.group(3) is None, line


def _failure_block(stdout, case_id):
    """The detailed block of a failed case: from the last unindented line naming case_id up to
    the next unindented line (the next block or the summary)."""
    lines = stdout.splitlines()
    starts = [i for i, ln in enumerate(lines) if case_id in ln and not ln[:1].isspace()]
    assert starts, f"{case_id} is not named in the output:\n{stdout}"
    block = [lines[starts[-1]]]
    for ln in lines[starts[-1] + 1:]:
        if ln.strip() and not ln[:1].isspace():
            break
        block.append(ln)
    return block


def _curl_line(block):
    for ln in block:
        i = ln.find("curl ")
        if i >= 0:
            return ln[i:].strip()
    raise AssertionError("no curl line in:\n" + "\n".join(block))


def test_failure_output_names_case_requirement_rule_step_request_diff(failing_run):
    out = failing_run.cp.stdout
    block = "\n".join(_failure_block(out, "beta.fail-role"))
    rule = dict((i, r) for i, _, r in requirement_ids())["CTX-2"]
    assert "CTX-2" in block and rule in block, block
    assert "GET the user bundle as alice" in block or "step 1" in block.lower(), block
    assert "GET" in block and "/context/user" in block, block
    assert '$.data.whoami.role: expected "ADMIN", got "USER"' in block, block


def test_failure_curl_line_reproduces_the_answer(failing_run):
    block = _failure_block(failing_run.cp.stdout, "beta.fail-role")
    curl = _curl_line(block)
    cp = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, (curl, cp.stderr)
    assert re.search(r'"role"\s*:\s*"USER"', cp.stdout), (curl, cp.stdout)
    assert "200" in cp.stdout.splitlines()[0], cp.stdout  # -i: the status line comes first


def test_failure_against_a_wrong_target(wrong_target, tmp_path):
    """A stdlib server that answers every call with 400 bad_request: a valid envelope, the
    wrong code. The printout shows the diff, and its curl line reproduces the answer."""
    case = {"id": "wt.bad-json", "title": "a truncated body is invalid_json",
            "requirements": ["CALL-3"], "level": "core", "tags": [],
            "steps": [{"name": "POST a truncated body",
                       "request": {"method": "POST", "path": "/call/echo",
                                   "headers": {"Content-Type": "application/json"},
                                   "body": "{\"text\": 'it''s"},
                       "expect": {"status": 400, "body": {"error": {"code": "invalid_json"}}}}]}
    suite = write_suite(tmp_path, "wrong", [case], area="CALL")
    cp = conformance("run", "--target", wrong_target.base, "--suite", suite, *SPEC, secret="w" * 40)
    assert cp.returncode == 1, output_of(cp)
    block = _failure_block(cp.stdout, "wt.bad-json")
    text = "\n".join(block)
    rule = dict((i, r) for i, _, r in requirement_ids())["CALL-3"]
    assert "CALL-3" in text and rule in text, text
    assert "POST" in text and "/call/echo" in text, text
    assert '$.error.code: expected "invalid_json", got "bad_request"' in text, text
    curl = _curl_line(block)
    rep = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
    assert "400" in rep.stdout.splitlines()[0] and "bad_request" in rep.stdout, (curl, rep)
    assert CLOSING_RE.match(closing_line(cp.stdout)).groups()[:2] == ("0", "1")


def test_secret_option_is_used_to_mint_tokens(reference, tmp_path):
    case = {"id": "sec.bundle", "title": "alice gets her bundle", "requirements": ["CTX-2"],
            "level": "core", "tags": [],
            "steps": [{"name": "GET /context/user",
                       "request": {"method": "GET", "path": "/context/user", "identity": "alice"},
                       "expect": {"status": 200}}]}
    suite = write_suite(tmp_path, "sec", [case], identities={"alice": {}}, area="CTX")
    good = conformance("run", "--target", reference.base, "--suite", suite, *SPEC,
                       "--secret", reference.secret)
    assert good.returncode == 0, output_of(good)
    bad = conformance("run", "--target", reference.base, "--suite", suite, *SPEC,
                      "--secret", "x" * 40)
    assert bad.returncode == 1, output_of(bad)
    assert "401" in bad.stdout


def test_timeout_ms_fails_a_case_that_gets_no_answer(tmp_path):
    release = threading.Event()
    schema = profile_schema_document()

    def handler(method, path, headers, body):
        if path.startswith("/afi/health"):
            return json_answer(200, {"status": "ok"})
        if path.startswith("/afi/schema"):
            return 200, [("Content-Type", "application/json")], schema
        release.wait(20)
        return json_answer(200, {"result": {"message": "late"}, "invalidate": []})

    t = FakeTarget(handler)
    try:
        case = {"id": "slow.echo", "title": "echo answers", "requirements": ["CALL-1"],
                "level": "core", "tags": [],
                "steps": [{"name": "POST /call/echo",
                           "request": {"method": "POST", "path": "/call/echo",
                                       "json": {"text": "x"}},
                           "expect": {"status": 200}}]}
        suite = write_suite(tmp_path, "slow", [case], area="CALL")
        # 2 s: the same bound applies to the runner's first GET /health, answered by this
        # process; the handler holds its answer for 20 s.
        cp = conformance("run", "--target", t.base, "--suite", suite, *SPEC, "--timeout-ms", "2000",
                         secret="t" * 40)
    finally:
        release.set()
        t.stop()
    assert cp.returncode == 1, output_of(cp)
    assert re.search(r"time(d)? ?out", cp.stdout, re.I), cp.stdout


# --- exit 3: unreachable ------------------------------------------------------------------


def test_closed_port_exits_3_with_a_clear_line():
    port = free_port()
    url = f"http://127.0.0.1:{port}/afi"
    cp = conformance("run", "--target", url, secret="c" * 40)
    assert cp.returncode == 3, output_of(cp)
    text = output_of(cp)
    assert f"127.0.0.1:{port}" in text, text
    assert re.search(r"unreachable|could not connect|cannot connect|connection refused|"
                     r"couldn't connect|failed to connect", text, re.I), text
    assert "passed," not in cp.stdout  # no pretend run


def test_schema_diff_against_a_closed_port_exits_3():
    cp = conformance("schema-diff", "--target", f"http://127.0.0.1:{free_port()}/afi")
    assert cp.returncode == 3, output_of(cp)


def test_spawn_of_a_command_that_dies_exits_3():
    cp = conformance("run", "--spawn", "sh -c 'echo spawned-and-dying >&2; exit 7' {port}",
                     secret="d" * 40, timeout=60)
    assert cp.returncode == 3, output_of(cp)
    text = output_of(cp)
    assert re.search(r"exit(ed)?|died|terminated|stopped", text, re.I), text
    assert "7" in text or "spawned-and-dying" in text, text


def test_spawn_of_the_reference_server_runs_and_passes(tmp_path):
    cp, report = json_report(tmp_path, "spawn", "run", "--spawn",
                             os.path.relpath(SERVER, ROOT) + " --port {port}", secret="p" * 40)
    assert cp.returncode == 0, output_of(cp)[-4000:]
    assert report is not None and report["summary"]["failed"] == 0
    assert report["summary"]["passed"] > 0
    assert CLOSING_RE.match(closing_line(cp.stdout)), cp.stdout[-500:]


# --- selection, shards, levels --------------------------------------------------------------


def _a_glob(ids):
    prefix = sorted(ids)[0].split(".")[0]
    return prefix + ".*"


def test_only_and_skip_select_by_glob(reference, reference_run, tmp_path):
    full = executed(reference_run.need_report())
    glob = _a_glob(full)
    want = {i for i in full if fnmatch.fnmatchcase(i, glob)}
    assert 0 < len(want) < len(full)
    cp, rep = json_report(tmp_path, "only", "run", "--target", reference.base, "--only", glob,
                          secret=reference.secret)
    assert cp.returncode == 0 and rep, output_of(cp)
    assert executed(rep) == want
    cp, rep = json_report(tmp_path, "skip", "run", "--target", reference.base, "--skip", glob,
                          secret=reference.secret)
    assert cp.returncode == 0 and rep, output_of(cp)
    assert executed(rep) == full - want


def test_shards_are_disjoint_and_cover_the_run(reference, reference_run, tmp_path):
    full = executed(reference_run.need_report())
    shards = []
    for k in (1, 2, 3):
        cp, rep = json_report(tmp_path, f"shard{k}", "run", "--target", reference.base,
                              "--shard", f"{k}/3", "--jobs", str(k), secret=reference.secret)
        assert cp.returncode == 0 and rep, output_of(cp)
        assert rep.get("shard") == f"{k}/3", rep.get("shard")
        assert rep["summary"]["total"] == len(report_case_ids(rep))
        shards.append(executed(rep))
    for a in range(3):
        for b in range(a + 1, 3):
            assert not shards[a] & shards[b], f"shards {a + 1} and {b + 1} share cases"
    assert set().union(*shards) == full
    assert all(shards), "a shard of a large suite is empty"


def test_level_core_leaves_full_cases_out(reference, tmp_path):
    cases = [health_case("lvl.core"), health_case("lvl.full", level="full")]
    suite = write_suite(tmp_path, "lvl", cases)
    cp, core = json_report(tmp_path, "core", "run", "--target", reference.base, "--suite", suite, *SPEC,
                           "--level", "core", secret=reference.secret)
    assert cp.returncode == 0 and core, output_of(cp)
    assert executed(core) == {"lvl.core"}
    cp, full = json_report(tmp_path, "full", "run", "--target", reference.base, "--suite", suite, *SPEC,
                           "--level", "full", secret=reference.secret)
    assert cp.returncode == 0 and full, output_of(cp)
    assert executed(full) == {"lvl.core", "lvl.full"}


def test_skipped_cases_show_in_the_closing_line_when_any(reference, tmp_path):
    cases = [health_case("sk.core"), health_case("sk.full", level="full")]
    suite = write_suite(tmp_path, "sk", cases)
    cp, rep = json_report(tmp_path, "sk", "run", "--target", reference.base, "--suite", suite, *SPEC,
                          "--level", "core", secret=reference.secret)
    assert rep, output_of(cp)
    skipped = rep["summary"]["skipped"]
    m = CLOSING_RE.match(closing_line(cp.stdout))
    assert m, cp.stdout
    assert (m.group(3) is not None) == (skipped > 0), (closing_line(cp.stdout), rep["summary"])
    if skipped:
        assert int(m.group(3)) == skipped


def test_verbose_and_quiet(reference, tmp_path):
    suite = write_suite(tmp_path, "vq", [health_case("vq.one"), health_case("vq.two")])
    base = ["run", "--target", reference.base, "--suite", suite, *SPEC]
    v = conformance(*base, "-v", secret=reference.secret)
    d = conformance(*base, secret=reference.secret)
    q = conformance(*base, "-q", secret=reference.secret)
    for cp in (v, d, q):
        assert cp.returncode == 0, output_of(cp)
        assert closing_line(cp.stdout) == "2 passed, 0 failed", cp.stdout
    # -v: a line per case; -q: only failures and the closing line
    for cid in ("vq.one", "vq.two"):
        assert sum(cid in ln for ln in v.stdout.splitlines()) == 1, v.stdout
    assert [ln for ln in q.stdout.splitlines() if ln.strip()] == ["2 passed, 0 failed"], q.stdout
    assert len(q.stdout) <= len(d.stdout) <= len(v.stdout)


# --- expected failures ----------------------------------------------------------------------


@pytest.fixture
def xf_suite(tmp_path):
    return write_suite(tmp_path, "xf", [health_case("xf.pass"),
                                        health_case("xf.fail", "broken")])


def _xf_run(reference, tmp_path, suite, lines):
    xf = tmp_path / "expected-failures.txt"
    xf.write_text("# known problems\n\n" + "\n".join(lines) + "\n")
    return json_report(tmp_path, "xf", "run", "--target", reference.base, "--suite", suite, *SPEC,
                       "--expected-failures", str(xf), secret=reference.secret)


def test_expected_failure_that_fails_exits_0(reference, tmp_path, xf_suite):
    cp, rep = _xf_run(reference, tmp_path, xf_suite, ["xf.fail  # tracked upstream"])
    assert cp.returncode == 0, output_of(cp)
    assert report_case_ids(rep) == {"xf.pass": "passed", "xf.fail": "xfail"}
    assert rep["summary"]["expected_failures"] == 1 and rep["summary"]["failed"] == 0


def test_expected_failure_that_passes_exits_1(reference, tmp_path, xf_suite):
    cp, rep = _xf_run(reference, tmp_path, xf_suite, ["xf.*"])
    assert cp.returncode == 1, output_of(cp)
    assert report_case_ids(rep) == {"xf.pass": "xpass", "xf.fail": "xfail"}
    assert rep["summary"]["unexpected_passes"] == 1
    assert "xf.pass" in cp.stdout


# --- fixture errors: exit 2, naming the file and the JSON path ----------------------------------

BROKEN_CASES = {
    "cases-not-array": ["$.cases"],
    "status-string": ["$.cases[0].steps[0].expect.status"],
    "unknown-matcher": ["$.cases[0].steps[0].expect.body.status", "$frobnicate"],
    "mixed-matcher": ["$.cases[0].steps[0].expect.body"],
    "missing-steps": ["$.cases[0]", "steps"],
    "missing-requirements": ["$.cases[0]", "requirements"],
    "unknown-requirement": ["$.cases[0].requirements[0]", "ENV-99"],
    "duplicate-ids": ["$.cases[1].id", "b-duplicate-ids.ok.health"],
    "two-bodies": ["$.cases[0].steps[0].request"],
    "unknown-identity": ["$.cases[0].steps[0].request.identity", "ghost"],
    "bad-case-id": ["$.cases[0].id", "Bad ID"],
    "bad-level": ["$.cases[0].level", "medium"],
    "empty-requirements": ["$.cases[0].requirements"],
    "empty-steps": ["$.cases[0].steps"],
    "bad-hostile": ["$.identities.eve.hostile", "sideways"],
    "bad-regex": ["$.cases[0].steps[0].expect.body.status"],
    "repeat-too-big": ["$.cases[0].steps[0].request.repeat"],
    "method-number": ["$.cases[1].steps[1].request.method"],
    "unknown-key": ["$.cases[0].titel"],
    "two-problems": ["$.cases[0].level", "$.cases[1].steps[0].expect.status"],
}


def test_every_broken_file_has_an_expectation():
    assert sorted([*BROKEN_CASES, "invalid-json"]) == \
        sorted(n[:-5] for n in os.listdir(BROKEN) if n.endswith(".json"))


def test_validate_accepts_the_valid_harness_suite():
    cp = conformance("validate", *SPEC, VALID)
    assert cp.returncode == 0, output_of(cp)


def test_validate_accepts_the_repository_fixtures():
    files = [os.path.join(FIXTURES, n) for n in sorted(os.listdir(FIXTURES))
             if n.endswith(".json") and n != "profile-schema.json"
             and not n.endswith(".schema.json")]
    assert files, "fixtures/ holds no suite"
    cp = conformance("validate", *files)
    assert cp.returncode == 0, output_of(cp)


def test_every_suite_path_is_loaded_none_dropped(tmp_path):
    with open(VALID, encoding="utf-8") as f:
        base = json.load(f)
    paths = []
    for i in range(100):
        suite = json.loads(json.dumps(base))
        suite["suite"] = f"copy-{i}"
        for case in suite["cases"]:
            case["id"] = f"c{i}.{case['id']}"
        path = tmp_path / f"copy-{i}.json"
        path.write_text(json.dumps(suite), encoding="utf-8")
        paths.append(str(path))
    cp = conformance("validate", *SPEC, *paths)
    assert cp.returncode == 0, output_of(cp)
    assert f"100 suites, {100 * len(base['cases'])} cases: valid" in cp.stdout, output_of(cp)


def test_too_many_reports_is_a_usage_error_not_silently_dropped(tmp_path):
    reports = [a for i in range(33) for a in ("--report", f"json:{tmp_path}/r{i}.json")]
    cp = conformance("run", "--target", "http://127.0.0.1:9/afi", *reports)
    assert cp.returncode == 2, output_of(cp)
    assert "more than 32 --report options" in output_of(cp)


@pytest.mark.parametrize("name", sorted(BROKEN_CASES))
def test_validate_names_file_and_json_path(name):
    path = os.path.join(BROKEN, name + ".json")
    cp = conformance("validate", *SPEC, path)
    assert cp.returncode == 2, output_of(cp)
    text = output_of(cp)
    assert name + ".json" in text, f"the message does not name the file:\n{text}"
    for needle in BROKEN_CASES[name]:
        assert needle in text, f"the message does not contain {needle!r}:\n{text}"


def test_validate_invalid_json_names_file_and_position():
    cp = conformance("validate", *SPEC, os.path.join(BROKEN, "invalid-json.json"))
    assert cp.returncode == 2, output_of(cp)
    text = output_of(cp)
    assert "invalid-json.json" in text, text
    # where: a line, a line:column or a byte offset
    assert re.search(r"\b(line|byte|offset|column) \d+|invalid-json\.json:\d+", text), text


@pytest.mark.parametrize("name", ["unknown-matcher", "invalid-json"])
def test_run_with_a_broken_suite_exits_2_before_any_request(name, wrong_target):
    cp = conformance("run", "--target", wrong_target.base, *SPEC, "--suite",
                     os.path.join(BROKEN, name + ".json"), secret="b" * 40)
    assert cp.returncode == 2, output_of(cp)
    assert name + ".json" in output_of(cp)
    assert "passed," not in cp.stdout


def test_duplicate_case_ids_across_files(tmp_path):
    a = write_suite(tmp_path, "dup-a", [health_case("same.id")])
    b = write_suite(tmp_path, "dup-b", [health_case("same.id")])
    cp = conformance("validate", *SPEC, a, b)
    assert cp.returncode == 2, output_of(cp)
    text = output_of(cp)
    assert "same.id" in text and ("dup-a.json" in text or "dup-b.json" in text), text


# --- list, coverage, schema-diff, matrix ---------------------------------------------------------


def test_list_names_every_fixture_case():
    ids = fixture_case_ids()
    assert ids, "fixtures/ holds no case"
    cp = conformance("list")
    assert cp.returncode == 0, output_of(cp)
    missing = [i for i in ids if i not in cp.stdout]
    assert not missing, f"`conformance list` misses {missing[:20]}"


def test_list_of_a_given_suite(tmp_path):
    suite = write_suite(tmp_path, "lst", [health_case("lst.one"), health_case("lst.two")])
    cp = conformance("list", *SPEC, "--suite", suite)
    assert cp.returncode == 0, output_of(cp)
    listed = [ln.split()[0] for ln in cp.stdout.splitlines() if ln.strip()]
    assert "lst.one" in listed and "lst.two" in listed, cp.stdout
    line = next(ln for ln in cp.stdout.splitlines() if ln.startswith("lst.one"))
    for word in ("core", "must", "HLT-1", "health answers ok"):  # id, level, grade, reqs, title
        assert word in line, line
    assert not set(fixture_case_ids()) & set(listed)


def test_coverage_of_the_repository_fixtures_is_complete():
    cp = conformance("coverage")
    assert cp.returncode == 0, output_of(cp)
    n = len(requirement_ids())
    assert re.search(rf"\b{n} of {n}\b", cp.stdout), cp.stdout
    for rid, _, _ in requirement_ids():
        assert not re.search(rf"\b{rid}\b", cp.stdout), f"{rid} reported without a case"


def test_coverage_of_fixtures_missing_an_id_fails(tmp_path):
    fx = tmp_path / "fixtures"
    fx.mkdir()
    write_suite(fx, "only-health", [health_case("cov.health")])
    cp = conformance("coverage", *SPEC, "--suite", str(fx))
    assert cp.returncode not in (0,), output_of(cp)
    assert cp.returncode == 1, f"expected exit 1 for a coverage gap:\n{output_of(cp)}"
    out = output_of(cp)
    for rid, _, _ in requirement_ids():
        if rid != "HLT-1":
            assert re.search(rf"\b{rid}\b", out), f"{rid} is not reported as uncovered:\n{out}"


def test_schema_diff_of_the_reference_server_is_empty(reference):
    cp = conformance("schema-diff", "--target", reference.base)
    assert cp.returncode == 0, output_of(cp)


def test_schema_diff_names_a_difference(tmp_path):
    doc = json.loads(profile_schema_document())
    doc["paths"]["/call/echo"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]["properties"]["text"]["maxLength"] = 999
    body = json.dumps(doc).encode()

    def handler(method, path, headers, b):
        if path.startswith("/afi/schema"):
            return 200, [("Content-Type", "application/json")], body
        return json_answer(200, {"status": "ok"})

    t = FakeTarget(handler)
    try:
        cp = conformance("schema-diff", "--target", t.base)
    finally:
        t.stop()
    assert cp.returncode == 1, output_of(cp)
    assert "echo" in cp.stdout and "maxLength" in cp.stdout, cp.stdout
    assert "999" in cp.stdout and "1000" in cp.stdout, cp.stdout


def test_matrix_puts_implementations_side_by_side(reference_run, failing_run, tmp_path):
    out = tmp_path / "matrix.html"
    cp = conformance("matrix", reference_run.paths["json"], failing_run.paths["json"],
                     "--html", str(out))
    assert cp.returncode == 0, output_of(cp)
    html = out.read_text()
    assert "reference" in html and "failing-demo" in html
    assert "HLT-1" in html and "CTX-2" in html


def test_matrix_refuses_a_file_that_is_not_a_report(tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"format": "something-else"}')
    cp = conformance("matrix", str(bogus), "--html", str(tmp_path / "m.html"))
    assert cp.returncode == 2, output_of(cp)
    assert "bogus.json" in cp.stderr, cp.stderr


# --- the checks the runner adds to every step (docs/fixtures.md) ---------------------------------


def _rw_case(cid, name, status, tags=()):
    return {"id": cid, "title": f"{name} answers {status}", "requirements": ["CALL-1"],
            "level": "core", "tags": list(tags),
            "steps": [{"name": f"POST /call/{name}",
                       "request": {"method": "POST", "path": f"/call/{name}", "json": {}},
                       "expect": {"status": status}}]}


def test_run_wide_checks_name_their_own_requirement(tmp_path):
    """Every case's own expectation (the status) holds; each answer breaks one run-wide rule."""
    schema = profile_schema_document()
    broken_health = threading.Event()

    def handler(method, path, headers, body):
        p = path.split("?")[0]
        if p == "/afi/health":
            if broken_health.is_set():
                return json_answer(503, {"error": {"code": "internal_error", "message": "down",
                                                   "details": None}})
            return json_answer(200, {"status": "ok"})
        if p == "/afi/schema":
            return 200, [("Content-Type", "application/json")], schema
        if p == "/afi/call/echo":  # the result violates the target's own exported schema
            return json_answer(200, {"result": {"message": 5}, "invalidate": []})
        if p == "/afi/call/site_info":  # invalidate unsorted
            return json_answer(200, {"result": {"name": "x", "afi_version": "1"},
                                     "invalidate": ["function:b", "function:a"]})
        if p == "/afi/call/whoami":  # no WWW-Authenticate
            return json_answer(401, {"error": {"code": "unauthenticated", "message": "who?",
                                               "details": None}})
        if p == "/afi/call/add":  # not the envelope
            return 404, [("Content-Type", "text/html")], b"<h1>not here</h1>"
        if p == "/afi/call/fail":  # a code of another status
            return json_answer(500, {"error": {"code": "not_found", "message": "x",
                                               "details": None}})
        if p == "/afi/call/sleep":  # fine, but /health dies afterwards
            broken_health.set()
            return json_answer(200, {"result": {"slept": 0}, "invalidate": []})
        return json_answer(404, {"error": {"code": "not_found", "message": "x", "details": None}})

    t = FakeTarget(handler)
    try:
        suite = write_suite(tmp_path, "rw", [
            _rw_case("rw.schema", "echo", 200), _rw_case("rw.sorted", "site_info", 200),
            _rw_case("rw.www", "whoami", 401),
            _rw_case("rw.envelope", "add", 404), _rw_case("rw.pairing", "fail", 500),
            _rw_case("rw.rob", "sleep", 200, tags=["robustness"])], area="CALL")
        cp, rep = json_report(tmp_path, "rw", "run", "--target", t.base, "--suite", suite, *SPEC,
                              "--jobs", "1", secret="r" * 40)
    finally:
        t.stop()
    assert cp.returncode == 1 and rep, output_of(cp)
    reqs = {c["id"]: {f["requirement"] for f in c["failures"]}
            for s in rep["suites"] for c in s["cases"]}
    assert "SCH-3" in reqs["rw.schema"], reqs
    assert "CALL-5" in reqs["rw.sorted"], reqs
    assert "ENV-7" in reqs["rw.www"], reqs
    assert "ENV-1" in reqs["rw.envelope"], reqs
    assert "ENV-2" in reqs["rw.pairing"], reqs
    assert "ROB-1" in reqs["rw.rob"], reqs
    schema_msgs = [f["message"] for s in rep["suites"] for c in s["cases"] if c["id"] == "rw.schema"
                   for f in c["failures"] if f["requirement"] == "SCH-3"]
    assert any("echo" in m and "type" in m for m in schema_msgs), schema_msgs
    block = "\n".join(_failure_block(cp.stdout, "rw.schema"))
    assert "SCH-3" in block and "echo" in block, block


def test_help_subcommand_form():
    cp = conformance("help", "run")
    assert cp.returncode == 0 and "--target" in cp.stdout, output_of(cp)


def test_report_creates_missing_directories(reference, tmp_path):
    suite = write_suite(tmp_path, "dirs", [health_case("dirs.one")])
    out = tmp_path / "a" / "b" / "r.json"
    cp = conformance("run", "--target", reference.base, "--suite", suite, *SPEC,
                     "--report", f"json:{out}", secret=reference.secret)
    assert cp.returncode == 0, output_of(cp)
    assert json.loads(out.read_text())["summary"]["passed"] == 1


def test_validate_a_directory_reports_every_broken_file():
    cp = conformance("validate", *SPEC, BROKEN)
    assert cp.returncode == 2, output_of(cp)
    text = output_of(cp)
    missing = [n for n in os.listdir(BROKEN) if n.endswith(".json") and n not in text]
    assert not missing, f"validate of the directory does not report {missing}:\n{text}"


def test_validate_the_fixtures_directory():
    cp = conformance("validate", FIXTURES)
    assert cp.returncode == 0, output_of(cp)


def test_matrix_markdown(reference_run, failing_run, tmp_path):
    md = tmp_path / "matrix.md"
    cp = conformance("matrix", reference_run.paths["json"], failing_run.paths["json"],
                     "--md", str(md))
    assert cp.returncode == 0, output_of(cp)
    text = md.read_text()
    header = next(ln for ln in text.splitlines() if ln.startswith("|"))
    assert "reference" in header and "failing-demo" in header, header
    for rid, _, _ in requirement_ids():
        assert re.search(rf"\b{rid}\b", text), f"{rid} has no row"


def test_runner_sends_only_what_the_step_asks(tmp_path):
    """fixtures.md: besides the step's own headers, only Host, Accept: */* and Content-Length;
    a POST without a body carries Content-Length: 0; the first failing step ends the case."""
    seen = []
    schema = profile_schema_document()

    def handler(method, path, headers, body):
        p = path.split("?")[0]
        if p == "/afi/schema":
            return 200, [("Content-Type", "application/json")], schema
        if p == "/afi/health":
            return json_answer(200, {"status": "ok"})
        seen.append((method, p, [(k.lower(), v) for k, v in headers.items()], body))
        return json_answer(200, {"context": "global", "data": {}})

    t = FakeTarget(handler)
    try:
        case = {"id": "hdr.case", "title": "headers", "requirements": ["CTX-2"], "level": "core",
                "steps": [
                    {"name": "plain GET", "request": {"method": "GET", "path": "/context/global",
                                                      "headers": {"X-Probe": "1"}},
                     "expect": {"status": 200}},
                    {"name": "bodiless POST", "request": {"method": "POST", "path": "/context/x"},
                     "expect": {"status": 200, "body": {"context": "nope"}}},
                    {"name": "never sent", "request": {"method": "GET", "path": "/context/never"},
                     "expect": {"status": 200}}]}
        suite = write_suite(tmp_path, "hdr", [case], area="CTX")
        cp = conformance("run", "--target", t.base, "--suite", suite, *SPEC, "--jobs", "1",
                         secret="h" * 40)
    finally:
        t.stop()
    assert cp.returncode == 1, output_of(cp)
    assert [(m, p) for m, p, _, _ in seen] == [("GET", "/afi/context/global"),
                                               ("POST", "/afi/context/x")], seen
    get_names = sorted(k for k, _ in seen[0][2])
    assert get_names == ["accept", "host", "x-probe"], seen[0][2]
    assert dict(seen[0][2])["accept"] == "*/*"
    post = dict(seen[1][2])
    assert sorted(post) == ["accept", "content-length", "host"], seen[1][2]
    assert post["content-length"] == "0" and seen[1][3] == b""


def test_runner_compares_numbers_and_keys_strictly(tmp_path):
    """Answers are parsed strictly: 1.0 is not 1, 2^53 + 1 is not 2^53, duplicate keys are not
    JSON. A control case with an exact answer passes."""
    answers = {"/afi/context/float": b'{"n":1.0}', "/afi/context/big": b'{"n":9007199254740993}',
               "/afi/context/dup": b'{"n":1,"n":1}', "/afi/context/exact": b'{"n":1}'}

    def handler(method, path, headers, body):
        p = path.split("?")[0]
        if p == "/afi/health":
            return json_answer(200, {"status": "ok"})
        if p in answers:
            return 200, [("Content-Type", "application/json")], answers[p]
        return 200, [("Content-Type", "application/json")], profile_schema_document()

    def case(cid, name, n):
        return {"id": cid, "title": name, "requirements": ["CTX-2"], "level": "core",
                "steps": [{"name": "GET", "request": {"method": "GET", "path": "/context/" + name},
                           "expect": {"status": 200, "body": {"n": n}}}]}

    t = FakeTarget(handler)
    try:
        suite = write_suite(tmp_path, "strict", [
            case("strict.float", "float", 1), case("strict.big", "big", 9007199254740992),
            case("strict.dup", "dup", 1), case("strict.exact", "exact", 1)], area="CTX")
        cp, rep = json_report(tmp_path, "strict", "run", "--target", t.base, "--suite", suite,
                              *SPEC, secret="n" * 40)
    finally:
        t.stop()
    assert rep, output_of(cp)
    assert report_case_ids(rep) == {"strict.float": "failed", "strict.big": "failed",
                                    "strict.dup": "failed", "strict.exact": "passed"}, \
        output_of(cp)


def test_a_suite_outside_fixtures_finds_the_spec_by_default(reference, tmp_path):
    """Ambiguity: `--spec` defaults to <fixtures>/../docs/protocol.md. A user who adds one suite
    file of their own (`--suite /tmp/extra.json`) expects the tool's own protocol.md to be
    found, as the default fixtures are ($AFI_FIXTURES, <exe>/../fixtures, ./fixtures)."""
    suite = write_suite(tmp_path, "extra", [health_case("extra.health")])
    cp = conformance("run", "--target", reference.base, "--suite", suite,
                     secret=reference.secret)
    assert cp.returncode == 0, output_of(cp)


@pytest.mark.parametrize("url", ["not-a-url", "ftp://127.0.0.1/afi", "http://"])
def test_a_malformed_target_url_is_a_usage_error(url):
    """Ambiguity: README's exit 3 is for a target that cannot be reached; a --target that is
    not an http(s) URL at all is the user's mistake, which a demanding user expects as exit 2."""
    cp = conformance("run", "--target", url, secret="u" * 40)
    assert cp.returncode == 2, output_of(cp)
    assert url in cp.stderr, cp.stderr


def test_target_with_a_trailing_slash(reference, tmp_path):
    suite = write_suite(tmp_path, "slash", [health_case("slash.health")])
    cp = conformance("run", "--target", reference.base + "/", "--suite", suite, *SPEC,
                     secret=reference.secret)
    assert cp.returncode == 0, output_of(cp)


def test_matrix_names_repeated_implementations_apart(reference_run, tmp_path):
    copy = tmp_path / "again.json"
    shutil.copy(reference_run.paths["json"], copy)
    out = tmp_path / "m.html"
    cp = conformance("matrix", reference_run.paths["json"], str(copy), "--html", str(out))
    assert cp.returncode == 0, output_of(cp)
    assert "again.json" in out.read_text()


def test_matrix_refuses_a_file_that_is_not_json(tmp_path):
    bogus = tmp_path / "notjson.json"
    bogus.write_text("{ this is not json")
    cp = conformance("matrix", str(bogus), "--html", str(tmp_path / "m.html"))
    assert cp.returncode == 2, output_of(cp)
    assert "notjson.json" in cp.stderr and "JSON" in cp.stderr, cp.stderr
    assert not (tmp_path / "m.html").exists()


# --- the tokens the runner mints (docs/fixtures.md, Identities and tokens) -----------------------

IDENTITIES = {
    "plain": {"role": "WRITER"}, "norole": {"role": None}, "nojti": {"jti": False},
    "twin": {"same_sub_as": "plain"}, "short": {"ttl": 30},
    "custom": {"claims": {"aud": "x", "exp": 1.5e9}, "omit": ["iat"]},
    **{k: {"hostile": k} for k in (
        "expired", "expired_now", "not_yet_valid", "bad_signature", "alg_none", "alg_hs384",
        "alg_hs512", "malformed", "garbage_base64", "missing_sub", "missing_exp", "unknown_role",
        "oversized", "fractional_exp")},
}


def _b64json(part):
    import base64
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@pytest.fixture(scope="module")
def minted(tmp_path_factory):
    """{identity: token} as the runner sent them, one step per identity."""
    seen = {}

    def handler(method, path, headers, body):
        p = path.split("?")[0]
        if p == "/afi/health":
            return json_answer(200, {"status": "ok"})
        if p.startswith("/afi/context/"):
            auth = headers.get("Authorization") or ""
            seen[p.rsplit("/", 1)[1]] = auth[len("Bearer "):] if auth.startswith("Bearer ") \
                else None
            return json_answer(200, {"context": "x", "data": {}})
        return 200, [("Content-Type", "application/json")], profile_schema_document()

    case = {"id": "tok.all", "title": "every identity once", "requirements": ["AUTH-2"],
            "level": "core",
            "steps": [{"name": name, "request": {"method": "GET", "path": "/context/" + name,
                                                 "identity": name},
                       "expect": {"status": 200}} for name in IDENTITIES]}
    d = tmp_path_factory.mktemp("tokens")
    suite = write_suite(d, "tok", [case], identities=IDENTITIES, area="AUTH")
    t = FakeTarget(handler)
    try:
        secret = "m" * 40
        cp = conformance("run", "--target", t.base, "--suite", suite, *SPEC, secret=secret)
    finally:
        t.stop()
    assert cp.returncode == 0, output_of(cp)
    assert set(seen) == set(IDENTITIES), sorted(set(IDENTITIES) - set(seen))
    return secret, seen


def test_minted_regular_tokens(minted):
    import jwt
    secret, tok = minted
    opts = {"verify_exp": False, "verify_aud": False}
    claims = {k: jwt.decode(tok[k], secret, algorithms=["HS256"], options=opts)
              for k in ("plain", "norole", "nojti", "twin", "short", "custom")}
    plain = claims["plain"]
    m = re.fullmatch(r"r([a-z0-9]{8})\.(\d+)\.plain", plain["sub"])
    assert m, plain
    run, index = m.groups()
    assert plain["jti"] == f"j{run}.{index}.plain"
    assert plain["role"] == "WRITER" and plain["exp"] - plain["iat"] == 600
    assert isinstance(plain["iat"], int) and abs(plain["iat"] - time.time()) < 300
    assert "role" not in claims["norole"] and claims["norole"]["sub"].endswith(".norole")
    assert "jti" not in claims["nojti"]
    assert claims["twin"]["sub"] == plain["sub"] and claims["twin"]["jti"] != plain["jti"]
    assert claims["short"]["exp"] - claims["short"]["iat"] == 30
    c = claims["custom"]
    assert c["aud"] == "x" and c["exp"] == 1.5e9 and "iat" not in c


def test_minted_hostile_tokens(minted):
    import jwt
    secret, tok = minted
    opts = {"verify_exp": False, "verify_nbf": False}

    def payload(name, alg="HS256"):
        return jwt.decode(tok[name], secret, algorithms=[alg], options=opts)

    e = payload("expired")
    assert e["exp"] - e["iat"] == -60
    e = payload("expired_now")
    assert e["exp"] == e["iat"]
    e = payload("not_yet_valid")
    assert e["nbf"] - e["iat"] == 60
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tok["bad_signature"], secret, algorithms=["HS256"], options=opts)
    h, p, sig = tok["alg_none"].split(".")
    assert _b64json(h)["alg"] == "none" and sig == "" and "sub" in _b64json(p)
    assert jwt.get_unverified_header(tok["alg_hs384"])["alg"] == "HS384"
    payload("alg_hs384", "HS384")
    assert jwt.get_unverified_header(tok["alg_hs512"])["alg"] == "HS512"
    payload("alg_hs512", "HS512")
    assert tok["malformed"] == "not-a-jwt.token"
    parts = tok["garbage_base64"].split(".")
    assert len(parts) == 3 and re.fullmatch(r"[A-Za-z0-9_-]+", parts[0])
    with pytest.raises(Exception):
        _b64json(parts[0])
    assert "sub" not in payload("missing_sub") and "exp" not in payload("missing_exp")
    assert payload("unknown_role")["role"] == "admin"
    big = payload("oversized")
    assert len(tok["oversized"]) > 8192 and "pad" in big
    f = payload("fractional_exp")
    assert f["exp"] - f["iat"] == 600.5


def test_runner_builds_requests_as_documented(tmp_path):
    """fixtures.md, Request and Captures: auth modes, header removal and repetition, the body
    kinds, captures, substitution (typed and in text) and repeat, seen by a recording target."""
    import base64
    seen = []

    def handler(method, path, headers, body):
        p = path.split("?")[0]
        if p == "/afi/health":
            return json_answer(200, {"status": "ok"})
        if p == "/afi/schema":
            return 200, [("Content-Type", "application/json")], profile_schema_document()
        seen.append({"method": method, "path": p, "headers": headers, "body": body})
        return json_answer(200, {"n": 7}, [("ETag", '"t1"')])

    def step(name, **req):
        req.setdefault("method", "GET")
        req["path"] = req.get("path", "/context/" + name)
        return {"name": name, "request": req, "expect": {"status": 200}}

    steps = [
        step("cookie", identity="alice", auth="cookie"),
        step("both", identity="alice", auth="both", cookie_identity="bob"),
        step("none", identity="alice", auth="none"),
        step("hdrs", headers={"Accept": None, "X-Two": ["a", "b"]}),
        dict(step("json", method="POST", json={"b": [1, 2.5, "é"], "a": {"x": None}}),
             capture={"n": {"body": "$.n"}, "tag": {"header": "ETag"}}),
        step("b64", method="POST", body_b64=base64.b64encode(b"\xff\x00abc").decode()),
        step("parts", method="POST", body_parts=[{"text": "[", "repeat": 3},
                                                 {"b64": base64.b64encode(b"]]]").decode()}]),
        step("subst", method="POST", path="/context/subst/${case}/${run}", identity="alice",
             headers={"X-Sub": "${sub:alice}", "X-Tag": "${tag}"},
             json={"n": "${n}", "s": "n=${n}", "tok": "${token:bob}", "jti": "${jti:alice}"}),
        step("rep", repeat=5, concurrency=2),
    ]
    case = {"id": "req.all", "title": "request building", "requirements": ["AUTH-1"],
            "level": "core", "steps": steps}
    suite = write_suite(tmp_path, "req", [case], identities={"alice": {}, "bob": {}}, area="AUTH")
    t = FakeTarget(handler)
    try:
        cp = conformance("run", "--target", t.base, "--suite", suite, *SPEC, secret="q" * 40)
    finally:
        t.stop()
    assert cp.returncode == 0, output_of(cp)
    by = {}
    for r in seen:
        by.setdefault(r["path"].split("/")[3], []).append(r)

    def hdr(r, name):
        return r["headers"].get_all(name) or []

    cookie = by["cookie"][0]
    assert hdr(cookie, "Authorization") == [] and len(hdr(cookie, "Cookie")) == 1
    alice_tok = hdr(cookie, "Cookie")[0].split("afi_viewer=", 1)[1]
    both = by["both"][0]
    assert hdr(both, "Authorization") == ["Bearer " + alice_tok]
    bob_tok = hdr(both, "Cookie")[0].split("afi_viewer=", 1)[1]
    assert bob_tok != alice_tok
    none = by["none"][0]
    assert hdr(none, "Authorization") == [] and hdr(none, "Cookie") == []
    h = by["hdrs"][0]
    assert hdr(h, "Accept") == [] and hdr(h, "X-Two") == ["a", "b"]
    j = by["json"][0]
    assert j["body"] == '{"b":[1,2.5,"é"],"a":{"x":null}}'.encode()
    assert hdr(j, "Content-Type") == ["application/json"]
    assert by["b64"][0]["body"] == b"\xff\x00abc"
    assert by["parts"][0]["body"] == b"[[[]]]"
    s = by["subst"][0]
    m = re.fullmatch(r"/afi/context/subst/c(\d+)/([a-z0-9]{8})", s["path"])
    assert m, s["path"]
    alice_sub = _b64json(alice_tok.split(".")[1])["sub"]
    assert alice_sub == f"r{m.group(2)}.{m.group(1)}.alice"
    assert hdr(s, "X-Sub") == [alice_sub] and hdr(s, "X-Tag") == ['"t1"']
    assert json.loads(s["body"]) == {"n": 7, "s": "n=7", "tok": bob_tok,
                                     "jti": _b64json(alice_tok.split(".")[1])["jti"]}
    assert len(by["rep"]) == 5


def test_full_level_passes_against_the_reference_server(reference, tmp_path):
    """Without a key the FULL-* cases are skipped, and said to be; every other case passes."""
    cp, rep = json_report(tmp_path, "full", "run", "--target", reference.base, "--level", "full",
                          secret=reference.secret)
    assert cp.returncode == 0 and rep, output_of(cp)[-3000:]
    # one target: the cases tagged cluster (they need two) are skipped; without a key, FULL-*'s
    # (fixtures/full.json and fixtures/jwks.json)
    skipped = {c["id"] for s in rep["suites"] for c in s["cases"] if c["status"] == "skipped"}
    full = {c for c in fixture_case_ids() if c.startswith(("full.", "jwks."))}
    assert rep["level"] == "full" and full and skipped == set(cluster_case_ids()) | full
    assert "FULL-* are skipped; give --private-key" in cp.stderr
    s = rep["summary"]
    assert s["passed"] + s["expected_failures"] == s["total"] - len(skipped)
    assert s["total"] == len(fixture_case_ids())


def test_spawn_with_a_target_template(tmp_path):
    """run --help: with --spawn, the target is http://127.0.0.1:{port}/afi unless --target has
    {port}."""
    cp, rep = json_report(tmp_path, "tpl", "run", "--spawn",
                          os.path.relpath(SERVER, ROOT) + " --port {port} --base /elsewhere",
                          "--target", "http://127.0.0.1:{port}/elsewhere", "--only", "hlt.*",
                          secret="p" * 40)
    assert cp.returncode == 0 and rep, output_of(cp)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/elsewhere", rep["target"]), rep["target"]
    assert rep["summary"]["passed"] > 0


# --- a target that stalls on delayed ACKs --------------------------------------------------

SLOW_SERVER = os.path.join(ROOT, "harness", "bench", "slow_server.py")


@pytest.mark.parametrize("nodelay", [False, True], ids=["nagle", "nodelay"])
def test_a_target_writing_headers_and_body_apart_gets_a_hint(tmp_path, nodelay):
    """An http.server target writing headers and body in two sends without TCP_NODELAY
    stalls each answer on the runner's delayed ACK: the run still passes and its summary
    names the defect in one hint line; the same server with TCP_NODELAY gets none."""
    cases = [{"id": f"slow.echo-{i}", "title": "echo", "requirements": ["CALL-1"], "level": "core",
              "steps": [{"request": {"method": "POST", "path": "/call/echo", "identity": "alice",
                                     "json": {"text": f"hi {i}"}},
                         "expect": {"status": 200, "body": {"result": {"message": f"hi {i}"}}}}]}
             for i in range(12)]
    write_suite(tmp_path, "slow", cases, identities={"alice": {"role": "USER"}}, area="CALL")
    cmd = f"/usr/bin/python3 {SLOW_SERVER} --port {{port}}" + (" --nodelay" if nodelay else "")
    cp = conformance("run", "--spawn", cmd, "--suite", str(tmp_path), *SPEC, "--jobs", "1",
                     secret="s" * 40)
    assert cp.returncode == 0, output_of(cp)
    assert closing_line(cp.stdout) == "12 passed, 0 failed", output_of(cp)
    hints = [ln for ln in cp.stdout.splitlines() if ln.startswith("hint:")]
    if nodelay:
        assert hints == [], output_of(cp)
    else:
        assert len(hints) == 1, output_of(cp)
        assert "Nagle" in hints[0] and "TCP_NODELAY" in hints[0], hints[0]
