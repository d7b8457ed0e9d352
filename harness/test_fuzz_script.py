"""scripts/fuzz.sh, the fuzz stage of `make check`, driven with stand-in targets that behave
as libFuzzer does: a clean target gives its one summary line and exit 0; a crashed one exits
1 with libFuzzer's seed and the crashing input itself in base64, so a failure seen only in
CI's output can be replayed byte for byte."""
import base64
import os
import re
import stat
import subprocess

from conftest import ROOT

FUZZ_SH = os.path.join(ROOT, "scripts", "fuzz.sh")
# Bytes a shell would mangle: NUL, CR LF, invalid UTF-8, no final newline.
INPUT = b"POST /afi/call/echo HTTP/1.1\r\n\x00\xff\xfe{\"text\":\"<html\"}"

STAND_IN = r"""#!/usr/bin/python3
import sys
prefix = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("-artifact_prefix="))
print("INFO: Seed: 4242")
print("#2\tINITED cov: 10 ft: 12 corp: 1/5b exec/s: 0 rss: 30Mb")
if CRASH:
    path = prefix + "crash-0123abcd"
    with open(path, "wb") as f:
        f.write(INPUT)
    print("==7==ERROR: AddressSanitizer: heap-buffer-overflow")
    print(f"artifact_prefix='{prefix}'; Test unit written to {path}")
    sys.exit(1)
print("#900\tDONE   cov: 11 ft: 13 corp: 2/9b exec/s: 300 rss: 31Mb")
print("stat::number_of_executed_units: 900")
"""


def _run(tmp_path, crash):
    target = tmp_path / "stand_in"
    target.write_text(STAND_IN.replace("CRASH", repr(crash)).replace("INPUT", repr(INPUT)))
    target.chmod(target.stat().st_mode | stat.S_IXUSR)
    return subprocess.run([FUZZ_SH, str(tmp_path), "1", "stand_in"], capture_output=True,
                          text=True, timeout=60)


def test_a_clean_target_gives_its_summary_line(tmp_path):
    cp = _run(tmp_path, crash=False)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "fuzz: stand_in: 900 executions in 1s, cov 11, ft 13, corpus 2/9b\n"


def test_a_crash_prints_the_seed_and_the_input_to_replay(tmp_path):
    cp = _run(tmp_path, crash=True)
    assert cp.returncode == 1 and cp.stdout == "", (cp.stdout, cp.stderr)
    err = cp.stderr
    assert "fuzz: stand_in FAILED (exit 1)" in err and "INFO: Seed: 4242" in err, err
    assert "AddressSanitizer: heap-buffer-overflow" in err, "the log's tail"
    m = re.search(r"to replay: base64 -d >input <<'EOF' && (\S+) input\n(.*?)\nEOF\n", err, re.S)
    assert m, err
    assert m.group(1) == os.path.join(str(tmp_path), "stand_in")
    assert base64.b64decode(m.group(2)) == INPUT
