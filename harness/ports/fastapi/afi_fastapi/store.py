"""The store interface (keys, revs, counters, revocations) and its in-memory implementation.

Keys are stored under an owner: the viewer's sub for personal: keys, "" for shared:
keys (SCOPE-2). The interface is async so that a port can swap in a real database;
the in-memory store is per process, so `serve.py --workers N` (N > 1) gives each
worker its own data and is for the echo benchmark only.
"""
import abc
import threading
from typing import Any, List, Optional, Tuple

MAX_SAFE_INTEGER = 2 ** 53


class Conflict(Exception):
    """if_rev mismatch or increment of a non-integer (SCOPE-5, SCOPE-6); str() says which."""


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
