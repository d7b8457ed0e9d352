"""Every Python module the harness and the FastAPI port load comes from a Debian package that
scripts/deps.sh's build and test groups install (directly or as a dependency), so a package
someone installed by hand, or only `make bench` installs, cannot keep `make check` green."""
import os
import subprocess

from conftest import PYTHON, ROOT

HARNESS = os.path.join(ROOT, "harness")
PORT = os.path.join(HARNESS, "ports", "fastapi")

# What `make check` imports: the harness's modules, the port's package, and what the port's
# serve.py selects at run time (uvicorn's httptools protocol; uvloop with --fast).
LOADER = r"""
import importlib, os, pkgutil, sys
startup = set(sys.modules)  # site's own hooks (.pth files), loaded before any of ours
harness, port = sys.argv[1], sys.argv[2]
sys.path[:0] = [harness, port]
import children, conftest, mutants
for m in pkgutil.iter_modules(mutants.__path__):
    importlib.import_module("mutants." + m.name)
import afi_fastapi
for m in pkgutil.iter_modules(afi_fastapi.__path__):
    importlib.import_module("afi_fastapi." + m.name)
import uvicorn.protocols.http.httptools_impl, uvicorn.protocols.http.h11_impl, uvloop
for name, mod in list(sys.modules.items()):
    f = None if name in startup else getattr(mod, "__file__", None)
    if f and f.startswith("/usr/"):
        print(os.path.realpath(f))
"""


def deps_packages(*groups):
    out = subprocess.run([os.path.join(ROOT, "scripts", "deps.sh"), "--list", *groups],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def installed_graph():
    """Package -> the installed packages it depends on (alternatives and provides included)."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Provides}\t${Depends}, ${Pre-Depends}\n"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines() if line.count("\t") == 2]
    names = {pkg for pkg, _, _ in rows}
    providers = {}
    for pkg, provides, _ in rows:
        for p in filter(None, (x.strip().split(" ")[0] for x in provides.split(","))):
            providers.setdefault(p, set()).add(pkg)
    graph = {}
    for pkg, _, depends in rows:
        deps = set()
        for alt in filter(None, (d.strip() for d in depends.split(","))):
            for choice in alt.split("|"):
                name = choice.strip().split(" ")[0].split(":")[0]
                deps |= ({name} & names) | providers.get(name, set())
        graph[pkg] = deps
    return graph


def closure(roots, graph):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(graph.get(p, ()))
    return seen


def test_every_loaded_module_is_installed_by_the_build_and_test_groups():
    cp = subprocess.run([PYTHON, "-c", LOADER, HARNESS, PORT], capture_output=True, text=True, cwd=HARNESS,
                        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert cp.returncode == 0, "importing the harness and the port failed:\n" + cp.stderr[-3000:]
    files = sorted(set(cp.stdout.split()))
    assert any("httptools" in f for f in files), "the loader did not reach uvicorn's httptools protocol"
    owners = subprocess.run(["dpkg", "-S", *files], capture_output=True, text=True).stdout
    owned = {}
    for line in owners.splitlines():
        pkgs, _, path = line.partition(": ")
        for p in pkgs.split(", "):
            owned.setdefault(path, set()).add(p.split(":")[0])
    allowed = closure(deps_packages("build", "test"), installed_graph())
    missing = {}
    for f in files:
        pkgs = owned.get(f)
        if pkgs is None:
            missing.setdefault("(no Debian package)", []).append(f)
        elif not pkgs & allowed:
            missing.setdefault(", ".join(sorted(pkgs)), []).append(f)
    assert not missing, "loaded by make check but not installed by scripts/deps.sh build test:\n" + "\n".join(
        f"  {pkg}: {paths[0]}" + (f" (+{len(paths) - 1} more)" if len(paths) > 1 else "")
        for pkg, paths in sorted(missing.items()))


def test_the_closure_follows_dependencies_and_stops_at_them():
    """The check above can fail: a dependency of a listed package counts, a bench-only
    package does not."""
    graph = installed_graph()
    assert "python3-starlette" in closure({"python3-fastapi"}, graph)
    allowed = closure(deps_packages("build", "test"), graph)
    assert "wrk" not in allowed
