"""Runs the whole suite against the reference server and the FastAPI port and writes the
side-by-side matrix:

    /usr/bin/python3 harness/mutants/matrix.py [--out reports/examples] [--runs build/matrix]
                                               [--level core|full]

writes the two JSON reports RUNS/ref.json and RUNS/fastapi.json (build/ is not committed),
then OUT/matrix.html and OUT/matrix.md with
`build/conformance matrix RUNS/ref.json RUNS/fastapi.json --html ... --md ...`.
The level defaults to full: every case of the suite.
Exits 0 when the matrix was written, 1 when a run did not complete or the matrix failed.
"""
import argparse
import os
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mutants import runs  # noqa: E402


def run_one(name, start, out, level):
    secret = secrets.token_hex(24)
    target = start(secret)
    try:
        path = os.path.join(out, name + ".json")
        extra = ["--level", level]
        rc, report, text = runs.run_suite(target.url, secret, path, name, extra=extra)
    finally:
        target.stop()
    if report is None or rc not in (0, 1):
        print(f"matrix: the run against {name} did not complete (exit {rc}):\n{text}",
              file=sys.stderr)
        return None
    s = report["summary"]
    print(f"matrix: {name}: {s['passed']} passed, {s['failed']} failed of {s['total']}")
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description="reference vs FastAPI port conformance matrix")
    ap.add_argument("--out", default=os.path.join(runs.ROOT, "reports", "examples"))
    ap.add_argument("--runs", default=os.path.join(runs.ROOT, "build", "matrix"))
    ap.add_argument("--level", default="full", help="passed to conformance run --level")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    os.makedirs(a.runs, exist_ok=True)
    ref = run_one("reference", runs.start_reference, a.runs, a.level)
    fast = run_one("fastapi", runs.start_fastapi, a.runs, a.level)
    if ref is None or fast is None:
        return 1
    # Fixed names, so the command line in the docs stays true.
    os.replace(ref, os.path.join(a.runs, "ref.json"))
    os.replace(fast, os.path.join(a.runs, "fastapi.json"))
    def rel(path):  # the page names its inputs: keep the committed example machine-neutral
        return os.path.relpath(os.path.abspath(path), runs.ROOT)
    cp = subprocess.run([runs.RUNNER, "matrix", rel(os.path.join(a.runs, "ref.json")),
                         rel(os.path.join(a.runs, "fastapi.json")),
                         "--html", rel(os.path.join(a.out, "matrix.html")),
                         "--md", rel(os.path.join(a.out, "matrix.md"))],
                        capture_output=True, text=True, cwd=runs.ROOT)
    sys.stdout.write(cp.stdout)
    sys.stderr.write(cp.stderr)
    if cp.returncode != 0:
        print(f"matrix: conformance matrix exited {cp.returncode}", file=sys.stderr)
        return 1
    print(f"matrix: {os.path.join(a.out, 'matrix.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
