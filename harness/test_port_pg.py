"""The FastAPI port on PostgreSQL (serve.py --store postgres://...): the store contract on
both stores, the whole suite with two workers, two processes sharing one database, schema
creation racing, a statement held past its bound, and an outage answered 503 and recovered
from without a restart.

Each test gets a database of its own in one throwaway cluster (scripts/pg-cluster.sh,
unix socket only), which the outage test stops and starts again, so it runs last.
"""
import asyncio
import concurrent.futures
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import (FASTAPI_SERVE, PYTHON, ROOT, RUNNER, free_port, http,
                      mint, need_binary, run_conformance, stop_child, wait_health)

PORT_DIR = os.path.join(ROOT, "harness", "ports", "fastapi")
if PORT_DIR not in sys.path:
    sys.path.insert(0, PORT_DIR)

from afi_fastapi.store import Conflict, MemoryStore  # noqa: E402
from afi_fastapi.store_pg import PROBE_S  # noqa: E402
from pgcluster import PgCluster  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    c = PgCluster()
    yield c
    c.remove()


class Port:
    """serve.py --store url [more options], started with the given secret."""

    def __init__(self, url, secret, *options):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/afi"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [PYTHON, FASTAPI_SERVE, "--port", str(self.port), "--store", url, *options],
            env=dict(os.environ, AFI_SECRET=secret), stdout=subprocess.DEVNULL,
            stderr=self.log)

    def wait(self):
        try:
            wait_health(self.base, timeout=60, proc=self.proc)
        except RuntimeError as e:
            self.stop()
            raise RuntimeError(f"{e}; stderr: {self.stderr()[-2000:]!r}") from None
        return self

    def stderr(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self):
        stop_child(self.proc)


def call(base, name, args=None, token=None):
    return http(base, "POST", "/call/" + name, body=args if args is not None else {},
                token=token)


# --- the store contract, on both stores ------------------------------------------------

@pytest.fixture(params=["memory", "postgres"])
def store(request):
    if request.param == "memory":
        yield MemoryStore()
        return
    from afi_fastapi.store_pg import PgStore
    pg = PgStore(request.getfixturevalue("cluster").database())
    yield pg
    pg.close()


def run(coroutine):
    return asyncio.run(coroutine)


def test_store_values_round_trip_as_written(store):
    """SCOPE-4: key order, Unicode, integers at 2^53, floats, null: read back as written."""
    value = {"z": 1, "a": [2 ** 53, -(2 ** 53), 1.5, "é\u2028😀", None, True], "m": {}}
    run(store.set("alice", "personal:v", value))
    got, rev = run(store.get("alice", "personal:v"))
    assert json.dumps(got) == json.dumps(value) and rev == 1
    assert isinstance(got["a"][0], int)
    run(store.set("alice", "personal:n", None))
    assert run(store.get("alice", "personal:n")) == (None, 1)


def test_store_revs_compare_and_set_and_create_only(store):
    """SCOPE-5: revs count writes; if_rev must match; if_rev 0 creates only; a deleted key
    starts again at 1."""
    assert run(store.get("", "shared:k")) == (None, 0)
    assert run(store.set("", "shared:k", "a")) == 1
    assert run(store.set("", "shared:k", "b")) == 2
    with pytest.raises(Conflict):
        run(store.set("", "shared:k", "c", if_rev=1))
    with pytest.raises(Conflict):
        run(store.set("", "shared:k", "c", if_rev=0))
    assert run(store.get("", "shared:k")) == ("b", 2)
    assert run(store.set("", "shared:k", "c", if_rev=2)) == 3
    assert run(store.delete("", "shared:k")) is True
    assert run(store.delete("", "shared:k")) is False
    assert run(store.get("", "shared:k")) == (None, 0)
    with pytest.raises(Conflict):
        run(store.set("", "shared:k", "d", if_rev=3))
    assert run(store.set("", "shared:k", "d", if_rev=0)) == 1


def test_store_owners_never_collide(store):
    """SCOPE-2: every sub is its own owner, "" is shared; subs that differ only by a NUL, a
    lone surrogate or a separator never read each other's keys."""
    owners = ["", "a", "a\x00", "a:", "\ud800", "a\x00b"]
    for n, owner in enumerate(owners):
        run(store.set(owner, "personal:x", n))
    for n, owner in enumerate(owners):
        assert run(store.get(owner, "personal:x")) == (n, 1), repr(owner)
        assert run(store.keys(owner, "personal:")) == ["personal:x"]


def test_store_keys_in_byte_order_by_prefix(store):
    """kv_list: the owner's keys under the prefix, byte-sorted (upper case before lower);
    `_` and `%` in a prefix are characters, not patterns."""
    for key in ["shared:b", "shared:B", "shared:a_1", "shared:ab", "shared:-", "shared:_"]:
        run(store.set("", key, 0))
    run(store.set("bob", "shared:zz", 0))
    run(store.set("", "personal:p", 0))
    assert run(store.keys("", "shared:")) == ["shared:-", "shared:B", "shared:_",
                                              "shared:a_1", "shared:ab", "shared:b"]
    assert run(store.keys("", "shared:a_")) == ["shared:a_1"]
    assert run(store.keys("", "shared:%")) == []


def test_store_counters(store):
    """SCOPE-6: absent counts as 0; non-integers (floats, booleans, text) and sums beyond
    2^53 are Conflict and change nothing."""
    assert run(store.incr("", "shared:c", 5)) == 5
    assert run(store.incr("", "shared:c", 2)) == 7
    assert run(store.get("", "shared:c")) == (7, 2)
    for other in [5.0, True, "7", None, [1]]:
        run(store.set("", "shared:o", other))
        with pytest.raises(Conflict):
            run(store.incr("", "shared:o", 1))
        assert run(store.get("", "shared:o"))[0] == other
    run(store.set("", "shared:big", 2 ** 53 - 1))
    assert run(store.incr("", "shared:big", 1)) == 2 ** 53
    with pytest.raises(Conflict):
        run(store.incr("", "shared:big", 1))
    assert run(store.get("", "shared:big")) == (2 ** 53, 2)
    run(store.set("", "shared:neg", -(2 ** 53)))
    assert run(store.incr("", "shared:neg", 1000)) == -(2 ** 53) + 1000


def test_store_concurrent_increments_add_up(store):
    """SCOPE-6 within one process: 64 increments at once add 64 and 64 revs."""
    async def many():
        return await asyncio.gather(*[store.incr("", "shared:hot", 1) for _ in range(64)])
    assert sorted(run(many())) == list(range(1, 65))
    assert run(store.get("", "shared:hot")) == (64, 64)


def test_store_revocation_by_exact_jti(store):
    """AUTH-6: revoked by jti alone, any length a token allows, NUL included."""
    long_jti = "j" * 8000
    for jti in [long_jti, "a\x00", "x"]:
        assert not run(store.is_revoked(jti))
        run(store.revoke(jti))
        run(store.revoke(jti))  # twice is fine
        assert run(store.is_revoked(jti))
    for jti in [long_jti + "j", "a", "a\x00b", "X"]:
        assert not run(store.is_revoked(jti)), repr(jti[:20])


# --- serve.py --store ------------------------------------------------------------------

def test_serve_refuses_a_store_it_cannot_use():
    """Exit 2 for a URL that cannot work, exit 1 for a database that cannot be reached:
    in both cases before listening, with a message that says why."""
    env = dict(os.environ, AFI_SECRET="s" * 32)
    cp = subprocess.run([PYTHON, FASTAPI_SERVE, "--port", "0", "--store", "mysql://x/y"],
                        capture_output=True, text=True, timeout=60, env=env)
    assert cp.returncode == 2 and "postgres://" in cp.stderr, cp.stderr
    absent = "postgresql:///postgres?host=/nonexistent-afi-socket-dir&user=postgres"
    cp = subprocess.run([PYTHON, FASTAPI_SERVE, "--port", "0", "--store", absent],
                        capture_output=True, text=True, timeout=60, env=env)
    assert cp.returncode == 1 and "cannot reach the database" in cp.stderr, cp.stderr
    assert "listening" not in cp.stdout


def test_two_workers_pass_the_whole_suite(cluster, tmp_path):
    """Issue 12: `serve.py --workers 2 --store postgres://...` passes every case, the state
    cases (64 concurrent increments, read-your-writes, logout) included; its URL given twice,
    the cases tagged cluster run too (docs/fixtures.md, "Several targets")."""
    need_binary(RUNNER)
    secret = secrets.token_hex(24)
    port = Port(cluster.database(), secret, "--workers", "2").wait()
    try:
        report_path = os.path.join(str(tmp_path), "fastapi-pg.json")
        cp = run_conformance("run", "--target", port.base, "--target", port.base, "--name", "fastapi-pg",
                             "--jobs", "2", "--level", "full",
                             "--report", "json:" + report_path, secret=secret)
        assert os.path.exists(report_path), f"no report (exit {cp.returncode}): {cp.stderr}"
        with open(report_path, encoding="utf-8") as f:
            report = json.load(f)
        bad = [f"{c['id']}: {(c.get('failures') or [{}])[0].get('message', '')}"
               for s in report["suites"] for c in s["cases"]
               if c["status"] != "passed"
               and not (c["status"] == "skipped" and c["id"].startswith(("full.", "jwks.")))]
        assert not bad, "\n".join(bad[:40]) + "\n" + port.stderr()[-2000:]
        s = report["summary"]  # without a key the FULL-* cases are skipped
        assert cp.returncode == 0 and s["passed"] + s["skipped"] == s["total"] > 0
    finally:
        port.stop()


@pytest.fixture
def two_ports(cluster):
    """Two port processes on one fresh database, started together (so their schema
    creation races), sharing a secret."""
    url, secret = cluster.database(), secrets.token_hex(24)
    ports = [Port(url, secret), Port(url, secret)]
    try:
        for p in ports:
            p.wait()
        yield ports, secret
    finally:
        for p in ports:
            p.stop()


def test_a_write_on_one_process_is_read_on_the_other(two_ports):
    (a, b), secret = two_ports
    alice, bob = mint(secret, sub="alice"), mint(secret, sub="bob")
    r = call(a.base, "kv_set", {"key": "personal:x", "value": {"b": 1, "a": 2 ** 53}},
             alice)
    assert r.status == 200 and r.json()["result"]["rev"] == 1, r
    r = call(b.base, "kv_get", {"key": "personal:x"}, alice)
    assert r.status == 200, r
    assert r.body.startswith(b'{"result":{"key":"personal:x","value":{"b":1,"a":9007199254740992}'), r
    assert call(b.base, "kv_get", {"key": "personal:x"}, bob).json()["result"]["rev"] == 0
    assert call(b.base, "save_draft", {"body": "from b"}, alice).status == 200
    ctx_a = http(a.base, "GET", "/context/user", token=alice)
    ctx_b = http(b.base, "GET", "/context/user", token=alice)
    assert ctx_a.json()["data"]["get_draft"] == {"draft": "from b"}, ctx_a
    assert ctx_a.header("ETag") == ctx_b.header("ETag"), "the bundle's tag differs by process"
    r = http(b.base, "GET", "/context/user", token=alice,
             headers={"If-None-Match": ctx_a.header("ETag")})
    assert r.status == 304, r


def test_a_logout_on_one_process_revokes_on_the_other(two_ports):
    (a, b), secret = two_ports
    token, other = mint(secret, sub="carol"), mint(secret, sub="carol")
    assert call(b.base, "whoami", token=token).status == 200
    r = call(a.base, "logout", token=token)
    assert r.status == 200 and r.json()["result"] == {"revoked": True}, r
    r = call(b.base, "whoami", token=token)
    assert r.status == 401 and r.json()["error"]["code"] == "token_revoked", r
    assert call(b.base, "whoami", token=other).status == 200


def test_concurrent_increments_over_both_processes_add_exactly(two_ports):
    """SCOPE-6 across processes: 64 concurrent counter_incr, alternating between the two,
    add 64: each value 1..64 is answered once and the rev is 64."""
    (a, b), secret = two_ports
    writer = mint(secret, sub="w", role="WRITER")

    def incr(n):
        r = call((a, b)[n % 2].base, "counter_incr", {"key": "shared:hot"}, writer)
        assert r.status == 200, r
        return r.json()["result"]["value"]
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        values = sorted(pool.map(incr, range(64)))
    assert values == list(range(1, 65))
    r = call(a.base, "kv_get", {"key": "shared:hot"}, writer).json()["result"]
    assert (r["value"], r["rev"]) == (64, 64), r


def test_schema_creation_is_safe_when_many_start_together(cluster):
    """Eight processes' worth of schema creation at once on fresh databases: the advisory
    lock makes them take turns (CREATE TABLE IF NOT EXISTS alone fails with a duplicate
    key in pg_type when two race), and creating an existing schema again is fine."""
    from afi_fastapi import store_pg
    for _ in range(3):
        url = cluster.database()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: store_pg.prepare(url), range(8)))  # raises on any error
        store_pg.prepare(url)


def test_a_statement_held_up_answers_503_not_never(cluster):
    """HLT-1's bound: a counter_incr that waits for a row lock another session holds is
    503 unavailable once statement_timeout ends it, never a hang; once the lock is gone the
    same call succeeds. (http() gives up after 15 s, far beyond the 2 s bound.)"""
    import psycopg2
    secret, url = secrets.token_hex(24), cluster.database()
    port = Port(url, secret).wait()
    token = mint(secret, sub="erin", role="WRITER")
    blocker = psycopg2.connect(url)
    try:
        assert call(port.base, "counter_incr", {"key": "shared:locked"}, token).status == 200
        with blocker.cursor() as cur:  # psycopg2 opens a transaction: the lock stays held
            cur.execute("SELECT rev FROM afi_fastapi_kv WHERE key = 'shared:locked' FOR UPDATE")
            assert cur.fetchone() == (1,)
        r = call(port.base, "counter_incr", {"key": "shared:locked"}, token)
        assert r.status == 503 and r.json()["error"]["code"] == "unavailable", r
        blocker.rollback()
        time.sleep(2 * PROBE_S)  # past the window in which the port answers 503 at once
        # A 503 may or may not have been applied (HLT-1): count from what is there.
        r = call(port.base, "kv_get", {"key": "shared:locked"}, token)
        assert r.status == 200 and r.json()["result"]["value"] in (1, 2), r
        value = r.json()["result"]["value"]
        r = call(port.base, "counter_incr", {"key": "shared:locked"}, token)
        assert r.status == 200 and r.json()["result"]["value"] == value + 1, r
    finally:
        blocker.close()
        port.stop()


# --- last: the cluster goes away and comes back ---------------------------------------

def test_outage_is_503_and_recovers_by_itself(cluster):
    """HLT-1: with the database stopped, /health and every call that needs the store
    answer 503 unavailable with the envelope (a jti whose revocation cannot be checked
    too), echo without a token still answers; once the database is back, every worker
    serves again, writes included, without a restart. http() times out after 15 s, so a
    call that hangs fails."""
    secret = secrets.token_hex(24)
    port = Port(cluster.database(), secret, "--workers", "2").wait()
    token = mint(secret, sub="dana", role="WRITER")
    try:
        assert call(port.base, "kv_set", {"key": "shared:k", "value": 1}, token).status == 200
        cluster.stop()
        for request in [lambda: http(port.base, "GET", "/health"),
                        lambda: call(port.base, "kv_get", {"key": "shared:k"}, token),
                        lambda: call(port.base, "echo", {"text": "hi"}, token)]:
            for _ in range(4):  # both workers, stale connections and fresh attempts alike
                r = request()
                assert r.status == 503 and r.json() == {"error": {
                    "code": "unavailable", "message": r.json()["error"]["message"],
                    "details": None}}, r
        r = call(port.base, "echo", {"text": "hi"})
        assert r.status == 200 and r.json()["result"] == {"message": "hi"}, r
        cluster.start()
        wait_health(port.base, timeout=30, proc=port.proc)
        # Each worker tries the database at most PROBE_S after its last failure and
        # answers 503 at once until then; past that, every worker has the database back.
        time.sleep(2 * PROBE_S)
        for n in range(8):
            r = call(port.base, "counter_incr", {"key": "shared:k"}, token)
            assert r.status == 200 and r.json()["result"]["value"] == n + 2, r
        assert http(port.base, "GET", "/health").json()["store"] == "ok"
    finally:
        cluster.start()
        port.stop()
