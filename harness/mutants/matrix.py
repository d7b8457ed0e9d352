"""Runs the whole suite against the reference server and the FastAPI port and writes the
side-by-side matrix:

    /usr/bin/python3 harness/mutants/matrix.py [--out reports/examples] [--level LEVEL]

writes OUT/ref.json, OUT/fastapi.json (the two JSON reports) and OUT/matrix.html and
OUT/matrix.md (`build/conformance matrix ref.json fastapi.json --html ... --md ...`).
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
        extra = ["--level", level] if level else []
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
    ap.add_argument("--level", default=None, help="passed to conformance run --level")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    ref = run_one("reference", runs.start_reference, a.out, a.level)
    fast = run_one("fastapi", runs.start_fastapi, a.out, a.level)
    if ref is None or fast is None:
        return 1
    # Fixed names, so the committed example's links and the make target stay stable.
    os.replace(ref, os.path.join(a.out, "ref.json"))
    os.replace(fast, os.path.join(a.out, "fastapi.json"))
    cp = subprocess.run([runs.RUNNER, "matrix", os.path.join(a.out, "ref.json"),
                         os.path.join(a.out, "fastapi.json"),
                         "--html", os.path.join(a.out, "matrix.html"),
                         "--md", os.path.join(a.out, "matrix.md")],
                        capture_output=True, text=True)
    sys.stdout.write(cp.stdout)
    sys.stderr.write(cp.stderr)
    if cp.returncode != 0:
        print(f"matrix: conformance matrix exited {cp.returncode}", file=sys.stderr)
        return 1
    print(f"matrix: {os.path.join(a.out, 'matrix.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
