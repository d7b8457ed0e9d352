"""The five report formats of docs/reports.md, each opened by the tool it is for: JSON by its
documented shape, JUnit by xml.etree, TAP by its grammar, Markdown by its table, HTML by
headless Chromium. A passing run (the repository's suite against the reference server) and a
run with deliberate failures (two temporary suites) are checked in every format."""
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, RUNNER, fixture_suite_files, output_of, requirement_ids

CHROMIUM = "/usr/bin/chromium"
CASE_STATUSES = {"passed", "failed", "warned", "skipped", "xfail", "xpass"}
REQ_STATUSES = {"passed", "failed", "warned", "untested"}
SUMMARY_KEYS = {"total": "", "passed": "passed", "failed": "failed", "warned": "warned",
                "skipped": "skipped", "expected_failures": "xfail", "unexpected_passes": "xpass"}
HEALTH_DIFF = '$.status: expected "broken", got "ok"'
ROLE_DIFF = '$.data.whoami.role: expected "ADMIN", got "USER"'


@pytest.fixture(params=["reference_run", "failing_run"])
def run(request):
    r = request.getfixturevalue(request.param)
    r.need_report()
    return r


def all_cases(report):
    return [c for s in report["suites"] for c in s["cases"]]


def case_by_id(report, cid):
    return next(c for c in all_cases(report) if c["id"] == cid)


def num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# --- JSON ---------------------------------------------------------------------------------------


def test_json_top_level_shape(run):
    r = run.report
    assert r["format"] == "afi-conformance-report"
    assert r["version"] == 1 and isinstance(r["version"], int)
    assert r["tool"]["name"] == "afi-conformance" and isinstance(r["tool"]["version"], str)
    assert isinstance(r["implementation"], str) and r["implementation"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/afi", r["target"]), r["target"]
    assert r["level"] in ("core", "full")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", r["started_at"]), r["started_at"]
    assert num(r["duration_ms"]) and r["duration_ms"] >= 0
    assert isinstance(r["requirements"], list) and isinstance(r["suites"], list)


def test_json_summary_counts_agree_with_the_cases(run):
    r = run.report
    cases = all_cases(r)
    s = r["summary"]
    assert set(SUMMARY_KEYS) <= set(s), s
    assert all(isinstance(s[k], int) for k in SUMMARY_KEYS), s
    assert s["total"] == len(cases)
    for key, status in SUMMARY_KEYS.items():
        if status:
            assert s[key] == sum(c["status"] == status for c in cases), (key, s)
    assert sum(s[k] for k in SUMMARY_KEYS if k != "total") == s["total"]


def test_json_cases_shape(run):
    ids = []
    for suite in run.report["suites"]:
        assert {"suite", "area", "title", "file", "cases"} <= set(suite), suite.keys()
        assert os.path.basename(suite["file"]) == suite["suite"] + ".json" or \
            suite["file"].endswith(".json"), suite["file"]
        for c in suite["cases"]:
            ids.append(c["id"])
            assert {"id", "title", "requirements", "level", "grade", "tags", "status",
                    "duration_ms", "failures"} <= set(c), c.keys()
            assert c["status"] in CASE_STATUSES, c
            assert c["level"] in ("core", "full") and c["grade"] in ("must", "should"), c
            assert isinstance(c["requirements"], list) and c["requirements"], c
            assert isinstance(c["tags"], list) and num(c["duration_ms"]), c
            assert isinstance(c["failures"], list)
            assert bool(c["failures"]) == (c["status"] in ("failed", "warned", "xfail")), c
    assert len(ids) == len(set(ids)), "a case id appears twice"


def test_json_requirements_match_the_cases(run):
    r = run.report
    doc_ids = {i: (g, rule) for i, g, rule in requirement_ids()}
    by_req = {}
    for c in all_cases(r):
        for rid in c["requirements"]:
            by_req.setdefault(rid, []).append(c)
    listed = {}
    for req in r["requirements"]:
        assert {"id", "grade", "rule", "cases", "status"} <= set(req), req
        assert req["id"] in doc_ids, req["id"]
        assert (req["grade"], req["rule"]) == doc_ids[req["id"]], req
        assert req["status"] in REQ_STATUSES
        listed[req["id"]] = req
        cases = by_req.get(req["id"], [])
        ran = [c for c in cases if c["status"] != "skipped"]
        # the cases that ran are listed; skipped ones may be listed too (reports.md leaves it open)
        assert len(req["cases"]) == len(set(req["cases"])), req["id"]
        assert {c["id"] for c in ran} <= set(req["cases"]) <= {c["id"] for c in cases}, req["id"]
        # reports.md: a case counts against a requirement when it failed (failed, warned, xfail)
        # and lists it or has a failure naming it
        against = [c for c in all_cases(r) if c["status"] in ("failed", "warned", "xfail")
                   and (req["id"] in c["requirements"]
                        or any(f["requirement"] == req["id"] for f in c["failures"]))]
        if any(c["status"] in ("failed", "xfail") and c["grade"] == "must" for c in against):
            assert req["status"] == "failed", req
        elif against:
            assert req["status"] in ("failed", "warned"), req
        elif ran:
            assert req["status"] == "passed", req
        else:
            assert req["status"] == "untested", req
    assert set(by_req) <= set(listed), set(by_req) - set(listed)


def test_json_reference_run_lists_every_requirement(reference_run):
    listed = [q["id"] for q in reference_run.report["requirements"]]
    assert set(listed) == {i for i, _, _ in requirement_ids()}
    suites = {s["suite"] for s in reference_run.report["suites"]}
    assert len(suites) == len(fixture_suite_files())


def test_json_failure_details(failing_run):
    r = failing_run.report
    assert {c["id"]: c["status"] for c in all_cases(r)} == {
        "alpha.pass": "passed", "alpha.fail": "failed", "alpha.should": "warned",
        "beta.pass": "passed", "beta.fail-role": "failed"}
    f = case_by_id(r, "beta.fail-role")["failures"][0]
    assert {"step", "step_name", "requirement", "rule", "message", "diffs", "request",
            "response", "curl"} <= set(f), f.keys()
    assert f["step"] == 1 and f["step_name"] == "GET the user bundle as alice"
    assert f["requirement"] == "CTX-2"
    assert f["rule"] == dict((i, rule) for i, _, rule in requirement_ids())["CTX-2"]
    assert ROLE_DIFF in f["message"]
    assert {"path": "$.data.whoami.role", "expected": '"ADMIN"', "actual": '"USER"'} in f["diffs"]
    req = f["request"]
    assert req["method"] == "GET" and req["path"] == "/context/user"
    assert req["url"] == r["target"] + "/context/user"
    assert req["identity"] == "alice"
    assert isinstance(req["headers"], dict) and req["body"] is None
    resp = f["response"]
    assert resp["status"] == 200 and isinstance(resp["headers"], dict)
    assert json.loads(resp["body"])["data"]["whoami"]["role"] == "USER"
    assert f["curl"].startswith("curl ") and "/context/user" in f["curl"]
    statuses = {q["id"]: q["status"] for q in r["requirements"]}
    assert statuses["CTX-2"] == "failed" and statuses["HLT-1"] == "failed"


# --- JUnit --------------------------------------------------------------------------------------


def junit_suites(run):
    root = ET.parse(run.paths["junit"]).getroot()
    if root.tag == "testsuite":
        return [root]
    assert root.tag == "testsuites", root.tag
    return root.findall("testsuite")


def test_junit_one_testsuite_per_suite_one_testcase_per_case(run):
    suites = junit_suites(run)
    rep = {s["suite"]: s for s in run.report["suites"]}
    assert sorted(s.get("name") for s in suites) == sorted(rep)
    for ts in suites:
        cases = ts.findall("testcase")
        want = [c["id"] for c in rep[ts.get("name")]["cases"]]
        names = [tc.get("name") or "" for tc in cases]
        assert len(cases) == len(want), ts.get("name")
        for cid in want:
            assert sum(n.split(" ")[0] == cid for n in names) == 1, (cid, names)
        assert all(tc.get("classname") == ts.get("name") for tc in cases)
        assert int(ts.get("tests")) == len(cases)
        assert int(ts.get("failures", 0)) == len(ts.findall("testcase/failure"))


def test_junit_failures_carry_their_text(failing_run):
    suites = {ts.get("name"): ts for ts in junit_suites(failing_run)}
    for suite, cid, diff in (("alpha", "alpha.fail", HEALTH_DIFF),
                             ("beta", "beta.fail-role", ROLE_DIFF)):
        tc = next(t for t in suites[suite].findall("testcase") if cid in t.get("name"))
        fail = tc.find("failure")
        assert fail is not None, cid
        assert fail.get("type") == cid.split(".")[0].replace("alpha", "HLT-1").replace(
            "beta", "CTX-2"), fail.attrib
        text = (fail.text or "") + (fail.get("message") or "")
        assert diff in text, text
        assert "curl " in text, text
    passed = next(t for t in suites["alpha"].findall("testcase") if "alpha.pass" in t.get("name"))
    assert passed.find("failure") is None and passed.find("error") is None


# --- TAP ---------------------------------------------------------------------------------------

POINT = re.compile(r"^(not ok|ok) (\d+)\b(.*)$")


def tap_points(text):
    lines = text.splitlines()
    assert lines[0] == "TAP version 13", lines[:2]
    plans = [ln for ln in lines if re.fullmatch(r"1\.\.\d+", ln)]
    assert len(plans) == 1, plans
    points = [(i, POINT.match(ln)) for i, ln in enumerate(lines) if POINT.match(ln)]
    return lines, int(plans[0][3:]), points


def test_tap_version_plan_and_one_point_per_case(run):
    lines, plan, points = tap_points(run.text("tap"))
    cases = all_cases(run.report)
    assert plan == len(cases) == len(points)
    assert [int(m.group(2)) for _, m in points] == list(range(1, plan + 1))
    # reports.md: `ok N - <case id> <title>`
    point_ids = [m.group(3).split()[1] if m.group(3).startswith(" - ") else "" for _, m in points]
    assert sorted(point_ids) == sorted(c["id"] for c in cases)
    by_id = {c["id"]: c for c in cases}
    for (_, m), cid in zip(points, point_ids):
        c = by_id[cid]
        if c["status"] == "failed":
            assert m.group(1) == "not ok", m.group(0)
        elif c["status"] == "passed":
            assert m.group(1) == "ok", m.group(0)
        elif c["status"] == "skipped":
            assert "# SKIP" in m.group(0).upper(), m.group(0)
        elif c["status"] in ("warned", "xfail"):  # not counted as failures by TAP consumers
            assert "# TODO" in m.group(0), m.group(0)


def test_tap_failure_has_a_yaml_block(failing_run):
    lines, _, points = tap_points(failing_run.text("tap"))
    i, m = next((i, m) for i, m in points if "beta.fail-role" in m.group(3))
    assert m.group(1) == "not ok"
    block = []
    assert lines[i + 1].strip() == "---", lines[i + 1]
    for ln in lines[i + 2:]:
        if ln.strip() == "...":
            break
        block.append(ln)
    else:
        raise AssertionError("YAML block not closed with ...")
    text = "\n".join(block)
    assert "CTX-2" in text and "ADMIN" in text and "USER" in text, text


# --- Markdown ------------------------------------------------------------------------------------


def test_md_counts_line_and_table(run):
    text = run.text("md")
    s = run.report["summary"]
    assert re.search(rf"\b{s['passed']} passed\b", text), text[:800]
    assert re.search(rf"\b{s['failed']} failed\b", text), text[:800]
    rows = [ln for ln in text.splitlines() if ln.strip().startswith("|")]
    assert any(re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", ln.strip()) for ln in rows), \
        "no table separator row"
    assert len(rows) >= 3


def test_md_names_the_failures(failing_run):
    text = failing_run.text("md")
    for cid, needle in (("alpha.fail", "broken"), ("beta.fail-role", "ADMIN")):
        assert cid in text and needle in text, cid
    assert "CTX-2" in text and "HLT-1" in text


# --- HTML ---------------------------------------------------------------------------------------


def test_html_is_self_contained(run):
    html = run.text("html")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)\s*=\s*["']?(https?:)?//""",
                         html, re.I), "the page loads something from the network"
    assert "<script" not in html.lower(), "reports.md: no script"


def png_colours(path, rows=240):
    """{(r, g, b): count} over every 4th pixel of the first `rows` rows of an 8-bit RGB or RGBA
    PNG (a stdlib decoder, filters 0-4; the page's header and summary are at its top)."""
    import collections
    import struct
    import zlib
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    i, idat = 8, b""
    while i < len(data):
        n, kind = struct.unpack(">I", data[i:i + 4])[0], data[i + 4:i + 8]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", data[i + 8:i + 18])
        elif kind == b"IDAT":
            idat += data[i + 8:i + 8 + n]
        i += 12 + n
    assert depth == 8 and ctype in (2, 6), (depth, ctype)
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, counts, pos = bytearray(stride), collections.Counter(), 0
    for _ in range(min(h, rows)):
        f, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        counts.update(bytes(line[x:x + 3]) for x in range(0, stride, bpp * 4))  # every 4th pixel
        prev = line
    return counts


def chromium(url, tmp_path, *mode):
    profile = tmp_path / "chromium-profile"
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", "--window-size=1280,1600", *mode, url]
    return subprocess.run(argv, capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason="/usr/bin/chromium is not installed")
@pytest.mark.parametrize("which", ["reference_run", "failing_run"])
def test_html_renders_in_headless_chromium(request, which, tmp_path):
    run = request.getfixturevalue(which)
    report = run.need_report()
    url = "file://" + os.path.abspath(run.paths["html"])
    png = tmp_path / "r.png"
    shot = chromium(url, tmp_path, f"--screenshot={png}")
    assert png.exists() and png.stat().st_size > 5000, output_of(shot)[-2000:]
    colours = png_colours(png)
    background = colours.most_common(1)[0][1] / sum(colours.values())
    assert len(colours) >= 8 and background < 0.97, \
        f"the screenshot looks blank: {len(colours)} colours, background {background:.1%}"
    dom = chromium(url, tmp_path, "--dump-dom")
    assert dom.returncode == 0, output_of(dom)[-2000:]
    page = dom.stdout
    assert "<table" in page.lower()
    s = report["summary"]
    text = re.sub(r"<[^>]+>", " ", page)
    text = re.sub(r"\s+", " ", text)
    assert re.search(rf"\b{s['passed']}\b", text) and "passed" in text.lower()
    for q in report["requirements"]:
        assert q["id"] in text, f"{q['id']} missing from the rendered per-requirement table"
    if which == "failing_run":
        assert "beta.fail-role" in text and "alpha.fail" in text
        unescaped = text.replace("&quot;", '"').replace("&#34;", '"')
        assert ROLE_DIFF in unescaped, "the failure's diff is not in the rendered page"
        assert "<details" in page.lower(), "failures are not expandable <details>"


# --- a target's hostile text in the reports -------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A failing run whose answers carry control characters, invalid UTF-8, markup and a
    10 KiB body: every format must still open in its tool (reports.md, What each format shows)."""
    from conftest import (FakeTarget, PROTOCOL_MD, json_answer, profile_schema_document,
                          run_with_reports, write_suite)
    long_text = "x" * 1000
    big = b'{"blob":"' + b"b" * 10240 + b'"}'
    nasty = b'{"t":"bell\x07 esc\x1b <script>alert(1)</script> ]]> & \xff\xfe end"}'
    answers = {"/afi/context/nasty": nasty, "/afi/context/big": big,
               "/afi/context/long": json.dumps({"t": long_text}).encode()}

    def handler(method, path, headers, body):
        p = path.split("?")[0]
        if p == "/afi/health":
            return json_answer(200, {"status": "ok"})
        if p in answers:
            return 200, [("Content-Type", "application/json"), ("X-Ctl", "a\x01b")], answers[p]
        return 200, [("Content-Type", "application/json")], profile_schema_document()

    def case(cid, name, expect):
        return {"id": cid, "title": f"{name} <b>&amp;</b>", "requirements": ["CTX-2"],
                "level": "core", "steps": [{"name": "GET " + name, "request": {
                    "method": "GET", "path": "/context/" + name}, "expect": expect}]}

    suites = tmp_path_factory.mktemp("hostile-suites")
    suite = write_suite(suites, "hostile", [
        case("hostile.nasty", "nasty", {"status": 200, "body_text": "clean"}),
        case("hostile.big", "big", {"status": 201}),
        case("hostile.long", "long", {"status": 200, "body": {"t": "short"}})], area="CTX")
    t = FakeTarget(handler)

    class T:  # what run_with_reports needs
        base, secret = t.base, "h" * 40
    try:
        run = run_with_reports(tmp_path_factory.mktemp("hostile-run"), T, "--spec", PROTOCOL_MD,
                               "--suite", suite, name="hostile")
        env = {k: v for k, v in os.environ.items() if k != "AFI_SECRET"}
        raw = subprocess.run([RUNNER, "run", "--target", t.base, "--spec", PROTOCOL_MD,
                              "--suite", suite, "--secret", T.secret],
                             capture_output=True, timeout=120, cwd=ROOT, env=env)
        run.raw_terminal = raw.stdout + raw.stderr
    finally:
        t.stop()
    run.need_report()
    return run


def test_hostile_text_keeps_every_format_openable(hostile_run):
    assert hostile_run.cp.returncode == 1, output_of(hostile_run.cp)
    assert {c["id"]: c["status"] for c in all_cases(hostile_run.report)} == {
        "hostile.nasty": "failed", "hostile.big": "failed", "hostile.long": "failed"}
    ET.parse(hostile_run.paths["junit"])  # XML 1.0 forbids raw control characters
    for fmt in ("junit", "md", "tap", "html"):
        raw = open(hostile_run.paths[fmt], "rb").read()
        text = raw.decode("utf-8")  # valid UTF-8: invalid bytes became U+FFFD
        assert "\x07" not in text and "\x1b" not in text and "\x01" not in text, fmt
    html = hostile_run.text("html")
    assert "<script>alert(1)</script>" not in html and "<script" not in html.lower()
    assert "<b>&amp;</b>" not in html  # a fixture's title is text, not markup
    tap_lines, plan, points = tap_points(hostile_run.text("tap"))
    assert plan == len(points) == 3


def test_long_texts_are_truncated_as_documented(hostile_run):
    r = hostile_run.report
    big = case_by_id(r, "hostile.big")["failures"][0]["response"]["body"]
    assert len(big.encode()) < 4096 + 100 and big.startswith('{"blob":"bbb')
    assert re.search(r"…\s*\(\d+ bytes in all\)\s*$", big) and "10251 bytes" in big, big[-80:]
    long = case_by_id(r, "hostile.long")["failures"][0]
    d = next(d for d in long["diffs"] if d["path"] == "$.t")
    assert d["expected"] == '"short"'
    assert len(d["actual"]) <= 201 and d["actual"].endswith("…"), d["actual"][-20:]
    nasty = case_by_id(r, "hostile.nasty")["failures"][0]["response"]["body"]
    assert "\ufffd" in nasty, nasty


def test_terminal_output_escapes_a_targets_control_characters(hostile_run):
    """A target's bytes reach the terminal escaped as in the reports (reports.md: control
    characters become \\u00XX, invalid UTF-8 becomes U+FFFD): a hostile target must not be able
    to send escape sequences to the user's terminal."""
    out = hostile_run.raw_terminal
    assert b"hostile.nasty" in out
    assert b"\x1b" not in out and b"\x07" not in out and b"\x01" not in out, \
        [ln for ln in out.splitlines() if b"\x1b" in ln or b"\x07" in ln][:3]
    out.decode("utf-8")  # raises on the target's raw 0xff 0xfe
