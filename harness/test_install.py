"""`make install`: the installed runner finds its fixtures and protocol.md by itself and
checks the installed reference server from an unrelated directory; both print versions."""
import json
import os
import subprocess

import pytest

from conftest import BUILD, CLOSING_RE, ROOT, closing_line, fixture_case_ids

VERSION = open(os.path.join(ROOT, "VERSION")).read().strip()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """DESTDIR staging of PREFIX=/usr/local: the layout a porter's CI gets."""
    dest = tmp_path_factory.mktemp("destdir")
    cp = subprocess.run(["make", "-s", "-C", ROOT, "install", f"DESTDIR={dest}", "PREFIX=/usr/local",
                         f"BUILDROOT={BUILD}"], capture_output=True, text=True, timeout=600)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    return dest / "usr" / "local"


def test_install_lays_out_programs_fixtures_and_spec(installed):
    for prog in ("conformance", "reference-server"):
        assert os.access(installed / "bin" / prog, os.X_OK), prog
    share = installed / "share" / "afi"
    suites = sorted(p.name for p in (share / "fixtures").glob("*.json"))
    assert suites == sorted(p for p in os.listdir(os.path.join(ROOT, "fixtures")) if p.endswith(".json"))
    assert (share / "docs" / "protocol.md").read_bytes() == \
        open(os.path.join(ROOT, "docs", "protocol.md"), "rb").read()


@pytest.mark.parametrize("prog", ["conformance", "reference-server"])
def test_version_names_tool_and_protocol(installed, prog):
    cp = subprocess.run([str(installed / "bin" / prog), "--version"], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == f"{prog} {VERSION} (AFI protocol 1)\n"


def test_installed_runner_checks_installed_reference_from_elsewhere(installed, tmp_path):
    """No --suite, no --spec, no AFI_FIXTURES, a cwd without fixtures/: everything is found
    beside the installed executable, and the whole core suite passes."""
    env = {k: v for k, v in os.environ.items() if k != "AFI_FIXTURES"}
    env["AFI_SECRET"] = "s" * 40
    listed = subprocess.run([str(installed / "bin" / "conformance"), "list"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert f"{len(fixture_case_ids())} cases" in listed.stdout
    report = tmp_path / "r.json"
    cp = subprocess.run([str(installed / "bin" / "conformance"), "run", "-q",
                         "--spawn", f"{installed / 'bin' / 'reference-server'} --port {{port}}",
                         "--report", f"json:{report}"],
                        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    m = CLOSING_RE.match(closing_line(cp.stdout))
    assert m and int(m.group(2)) == 0 and int(m.group(1)) > 400, cp.stdout[-2000:]
    doc = json.loads(report.read_text())
    assert doc["tool"] == {"name": "afi-conformance", "version": VERSION, "afi_version": "1"}
    assert doc["summary"]["failed"] == 0
