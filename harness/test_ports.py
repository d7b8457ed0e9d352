"""The FastAPI port (harness/ports/fastapi) passes the whole conformance suite, the framing
cases included (its transport checks every request as the reference's gate does)."""
import json
import os

from conftest import RUNNER, cluster_case_ids, fixture_case_ids, need_binary, \
    run_conformance


def test_fastapi_port_passes_the_whole_suite(fastapi_port, tmp_path):
    need_binary(RUNNER)
    report_path = os.path.join(str(tmp_path), "fastapi.json")
    cp = run_conformance("run", "--target", fastapi_port.base, "--name", "fastapi",
                         "--jobs", "2", "--level", "full", "--report", "json:" + report_path,
                         secret=fastapi_port.secret)
    assert os.path.exists(report_path), f"no report (exit {cp.returncode}): {cp.stderr[-2000:]}"
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    bad = []
    for suite in report["suites"]:
        for case in suite["cases"]:
            # one target: the cases tagged cluster are skipped (test_cluster.py runs them);
            # without a key the FULL-* cases are (harness/test_full_level.py, test_jwks.py run them)
            if case["status"] != "passed" and case["id"] not in cluster_case_ids() and \
                    not (case["status"] == "skipped" and case["id"].startswith(("full.", "jwks."))):
                first = (case.get("failures") or [{}])[0]
                bad.append(f"{case['id']} [{case['status']}] {first.get('requirement', '')}: "
                           f"{first.get('message', '')}")
    s = report["summary"]
    assert not bad, f"{len(bad)} of {s['total']} cases do not pass against the FastAPI port:\n" \
        + "\n".join(bad[:40])
    assert cp.returncode == 0, cp.stdout[-2000:] + cp.stderr[-2000:]
    full = [c for c in fixture_case_ids() if c.startswith(("full.", "jwks."))]
    assert s["total"] > 0
    assert s["passed"] == s["total"] - len(cluster_case_ids()) - len(full) \
        == s["total"] - s["skipped"]
