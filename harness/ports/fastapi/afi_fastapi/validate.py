"""Argument validation against a function's declared schema (CALL-3, ENV-3).

Interprets the small JSON Schema subset the registry uses: type, minimum/maximum,
minLength/maxLength, pattern, enum, plus the registry's non-exported byte limits.
"""
import re

from .envelope import dumps

_PATTERNS = {}


def _compiled(pattern: str):
    # JSON Schema's `$` is end of string; Python's also matches before a final "\n".
    if pattern not in _PATTERNS:
        _PATTERNS[pattern] = re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)
    return _PATTERNS[pattern]


def _is_integer(value) -> bool:
    # CALL-3: `1.0`, `1e2` (parsed as float) and `true` are not integers.
    return isinstance(value, int) and not isinstance(value, bool)


_TYPES = {
    "integer": _is_integer,
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _length(text: str) -> int:
    return len(text)  # code points


def _violation(name, kind, msg):
    return {"loc": ["body", name], "type": kind, "msg": msg}


def _check(name, schema, max_bytes, value):
    """At most one violation per argument: type first, then range, length, pattern (ENV-3)."""
    kind = schema.get("type")
    if kind is not None and not _TYPES[kind](value):
        return _violation(name, "type", f"{name} must be of type {kind}")
    if "minimum" in schema and value < schema["minimum"]:
        return _violation(name, "range", f"{name} must be at least {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        return _violation(name, "range", f"{name} must be at most {schema['maximum']}")
    if "minLength" in schema and _length(value) < schema["minLength"]:
        return _violation(name, "length", f"{name} must have at least {schema['minLength']} characters")
    if "maxLength" in schema and _length(value) > schema["maxLength"]:
        return _violation(name, "length", f"{name} must have at most {schema['maxLength']} characters")
    if max_bytes is not None and len(dumps(value)) > max_bytes:
        return _violation(name, "length", f"{name} is over {max_bytes} bytes as compact JSON")
    if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
        return _violation(name, "pattern", f"{name} must match {schema['pattern']}")
    if "enum" in schema and value not in schema["enum"]:
        return _violation(name, "pattern", f"{name} must be one of {', '.join(map(str, schema['enum']))}")
    return None


def _loc_key(violation):
    return [part.encode("utf-8") for part in violation["loc"]], violation["type"]


def _violations(fn, args: dict) -> list:
    """Every violation of args against fn's argument schema, as found: the declared
    arguments in declaration order, then the undeclared ones."""
    found = []
    for name, schema in fn.args.items():
        if name not in args:
            if name in fn.required:
                found.append(_violation(name, "missing", f"{name} is required"))
            continue
        problem = _check(name, schema, fn.max_bytes.get(name), args[name])
        if problem:
            found.append(problem)
    for name in args:
        if name not in fn.args:
            found.append(_violation(name, "extra", f"{name} is not an argument of {fn.name}"))
    return found


def validate(fn, args: dict) -> list:
    """ENV-3: every violation of args against fn's argument schema, sorted by loc then type."""
    return sorted(_violations(fn, args), key=_loc_key)
