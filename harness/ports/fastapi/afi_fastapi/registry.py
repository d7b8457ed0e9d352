"""The function registry: one table row per function, the single source of truth.

The schema export (schema.py), validation (validate.py), the auth gate (auth.py),
bundles (bundle.py) and invalidation (router.py) are all derived from REGISTRY;
adding a function is adding a row here and a handler in functions.py.
"""
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Dict, Optional, Tuple

from . import functions as f
from .auth import ROLES

# Named schema pieces of protocol.md section 10. SCOPE-1: the key pattern.
KEY = {"type": "string", "pattern": "^(personal|shared):[A-Za-z0-9_.-]{1,128}$"}
TRUE = {"type": "boolean", "const": True}
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
INT32ISH = {"type": "integer", "minimum": -2147483648, "maximum": 2147483648}
VALUE_MAX_BYTES = 65536  # SCOPE-4, compact UTF-8 serialization
KV_AFFECTS = ("context:user", "function:kv_get", "function:kv_list")


@dataclass(frozen=True)
class Function:
    name: str
    args: Dict[str, dict]          # argument name -> JSON Schema, in declaration order
    required: Tuple[str, ...]
    result: Dict[str, dict]        # result key -> JSON Schema; every key is required
    context: Optional[str]
    affects: Tuple[str, ...]       # "context:<name>" / "function:<name>" (INV-1)
    auth: str                      # "public", "viewer" or a role name (AUTH-5)
    rev: int
    handler: Callable[..., Awaitable[dict]]
    max_bytes: Dict[str, int] = field(default_factory=dict)  # not exported: SCOPE-4 limits


def _fn(name, args, required, result, context, affects, auth, handler, rev=1, max_bytes=None):
    return Function(name, args, tuple(required), result, context, tuple(affects), auth, rev,
                    handler, max_bytes or {})


REGISTRY: Dict[str, Function] = {fn.name: fn for fn in [
    _fn("echo", {"text": {"type": "string", "minLength": 1, "maxLength": 1000}}, ["text"],
        {"message": STRING}, None, [], "public", f.echo),
    _fn("add", {"a": INT32ISH, "b": INT32ISH}, ["a", "b"],
        {"sum": INTEGER}, None, [], "public", f.add),
    _fn("site_info", {}, [], {"name": STRING, "afi_version": {"type": "string", "const": "1"}},
        "global", [], "public", f.site_info, rev=2),
    _fn("whoami", {}, [], {"sub": STRING, "role": {"type": "string", "enum": list(ROLES)}},
        "user", [], "viewer", f.whoami),
    _fn("get_draft", {}, [], {"draft": STRING}, "user", [], "viewer", f.get_draft),
    _fn("save_draft", {"body": {"type": "string", "minLength": 0, "maxLength": 10000}}, ["body"],
        {"saved": TRUE}, None, ["context:user"], "viewer", f.save_draft),
    _fn("kv_get", {"key": KEY}, ["key"],
        {"key": STRING, "value": {}, "rev": {"type": "integer", "minimum": 0}},
        None, [], "viewer", f.kv_get),
    _fn("kv_set", {"key": KEY, "value": {}, "if_rev": INTEGER}, ["key", "value"],
        {"key": STRING, "rev": {"type": "integer", "minimum": 1}},
        None, KV_AFFECTS, "viewer", f.kv_set, max_bytes={"value": VALUE_MAX_BYTES}),
    _fn("kv_delete", {"key": KEY}, ["key"], {"key": STRING, "deleted": {"type": "boolean"}},
        None, KV_AFFECTS, "viewer", f.kv_delete),
    _fn("kv_list", {"scope": {"type": "string", "enum": ["personal", "shared"]}}, ["scope"],
        {"keys": {"type": "array", "items": STRING}}, None, [], "viewer", f.kv_list),
    _fn("counter_incr", {"key": KEY, "by": {"type": "integer", "minimum": 1, "maximum": 1000,
                                            "default": 1}}, ["key"],
        {"key": STRING, "value": INTEGER}, None, ["function:kv_get", "function:kv_list"],
        "viewer", f.counter_incr),
    _fn("staff_report", {}, [], {"ok": TRUE}, None, [], "ADMIN", f.ok),
    _fn("root_only", {}, [], {"ok": TRUE}, None, [], "SUPERADMIN", f.ok),
    _fn("logout", {}, [], {"revoked": TRUE}, None, [], "viewer", f.logout),
    _fn("fail", {}, [], {}, None, [], "public", f.fail),
    _fn("sleep", {"ms": {"type": "integer", "minimum": 0, "maximum": 5000}}, ["ms"],
        {"slept": INTEGER}, None, [], "public", f.sleep),
]}


def _contexts() -> Dict[str, Tuple[Function, ...]]:
    members: Dict[str, list] = {}
    for fn in REGISTRY.values():
        if fn.context is not None:
            members.setdefault(fn.context, []).append(fn)
    return {name: tuple(sorted(fns, key=lambda fn: fn.name)) for name, fns in members.items()}


CONTEXTS: Dict[str, Tuple[Function, ...]] = _contexts()
