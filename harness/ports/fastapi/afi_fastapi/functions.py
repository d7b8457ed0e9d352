"""The sixteen profile functions (PROF-1): handler(call, args) -> result dict.

args passed validation against the function's registry row, defaults filled in.

A handler raises AfiError for protocol errors that depend on argument values
(403 on shared writes, 409 conflicts, 422 on logout without jti); anything else it
raises becomes a generic 500 (ENV-4).
"""
import asyncio
from dataclasses import dataclass
from typing import Optional

from .auth import Viewer, revoke, role_at_least
from .envelope import AfiError
from .store import Conflict, Store

SITE_NAME = "AFI FastAPI port"
DRAFT_KEY = "personal:draft"


@dataclass
class Call:
    """What a handler may use: the viewer (None when anonymous) and the store."""
    viewer: Optional[Viewer]
    store: Store


def _owner(call: Call, key: str) -> str:
    """SCOPE-2: personal keys live under the viewer's sub, shared keys under ""."""
    if key.startswith("personal:"):
        return call.viewer.sub
    return ""


def _check_shared_write(call: Call, key: str) -> None:
    """SCOPE-3: writing a shared key needs WRITER (decided after validation, CALL-4),
    and before anything is written (CALL-6: a failed call changes nothing)."""
    if key.startswith("shared:") and not role_at_least(call.viewer.role, "WRITER"):
        raise AfiError("forbidden", "writing a shared: key needs the role WRITER or higher")


def _conflict(exc: Conflict) -> AfiError:
    return AfiError("conflict", str(exc))


async def echo(call, args):
    return {"message": args["text"]}


async def add(call, args):
    return {"sum": args["a"] + args["b"]}


async def site_info(call, args):
    return {"name": SITE_NAME, "afi_version": "1"}


async def whoami(call, args):
    return {"sub": call.viewer.sub, "role": call.viewer.role}


async def get_draft(call, args):
    value, _ = await call.store.get(_owner(call, DRAFT_KEY), DRAFT_KEY)
    return {"draft": value if isinstance(value, str) else ""}


async def save_draft(call, args):
    await call.store.set(_owner(call, DRAFT_KEY), DRAFT_KEY, args["body"])
    return {"saved": True}


async def kv_get(call, args):
    key = args["key"]
    value, rev = await call.store.get(_owner(call, key), key)
    return {"key": key, "value": value, "rev": rev}


async def kv_set(call, args):
    key = args["key"]
    _check_shared_write(call, key)
    try:
        rev = await call.store.set(_owner(call, key), key, args["value"], args.get("if_rev"))
    except Conflict as exc:
        raise _conflict(exc) from None
    return {"key": key, "rev": rev}


async def kv_delete(call, args):
    key = args["key"]
    _check_shared_write(call, key)
    return {"key": key, "deleted": await call.store.delete(_owner(call, key), key)}


async def kv_list(call, args):
    if args["scope"] == "shared":
        return {"keys": await call.store.keys("", "shared:")}
    return {"keys": await call.store.keys(_owner(call, "personal:"), "personal:")}


async def counter_incr(call, args):
    key = args["key"]
    _check_shared_write(call, key)
    try:
        value = await call.store.incr(_owner(call, key), key, args["by"])
    except Conflict as exc:
        raise _conflict(exc) from None
    return {"key": key, "value": value}


async def ok(call, args):
    return {"ok": True}


async def logout(call, args):
    """AUTH-6: revokes the presented token's jti, and only that token."""
    if call.viewer.jti is None:
        raise AfiError("validation_error", "a token without jti cannot be revoked",
                       details=[{"loc": ["token", "jti"], "type": "missing",
                                 "msg": "the token has no jti claim"}])
    await revoke(call.store, call.viewer)
    return {"revoked": True}


async def fail(call, args):
    raise RuntimeError("AFI-INTERNAL-DETAIL: the profile's fail function always fails")


async def sleep(call, args):
    await asyncio.sleep(args["ms"] / 1000)
    return {"slept": args["ms"]}

