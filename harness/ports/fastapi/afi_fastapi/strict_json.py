"""Strict RFC 8259 parsing of request bodies (CALL-3): what Python's json accepts but AFI refuses.

json.loads alone accepts NaN/Infinity, duplicate keys (last wins), 1e400 as inf, lone
surrogate escapes, and raises RecursionError on very deep nesting; each is closed here.
"""
import json
import math

MAX_DEPTH = 512          # CALL-3: at least 64; the reference server's limit
_MAX_DOUBLE = 1.7976931348623157e308


class JsonError(ValueError):
    """The body is not one strict JSON value; str() says why, for the envelope message."""


def _object(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise JsonError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def _constant(name):
    raise JsonError(f"{name} is not JSON")


def _float(text):
    value = float(text)
    if not math.isfinite(value):
        raise JsonError(f"number {text} is outside the double range")
    return value


def _int(text):
    try:
        value = int(text)
    except ValueError:  # more digits than int() converts
        raise JsonError("number is outside the double range") from None
    if abs(value) > _MAX_DOUBLE:
        raise JsonError("number is outside the double range")
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_float=_float,
                            parse_int=_int, parse_constant=_constant, strict=True)


def _check_tree(value):
    """Depth limit and lone surrogates, iteratively (the tree may be deep)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise JsonError("lone surrogate escape in a string") from None
        elif isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise JsonError(f"nesting deeper than {MAX_DEPTH} levels")
            if isinstance(node, dict):
                for key, child in node.items():
                    stack.append((key, depth))
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in node)


def loads(data: bytes):
    """Parses exactly one JSON value from bytes or raises JsonError."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise JsonError("byte-order mark before the JSON value")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonError("the body is not valid UTF-8") from None
    try:
        value = _DECODER.decode(text)  # also refuses trailing bytes and whitespace-only
    except JsonError:
        raise
    except RecursionError:
        raise JsonError("nesting too deep") from None
    except ValueError as exc:
        raise JsonError(f"not valid JSON: {exc}") from None
    _check_tree(value)
    return value
