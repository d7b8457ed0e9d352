"""Running the conformance suite against mutants, and scoring and reporting the result.

Used by harness/test_selftest.py (the suite's mutation self-test) and
harness/mutants/matrix.py. Every target runs with its own secret; the runner gets it
through AFI_SECRET. The binaries come from build/ (or $AFI_BUILD, as for scripts/run-suite.sh).
"""
import json
import os
import subprocess
import tempfile
import threading
import time

from children import stop_child, wait_health

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.dirname(HERE)
ROOT = os.path.dirname(HARNESS)
BIN = os.path.join(ROOT, os.environ.get("AFI_BUILD", "build"))  # as scripts/run-suite.sh and conftest.py
RUNNER = os.path.join(BIN, "conformance")
SERVER = os.path.join(BIN, "reference-server")
PYTHON = "/usr/bin/python3"
PROXY = os.path.join(HERE, "proxy.py")
FASTAPI_SERVE = os.path.join(HARNESS, "ports", "fastapi", "serve.py")
FAULT_SERVE = os.path.join(HERE, "port_fault_serve.py")  # the port with a fault patched in
KILLING_STATUSES = ("failed", "warned")


class Process:
    """A child that prints `listening on URL` first; url is what it printed."""

    def __init__(self, argv, env_extra=None, timeout=20.0, suffix="", health=True):
        env = dict(os.environ, **(env_extra or {}))
        self.log = tempfile.NamedTemporaryFile(prefix="afi-selftest-", suffix=suffix + ".log",
                                               delete=False)
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True)
        self.url = None
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening on "):
                self.url = line[len("listening on "):].strip()
                break
            if not line and self.proc.poll() is not None:
                break
        if self.url is None:
            self.stop()
            raise RuntimeError(f"{' '.join(argv)} did not start: {self.log_text()}")
        threading.Thread(target=self._drain, daemon=True).start()
        if health:
            self._wait_health(deadline)

    def _drain(self):
        try:
            for _ in self.proc.stdout:
                pass
        except (OSError, ValueError):
            pass

    def _wait_health(self, deadline):
        try:
            wait_health(self.url, timeout=max(deadline - time.monotonic(), 0.1), proc=self.proc)
        except RuntimeError as e:
            self.stop()
            raise RuntimeError(f"{e}; {self.log_text()}") from None

    def log_text(self, limit=4000):
        """The child's stderr so far (its last limit characters; None: all of it)."""
        try:
            with open(self.log.name, encoding="utf-8", errors="replace") as f:
                text = f.read()
                return text if limit is None else text[-limit:]
        except OSError:
            return ""

    def stop(self):
        stop_child(self.proc)
        self.log.close()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


def start_reference(secret):
    return Process([SERVER, "--port", "0"], {"AFI_SECRET": secret}, suffix="-reference")


def start_fastapi(secret, fault=None):
    """The FastAPI port; with fault (a name of port_faults.py), with that one rule broken."""
    if fault:
        return Process([PYTHON, FAULT_SERVE, "--port", "0"],
                       {"AFI_SECRET": secret, "AFI_FAULT": fault}, suffix="-fastapi")
    return Process([PYTHON, FASTAPI_SERVE, "--port", "0"], {"AFI_SECRET": secret},
                   suffix="-fastapi")


def start_proxy(upstream_base, secret):
    """The mutating proxy in front of upstream_base; its url is http://127.0.0.1:PORT."""
    return Process([PYTHON, PROXY, "--upstream", upstream_base], {"AFI_SECRET": secret},
                   suffix="-proxy", health=False)


def run_suite(target, secret, report_path, name, jobs=2, extra=(), timeout=240):
    """Runs the whole suite against target; returns (exit code, JSON report or None, output)."""
    env = dict(os.environ, AFI_SECRET=secret)
    argv = [RUNNER, "run", "--target", target, "--name", name, "--jobs", str(jobs),
            "--report", "json:" + report_path, *extra]
    try:
        cp = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout,
                            cwd=ROOT)
    except subprocess.TimeoutExpired as e:
        return None, None, f"timed out after {timeout}s: {e.stdout or ''}{e.stderr or ''}"
    report = None
    if os.path.exists(report_path):
        try:
            with open(report_path, encoding="utf-8") as f:
                report = json.load(f)
        except ValueError:
            report = None
    return cp.returncode, report, cp.stdout[-3000:] + cp.stderr[-3000:]


def cases(report):
    for s in report.get("suites", []):
        for c in s.get("cases", []):
            yield c


def failing_cases(report):
    return [c["id"] for c in cases(report) if c.get("status") in KILLING_STATUSES]


def killers(report, rule, control_passed=None):
    """Case ids that fail with the mutant's rule: a failure's requirement or the case's
    requirements name it. With control_passed (ids that passed unmutated), only those count."""
    out = []
    for c in cases(report):
        if c.get("status") not in KILLING_STATUSES:
            continue
        if control_passed is not None and c["id"] not in control_passed:
            continue
        reqs = set(c.get("requirements") or [])
        reqs.update(f.get("requirement") for f in c.get("failures") or [])
        if rule in reqs:
            out.append(c["id"])
    return out


def passed_cases(report):
    return {c["id"] for c in cases(report) if c.get("status") == "passed"}


def write_reports(results, control, md_path, json_path, wall_seconds, selection_note=""):
    """Writes the mutation score: results is a list of dicts (see test_selftest.py);
    kind "equivalent" entries are conformant variants that must pass, not mutants."""
    equivalents = [r for r in results if r["kind"] == "equivalent"]
    results = [r for r in results if r["kind"] != "equivalent"]
    killed = [r for r in results if r["killed"]]
    doc = {"format": "afi-mutation-report", "version": 1,
           "score": {"killed": len(killed), "total": len(results),
                     "ratio": round(len(killed) / len(results), 4) if results else None},
           "wall_seconds": round(wall_seconds, 1),
           "control": control,
           "note": selection_note,
           "mutants": results,
           "equivalents": equivalents}
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    lines = ["# Mutation score of the conformance suite", ""]
    if results:
        lines.append(f"**{len(killed)}/{len(results)} mutants killed** "
                     f"({100 * len(killed) / len(results):.1f} %); self-test wall time "
                     f"{wall_seconds:.0f} s.")
    else:
        lines.append("No mutant was run.")
    lines.append("")
    if selection_note:
        lines += [selection_note, ""]
    cs = control.get("summary") or {}
    lines += [f"Control run (the identity proxy `none` in front of the reference server): "
              f"{cs.get('passed', '?')} passed, {cs.get('failed', '?')} failed, "
              f"{cs.get('skipped', '?')} skipped of {cs.get('total', '?')} cases.", ""]
    if control.get("unrepeatable"):
        lines += ["Cases that pass the first control run but fail the second against the same "
                  "server (not repeatable; never counted as killers): "
                  + ", ".join(f"`{c}`" for c in control["unrepeatable"]) + ".", ""]
    lines += [
              "A mutant is killed when at least one case fails (or warns) whose "
              "`requirements` or failure `requirement` names the mutant's rule and that "
              "passes against the unmutated target. Proxy mutants are served by "
              "`harness/mutants/proxy.py` in front of the reference server; `fastapi-*` are "
              "faults patched into the FastAPI port (`harness/mutants/port_faults.py`).", ""]
    survivors = [r for r in results if not r["killed"]]
    if survivors:
        lines += ["## Surviving mutants", ""]
        for r in survivors:
            why = r.get("error") or (f"{len(r['failed'])} cases failed, none naming {r['rule']}"
                                     if r["failed"] else "no case failed")
            lines.append(f"- `{r['name']}` ({r['kind']}, {r['rule']}): {r['desc']} — {why}")
        lines.append("")
    if equivalents:
        bad = [r for r in equivalents if r["rejected_by"] or r.get("error")]
        lines += ["## Equivalent variants (must pass)", "",
                  f"{len(equivalents) - len(bad)}/{len(equivalents)} conformant variants pass "
                  "the whole suite.", "", "| variant | change | result |", "|---|---|---|"]
        for r in equivalents:
            res = r.get("error") or (
                ("rejected by " + ", ".join(f"`{c}`" for c in r["rejected_by"][:4]))
                if r["rejected_by"] else "passes")
            lines.append(f"| `{r['name']}` | {r['desc']} | {res} |")
        lines.append("")
    lines += ["## Mutants", "", "| mutant | via | rule | what it breaks | killed by |",
              "|---|---|---|---|---|"]
    for r in results:
        ks = r["killers"]
        shown = ", ".join(f"`{k}`" for k in ks[:4]) + (f" (+{len(ks) - 4})" if len(ks) > 4 else "")
        lines.append(f"| `{r['name']}` | {r['kind']} | {r['rule']} | {r['desc']} | "
                     f"{shown if ks else '**survived**'} |")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
