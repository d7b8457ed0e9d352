"""The store interface (keys, revs, counters, revocations, ping), the in-memory store, and
open_store(), which picks the store a URL names.

Keys are stored under an owner: the viewer's sub for personal: keys, "" for shared:
keys (SCOPE-2). The interface is async so that a database can stand behind it
(store_pg.py, PostgreSQL, shared by every process on one database). The in-memory
store is per process: with `serve.py --workers N` (N > 1) each worker has its own data.
"""
import abc
import threading
from typing import Any, List, Optional, Tuple

MAX_SAFE_INTEGER = 2 ** 53
MEMORY = "memory"
PG_SCHEMES = ("postgres://", "postgresql://")


class Conflict(Exception):
    """if_rev mismatch or increment of a non-integer (SCOPE-5, SCOPE-6); str() says which."""


class Unavailable(Exception):
    """The store did not answer within its bound (HLT-1: 503 unavailable); str() says why.
    The operation may or may not have been applied."""


class StoreConfigError(Exception):
    """The store URL cannot work at all (bad URL, wrong database encoding): refuse to start."""


class Store(abc.ABC):
    @abc.abstractmethod
    async def get(self, owner: str, key: str) -> Tuple[Any, int]:
        """(value, rev); (None, 0) when absent."""

    @abc.abstractmethod
    async def set(self, owner: str, key: str, value: Any, if_rev: Optional[int] = None) -> int:
        """Writes and returns the new rev; raises Conflict when if_rev is given and differs."""

    @abc.abstractmethod
    async def delete(self, owner: str, key: str) -> bool:
        """True when the key existed; afterwards it reads (None, 0) and restarts at rev 1."""

    @abc.abstractmethod
    async def keys(self, owner: str, prefix: str) -> List[str]:
        """Present keys of owner starting with prefix, byte-sorted."""

    @abc.abstractmethod
    async def incr(self, owner: str, key: str, by: int) -> int:
        """Atomically adds by to an integer (absent = 0), bumps the rev, returns the value."""

    @abc.abstractmethod
    async def revoke(self, jti: str) -> None:
        """AUTH-6: remembers a revoked jti for the life of the store."""

    @abc.abstractmethod
    async def is_revoked(self, jti: str) -> bool:
        ...

    @abc.abstractmethod
    async def ping(self) -> None:
        """Returns once the store answers; raises Unavailable when it does not (HLT-1)."""


class MemoryStore(Store):
    """A dict of (owner, key) -> [value, rev] behind one lock; absent keys are not stored."""

    def __init__(self):
        self._data = {}
        self._revoked = set()
        self._lock = threading.Lock()  # SCOPE-6, ROB-2: read-modify-write never interleaves

    async def get(self, owner, key):
        with self._lock:
            entry = self._data.get((owner, key))
            return (entry[0], entry[1]) if entry else (None, 0)

    def _rev(self, owner, key) -> int:
        """The rev a write continues from, 0 when the key is absent (so also after a delete:
        SCOPE-5, a rewritten key starts again at 1). The caller holds the lock."""
        entry = self._data.get((owner, key))
        return entry[1] if entry else 0

    async def set(self, owner, key, value, if_rev=None):
        with self._lock:
            rev = self._rev(owner, key)
            if if_rev is not None and if_rev != rev:
                raise Conflict(f"if_rev is {if_rev} but the key is at rev {rev}")
            self._data[(owner, key)] = [value, rev + 1]
            return rev + 1

    async def delete(self, owner, key):
        with self._lock:
            return self._data.pop((owner, key), None) is not None

    async def keys(self, owner, prefix):
        with self._lock:
            found = [k for (o, k) in self._data if o == owner and k.startswith(prefix)]
        return sorted(set(found), key=lambda k: k.encode("utf-8"))

    async def incr(self, owner, key, by):
        with self._lock:
            entry = self._data.get((owner, key))
            new = self._checked_sum(entry[0] if entry else 0, by)
            self._data[(owner, key)] = [new, self._rev(owner, key) + 1]
            return new

    @staticmethod
    def _checked_sum(value, by):
        if not isinstance(value, int) or isinstance(value, bool):
            raise Conflict("the stored value is not an integer")
        if abs(value + by) > MAX_SAFE_INTEGER:  # SCOPE-6
            raise Conflict("the counter would leave -2^53..2^53")
        return value + by

    async def revoke(self, jti):
        with self._lock:
            self._revoked.add(jti)

    async def is_revoked(self, jti):
        with self._lock:
            return jti in self._revoked

    async def ping(self):
        """Memory is never down."""


def is_pg_url(url: str) -> bool:
    return url.startswith(PG_SCHEMES)


def open_store(url: str) -> Store:
    """The store url names: "" or "memory" for MemoryStore, postgres://... (or
    postgresql://...) for PgStore, which connects on first use. StoreConfigError otherwise."""
    if url in ("", MEMORY):
        return MemoryStore()
    if is_pg_url(url):
        from .store_pg import PgStore  # psycopg2 is needed only then
        return PgStore(url)
    raise StoreConfigError(f"the store must be {MEMORY!r} or a postgres:// URL, not {url!r}")
