"""The PostgreSQL store: every process on one database shares data, counters and revocations.

Atomicity comes from PostgreSQL, not from this process (SCOPE-5, SCOPE-6, ROB-2): each
operation is one statement in its own transaction (autocommit), so any number of workers
and hosts may share a database. docs/porting.md section 8 walks through the SQL.

psycopg2 blocks, so no statement runs on the event loop: each operation runs on a small
thread pool, and each of its threads keeps one connection of its own. The event loop
only waits, at most BOUND_S, for the answer (HLT-1: then 503 unavailable).
"""
import asyncio
import concurrent.futures
import hashlib
import json
import select
import threading
import time

import psycopg2
import psycopg2.extensions

from .store import MAX_SAFE_INTEGER, Conflict, Store, StoreConfigError, Unavailable

BOUND_S = 2.0       # HLT-1: per operation, waiting for a thread and connecting included
# The database ends a statement (a lock wait included) before the port stops waiting for it,
# so a statement that was merely slow is 503 and known not to have been applied.
STATEMENT_TIMEOUT_MS = 1500
PROBE_S = 0.25      # once the database failed: one attempt per PROBE_S, the rest 503 at once
CONNECTIONS = 4     # per process: one per pool thread
KV = "afi_fastapi_kv"
REVOKED = "afi_fastapi_revoked"
# pg_advisory_xact_lock key serializing schema creation: any bigint that no other program
# on the database uses for its own lock (this one is the first 8 bytes of sha256(KV)).
SCHEMA_LOCK = int.from_bytes(hashlib.sha256(KV.encode()).digest()[:8], "big", signed=True)

# libpq's own bounds; the URL's values win. connect_timeout is whole seconds (2 at least);
# keepalives and tcp_user_timeout free a thread whose TCP peer vanished without a reset.
CONNECT_DEFAULTS = {"connect_timeout": "2", "keepalives_idle": "5",
                    "keepalives_interval": "2", "keepalives_count": "3",
                    "tcp_user_timeout": "10000", "application_name": "afi-fastapi"}

SCHEMA_SQL = f"""
BEGIN;
SELECT pg_advisory_xact_lock({SCHEMA_LOCK});
CREATE TABLE IF NOT EXISTS {KV} (
    owner bytea NOT NULL,
    key   text COLLATE "C" NOT NULL,
    value text NOT NULL,
    rev   bigint NOT NULL,
    PRIMARY KEY (owner, key));
CREATE TABLE IF NOT EXISTS {REVOKED} (
    jti_hash bytea PRIMARY KEY,
    jti      bytea NOT NULL);
COMMIT;
"""

GET_SQL = f"SELECT value, rev FROM {KV} WHERE owner = %s AND key = %s"
SET_SQL = (f"INSERT INTO {KV} AS t (owner, key, value, rev) VALUES (%s, %s, %s, 1) "
           "ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value, rev = t.rev + 1 "
           "RETURNING rev")
CREATE_SQL = (f"INSERT INTO {KV} (owner, key, value, rev) VALUES (%s, %s, %s, 1) "
              "ON CONFLICT (owner, key) DO NOTHING RETURNING rev")
CAS_SQL = (f"UPDATE {KV} SET value = %s, rev = rev + 1 "
           "WHERE owner = %s AND key = %s AND rev = %s RETURNING rev")
DELETE_SQL = f"DELETE FROM {KV} WHERE owner = %s AND key = %s"
KEYS_SQL = f"SELECT key FROM {KV} WHERE owner = %s AND key LIKE %s ORDER BY key"
# The CASE makes PostgreSQL test the pattern before it casts: AND has no evaluation order.
INCR_SQL = (f"INSERT INTO {KV} AS t (owner, key, value, rev) VALUES (%(owner)s, %(key)s, %(first)s, 1) "
            "ON CONFLICT (owner, key) DO UPDATE "
            "SET value = (t.value::numeric + %(by)s)::text, rev = t.rev + 1 "
            "WHERE CASE WHEN t.value ~ '^-?[0-9]+$' "
            "THEN abs(t.value::numeric + %(by)s) <= %(max)s ELSE false END "
            "RETURNING value")
REVOKE_SQL = (f"INSERT INTO {REVOKED} (jti_hash, jti) VALUES (sha256(%s), %s) "
              "ON CONFLICT (jti_hash) DO NOTHING")
REVOKED_SQL = f"SELECT 1 FROM {REVOKED} WHERE jti_hash = sha256(%s) AND jti = %s"
PING_SQL = "SELECT 1"

# What a lost or refused connection, a server shutting down or statement_timeout raise.
_DOWN = (psycopg2.OperationalError, psycopg2.InterfaceError)


def _bytes(text: str) -> bytes:
    """A sub or jti as bytea: any string, NUL and lone surrogates included (a text column
    refuses U+0000), and two different strings never give the same bytes."""
    return text.encode("utf-8", "surrogatepass")


def _json(value) -> str:
    """SCOPE-4: the exact compact JSON text, stored as text (jsonb would reorder keys and
    rewrite numbers)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _one_line(exc) -> str:
    """libpq's messages span lines; the log keeps one line per event."""
    return " ".join(str(exc).split())


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def connect(url: str):
    """A new autocommit connection with the bounds of this module; psycopg2 errors pass."""
    try:
        params = psycopg2.extensions.parse_dsn(url)
    except psycopg2.ProgrammingError as exc:
        raise StoreConfigError(f"not a PostgreSQL URL libpq accepts: {exc}") from None
    conn = psycopg2.connect(**{**CONNECT_DEFAULTS, **params})
    try:
        conn.autocommit = True
        conn.set_client_encoding("UTF8")
        with conn.cursor() as cur:
            cur.execute("SET statement_timeout = %s", (STATEMENT_TIMEOUT_MS,))
    except BaseException:
        conn.close()
        raise
    return conn


def create_schema(conn) -> None:
    """The tables, when absent. CREATE TABLE IF NOT EXISTS alone is not safe when several
    workers start together (both see no table, one fails on a catalog unique index), so
    the creators take turns under a transaction-scoped advisory lock. On any error conn is
    closed: its session may be left inside the failed transaction."""
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_encoding")
            encoding = cur.fetchone()[0]
            if encoding != "UTF8":
                raise StoreConfigError(f"the database encoding is {encoding}, not UTF8")
            cur.execute(SCHEMA_SQL)
    except BaseException:
        conn.close()
        raise


def prepare(url: str) -> None:
    """At start: reach the database and create the schema, then disconnect. Raises
    StoreConfigError (cannot work) or Unavailable (cannot reach it now)."""
    try:
        conn = connect(url)
        try:
            create_schema(conn)
        finally:
            conn.close()
    except _DOWN as exc:
        raise Unavailable(f"cannot reach the database: {_one_line(exc)}") from None


class PgStore(Store):
    """The Store on PostgreSQL at url; connects on first use and again after each failure."""

    def __init__(self, url: str, connections: int = CONNECTIONS):
        self._url = url
        self._pool = concurrent.futures.ThreadPoolExecutor(connections,
                                                           thread_name_prefix="afi-pg")
        self._local = threading.local()   # .conn: this pool thread's connection
        self._open = set()                # every pool thread's connection, for close()
        self._schema_lock = threading.Lock()
        self._schema_ready = False
        self._state_lock = threading.Lock()
        self._down = False                # the last attempt failed
        self._next_attempt = 0.0          # time.monotonic() before which calls fail at once

    # --- the operations: each is one statement on the calling pool thread's cursor --------

    async def get(self, owner, key):
        row = await self._run(self._fetchone, True, GET_SQL, (_bytes(owner), key))
        return (json.loads(row[0]), row[1]) if row else (None, 0)

    async def set(self, owner, key, value, if_rev=None):
        args = (_bytes(owner), key, _json(value))
        if if_rev is None:
            return (await self._run(self._fetchone, False, SET_SQL, args))[0]
        if if_rev == 0:  # create-only: the insert does nothing when the key exists
            row = await self._run(self._fetchone, False, CREATE_SQL, args)
        else:            # compare-and-set: the update matches no row unless rev = if_rev
            row = await self._run(self._fetchone, False, CAS_SQL,
                                  (args[2], args[0], key, if_rev))
        if row is None:
            raise Conflict(f"if_rev is {if_rev} but the key is at another rev")
        return row[0]

    async def delete(self, owner, key):
        return await self._run(self._rowcount, False, DELETE_SQL, (_bytes(owner), key)) > 0

    async def keys(self, owner, prefix):
        rows = await self._run(self._fetchall, True, KEYS_SQL,
                               (_bytes(owner), _like_prefix(prefix)))
        return [row[0] for row in rows]

    async def incr(self, owner, key, by):
        if abs(by) > MAX_SAFE_INTEGER:  # the first value of an absent counter is by itself
            raise Conflict("the counter would leave -2^53..2^53")
        row = await self._run(self._fetchone, False, INCR_SQL,
                              {"owner": _bytes(owner), "key": key, "first": str(by), "by": by,
                               "max": MAX_SAFE_INTEGER})
        if row is None:  # the row exists and the WHERE refused the update
            raise Conflict("the stored value is not an integer, "
                           "or the counter would leave -2^53..2^53")
        return int(row[0])

    async def revoke(self, jti):
        await self._run(self._rowcount, False, REVOKE_SQL, (_bytes(jti), _bytes(jti)))

    async def is_revoked(self, jti):
        return await self._run(self._fetchone, True, REVOKED_SQL,
                               (_bytes(jti), _bytes(jti))) is not None

    async def ping(self):
        await self._run(self._fetchone, True, PING_SQL, ())

    def close(self) -> None:
        """Waits for running operations, then closes every connection; the store is unusable
        afterwards. A server process needs none of this: its connections end with it."""
        self._pool.shutdown(wait=True)
        with self._state_lock:
            conns, self._open = self._open, set()
        for conn in conns:
            conn.close()

    @staticmethod
    def _fetchone(cur):
        return cur.fetchone()

    @staticmethod
    def _fetchall(cur):
        return cur.fetchall()

    @staticmethod
    def _rowcount(cur):
        return cur.rowcount

    # --- bounds, connections, recovery ----------------------------------------------------

    async def _run(self, result, read_only, sql, args):
        """Runs sql on a pool thread and returns result(cursor); Unavailable when the
        database fails or does not answer within BOUND_S. A job still queued when the
        bound passes is cancelled and never runs; one already running may still commit."""
        self._admit()
        job = asyncio.get_running_loop().run_in_executor(
            self._pool, self._execute, result, read_only, sql, args)
        try:
            return await asyncio.wait_for(job, BOUND_S)
        except asyncio.TimeoutError:
            self._failed()
            raise Unavailable(f"the database did not answer within {BOUND_S:g} s") from None

    def _admit(self) -> None:
        """While the database is down, one call per PROBE_S tries it; the others answer
        503 at once instead of each waiting out its bound."""
        with self._state_lock:
            now = time.monotonic()
            if now < self._next_attempt:
                raise Unavailable("the database is unavailable; the next attempt is due shortly")
            if self._down:
                self._next_attempt = now + PROBE_S

    def _failed(self) -> None:
        with self._state_lock:
            self._down = True
            self._next_attempt = time.monotonic() + PROBE_S

    def _answered(self) -> None:
        with self._state_lock:
            self._down = False
            self._next_attempt = 0.0

    def _execute(self, result, read_only, sql, args):
        """On a pool thread: one statement on this thread's connection. A read that fails
        on a connection opened earlier (the database restarted since) runs once more on a
        new one; a write never runs twice, as it may have committed."""
        conn = getattr(self._local, "conn", None)
        reused = conn is not None and not conn.closed
        try:
            try:
                answer = self._statement(result, sql, args)
            except _DOWN:
                self._drop()
                if not (reused and read_only):
                    raise
                answer = self._statement(result, sql, args)
        except _DOWN as exc:
            self._drop()
            self._failed()
            raise Unavailable(f"the database failed: {_one_line(exc)}") from None
        self._answered()
        return answer

    def _statement(self, result, sql, args):
        with self._connection().cursor() as cur:
            cur.execute(sql, args)
            return result(cur)

    def _connection(self):
        """This thread's connection, opened when it has none. An idle connection never
        receives anything (no LISTEN), so one with input waiting is one the server ended
        (a restart: "terminating connection"): it is replaced before a write is lost on it."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed and select.select([conn], [], [], 0)[0]:
            self._drop()
            conn = None
        if conn is None or conn.closed:
            conn = connect(self._url)
            self._ensure_schema(conn)
            self._local.conn = conn
            with self._state_lock:
                self._open.add(conn)
        return conn

    def _ensure_schema(self, conn) -> None:
        """Once per process, on its first connection (serve.py did it at start too, but a
        worker cannot know whether the database it reaches now is that one)."""
        with self._schema_lock:
            if not self._schema_ready:
                create_schema(conn)
                self._schema_ready = True

    def _drop(self) -> None:
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None:
            with self._state_lock:
                self._open.discard(conn)
            conn.close()
