"""Differential run of two fixture directories over every mutant: the same verdict per case?

    /usr/bin/python3 harness/mutants/differential.py OLD_FIXTURES NEW_FIXTURES [--only NAME]...

Both directories run (`--level full`) against every target of the mutation self-test: the
proxy mutants of catalogue.py (the identity `none` and the equivalent variants included) in
front of the reference server, and the FastAPI port unfaulted and with each of its faults.
Each run gets a fresh target, so the two directories meet the same state. Per target it
prints every case whose verdict (passed, failed, warned, skipped, ...) differs between the
two directories, or that one directory has and the other lacks. A difference counts only
when it comes out the same in each of --attempts runs of that target's two suites (default
3): a case whose verdict under that mutant depends on timing (a race with the cases running
at the same time) is reported as unstable, not as a difference. Exit 0 when no difference
counts, 1 when one does, 2 when a run did not complete. Binaries from $AFI_BUILD (or
build/), as for the self-test; AFI_DIFF_WORKERS (default 4) suite runs go at once.
"""
import argparse
import concurrent.futures
import os
import secrets
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mutants import catalogue, runs  # noqa: E402
from mutants.port_faults import PORT_FAULTS  # noqa: E402

SPEC = os.path.join(runs.ROOT, "docs", "protocol.md")
# As in the self-test: the case that sleeps 5 s runs only against mutants of its rule.
SLOW_CASES = {"prof.sleep-max": ("PROF-1",)}


def targets():
    """(kind, name, rule) of every target: proxy mutants, then the port and its faults."""
    out = [("proxy", n, m.rule) for n, m in catalogue.MUTANTS.items()]
    out.append(("fastapi", None, "-"))
    out += [("fastapi", n, fault[0]) for n, fault in PORT_FAULTS.items()]  # (rule, desc, ...)
    return out


def label(kind, name):
    return name if kind == "proxy" else f"fastapi-{name or 'unfaulted'}"


def options(fixtures, rule):
    skips = [c for c, rules in SLOW_CASES.items() if rule not in rules]
    return ("--level", "full", "--suite", fixtures, "--spec", SPEC,
            *(a for c in skips for a in ("--skip", c)))


def verdicts(report):
    return {c["id"]: c.get("status") for c in runs.cases(report)}


def start(target):
    """A fresh target: (url, secret, processes to stop). Nothing a run leaves behind (a key
    written, a jti revoked, a wedged mutant) can reach the other directory's run."""
    kind, name, _ = target
    secret = secrets.token_hex(24)
    if kind == "fastapi":
        port = runs.start_fastapi(secret, fault=name)
        return port.url, secret, [port]
    ref = runs.start_reference(secret)
    try:
        proxy = runs.start_proxy(ref.url, secret)
    except Exception:
        ref.stop()
        raise
    return f"{proxy.url}/m/{name}/afi", secret, [proxy, ref]


def run_pair(target, dirs, workdir, attempt):
    """Both suites, each against its own fresh instance of the target; returns
    ({case: (old, new)} differing, error)."""
    kind, name, rule = target
    tag = f"{label(kind, name)}.{attempt}"
    got = []
    for side, fixtures in zip(("old", "new"), dirs):
        procs = []
        try:
            url, secret, procs = start(target)
            path = os.path.join(workdir, f"{tag}.{side}.json")
            rc, report, out = runs.run_suite(url, secret, path, f"{tag}.{side}",
                                             extra=options(fixtures, rule))
        except Exception as e:  # a target that does not start is an error of that target only
            return None, f"{side}: {type(e).__name__}: {e}"
        finally:
            for p in procs:
                p.stop()
        if report is None or rc not in (0, 1):
            return None, f"{side} run did not complete (exit {rc}): {out.strip()[-600:]}"
        got.append(verdicts(report))
    old, new = got
    return {c: (old.get(c, "(absent)"), new.get(c, "(absent)"))
            for c in sorted(set(old) | set(new)) if old.get(c) != new.get(c)}, None


def steady(history):
    """A case's (old, new) verdicts over the attempts differ the same way every time."""
    return None not in history and len(set(history)) == 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", help="the first fixtures directory")
    ap.add_argument("new", help="the second fixtures directory")
    ap.add_argument("--only", action="append", default=[],
                    help="run only this target (a catalogue name or fastapi-FAULT; repeatable)")
    ap.add_argument("--attempts", type=int, default=3,
                    help="runs of a target before a difference counts (default 3)")
    a = ap.parse_args(argv)
    dirs = (os.path.abspath(a.old), os.path.abspath(a.new))
    for d in dirs:
        if not os.path.isdir(d):
            ap.error(f"{d} is not a directory")
    todo = [t for t in targets() if not a.only or label(t[0], t[1]) in a.only]
    if not todo:
        ap.error("no target matches --only")
    workers = int(os.environ.get("AFI_DIFF_WORKERS", "4"))
    differing, errors, unstable = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="afi-differential-") as workdir, \
            concurrent.futures.ThreadPoolExecutor(workers) as pool:
        first = {t: pool.submit(run_pair, t, dirs, workdir, 1) for t in todo}
        seen = {}  # target -> case -> [(old, new) of each attempt]
        for t, f in first.items():
            diff, err = f.result()
            if err:
                errors[t] = err
            elif diff:
                seen[t] = {c: [v] for c, v in diff.items()}
        for attempt in range(2, a.attempts + 1):
            # Rerun every target that still has a case differing the same way each time.
            live = {t: pool.submit(run_pair, t, dirs, workdir, attempt)
                    for t, cs in seen.items() if t not in errors and any(steady(h) for h in cs.values())}
            for t, f in live.items():
                diff, err = f.result()
                if err:
                    errors[t] = err
                    continue
                for c, h in seen[t].items():
                    h.append(diff.get(c))
        for t, cs in seen.items():
            if t in errors:
                continue
            confirmed = {c: h[0] for c, h in cs.items() if steady(h)}
            if confirmed:
                differing[t] = confirmed
            if len(confirmed) < len(cs):
                unstable[t] = sorted(set(cs) - set(confirmed))
    for t in todo:
        name = label(t[0], t[1])
        for c, (old, new) in differing.get(t, {}).items():
            print(f"{name}: {c}: {old} with {a.old}, {new} with {a.new}")
        if t in unstable:
            print(f"{name}: unstable (differed once, not again): {', '.join(unstable[t])}")
        if t in errors:
            print(f"{name}: error: {errors[t]}")
    ncases = sum(len(v) for v in differing.values())
    print(f"{len(todo)} targets: {len(differing)} with differing verdicts ({ncases} cases), "
          f"{len(unstable)} unstable, {len(errors)} errors")
    if errors:
        return 2
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
