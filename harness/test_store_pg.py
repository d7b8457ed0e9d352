"""The reference server on PostgreSQL (issue 12), black box: instances sharing one
database, restarts, SIGKILL under load, the database stopped and hung under load
(HLT-1 unavailable within its bound, recovery without a restart), the whole suite.

Every test runs against one throwaway cluster (scripts/pg-cluster.sh) in a fresh
temporary directory, stopped and removed at the end; keys and viewers are unique
per test, so tests share the database without meeting."""
import http.client as httpclient
import os
import secrets
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

from conftest import SERVER, closing_line, free_port, http, mint, \
    need_binary, run_conformance, stop_child, wait_health
from pgcluster import PgCluster

BOUND = 5.0   # STORE_PG_BOUND_MS of reference/store_pg.h: the longest a store operation waits
PING = 1.0    # STORE_PG_PING_MS: /health's own bound
SLACK = 1.5   # a loaded 2-core machine schedules late; an answer past BOUND + SLACK hung
RECOVERY = 15.0  # PostgreSQL's own start plus STORE_PG_RETRY_MS, generously


@pytest.fixture(scope="module")
def cluster():
    need_binary(SERVER)
    c = PgCluster()
    yield c
    c.remove()


class Instance:
    """One reference server on the cluster's database; a given port lets a restart keep its address."""

    def __init__(self, url, secret, port=None):
        self.secret = secret
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}/afi"
        self.log = tempfile.TemporaryFile()
        env = dict(os.environ, AFI_SECRET=secret)
        env.pop("AFI_STORE", None)
        self.proc = subprocess.Popen([SERVER, "--port", str(self.port), "--store", url], env=env,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        wait_health(self.base, proc=self.proc)

    def call(self, name, args=None, token=None, timeout=15):
        return http(self.base, "POST", "/call/" + name, body=args if args is not None else {},
                    token=token, timeout=timeout)

    def ok(self, name, args=None, token=None):
        r = self.call(name, args, token)
        assert r.status == 200, f"{name}({args}) -> {r}"
        return r.json()["result"]

    def health(self, timeout=15):
        return http(self.base, "GET", "/health", timeout=timeout)

    def stop(self):
        stop_child(self.proc)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def instances(cluster):
    """Starts instances on the cluster (start(secret, port=None)); stops them all afterwards."""
    started = []

    def start(secret, port=None):
        i = Instance(cluster.url, secret, port)
        started.append(i)
        return i
    yield start
    for i in started:
        i.stop()


def unavailable(r):
    """Asserts r is the ENV-1 envelope of HLT-1's unavailable, 503."""
    assert r.status == 503, r
    doc = r.json()
    assert set(doc) == {"error"} and set(doc["error"]) == {"code", "message", "details"}, doc
    assert doc["error"]["code"] == "unavailable" and doc["error"]["message"], doc
    assert doc["error"]["details"] is None, doc


def tag():
    return uuid.uuid4().hex[:12]


def test_two_instances_share_one_database(instances):
    secret = secrets.token_hex(24)
    a, b = instances(secret), instances(secret)
    t = tag()
    writer = mint(secret, sub="writer-" + t, role="WRITER")
    alice, bob = mint(secret, sub="alice-" + t), mint(secret, sub="bob-" + t)
    # SCOPE-4: the exact text goes through the database: key order, number tokens.
    raw = '{"key":"shared:doc-%s","value":{"z":1.0,"a":[1E2,-0,9007199254740993],"m":"\\u00e9"}}' % t
    r = http(a.base, "POST", "/call/kv_set", body=raw, headers={"Content-Type": "application/json"},
             token=writer)
    assert r.status == 200 and r.json()["result"]["rev"] == 1, r
    r = b.call("kv_get", {"key": f"shared:doc-{t}"}, alice)
    assert r.status == 200, r
    assert b'"value":{"z":1.0,"a":[1E2,-0,9007199254740993],"m":"\xc3\xa9"},"rev":1' in r.body, r.body
    # SCOPE-5: revs and if_rev across instances.
    assert b.ok("kv_set", {"key": f"shared:doc-{t}", "value": 2, "if_rev": 1}, writer)["rev"] == 2
    r = a.call("kv_set", {"key": f"shared:doc-{t}", "value": 3, "if_rev": 1}, writer)
    assert r.status == 409 and r.json()["error"]["code"] == "conflict", r
    assert a.ok("kv_set", {"key": f"shared:new-{t}", "value": 1, "if_rev": 0}, writer)["rev"] == 1
    assert b.call("kv_set", {"key": f"shared:new-{t}", "value": 1, "if_rev": 0}, writer).status == 409
    # SCOPE-6 across instances.
    a.ok("counter_incr", {"key": f"shared:c-{t}", "by": 5}, writer)
    assert b.ok("counter_incr", {"key": f"shared:c-{t}"}, writer)["value"] == 6
    # SCOPE-2: alice's personal data on A is not bob's on B, nor in his list.
    a.ok("kv_set", {"key": "personal:secret", "value": "alice's"}, alice)
    assert b.ok("kv_get", {"key": "personal:secret"}, bob)["value"] is None
    assert b.ok("kv_get", {"key": "personal:secret"}, alice)["value"] == "alice's"
    assert b.ok("kv_list", {"scope": "personal"}, bob)["keys"] == []
    assert b.ok("kv_list", {"scope": "personal"}, alice)["keys"] == ["personal:secret"]
    # AUTH-6: logout on A revokes on B; the same sub's other token keeps working.
    t1, t2 = mint(secret, sub="carol-" + t), mint(secret, sub="carol-" + t)
    assert b.ok("whoami", None, t1)["sub"] == "carol-" + t
    assert a.ok("logout", None, t1) == {"revoked": True}
    r = b.call("whoami", None, t1)
    assert r.status == 401 and r.json()["error"]["code"] == "token_revoked", r
    assert b.ok("whoami", None, t2)["sub"] == "carol-" + t


def test_restarts_keep_writes_and_revocations(cluster, instances):
    secret = secrets.token_hex(24)
    a = instances(secret)
    t = tag()
    writer = mint(secret, sub="w-" + t, role="WRITER")
    gone, kept = mint(secret, sub="v-" + t), mint(secret, sub="v-" + t)
    raw = '{"key":"shared:k-%s","value":{"b":[1.50],"a":null}}' % t
    for _ in range(2):
        r = http(a.base, "POST", "/call/kv_set", body=raw, headers={"Content-Type": "application/json"},
                 token=writer)
        assert r.status == 200, r
    a.ok("kv_set", {"key": "personal:p", "value": "mine"}, gone)
    for _ in range(3):
        a.ok("counter_incr", {"key": f"shared:c-{t}"}, writer)
    a.ok("logout", None, gone)
    # Every instance and the database itself restarted.
    a.stop()
    cluster.stop()
    cluster.start()
    b = instances(secret)
    r = b.call("kv_get", {"key": f"shared:k-{t}"}, kept)
    assert r.status == 200 and b'"value":{"b":[1.50],"a":null},"rev":2' in r.body, r
    assert b.ok("kv_get", {"key": "personal:p"}, kept)["value"] == "mine"
    assert b.ok("kv_get", {"key": f"shared:c-{t}"}, kept)["value"] == 3
    r = b.call("whoami", None, gone)
    assert r.status == 401 and r.json()["error"]["code"] == "token_revoked", r
    assert b.ok("whoami", None, kept)["sub"] == "v-" + t


class Load:
    """Workers, each its own WRITER viewer, alternating between the instances in targets
    (a list the test may change): counter_incr on one shared counter, kv_set of personal
    keys, and reads of their own keys checked against what they wrote. Records what was
    acknowledged (200) and every answer, with when it was asked and how long it took."""

    def __init__(self, secret, targets, workers=6):
        self.t = tag()
        self.counter = f"shared:load-{self.t}"
        self.targets = targets
        self.stop_flag = threading.Event()
        self.subs = [f"load-{self.t}-{i}" for i in range(workers)]
        self.tokens = [mint(secret, sub=s, role="WRITER", ttl=3600) for s in self.subs]
        self.acked_incr = [0] * workers
        self.tried_incr = [0] * workers
        self.acked_sets = [dict() for _ in range(workers)]
        self.foreign = []   # a viewer that read another's data
        self.answers = []   # (started, elapsed, status, code or None)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._work, args=(i,), daemon=True)
                        for i in range(workers)]

    def _ask(self, i, n, name, args):
        inst = self.targets[n % len(self.targets)]
        started = time.monotonic()
        try:
            r = inst.call(name, args, self.tokens[i], timeout=BOUND * 4 + SLACK)
        except (OSError, httpclient.HTTPException):
            r = None   # the instance is gone: nothing acknowledged
        elapsed = time.monotonic() - started
        code = None
        if r is not None and r.status >= 400:
            code = r.json()["error"]["code"]
        with self.lock:
            self.answers.append((started, elapsed, r.status if r else None, code))
        return r

    def _work(self, i):
        n = 0
        while not self.stop_flag.is_set():
            self.tried_incr[i] += 1
            r = self._ask(i, n, "counter_incr", {"key": self.counter})
            if r is not None and r.status == 200:
                self.acked_incr[i] += 1
            key = f"personal:k{n}"
            value = {"sub": self.subs[i], "n": n}
            r = self._ask(i, n + 1, "kv_set", {"key": key, "value": value})
            if r is not None and r.status == 200:
                self.acked_sets[i][key] = value
            r = self._ask(i, n, "kv_get", {"key": key})
            if r is not None and r.status == 200:
                got = r.json()["result"]["value"]
                if got is not None and got.get("sub") != self.subs[i]:
                    self.foreign.append((self.subs[i], key, got))
            n += 1

    def start(self):
        for th in self.threads:
            th.start()

    def stop(self):
        self.stop_flag.set()
        for th in self.threads:
            th.join(timeout=60)

    def check_nothing_lost(self, inst):
        """Every acknowledged write is there, the counter holds every acknowledged increment
        (and no more than were tried), and each viewer lists only its own keys."""
        assert not self.foreign, f"viewers saw another's data: {self.foreign[:5]}"
        value = inst.ok("kv_get", {"key": self.counter}, self.tokens[0])["value"]
        acked, tried = sum(self.acked_incr), sum(self.tried_incr)
        assert acked > 0, "the load made no progress"
        assert acked <= value <= tried, f"counter {value}: {acked} acknowledged, {tried} tried"
        for i, sets in enumerate(self.acked_sets):
            keys = inst.ok("kv_list", {"scope": "personal"}, self.tokens[i])["keys"]
            assert set(sets) <= set(keys), f"{self.subs[i]} lost {sorted(set(sets) - set(keys))[:5]}"
            for key in keys:
                got = inst.ok("kv_get", {"key": key}, self.tokens[i])["value"]
                assert got["sub"] == self.subs[i], (self.subs[i], key, got)
                if key in sets:
                    assert got == sets[key], (key, got, sets[key])


def test_sigkill_of_one_instance_under_load_loses_nothing_acknowledged(instances):
    secret = secrets.token_hex(24)
    a, b = instances(secret), instances(secret)
    targets = [a, b]
    load = Load(secret, targets)
    load.start()
    try:
        time.sleep(2)
        a.kill()
        time.sleep(1)
        targets[0] = instances(secret, port=a.port)   # the same address again
        time.sleep(2)
    finally:
        load.stop()
    answered = [s for _, _, s, _ in load.answers if s is not None]
    assert answered and all(s == 200 for s in answered), \
        f"answers other than 200: {sorted(set(answered))}"
    assert any(s is None for _, _, s, _ in load.answers), "the kill cut no request short"
    load.check_nothing_lost(b)
    load.check_nothing_lost(targets[0])


def test_postgres_stopped_under_load_answers_unavailable_then_recovers(cluster, instances):
    secret = secrets.token_hex(24)
    inst = instances(secret)
    load = Load(secret, [inst], workers=4)
    load.start()
    try:
        time.sleep(1.5)
        cluster.stop()
        down_from = time.monotonic()
        time.sleep(3)
        t0 = time.monotonic()
        unavailable(inst.health(timeout=BOUND + SLACK))
        assert time.monotonic() - t0 < PING + SLACK
        down_until = time.monotonic()
        cluster.start()
        deadline = time.monotonic() + RECOVERY
        while inst.health().status != 200:
            assert time.monotonic() < deadline, f"no recovery within {RECOVERY}s of the database's return"
            time.sleep(0.1)
        up_from = time.monotonic()
        time.sleep(1.5)
    finally:
        load.stop()
        cluster.start()  # after a failed assertion above too: the next tests need the database
    assert inst.proc.poll() is None, "the instance recovered without a restart"
    during = [a for a in load.answers if down_from < a[0] and a[0] + a[1] < down_until]
    assert len(during) >= 4, f"too few answers during the outage: {len(during)}"
    assert all(s == 503 and c == "unavailable" for _, _, s, c in during), \
        f"during the outage: {sorted({(s, c) for _, _, s, c in during}, key=str)}"
    slow = [round(e, 2) for st, e, _, _ in load.answers if down_from < st < down_until and e > BOUND + SLACK]
    assert not slow, f"answers past the bound during the outage: {slow}"
    after = [s for st, _, s, _ in load.answers if st > up_from]
    assert after and all(s == 200 for s in after), f"after recovery: {sorted(set(after), key=str)}"
    load.check_nothing_lost(inst)


def test_a_database_crash_under_load_keeps_every_acknowledged_write(cluster, instances):
    """SIGQUIT is PostgreSQL's immediate shutdown: no checkpoint, crash recovery from the
    WAL at the next start. Every 200 was committed with synchronous_commit on."""
    secret = secrets.token_hex(24)
    inst = instances(secret)
    load = Load(secret, [inst], workers=4)
    load.start()
    try:
        time.sleep(2)
        master = cluster.pids()[0]
        os.kill(master, signal.SIGQUIT)
        deadline = time.monotonic() + 30
        while os.path.exists(f"/proc/{master}") and time.monotonic() < deadline:
            time.sleep(0.05)
        cluster.start()
        deadline = time.monotonic() + RECOVERY
        while inst.health().status != 200:
            assert time.monotonic() < deadline, "no recovery after the crash"
            time.sleep(0.1)
        time.sleep(1)
    finally:
        load.stop()
    codes = {(s, c) for _, _, s, c in load.answers}
    assert codes <= {(200, None), (503, "unavailable")}, codes
    load.check_nothing_lost(inst)


def test_a_hung_database_is_answered_within_the_bound(cluster, instances):
    secret = secrets.token_hex(24)
    inst = instances(secret)
    viewer = mint(secret, role="WRITER")
    inst.ok("kv_set", {"key": "personal:before", "value": 1}, viewer)
    pids = cluster.pids()
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    try:
        for args in ({"key": "personal:before"}, {"key": "shared:x"}):
            t0 = time.monotonic()
            unavailable(inst.call("kv_get", args, viewer, timeout=BOUND * 4))
            assert time.monotonic() - t0 < BOUND + SLACK, f"{time.monotonic() - t0:.2f}s"
        t0 = time.monotonic()
        unavailable(inst.health(timeout=BOUND * 4))
        assert time.monotonic() - t0 < PING + SLACK, f"/health took {time.monotonic() - t0:.2f}s"
    finally:
        for p in pids:
            os.kill(p, signal.SIGCONT)
    deadline = time.monotonic() + RECOVERY
    while inst.health().status != 200:
        assert time.monotonic() < deadline, "no recovery once the database went on"
        time.sleep(0.1)
    assert inst.ok("kv_get", {"key": "personal:before"}, viewer)["value"] == 1


def test_the_whole_suite_passes_on_postgres(instances):
    secret = secrets.token_hex(24)
    inst = instances(secret)
    cp = run_conformance("run", "--target", inst.base, secret=secret, timeout=300)
    assert cp.returncode == 0, cp.stdout[-2000:] + cp.stderr[-2000:]
    assert closing_line(cp.stdout).split(",")[1].strip() == "0 failed", closing_line(cp.stdout)


def test_an_unreachable_store_at_start_is_exit_1_with_the_reason():
    """AFI_STORE is read like --store; a database that cannot be reached stops the start."""
    need_binary(SERVER)
    env = dict(os.environ, AFI_SECRET=secrets.token_hex(24),
               AFI_STORE="postgresql:///postgres?host=/nonexistent-afi-socket-dir")
    t0 = time.monotonic()
    cp = subprocess.run([SERVER, "--port", "0"], env=env, capture_output=True, text=True, timeout=30)
    assert cp.returncode == 1, (cp.returncode, cp.stderr)
    assert "cannot set up the PostgreSQL store" in cp.stderr and "/nonexistent-afi-socket-dir" in cp.stderr, \
        cp.stderr
    assert time.monotonic() - t0 < BOUND + SLACK
    assert "listening on" not in cp.stdout
