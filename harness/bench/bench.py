#!/usr/bin/python3
"""Runs the AFI benchmarks on this machine and writes reports/bench.md.

Started by scripts/bench.sh (which builds the static baseline and installs newman
first). Every figure is the median of --runs runs with min and max; a component that
is missing or misbehaves gives a "not measured: ..." line, never a figure.
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import resource
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))  # harness/: the shared children module

from children import free_port, wait_health  # noqa: E402 (after the path set-up)

PYTHON = "/usr/bin/python3"
# BENCH_REFERENCE_SERVER lets the bench itself be tried against a stand-in server.
# AFI_BUILD: the build directory (make bench passes its BUILDROOT), build/ by default.
BUILD = os.path.abspath(os.environ.get("AFI_BUILD") or os.path.join(ROOT, "build"))
SERVER = os.environ.get("BENCH_REFERENCE_SERVER") or os.path.join(BUILD, "reference-server")
RUNNER = os.path.join(BUILD, "conformance")
# scripts/bench.sh builds the runner of an earlier commit here (the "before" figures).
BASELINE = os.path.join(BUILD, "bench", "baseline-conformance")
BASELINE_REF = os.path.join(BUILD, "bench", "baseline-ref")
SLOW = os.path.join(HERE, "slow_server.py")
STATIC = os.path.join(BUILD, "bench", "static-server")
FASTAPI = os.path.join(ROOT, "harness", "ports", "fastapi", "serve.py")
FIXTURES = os.path.join(ROOT, "fixtures")
LUA = os.path.join(HERE, "lua")
NEWMAN = os.path.join(HERE, "node_modules", ".bin", "newman")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def planlib_ok():
    try:
        import plan  # noqa: F401
        import pyloop  # noqa: F401
        import collection  # noqa: F401
        return True
    except Exception:
        return False


def rel(path):
    return os.path.relpath(path, ROOT)


def shown_path(a):
    """A command-line word as the report shows it: the build directory as build/ (or
    $AFI_BUILD/ when it lies elsewhere), the repository's own paths relative."""
    if BUILD != os.path.join(ROOT, "build"):
        a = a.replace(BUILD + "/", "$AFI_BUILD/")
    return a.replace(ROOT + "/", "")


# ---------------------------------------------------------------- statistics

class Figure:
    """A measured quantity over several runs: median, min, max (None when unmeasured)."""

    def __init__(self, values):
        self.values = [v for v in values if v is not None]

    @property
    def med(self):
        return statistics.median(self.values) if self.values else None

    @property
    def lo(self):
        return min(self.values) if self.values else None

    @property
    def hi(self):
        return max(self.values) if self.values else None

    def fmt(self, spec="{:,.0f}", unit=""):
        if not self.values:
            return "–"
        m = spec.format(self.med) + unit
        if len(self.values) == 1:
            return m
        return f"{m} ({spec.format(self.lo)}–{spec.format(self.hi)})"


# ---------------------------------------------------------------- processes

def proc_children(pid):
    """Every live descendant of pid (uvicorn workers are children of the master)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        parents.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in parents.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def proc_cpu_ticks(pid):
    """utime + stime of pid, in clock ticks (fields 14 and 15 of /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return 0
    fields = stat[stat.rfind(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def proc_cpu_ns(pid):
    """Nanoseconds on a CPU of every thread of pid (/proc/PID/task/*/schedstat, first
    field): precise where clock ticks are 10 ms each, for short runs."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def proc_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Target:
    """One server under test: started, waited for, measured and stopped."""

    def __init__(self, name, argv, secret, port=None, base_path="/afi", reads_url=False):
        self.name = name
        self.argv = argv
        self.secret = secret
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
        env = dict(os.environ, AFI_SECRET=secret)
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE if reads_url else self.log,
                                     stderr=self.log, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        try:
            if reads_url:
                line = self.proc.stdout.readline().decode(errors="replace").strip()
                if not line.startswith("listening on "):
                    raise RuntimeError(f"{name} printed {line!r} instead of 'listening on URL'")
                self.base = line[len("listening on "):]
            else:
                self.base = f"http://127.0.0.1:{port}{base_path}"
            self.wait_health()
        except Exception:
            self.stop()
            raise
        u = urllib.request.urlparse(self.base)
        self.host, self.port, self.base_path = u.hostname, u.port, u.path

    def wait_health(self, timeout=30.0):
        try:
            wait_health(self.base, timeout=timeout, proc=self.proc)
        except RuntimeError as e:
            raise RuntimeError(f"{self.name}: {e}: {self.log_tail()}") from None

    def log_tail(self):
        try:
            with open(self.log.name, errors="replace") as f:
                return f.read()[-400:].strip() or "(empty log)"
        except OSError:
            return "(no log)"

    def pids(self):
        return [self.proc.pid] + proc_children(self.proc.pid)

    def cpu_ticks(self):
        return sum(proc_cpu_ticks(p) for p in self.pids())

    def cpu_ns(self):
        return sum(proc_cpu_ns(p) for p in self.pids())

    def rss_kb(self):
        return proc_rss_kb(self.proc.pid)

    def call(self, method, path, body=None, token=None, timeout=30):
        """One request on a fresh connection: (status, parsed JSON or None)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            headers = {}
            if token:
                headers["Authorization"] = "Bearer " + token
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, self.base_path + path, body=data, headers=headers)
            r = conn.getresponse()
            raw = r.read()
            try:
                return r.status, json.loads(raw)
            except ValueError:
                return r.status, None
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()
        os.unlink(self.log.name)


# ---------------------------------------------------------------- tokens

def mint(secret, sub, role=None, ttl=7200):
    import jwt  # PyJWT, Debian's python3-jwt
    now = int(time.time())
    claims = {"sub": sub, "exp": now + ttl, "iat": now, "jti": secrets.token_hex(8)}
    if role:
        claims["role"] = role
    return jwt.encode(claims, secret, algorithm="HS256")


# ---------------------------------------------------------------- the bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.runs = args.runs
        self.duration = args.duration
        self.secret = secrets.token_hex(32)
        self.tmp = tempfile.mkdtemp(prefix="afi-bench-")
        self.commands = []       # (what, command line) as run, secrets elided
        self.missing = []        # "not measured" lines
        self.notes = []
        self.results = {}
        self.goals = []

    def note_cmd(self, what, argv, env=None):
        def q(a):
            return a if a.startswith(("$", "<")) else shlex.quote(a)
        envs = " ".join(f"{k}={q(v)}" for k, v in (env or {}).items())
        line = (envs + " " if envs else "") + " ".join(q(shown_path(a)) for a in argv)
        line = line.replace(self.secret, "$AFI_SECRET")
        if (what, line) not in self.commands:
            self.commands.append((what, line))

    def not_measured(self, what, why):
        line = f"not measured: {what}: {why}"
        print("bench: " + line, file=sys.stderr)
        self.missing.append(line)

    # ------------------------------------------------------------ targets

    def start(self, kind, **kw):
        """Starts one kind of target; returns (Target, None) or (None, why)."""
        try:
            if kind == "reference":
                if not os.access(SERVER, os.X_OK):
                    return None, f"{rel(SERVER)} missing"
                argv = [SERVER, "--port", "0"]
                self.note_cmd("reference server", argv, {"AFI_SECRET": "$AFI_SECRET"})
                return Target(kind, argv, self.secret, reads_url=True), None
            if kind == "static":
                if not os.access(STATIC, os.X_OK):
                    return None, f"{rel(STATIC)} missing (scripts/bench.sh builds it)"
                argv = [STATIC, "--port", "0"]
                self.note_cmd("static baseline", argv)
                return Target(kind, argv, self.secret, reads_url=True), None
            if kind in ("slow", "slow-nodelay"):
                argv = [PYTHON, SLOW, "--port", "0"] + (["--nodelay"] if kind == "slow-nodelay" else [])
                self.note_cmd(f"http.server target ({kind})", argv, {"AFI_SECRET": "$AFI_SECRET"})
                return Target(kind, argv, self.secret, reads_url=True), None
            if kind.startswith("fastapi"):
                if not os.path.exists(FASTAPI):
                    return None, f"{rel(FASTAPI)} missing"
                port = free_port()
                argv = [PYTHON, FASTAPI, "--port", str(port)]
                if kind == "fastapi-fast":
                    argv.append("--fast")
                self.note_cmd(f"FastAPI port ({kind})", argv[:3] + ["PORT"] + argv[4:],
                              {"AFI_SECRET": "$AFI_SECRET"})
                t = Target(kind, argv, self.secret, port=port)
                if kind == "fastapi-fast":
                    time.sleep(2)  # /health answers once one worker is up; let the other start
                return t, None
        except Exception as e:  # a target that does not start is reported, not fatal
            return None, f"{kind} did not start: {e}"
        raise ValueError(kind)

    def preflight(self, t, token, verified=True):
        """The echo call answers 200 with the right result, and (verified) a forged token is 401."""
        st, body = t.call("POST", "/call/echo", {"text": "hello"}, token=token)
        if st != 200 or not isinstance(body, dict) or body.get("result") != {"message": "hello"}:
            return f"echo answered {st} {json.dumps(body)[:200]}"
        if verified:
            forged = mint("x" * 48, "bench-forger")
            st, body = t.call("POST", "/call/echo", {"text": "hello"}, token=forged)
            if st != 401:
                return f"a token signed with another secret got {st}, not 401: the token is not verified"
        return None

    # ------------------------------------------------------------ wrk

    def wrk(self, t, script, conns, duration, env=None, limit=None):
        """One wrk run against t; returns a dict (rps, latency, cpu_us, requests) or raises."""
        threads = min(2, conns)  # wrk -t2, except that one connection can only have one thread
        env = dict(env or {})
        env.update(BENCH_LUA_DIR=LUA, BENCH_BASE_PATH=t.base_path, BENCH_THREADS=str(threads))
        done_file = None
        if limit is not None:
            self.nlimited = getattr(self, "nlimited", 0) + 1
            done_file = os.path.join(self.tmp, f"done-{self.nlimited}")
            env.update(BENCH_LIMIT=str(limit), BENCH_DONE_FILE=done_file)
        argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--timeout", "10s",
                "-s", os.path.join(LUA, script), t.base + "/health"]
        shown = {k: v.replace(self.tmp, "$TMP").replace(ROOT + "/", "") for k, v in env.items()
                 if k not in ("BENCH_TOKEN", "BENCH_DONE_FILE")}
        if "BENCH_TOKEN" in env:
            shown["BENCH_TOKEN"] = "<HS256 JWT>"
        self.note_cmd(f"wrk {script}", [a.replace(t.base, "$URL") for a in argv], shown)
        cpu0 = t.cpu_ticks()
        p = subprocess.Popen(argv, env=dict(os.environ, **env), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        if done_file:
            # wrk sleeps its whole -d even once every thread stopped: SIGINT ends it early.
            deadline = time.monotonic() + duration + 5
            while p.poll() is None and time.monotonic() < deadline:
                try:
                    with open(done_file) as f:
                        if len(f.read().split()) >= threads:
                            p.send_signal(signal.SIGINT)
                            break
                except OSError:
                    pass
                time.sleep(0.02)
        try:
            out, err = p.communicate(timeout=duration + 60)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        cpu1 = t.cpu_ticks()
        line = next((l for l in out.splitlines() if l.startswith("BENCHJSON ")), None)
        if p.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({p.returncode}): {(err or out)[-300:]}")
        r = json.loads(line[len("BENCHJSON "):])
        errs = r["errors"]
        if errs["status"]:
            raise RuntimeError(f"{errs['status']} of {r['requests']} answers were not 2xx/3xx")
        bad = errs["connect"] + errs["read"] + errs["write"] + errs["timeout"]
        if bad:
            raise RuntimeError(f"socket errors {errs}")
        if r["requests"] == 0:
            raise RuntimeError("no request completed")
        r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
        r["cpu_us"] = (cpu1 - cpu0) / CLK_TCK * 1e6 / r["requests"]
        return r

    @staticmethod
    def figures(rs):
        """{rps, p50, p99, cpu} Figures over a list of wrk results."""
        return {
            "rps": Figure([r["rps"] for r in rs]),
            "p50": Figure([r["latency_us"]["p50"] / 1000 for r in rs]),
            "p99": Figure([r["latency_us"]["p99"] / 1000 for r in rs]),
            "cpu": Figure([r["cpu_us"] for r in rs]),
        }

    def wrk_series(self, t, script, conns, env=None):
        """A warm-up then self.runs measured runs of one target; Figures, or raises."""
        self.wrk(t, script, conns, 1, env)
        return self.figures([self.wrk(t, script, conns, self.duration, env) for _ in range(self.runs)])

    def interleaved(self, jobs, what):
        """jobs: {key: (target, script, conns, env, label)}. Warms each up, then measures
        them in turn, run after run, so that the machine's changing load falls on all of
        them alike. Returns {key: Figures}; a target that fails drops out, reported."""
        out, results = {}, {k: [] for k in jobs}
        live = dict(jobs)
        for k, (t, script, conns, env, label) in list(live.items()):
            try:
                self.wrk(t, script, conns, 1, env)
            except Exception as e:
                self.not_measured(f"{what}, {label}", str(e))
                del live[k]
        for _ in range(self.runs):
            for k, (t, script, conns, env, label) in list(live.items()):
                try:
                    results[k].append(self.wrk(t, script, conns, self.duration, env))
                except Exception as e:
                    self.not_measured(f"{what}, {label}", str(e))
                    del live[k]
        for k in live:
            out[k] = self.figures(results[k])
        return out

    # ------------------------------------------------------------ 1. throughput

    def section_throughput(self):
        kinds = [("static", "static baseline (libmicrohttpd, fixed body)", False),
                 ("reference", "reference server", True),
                 ("fastapi", "FastAPI port, default (1 worker)", True),
                 ("fastapi-fast", "FastAPI port, --fast (2 workers, uvloop, httptools)", True)]
        labels = {k: label for k, label, _ in kinds}
        rows, mixed, live = {}, {}, {}
        token = mint(self.secret, "bench-echo")
        try:
            # Every target runs at once (idle when not measured) so runs can alternate.
            for kind, label, verified in kinds:
                t, why = self.start(kind)
                if t is None:
                    self.not_measured(f"echo throughput of the {label}", why)
                    continue
                why = self.preflight(t, token, verified)
                if why:
                    self.not_measured(f"echo throughput of the {label}", why)
                    t.stop()
                    continue
                live[kind] = t
            env = {"BENCH_TOKEN": token}
            for conns in (1, 32):
                got = self.interleaved({k: (t, "echo.lua", conns, env, labels[k]) for k, t in live.items()},
                                       f"echo at {conns} connections")
                rows.update({(k, conns): f for k, f in got.items()})
            tokens = self.viewer_tokens(100, "mixed")
            menv = {"BENCH_TOKENS": tokens, "BENCH_KEYS": "3"}
            jobs = {}
            for k, t in live.items():
                if k == "static":
                    continue
                why = self.mixed_preflight(t, tokens)
                if why:
                    self.not_measured(f"mixed workload, {labels[k]}", why)
                else:
                    jobs[k] = (t, "mixed.lua", 32, menv, labels[k])
            mixed = self.interleaved(jobs, "mixed workload")
        finally:
            for t in live.values():
                t.stop()
        self.results["throughput"] = (kinds, rows, mixed)

    def viewer_tokens(self, n, prefix):
        path = os.path.join(self.tmp, f"tokens-{prefix}.txt")
        with open(path, "w") as f:
            for i in range(n):
                f.write(mint(self.secret, f"{prefix}-{i}") + "\n")
        return path

    def mixed_preflight(self, t, tokens):
        """None when kv_set and GET /context/user answer 200 for the first viewer, else why."""
        with open(tokens) as f:
            one = f.readline().strip()
        st, body = t.call("POST", "/call/kv_set", {"key": "personal:k0", "value": 1}, token=one)
        if st != 200:
            return f"kv_set answered {st} {json.dumps(body)[:200]}"
        st, body = t.call("GET", "/context/user", token=one)
        if st != 200:
            return f"GET /context/user answered {st} {json.dumps(body)[:200]}"
        return None

    def section_callgrind(self):
        """Instructions per echo call under callgrind: a figure the machine's load cannot move.
        Two runs of different lengths; the difference cancels start-up and shutdown."""
        if shutil.which("valgrind") is None:
            self.not_measured("instructions per call", "valgrind missing")
            return
        if not os.access(SERVER, os.X_OK):
            self.not_measured("instructions per call", f"{rel(SERVER)} missing")
            return
        counts = {}
        for n in (200, 1200):
            out = os.path.join(self.tmp, f"callgrind-{n}.out")
            argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    SERVER, "--port", "0", "--threads", "1"]
            self.note_cmd("reference server under callgrind",
                          [a.replace(self.tmp, "$TMP") for a in argv], {"AFI_SECRET": "$AFI_SECRET"})
            try:
                t = Target("callgrind", argv, self.secret, reads_url=True)
            except Exception as e:
                self.not_measured("instructions per call", str(e))
                return
            try:
                token = mint(self.secret, "bench-callgrind")
                conn = http.client.HTTPConnection(t.host, t.port, timeout=30)
                body = b'{"text":"hello"}'
                hdrs = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
                for _ in range(n):
                    conn.request("POST", t.base_path + "/call/echo", body=body, headers=hdrs)
                    r = conn.getresponse()
                    r.read()
                    if r.status != 200:
                        raise RuntimeError(f"echo answered {r.status} under callgrind")
                conn.close()
            except Exception as e:
                self.not_measured("instructions per call", str(e))
                t.stop()
                return
            t.stop()
            total = None
            try:
                with open(out) as f:
                    for line in f:
                        if line.startswith(("summary:", "totals:")):
                            total = int(line.split()[1])
            except OSError:
                pass
            if total is None:
                self.not_measured("instructions per call", "callgrind wrote no totals")
                return
            counts[n] = total
        self.results["callgrind"] = (counts[1200] - counts[200]) / 1000

    # ------------------------------------------------------------ 2. memory

    def section_memory(self):
        t, why = self.start("reference")
        if t is None:
            self.not_measured("reference server memory", why)
            return
        try:
            tokens = self.viewer_tokens(100, "mem")
            idle = t.rss_kb()
            rounds = []
            want = self.args.mem_requests
            # A warm-up round first: each gate thread's allocator arena grows
            # to its working size over the first rounds; after that RSS moves
            # by allocator noise, both ways, which a leak does not.
            for _ in range(3):
                r = self.wrk(t, "mixed.lua", 32, 120, limit=(want + 1) // 2,
                             env={"BENCH_TOKENS": tokens, "BENCH_KEYS": "3"})
                if r["requests"] < want:
                    raise RuntimeError(f"a round completed {r['requests']} of {want} requests in 120 s")
                time.sleep(0.5)
                rounds.append((r["requests"], t.rss_kb()))
            st, body = t.call("POST", "/call/kv_list", {"scope": "personal"},
                              token=mint(self.secret, "mem-0"))
            keys = len(body["result"]["keys"]) if st == 200 and isinstance(body, dict) else None
            if keys != 3:
                raise RuntimeError(f"after the rounds viewer mem-0 holds {keys} keys, not 3: "
                                   "the workload did not write what it should")
            self.results["memory"] = {"idle": idle, "rounds": rounds, "keys_viewer0": keys}
        except Exception as e:
            self.not_measured("reference server memory", str(e))
        finally:
            t.stop()

    # ------------------------------------------------------------ 4b. store size

    def section_keys(self):
        t, why = self.start("reference")
        if t is None:
            self.not_measured("throughput by store size", why)
            return
        rows = []
        try:
            token = mint(self.secret, "bench-kv")
            for n in self.args.key_sizes:
                self.wrk(t, "kv_fill.lua", 8, 300, limit=n // 2,
                         env={"BENCH_TOKEN": token, "BENCH_NKEYS": str(n)})
                st, body = t.call("POST", "/call/kv_list", {"scope": "personal"}, token=token)
                got = len(body["result"]["keys"]) if st == 200 and isinstance(body, dict) else None
                if got != n:
                    raise RuntimeError(f"after filling {n} keys kv_list shows {got} (status {st})")
                rows.append((n, self.wrk_series(t, "kv_get.lua", 32,
                                                {"BENCH_TOKEN": token, "BENCH_NKEYS": str(n)})))
        except Exception as e:
            self.not_measured("throughput by store size (remaining sizes)", str(e))
        finally:
            t.stop()
        self.results["keys"] = rows

    # ------------------------------------------------------------ 3. runner

    def run_runner(self, t, jobs=None, suites=None, report=None, runner=RUNNER, extra=()):
        """One timed `conformance run` (extra: more options); (seconds, exit code,
        last output line). Its whole output stays in self.last_runner_stdout."""
        argv = [runner, "run", "--target", t.base, "--level", "core", "-q", *extra]
        if jobs:
            argv += ["--jobs", str(jobs)]
        for s in suites or []:
            argv += ["--suite", s, "--spec", os.path.join(ROOT, "docs", "protocol.md")]
        if report:
            argv += ["--report", "json:" + report]
        shown = [a.replace(self.tmp, "$TMP") for a in argv]
        shown[shown.index(t.base)] = "$URL"
        self.note_cmd("conformance runner", shown, {"AFI_SECRET": "$AFI_SECRET"})
        env = dict(os.environ, AFI_SECRET=self.secret)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
        secs = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.last_runner_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        self.last_runner_stdout = r.stdout
        lines = r.stdout.strip().splitlines() or r.stderr.strip().splitlines()[-1:] or [""]
        # -q prints the failures, then the closing line: keep the first failure too.
        last = lines[-1] if r.returncode == 0 or len(lines) < 2 else f"{lines[-1]}; first: {lines[0][:200]}"
        return secs, r.returncode, last

    def pyloop_replay(self, t, cases):
        """The bare Python http.client loop over these cases, self.runs times:
        (ms per request for each run, the most answers whose status differed)."""
        import plan as planlib
        import pyloop
        per_req, mism = [], 0
        for _ in range(self.runs):
            built = planlib.build(cases, self.secret, secrets.token_hex(4))
            secs, n, bad_py = pyloop.replay(t.base, built)
            mism = max(mism, len(bad_py))
            per_req.append(secs * 1000 / n)
        return per_req, mism

    def newman_replay(self, t, cases):
        """newman (as a library) over a collection generated from these cases:
        (run ms/request list, process ms/request list, most failed assertions,
        requests, the first run's failures, why not measured or None)."""
        import plan as planlib
        nm_run, nm_proc, nm_fail, nm_n, failures = [], [], 0, 0, []
        if not os.access(NEWMAN, os.X_OK) or shutil.which("node") is None:
            return nm_run, nm_proc, 0, 0, [], f"newman missing ({rel(NEWMAN)}; scripts/bench.sh installs it with npm)"
        import collection as collib
        for i in range(self.args.newman_runs):
            work = tempfile.mkdtemp(prefix="newman-", dir=self.tmp)
            built = planlib.build(cases, self.secret, secrets.token_hex(4))
            coll = os.path.join(work, "collection.json")
            with open(coll, "w") as f:
                json.dump(collib.collection(built, t.base, work), f)
            argv = ["node", os.path.join(HERE, "newman_run.js"), coll, "10000"]
            self.note_cmd("newman (as a library, no reporter), on the generated collection",
                          ["node", "harness/bench/newman_run.js", "$TMP/collection.json", "10000"])
            r = subprocess.run(argv, capture_output=True, text=True, timeout=900)
            line = next((l for l in r.stdout.splitlines() if l.startswith("NEWMANJSON ")), None)
            if r.returncode != 0 or line is None:
                return nm_run, nm_proc, nm_fail, nm_n, failures, \
                    f"newman failed ({r.returncode}): {(r.stderr or r.stdout)[-300:]}"
            nm = json.loads(line[len("NEWMANJSON "):])
            nm_n = nm["requests"]
            nm_run.append(nm["run_ms"] / nm["requests"])
            nm_proc.append(nm["process_ms"] / nm["requests"])
            nm_fail = max(nm_fail, nm["assertions_failed"])
            if i == 0:
                failures = nm["failures"]
        return nm_run, nm_proc, nm_fail, nm_n, failures, None

    def section_runner(self):
        if not os.access(RUNNER, os.X_OK):
            self.not_measured("the conformance runner", f"{rel(RUNNER)} missing")
            return
        if not planlib_ok():
            self.not_measured("the conformance runner", "harness/bench/plan.py does not load")
            return
        import plan as planlib
        t, why = self.start("reference")
        if t is None:
            self.not_measured("the conformance runner", why)
            return
        run = {"text": []}
        try:
            # A first run, untimed, says which cases run (the count of requests follows).
            rep = os.path.join(self.tmp, "runner.json")
            _, rc, last = self.run_runner(t, report=rep)
            with open(rep) as f:
                doc = json.load(f)
            ran = {c["id"] for s in doc["suites"] for c in s["cases"] if c["status"] != "skipped"}
            cases = planlib.load([FIXTURES], "core", only_ids=ran)
            nreq = planlib.count_requests(cases)
            summary = doc["summary"]
            run["nreq"] = nreq
            seq, seq_cpu = [], []
            for _ in range(self.runs):
                seq.append(self.run_runner(t, jobs=1))
                seq_cpu.append(self.last_runner_cpu * 1000 / nreq)
            run["seq_cpu_ms_per_req"] = Figure(seq_cpu)
            par = [self.run_runner(t) for _ in range(self.runs)]
            bad = [x for x in seq + par if x[1] != 0]
            run["wall_seq"] = Figure([x[0] for x in seq])
            run["wall_default"] = Figure([x[0] for x in par])
            run["seq_ms_per_req"] = Figure([x[0] * 1000 / nreq for x in seq])
            run["par_ms_per_req"] = Figure([x[0] * 1000 / nreq for x in par])
            py, mism = self.pyloop_replay(t, cases)
            run["py_ms_per_req"] = Figure(py)
            nm_run, nm_proc, nm_fail, nm_n, nm_failures, nm_why = self.newman_replay(t, cases)
            run["newman_failures"] = nm_failures
            if nm_run:
                run["newman_ms_per_req"] = Figure(nm_run)
                run["newman_proc_ms_per_req"] = Figure(nm_proc)
            L = run["text"]
            L.append(f"The core suite ({summary['total']} cases: {summary['passed']} passed, "
                     f"{summary['failed']} failed, {summary['skipped']} skipped in the untimed first run) "
                     f"against a fresh reference server. The runner sends {nreq:,d} requests "
                     "(every step times its `repeat`, GET /health and GET /schema once, GET /health "
                     "after each robustness case: counted from the fixtures the way "
                     "conformance/runner.c sends them; a raw step as many as the answers it expects); "
                     "the other two replay the same requests but the raw steps' (bytes on a socket "
                     "of their own, which neither can send), built by harness/bench/plan.py with the "
                     "runner's token rules, in order, on one connection, checking each status "
                     "(newman) or each status and JSON body (the Python loop).")
            # What the suite itself asks of any client: deliberate waits and bulk bytes.
            probe = planlib.build(cases, self.secret, "probe000")
            sleep_ms = sum(st["json"].get("ms", 0) * st["repeat"] for c in probe for st in c["steps"]
                           if st["path"] == "/call/sleep" and st["status"] == [200]
                           and isinstance(st["json"], dict)
                           and isinstance(st["json"].get("ms"), int))
            body_mb = sum(len(st["body"] or b"") * st["repeat"] for c in probe for st in c["steps"]) / 2**20
            # a raw step's pause_ms: it waits that long between two parts of its bytes
            pause_ms = sum(p.get("pause_ms", 0) for _, c in cases for st in c["steps"] if "raw" in st
                           for p in st["raw"].get("send", []))
            L.append("")
            L.append(f"The suite itself asks for {sleep_ms} ms of `sleep` calls and {pause_ms:,d} ms of "
                     f"pauses inside raw steps' bytes (fixtures/framing.json), and sends "
                     f"{body_mb:.1f} MiB of raw bodies (oversized and deeply nested ones): a floor "
                     "under any client's wall time per request, together with the server's own work; "
                     "the runner's own CPU per request is the client's share.")
            L.append("")
            L.append("| what | wall s | ms per request | cost vs the runner, --jobs 1 |")
            L.append("|---|---|---|---|")
            base = run["seq_ms_per_req"].med
            L.append(f"| runner, --jobs 1 | {run['wall_seq'].fmt('{:.3f}')} | "
                     f"{run['seq_ms_per_req'].fmt('{:.3f}')} | 1x |")
            L.append(f"| runner, --jobs 1: its own CPU (user+sys) only | – | "
                     f"{run['seq_cpu_ms_per_req'].fmt('{:.3f}')} | – |")
            L.append(f"| runner, default --jobs ({os.cpu_count()}) | {run['wall_default'].fmt('{:.3f}')} | "
                     f"{run['par_ms_per_req'].fmt('{:.3f}')} | {run['par_ms_per_req'].med / base:.2f}x |")
            L.append(f"| bare Python http.client loop, JSON checks | – | {run['py_ms_per_req'].fmt('{:.3f}')} | "
                     f"{run['py_ms_per_req'].med / base:.2f}x |")
            if nm_run:
                L.append(f"| newman, run proper ({nm_n:,d} requests) | – | {run['newman_ms_per_req'].fmt('{:.2f}')} | "
                         f"{run['newman_ms_per_req'].med / base:.0f}x |")
                L.append(f"| newman, whole process (node start included) | – | "
                         f"{run['newman_proc_ms_per_req'].fmt('{:.2f}')} | "
                         f"{run['newman_proc_ms_per_req'].med / base:.0f}x |")
            L.append("")
            if bad:
                L.append(f"Note: {len(bad)} of the {len(seq + par)} timed runner runs exited non-zero "
                         f"(`{bad[0][2]}`).")
                L.append("")
            if mism:
                L.append(f"Note: the Python loop saw up to {mism} answers whose status differs from the fixture's.")
                L.append("")
            if nm_run:
                L.append(f"newman runs: {len(nm_run)}; up to {nm_fail} of its status "
                         "assertions failed where Postman cannot send the fixture's exact request "
                         "(it merges two Authorization headers, upper-cases methods, may strip "
                         "comments from JSON bodies, never sends chunked) or where a short-lived "
                         "token, minted when the collection was written, had expired by the time "
                         "newman sent it: "
                         + "; ".join(f"`{x}`" for x in run.get("newman_failures", [])[:6]))
                L.append("")
            if nm_why:
                self.not_measured("newman", nm_why)
            self.results["runner"] = run
        except Exception as e:
            self.not_measured("the conformance runner", f"{type(e).__name__}: {e}")
        finally:
            t.stop()
        self.section_replicated()

    def uniform_suite(self, n, name):
        """A directory holding one suite of n plain echo cases (one POST /call/echo
        with a token each, status and exact body checked); returns its path."""
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        suite = {"suite": "uniform", "area": "PROF", "title": "plain echo calls",
                 "identities": {"alice": {"role": "USER"}},
                 "cases": [{"id": f"u.echo-{i:05d}", "title": "echo", "requirements": ["PROF-1"],
                            "level": "core",
                            "steps": [{"request": {"method": "POST", "path": "/call/echo",
                                                   "identity": "alice", "json": {"text": f"hello {i}"}},
                                       "expect": {"status": 200,
                                                  "body": {"$exact": {"result": {"message": f"hello {i}"},
                                                                      "invalidate": []}}}}]}
                           for i in range(n)]}
        with open(os.path.join(d, "uniform.json"), "w") as f:
            json.dump(suite, f)
        return d

    def section_uniform(self):
        """Per-request cost on plain small requests: N echo cases, each one step
        checking status and body, replayed by the runner (--jobs 1), the Python
        loop and newman; the like-for-like comparison of the three clients."""
        if not os.access(RUNNER, os.X_OK) or not planlib_ok():
            self.not_measured("the uniform echo workload", "the runner or harness/bench/plan.py is missing")
            return
        import plan as planlib
        n = self.args.uniform_cases
        d = self.uniform_suite(n, "uniform")
        t, why = self.start("reference")
        if t is None:
            self.not_measured("the uniform echo workload", why)
            return
        try:
            cases = planlib.load([d], "core")
            nreq = planlib.count_requests(cases)
            seq, cpu, srv, old, old_cpu, old_srv = [], [], [], [], [], []
            slp, slp_cpu, slp_srv = [], [], []
            have_old = os.access(BASELINE, os.X_OK)

            def timed(runner, runs, cpus, srvs, extra=()):
                # the target's CPU over the same run: one request at a time, the
                # runner waits for it, so it is part of the runner's wall time
                s0 = t.cpu_ns()
                runs.append(self.run_runner(t, jobs=1, suites=[d], runner=runner, extra=extra))
                srvs.append((t.cpu_ns() - s0) / 1e6 / nreq)
                cpus.append(self.last_runner_cpu * 1000 / nreq)

            for _ in range(self.runs):
                timed(RUNNER, seq, cpu, srv)
                # the same runner sleeping at once in poll: its CPU is then its work alone
                timed(RUNNER, slp, slp_cpu, slp_srv, extra=("--spin-us", "0"))
                if have_old:  # the runner before, in turn with the current one
                    timed(BASELINE, old, old_cpu, old_srv)
            bad = [x for x in seq + slp + old if x[1] != 0]
            u = {"n": n, "nreq": nreq, "bad": bad,
                 "seq_ms_per_req": Figure([x[0] * 1000 / nreq for x in seq]),
                 "seq_cpu_ms_per_req": Figure(cpu), "srv_ms_per_req": Figure(srv),
                 "slp_ms_per_req": Figure([x[0] * 1000 / nreq for x in slp]),
                 "slp_cpu_ms_per_req": Figure(slp_cpu), "slp_srv_ms_per_req": Figure(slp_srv)}
            if old:
                u["old_ms_per_req"] = Figure([x[0] * 1000 / nreq for x in old])
                u["old_cpu_ms_per_req"] = Figure(old_cpu)
                u["old_srv_ms_per_req"] = Figure(old_srv)
            py, u["py_mism"] = self.pyloop_replay(t, cases)
            u["py_ms_per_req"] = Figure(py)
            nm_run, nm_proc, u["nm_fail"], _, _, nm_why = self.newman_replay(t, cases)
            if nm_run:
                u["newman_ms_per_req"] = Figure(nm_run)
                u["newman_proc_ms_per_req"] = Figure(nm_proc)
            if nm_why:
                self.not_measured("newman on the uniform workload", nm_why)
            self.results["uniform"] = u
        except Exception as e:
            self.not_measured("the uniform echo workload", f"{type(e).__name__}: {e}")
        finally:
            t.stop()

    def baseline_ref(self):
        try:
            with open(BASELINE_REF) as f:
                return f.read().strip()
        except OSError:
            return "?"

    def section_runner_callgrind(self):
        """The runner's instructions per plain echo case under callgrind, before (the
        baseline commit scripts/bench.sh builds) and now: runs of 200 and 1,200 cases
        against one reference server, so start-up and fixture-independent costs cancel;
        the same difference for the main functions (inclusive) says where they go."""
        if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
            self.not_measured("the runner's instructions per case", "valgrind or callgrind_annotate missing")
            return
        runners = [("now", RUNNER)]
        if os.access(BASELINE, os.X_OK):
            runners.insert(0, (f"before ({self.baseline_ref()})", BASELINE))
        else:
            self.not_measured("the runner's instructions per case before",
                              f"{rel(BASELINE)} missing (scripts/bench.sh builds it)")
        t, why = self.start("reference")
        if t is None:
            self.not_measured("the runner's instructions per case", why)
            return
        funcs = ("token.c:token_mint", "http.c:http_do", "fixture.c:fixture_load_file", "runner.c:run_case")
        rows = []
        try:
            dirs = {n: self.uniform_suite(n, f"cg-{n}") for n in (200, 1200)}
            for label, binary in runners:
                tot, per_fn = {}, {}
                for n, d in dirs.items():
                    out = os.path.join(self.tmp, f"runner-cg-{len(rows)}-{n}.out")
                    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "run",
                            "--target", t.base, "--level", "core", "-q", "--jobs", "1", "--suite", d,
                            "--spec", os.path.join(ROOT, "docs", "protocol.md")]
                    if binary == RUNNER:  # count its work, not the polls of its spins
                        argv += ["--spin-us", "0"]
                    shown = [a.replace(self.tmp, "$TMP").replace(t.base, "$URL") for a in argv]
                    self.note_cmd("conformance runner under callgrind", shown, {"AFI_SECRET": "$AFI_SECRET"})
                    r = subprocess.run(argv, env=dict(os.environ, AFI_SECRET=self.secret),
                                       capture_output=True, text=True, timeout=900)
                    if r.returncode != 0:
                        raise RuntimeError(f"{label}: the runner exited {r.returncode}: {r.stdout[-200:]}")
                    a = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", "--auto=no", out],
                                       capture_output=True, text=True, timeout=300).stdout
                    for line in a.splitlines():
                        parts = line.split()
                        if len(parts) < 2 or not parts[0].replace(",", "").isdigit():
                            continue
                        count = int(parts[0].replace(",", ""))
                        if "PROGRAM TOTALS" in line:
                            tot[n] = count
                        for fn in funcs:
                            if any(p.endswith("conformance/" + fn) for p in parts):
                                per_fn.setdefault(fn, {})[n] = count
                if set(tot) != {200, 1200}:
                    raise RuntimeError(f"{label}: callgrind_annotate gave no totals")
                rows.append((label, (tot[1200] - tot[200]) / 1000,
                             {fn: (v.get(1200, 0) - v.get(200, 0)) / 1000 for fn, v in per_fn.items()}))
        except Exception as e:
            self.not_measured("the runner's instructions per case", f"{type(e).__name__}: {e}")
        finally:
            t.stop()
        if rows:
            self.results["runner_callgrind"] = (funcs, rows)

    def section_slow(self):
        """A target with the stall users' first servers show: harness/bench/slow_server.py
        (Python's http.server, headers and body in two sends, no TCP_NODELAY). The
        runner at the default --jobs against it and against the same server with
        TCP_NODELAY (the best it can do there), in turn; a bare Python client with a
        new connection per request against the stalling one; the runner before the
        fix on fewer cases (each of its requests waits for a delayed ACK)."""
        if not os.access(RUNNER, os.X_OK) or not planlib_ok():
            self.not_measured("the slow target", "the runner or harness/bench/plan.py is missing")
            return
        import plan as planlib
        import pyloop
        n = self.args.slow_cases
        d = self.uniform_suite(n, "slow")
        stall, why = self.start("slow")
        if stall is None:
            self.not_measured("the slow target", why)
            return
        fast, why = self.start("slow-nodelay")
        if fast is None:
            stall.stop()
            self.not_measured("the slow target", why)
            return
        try:
            cases = planlib.load([d], "core")
            nreq = planlib.count_requests(cases)
            runs = {"stall": [], "nodelay": [], "py": []}
            hints, bad = [], []
            for _ in range(self.runs):
                for key, t in (("stall", stall), ("nodelay", fast)):
                    x = self.run_runner(t, suites=[d])
                    runs[key].append(x[0])
                    if x[1] != 0:
                        bad.append(x)
                    hint = next((l for l in self.last_runner_stdout.splitlines() if l.startswith("hint:")), None)
                    hints.append((key, hint))
                built = planlib.build(cases, self.secret, secrets.token_hex(4))
                secs, nreq_py, mism = pyloop.replay(stall.base, built, fresh=True)
                runs["py"].append(secs)
                if mism:
                    bad.append((secs, 1, f"the Python client: {mism[0]}"))
            res = {"n": n, "nreq": nreq, "bad": bad, "nreq_py": nreq_py,
                   "stall": Figure(runs["stall"]), "nodelay": Figure(runs["nodelay"]), "py": Figure(runs["py"]),
                   "hint_stall": [h for k, h in hints if k == "stall"],
                   "hint_nodelay": [h for k, h in hints if k == "nodelay"]}
            if os.access(BASELINE, os.X_OK):
                dn = self.uniform_suite(self.args.slow_baseline_cases, "slow-before")
                nb = planlib.count_requests(planlib.load([dn], "core"))
                x = self.run_runner(stall, suites=[dn], runner=BASELINE)
                res["before"] = (x[0], nb, x[1])
            self.results["slow"] = res
        except Exception as e:
            self.not_measured("the slow target", f"{type(e).__name__}: {e}")
        finally:
            stall.stop()
            fast.stop()

    def section_replicated(self):
        """Runner wall time for the core suite copied 1x, 4x, 16x (renamed suites and ids)."""
        lines = []
        walls = {}
        try:
            for k in self.args.replicas:
                d = os.path.join(self.tmp, f"suite-x{k}")
                os.makedirs(d)
                import plan as planlib
                for f in planlib.suite_files([FIXTURES]):
                    with open(f, encoding="utf-8") as fh:
                        suite = json.load(fh)
                    for i in range(k):
                        copy = dict(suite, suite=f"{suite['suite']}-x{i}",
                                    cases=[dict(c, id=f"x{i}.{c['id']}") for c in suite["cases"]])
                        with open(os.path.join(d, f"{os.path.basename(f)[:-5]}-x{i}.json"), "w",
                                  encoding="utf-8") as fh:
                            json.dump(copy, fh, ensure_ascii=False)
                # schema_equals names a file beside the suite (fixtures/profile-schema.json).
                shutil.copy(os.path.join(FIXTURES, "profile-schema.json"), d)
                nreq = planlib.count_requests(planlib.load([d], "core"))
                t, why = self.start("reference")
                if t is None:
                    self.not_measured("the replicated suite", why)
                    return
                try:
                    self.run_runner(t, suites=[d])  # warm-up, untimed
                    rs = [self.run_runner(t, suites=[d]) for _ in range(self.runs)]
                finally:
                    t.stop()
                if any(x[1] != 0 for x in rs):
                    self.notes.append(f"the {k}x suite: a run exited non-zero "
                                      f"({next(x[2] for x in rs if x[1] != 0)})")
                walls[k] = (Figure([x[0] for x in rs]), nreq)
        except Exception as e:
            self.not_measured("the replicated suite", f"{type(e).__name__}: {e}")
        if not walls:
            return
        one = walls[min(walls)]
        lines.append("The fixture files copied k times into a temporary directory (suite names "
                     "and case ids renamed), run with `--suite DIR` and the default --jobs "
                     "against a fresh reference server each; linear cost keeps the last column "
                     "near 1.")
        lines.append("")
        lines.append("| copies | requests | wall s | ms per request | wall / (k × wall of 1x) |")
        lines.append("|---|---|---|---|---|")
        for k, (fig, n) in sorted(walls.items()):
            lines.append(f"| {k}x | {n:,d} | {fig.fmt('{:.3f}')} | {fig.med * 1000 / n:.3f} | "
                         f"{fig.med / (k / min(walls) * one[0].med):.2f} |")
        self.results["replicated"] = lines

    # ------------------------------------------------------------ goals

    def goal(self, name, target, measured, ok, miss_by):
        """One row of the goals table; miss_by says how far off a MISS is."""
        if ok is None:
            verdict = "not measured"
        elif ok:
            verdict = "PASS"
        else:
            verdict = f"MISS ({miss_by})"
        self.goals.append((name, target, measured, verdict))

    def runner_goals(self, fig, per_request, vs_newman):
        """The two runner goals (< 0.1 ms a request, >= 100x cheaper than newman)
        for one workload's figures (None: not measured)."""
        if not fig or not fig.get("seq_ms_per_req"):
            self.goal(per_request, "< 0.1 ms", "–", None, "")
            self.goal(vs_newman, ">= 100x cheaper", "–", None, "")
            return
        ms = fig["seq_ms_per_req"].med
        cpu = fig["seq_cpu_ms_per_req"].med
        # One request at a time cannot beat the reference server's own round trip:
        # wrk's mean time per echo call on one connection, measured in section 1.
        _, rows, _ = self.results.get("throughput", ([], {}, {}))
        one = rows.get(("reference", 1))
        floor = f"; wrk on 1 connection: {1000 / one['rps'].med:.3f} ms" if one else ""
        if fig.get("srv_ms_per_req") and fig["srv_ms_per_req"].values:
            floor += f"; the reference server's CPU: {fig['srv_ms_per_req'].med:.3f} ms"
        if fig.get("slp_ms_per_req") and fig["slp_ms_per_req"].values:
            floor += (f"; with --spin-us 0: {fig['slp_ms_per_req'].med:.3f} ms, "
                      f"its own CPU {fig['slp_cpu_ms_per_req'].med:.3f} ms")
        self.goal(per_request, "< 0.1 ms", f"{ms:.3f} ms (the runner's own CPU: {cpu:.3f} ms{floor})",
                  ms < 0.1, f"{ms - 0.1:.3f} ms over, {ms / 0.1:.1f}x the goal")
        if fig.get("newman_ms_per_req"):
            ratio = fig["newman_ms_per_req"].med / ms
            self.goal(vs_newman, ">= 100x cheaper", f"{ratio:.0f}x", ratio >= 100, f"{100 / ratio:.1f}x short")
        else:
            self.goal(vs_newman, ">= 100x cheaper", "–", None, "")

    def evaluate_goals(self):
        kinds, rows, mixed = self.results.get("throughput", ([], {}, {}))
        ref32 = rows.get(("reference", 32))
        st32 = rows.get(("static", 32))
        fa32 = rows.get(("fastapi-fast", 32))
        if ref32 and st32:
            ratio = ref32["rps"].med / st32["rps"].med
            self.goal("reference vs static baseline, echo, 32 connections", ">= 70%",
                      f"{ratio:.0%} ({ref32['rps'].med:,.0f} vs {st32['rps'].med:,.0f} req/s)",
                      ratio >= 0.70, f"{(0.70 - ratio) * 100:.0f} points short")
        else:
            self.goal("reference vs static baseline, echo, 32 connections", ">= 70%", "–", None, "")
        if ref32 and fa32:
            ratio = ref32["rps"].med / fa32["rps"].med
            self.goal("reference vs FastAPI port (fastest), echo, 32 connections", ">= 6x",
                      f"{ratio:.1f}x ({ref32['rps'].med:,.0f} vs {fa32['rps'].med:,.0f} req/s)",
                      ratio >= 6, f"{6 / ratio:.2f}x too slow relative to the goal")
        else:
            self.goal("reference vs FastAPI port (fastest), echo, 32 connections", ">= 6x", "–", None, "")
        if ref32:
            cpu = ref32["cpu"].med
            self.goal("reference server CPU per echo call (32 connections)", "<= 20 µs",
                      f"{cpu:.1f} µs", cpu <= 20, f"{cpu - 20:.1f} µs over, {cpu / 20 - 1:.0%} too much")
        else:
            self.goal("reference server CPU per echo call (32 connections)", "<= 20 µs", "–", None, "")
        if "reference" in mixed:
            cpu = mixed["reference"]["cpu"].med
            self.goal("reference server CPU per call, mixed workload", "<= 20 µs",
                      f"{cpu:.1f} µs", cpu <= 20, f"{cpu - 20:.1f} µs over, {cpu / 20 - 1:.0%} too much")
        run = self.results.get("runner")
        self.runner_goals(run, "runner time per request, --jobs 1 (wall / requests)",
                          "runner vs newman, time per request")
        u = self.results.get("uniform")
        if u:
            self.runner_goals(u, f"runner time per request, --jobs 1, {u['n']:,d} plain echo cases",
                              "runner vs newman, plain echo cases")
        slow = self.results.get("slow")
        if slow and slow["stall"].values and slow["nodelay"].values:
            a, b = slow["stall"].med, slow["nodelay"].med
            self.goal("runner against a Nagle + split-write target (default --jobs) vs the same target "
                      "with TCP_NODELAY", "<= 2x", f"{a / b:.2f}x ({a:.3f} vs {b:.3f} s, {slow['n']:,d} cases)",
                      a <= 2 * b, f"{a / b / 2:.2f}x too slow relative to the goal")
            py = slow["py"].med
            self.goal("runner vs a Python client with a new connection per request, same slow target",
                      "faster", f"{py / a:.1f}x faster ({a:.3f} vs {py:.3f} s)", a < py,
                      f"{a / py:.2f}x slower")
            seen = sum(1 for h in slow["hint_stall"] if h)
            wrong = sum(1 for h in slow["hint_nodelay"] if h)
            self.goal("the run's summary names the stall (hint line)", "every run against it, none without",
                      f"{seen} of {len(slow['hint_stall'])} runs; {wrong} against TCP_NODELAY",
                      seen == len(slow["hint_stall"]) and wrong == 0, "hint missing or spurious")
        else:
            self.goal("runner against a Nagle + split-write target (default --jobs) vs the same target "
                      "with TCP_NODELAY", "<= 2x", "–", None, "")
        if run and run.get("wall_default"):
            w = run["wall_default"].med
            self.goal("core suite wall time, default --jobs", "< 1 s", f"{w:.3f} s", w < 1.0,
                      f"{w - 1:.3f} s over")
        else:
            self.goal("core suite wall time, default --jobs", "< 1 s", "–", None, "")
        mem = self.results.get("memory")
        if mem:
            (_, r1), (_, r2) = mem["rounds"][-2:]
            growth = r2 - r1
            self.goal(f"no memory growth between two {self.args.mem_requests:,d}-request rounds",
                      f"<= {self.args.rss_tolerance_kb} KiB",
                      f"{growth:+,d} KiB ({r1:,d} → {r2:,d} KiB)",
                      growth <= self.args.rss_tolerance_kb,
                      f"grew {growth - self.args.rss_tolerance_kb:,d} KiB past the tolerance")
        else:
            self.goal(f"no memory growth between two {self.args.mem_requests:,d}-request rounds",
                      f"<= {self.args.rss_tolerance_kb} KiB", "–", None, "")

    # ------------------------------------------------------------ report

    def versions(self):
        def cmd(argv, pick=lambda s: s.splitlines()[0] if s else "?"):
            try:
                r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
                return pick((r.stdout or r.stderr).strip())
            except Exception:
                return "missing"

        def pyver(mod):
            r = subprocess.run([PYTHON, "-c", f"import {mod}; print({mod}.__version__)"],
                               capture_output=True, text=True)
            return r.stdout.strip() or "missing"

        pc = " ".join(f"{p} {cmd(['pkg-config', '--modversion', p])}"
                      for p in ("libmicrohttpd", "libcjson", "libjwt", "libcurl"))
        cpu = "?"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        rows = [
            ("machine", f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"),
            ("commit", cmd(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]) +
             (" (work tree has uncommitted changes)" if cmd(["git", "-C", ROOT, "status", "--porcelain"], lambda s: s) else "")),
            ("compiler", cmd(["cc", "--version"])),
            ("libraries", pc),
            ("wrk", cmd(["wrk", "-v"])),
            ("python", cmd([PYTHON, "--version"])),
            ("fastapi / uvicorn / uvloop / httptools",
             " / ".join(pyver(m) for m in ("fastapi", "uvicorn", "uvloop", "httptools"))),
            ("node / newman", cmd(["node", "--version"]) + " / " +
             (cmd([NEWMAN, "--version"]) if os.access(NEWMAN, os.X_OK) else "missing")),
        ]
        return rows

    def write(self, path, started, load0):
        self.evaluate_goals()
        load1 = open("/proc/loadavg").read().split()[:3]
        L = []
        w = L.append
        w("# AFI benchmarks")
        w("")
        w(f"Written by `make bench` (scripts/bench.sh → harness/bench/bench.py) on "
          f"{started:%Y-%m-%d %H:%M} UTC in {time.monotonic() - self.t0:.0f} s. "
          f"Everything was measured in this one run, on this machine, over loopback. "
          f"Each figure is the median of {self.runs} runs with (min–max); each wrk run lasts "
          f"{self.duration} s after a 1 s warm-up, with `wrk -t2` (the load generator shares "
          f"the machine's CPUs with the server, so every server figure here is a floor). "
          f"Targets compared in one table run side by side and are measured in turn, run "
          f"after run, so a change in the machine's load falls on all of them alike.")
        w("")
        w(f"Load average at the start: {' '.join(load0)}; at the end: {' '.join(load1)} "
          f"(a busy machine makes every figure noisy).")
        w("")
        w("## Goals")
        w("")
        w("| goal | target | measured (medians) | verdict |")
        w("|---|---|---|---|")
        for g in self.goals:
            w("| " + " | ".join(g) + " |")
        w("")
        self.write_throughput(w)
        self.write_memory(w)
        self.write_runner(w)
        self.write_scaling(w)
        if self.missing or self.notes:
            w("## Not measured, notes")
            w("")
            for m in self.missing:
                w(f"- {m}")
            for n in self.notes:
                w(f"- {n}")
            w("")
        w("## Versions")
        w("")
        w("| what | version |")
        w("|---|---|")
        for k, v in self.versions():
            w(f"| {k} | {v} |")
        w("")
        w("## Commands")
        w("")
        w("Every command the bench ran, once per distinct form (`$AFI_SECRET` is a fresh "
          "random 64-hex-digit secret; tokens are HS256 JWTs minted with PyJWT; `$URL` is the "
          "target's base URL, `$TMP` a temporary directory, `$AFI_BUILD` the build directory "
          "when it is not build/):")
        w("")
        w("```")
        for what, line in self.commands:
            w(f"# {what}")
            w(line)
        w("```")
        w("")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("\n".join(L))

    def write_throughput(self, w):
        kinds, rows, mixed = self.results.get("throughput", ([], {}, {}))
        w("## 1. Echo call throughput")
        w("")
        w("`POST /call/echo {\"text\":\"hello\"}` with `Authorization: Bearer <HS256 JWT>` "
          "(the server verifies it: before measuring, the bench checks that the answer is the "
          "echo result and that a token signed with another secret gets 401), keep-alive. "
          "Server CPU per call is utime+stime of the server's processes (/proc/PID/stat, "
          "uvicorn workers included) over the run, divided by the requests wrk completed. "
          "The static baseline (harness/bench/static_server.c, built with the project's flags) "
          "runs libmicrohttpd on the client sockets themselves (a pool of one thread per core, "
          "connections accepted by a thread of its own and "
          "handed over with MHD_add_connection; the reference instead frames every request in its "
          "gate, whose threads drive one daemon each over a socket pair) and answers every request with the "
          "echo call's 46 bytes, with no JWT or JSON work: the practical ceiling here. The "
          "FastAPI port runs as `serve.py` (1 worker, asyncio, h11) and as `serve.py --fast` "
          "(2 worker processes, uvloop, httptools; the port sets TCP_NODELAY itself, which "
          "uvicorn 0.17 with --workers otherwise leaves off).")
        w("")
        w("| target | connections | requests/s | p50 ms | p99 ms | server CPU µs/call |")
        w("|---|---|---|---|---|---|")
        for kind, label, _ in kinds:
            for c in (1, 32):
                r = rows.get((kind, c))
                if r is None:
                    w(f"| {label} | {c} | not measured | | | |")
                    continue
                w(f"| {label} | {c} | {r['rps'].fmt()} | {r['p50'].fmt('{:.3f}')} | "
                  f"{r['p99'].fmt('{:.3f}')} | {r['cpu'].fmt('{:.1f}')} |")
        w("")
        ir = self.results.get("callgrind")
        if ir is not None:
            w(f"Instructions per echo call in the reference server, counted by callgrind (one "
              f"worker thread, one keep-alive connection, 1 200 minus 200 calls, so start-up "
              f"cancels out): **{ir:,.0f}**. Unlike the timings, this figure does not depend "
              f"on the machine's load.")
            w("")
        w("### Mixed workload")
        w("")
        w("100 viewers (100 pre-minted tokens, rotated per request), each with 3 personal "
          "keys, cycling kv_set, kv_get and GET /context/user; 32 connections. (With "
          "--fast, each of the port's 2 worker processes keeps its own store, as its README "
          "says: a throughput figure only.)")
        w("")
        w("| target | requests/s | p50 ms | p99 ms | server CPU µs/call |")
        w("|---|---|---|---|---|")
        for kind, label, _ in kinds:
            if kind == "static":
                continue
            r = mixed.get(kind)
            if r is None:
                w(f"| {label} | not measured | | | |")
                continue
            w(f"| {label} | {r['rps'].fmt()} | {r['p50'].fmt('{:.3f}')} | "
              f"{r['p99'].fmt('{:.3f}')} | {r['cpu'].fmt('{:.1f}')} |")
        w("")

    def write_memory(self, w):
        w("## 2. Reference server memory")
        w("")
        mem = self.results.get("memory")
        if not mem:
            w("Not measured (see below).")
            w("")
            return
        w("VmRSS of a fresh reference server (/proc/PID/status): idle after start, then after "
          "each of three rounds of the mixed workload (at least "
          f"{self.args.mem_requests:,d} requests each, 32 connections, 100 viewers × 3 keys = 300 keys). "
          "The first round warms up: the allocator arena of each gate thread grows to its working "
          "size over the first rounds (in runs of six and eight rounds RSS rose over about three, "
          "then stayed or also fell, as no leak can). Growth between the last two rounds would be "
          f"a leak; the goal allows {self.args.rss_tolerance_kb} KiB of allocator noise.")
        w("")
        w("| moment | requests so far | VmRSS KiB |")
        w("|---|---|---|")
        w(f"| idle | 0 | {mem['idle']:,d} |")
        total = 0
        for i, (n, rss) in enumerate(mem["rounds"], 1):
            total += n
            w(f"| after round {i} | {total:,d} | {rss:,d} |")
        w("")
        w(f"(Checked after the rounds: kv_list shows viewer 0 holding its {mem['keys_viewer0']} personal keys.)")
        w("")

    def write_runner(self, w):
        w("## 3. The conformance runner")
        w("")
        run = self.results.get("runner")
        if not run:
            w("Not measured (see below).")
            w("")
        else:
            for line in run["text"]:
                w(line)
            w("")
        u = self.results.get("uniform")
        if not u:
            self.write_runner_callgrind(w)
            self.write_slow(w)
            return
        w(f"### Plain small requests: {u['n']:,d} echo cases")
        w("")
        w(f"One generated suite of {u['n']:,d} cases, each a single `POST /call/echo` with a token, "
          "checking status and the exact body; the three clients replay the same "
          f"{u['nreq']:,d} requests in order on one connection. This is the like-for-like per-request "
          "comparison: no bulk bodies, no sleeps. One request at a time, the runner waits for each "
          "answer: its wall time per request is at least its own CPU plus the server's (every case's "
          "token is new to the server, which verifies it; wrk's single token is verified once and "
          "cached), measured over the same runs from /proc/PID/task/*/schedstat. At --jobs 1 the "
          "runner waits for each answer polling its socket without sleeping for up to 200 µs "
          "first (`--spin-us`, its default when a core is left idle): its CPU then includes "
          "that wait. With `--spin-us 0`, run in turn with it, it sleeps in poll at once and "
          "its CPU is its work alone; the difference in wall time is what waking a sleeping "
          "process costs on this machine.")
        w("")
        w("| what | ms per request | cost vs the runner |")
        w("|---|---|---|")
        base = u["seq_ms_per_req"].med
        w(f"| runner, --jobs 1 | {u['seq_ms_per_req'].fmt('{:.3f}')} | 1x |")
        w(f"| runner, --jobs 1: its own CPU (user+sys), spins included | "
          f"{u['seq_cpu_ms_per_req'].fmt('{:.3f}')} | – |")
        w(f"| runner, --jobs 1: the reference server's CPU over the same runs | "
          f"{u['srv_ms_per_req'].fmt('{:.3f}')} | – |")
        if u.get("slp_ms_per_req") and u["slp_ms_per_req"].values:
            w(f"| runner, --jobs 1 --spin-us 0 | {u['slp_ms_per_req'].fmt('{:.3f}')} | "
              f"{u['slp_ms_per_req'].med / base:.2f}x |")
            w(f"| runner, --jobs 1 --spin-us 0: its own CPU | {u['slp_cpu_ms_per_req'].fmt('{:.3f}')} | – |")
            w(f"| runner, --jobs 1 --spin-us 0: the reference server's CPU | "
              f"{u['slp_srv_ms_per_req'].fmt('{:.3f}')} | – |")
        if u.get("old_ms_per_req"):
            ref = self.baseline_ref()
            w(f"| runner before ({ref}), --jobs 1 | {u['old_ms_per_req'].fmt('{:.3f}')} | "
              f"{u['old_ms_per_req'].med / base:.2f}x |")
            w(f"| runner before ({ref}), --jobs 1: its own CPU | {u['old_cpu_ms_per_req'].fmt('{:.3f}')} | – |")
            w(f"| runner before ({ref}), --jobs 1: the reference server's CPU | "
              f"{u['old_srv_ms_per_req'].fmt('{:.3f}')} | – |")
        w(f"| bare Python http.client loop, JSON checks | {u['py_ms_per_req'].fmt('{:.3f}')} | "
          f"{u['py_ms_per_req'].med / base:.2f}x |")
        if u.get("newman_ms_per_req"):
            w(f"| newman, run proper | {u['newman_ms_per_req'].fmt('{:.2f}')} | "
              f"{u['newman_ms_per_req'].med / base:.0f}x |")
            w(f"| newman, whole process (node start included) | {u['newman_proc_ms_per_req'].fmt('{:.2f}')} | "
              f"{u['newman_proc_ms_per_req'].med / base:.0f}x |")
        w("")
        if u["bad"]:
            w(f"Note: {len(u['bad'])} timed runner runs exited non-zero (`{u['bad'][0][2]}`).")
            w("")
        if u["py_mism"] or u.get("nm_fail"):
            w(f"Note: mismatches: Python loop {u['py_mism']}, newman {u.get('nm_fail', 0)}.")
            w("")
        self.write_runner_callgrind(w)
        self.write_slow(w)

    def write_runner_callgrind(self, w):
        cg = self.results.get("runner_callgrind")
        if not cg:
            return
        funcs, rows = cg
        w("### The runner's instructions per case (callgrind)")
        w("")
        w("The plain echo suite with 1,200 cases minus the same with 200, divided by 1,000, under "
          "`valgrind --tool=callgrind`, `--jobs 1`, against one reference server: start-up cancels "
          "out, and unlike the timings these counts do not depend on the machine's load. The "
          "function columns are inclusive (callees counted), so they overlap: run_case contains "
          "token_mint and http_do; fixture_load_file is the loading and validation of the suite. "
          "A runner whose duplicate-id check compares each case id with every earlier one (before "
          "the hash set of ids) has a fixture_load_file share per case that grows with the suite's "
          "size.")
        w("")
        w("| runner | instructions per case | " + " | ".join(f.split(":")[1] for f in funcs) + " |")
        w("|---|---|" + "---|" * len(funcs))
        for label, total, per in rows:
            w(f"| {label} | **{total:,.0f}** | " + " | ".join(f"{per.get(f, 0):,.0f}" for f in funcs) + " |")
        w("")

    def write_slow(self, w):
        slow = self.results.get("slow")
        if not slow:
            return
        w("### A target that stalls on delayed ACKs")
        w("")
        w("harness/bench/slow_server.py: Python's http.server (a thread per connection, HTTP/1.1 "
          "keep-alive) answering the plain echo suite as the reference would, but writing each "
          "answer's headers and body in two sends with Nagle's algorithm on. A client that "
          "delays its ACKs (Linux does, on a kept-alive connection) then receives every body "
          "about 40 ms after its headers. The runner counts such answers, acknowledges at once "
          "(TCP_QUICKACK) after two of them, and prints a hint; `--nodelay` is the same server "
          "with TCP_NODELAY, the best the runner can do against it. The runner runs at the "
          f"default --jobs ({os.cpu_count()}); the Python client (harness/bench/pyloop.py, "
          "checking status and JSON body) opens a new connection per request, as simple "
          "clients do, which never meets the stall.")
        w("")
        w("| what | requests | wall s | ms per request |")
        w("|---|---|---|---|")
        n = slow["nreq"]
        w(f"| runner, stalling target | {n:,d} | {slow['stall'].fmt('{:.3f}')} | "
          f"{slow['stall'].med * 1000 / n:.3f} |")
        w(f"| runner, the same target with TCP_NODELAY | {n:,d} | {slow['nodelay'].fmt('{:.3f}')} | "
          f"{slow['nodelay'].med * 1000 / n:.3f} |")
        w(f"| Python client, new connection per request, stalling target | {slow['nreq_py']:,d} | "
          f"{slow['py'].fmt('{:.3f}')} | {slow['py'].med * 1000 / slow['nreq_py']:.3f} |")
        if slow.get("before"):
            secs, nb, rc = slow["before"]
            w(f"| runner before ({self.baseline_ref()}), stalling target (one run) | {nb:,d} | "
              f"{secs:.3f} | {secs * 1000 / nb:.3f} |")
        w("")
        hint = next((h for h in slow["hint_stall"] if h), None)
        if hint:
            w(f"The runner's summary line against the stalling target: `{hint}`")
            w("")
        if slow["bad"]:
            w(f"Note: {len(slow['bad'])} runs did not pass every case (`{slow['bad'][0][2]}`).")
            w("")

    def write_scaling(self, w):
        w("## 4. How cost grows with work")
        w("")
        w("### Runner: the core suite replicated")
        w("")
        rep = self.results.get("replicated")
        if rep:
            for line in rep:
                w(line)
        else:
            w("Not measured (see below).")
        w("")
        w("### Reference server: kv_get throughput by store size")
        w("")
        rows = self.results.get("keys")
        if not rows:
            w("Not measured (see below).")
            w("")
            return
        w("One viewer's personal keys, filled with kv_set (and checked with kv_list), then "
          "kv_get of a random key, 32 connections.")
        w("")
        w(f"| keys in the store | requests/s | p50 ms | p99 ms | server CPU µs/call | vs {rows[0][0]:,d} keys |")
        w("|---|---|---|---|---|---|")
        base = rows[0][1]["rps"].med
        for n, r in rows:
            w(f"| {n:,d} | {r['rps'].fmt()} | {r['p50'].fmt('{:.3f}')} | {r['p99'].fmt('{:.3f}')} | "
              f"{r['cpu'].fmt('{:.1f}')} | {r['rps'].med / base:.0%} |")
        w("")


SECTIONS = ("throughput", "callgrind", "memory", "runner", "uniform", "runner_callgrind", "slow", "keys")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(ROOT, "reports", "bench.md"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    ap.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "5")),
                    help="seconds per measured wrk run")
    ap.add_argument("--key-sizes", type=lambda v: [int(x) for x in v.split(",")],
                    default=[1000, 10_000, 100_000], help="store sizes for kv_get, comma-separated")
    ap.add_argument("--mem-requests", type=int, default=100_000,
                    help="requests per round of the memory test")
    ap.add_argument("--newman-runs", type=int, default=3)
    ap.add_argument("--uniform-cases", type=int, default=1000,
                    help="plain echo cases in the like-for-like runner workload")
    ap.add_argument("--slow-cases", type=int, default=1000,
                    help="plain echo cases against the stalling http.server target")
    ap.add_argument("--slow-baseline-cases", type=int, default=50,
                    help="cases for the runner before the fix against it (each request stalls)")
    ap.add_argument("--replicas", type=lambda v: [int(x) for x in v.split(",")], default=[1, 4, 16],
                    help="copies of the suite for the scaling runs, comma-separated")
    ap.add_argument("--rss-tolerance-kb", type=int, default=64)
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help="comma-separated sections: " + ", ".join(SECTIONS))
    args = ap.parse_args()
    if args.runs < 3:
        print("bench: --runs below 3 gives no meaningful median; using it anyway", file=sys.stderr)
    if shutil.which("wrk") is None:
        print("bench: wrk is missing (make deps-bench installs it)", file=sys.stderr)
        return 2
    b = Bench(args)
    b.t0 = time.monotonic()
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = open("/proc/loadavg").read().split()[:3]
    only = args.only.split(",")
    try:
        for name in SECTIONS:
            if name in only:
                print(f"bench: {name}...", file=sys.stderr)
                getattr(b, "section_" + name)()
        b.write(args.out, started, load0)
    finally:
        shutil.rmtree(b.tmp, ignore_errors=True)
    print(f"bench: wrote {rel(args.out)} in {time.monotonic() - b.t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
