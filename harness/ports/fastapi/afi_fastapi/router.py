"""The FastAPI application: one raw catch-all route that dispatches on the undecoded path.

FastAPI's own routing is bypassed on purpose: it percent-decodes paths, answers
HEAD for GET routes, and renders 404/405/422 in its own format. Here every path
is matched byte for byte from scope["raw_path"] (section 1) and every error goes
through envelope.error_response (ENV-1).
"""
import logging
import os

from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from . import auth, bundle, schema, strict_json
from .envelope import (AfiError, dumps, error_response, internal_error, json_response,
                       method_not_allowed, not_found, unavailable, validation_error)
from .functions import Call
from .registry import CONTEXTS, REGISTRY
from .store import Unavailable, open_store
from .validate import validate

BASE = b"/afi"
MAX_BODY = 1024 * 1024  # CALL-3: exactly 1 MiB is accepted
log = logging.getLogger("afi")

SECRET = os.environ.get("AFI_SECRET", "")
# serve.py checked AFI_STORE and passes it to every worker; memory unless it names a database.
STORE = open_store(os.environ.get("AFI_STORE", ""))
SCHEMA_BODY = dumps(schema.document())
HEALTH_BODY = dumps({"status": "ok", "store": "ok", "afi_version": "1"})


async def read_body(request: Request) -> bytes:
    """CALL-3: 413 by Content-Length before reading, and while streaming (chunked)."""
    length = request.headers.get("content-length")
    if length is not None and length.strip().isdigit() and int(length) > MAX_BODY:
        raise AfiError("payload_too_large", "the body is over 1 MiB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise AfiError("payload_too_large", "the body is over 1 MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type_ok(value: str) -> bool:
    """CALL-3: application/json, case-insensitive, parameters allowed, charset only utf-8."""
    mime, *params = value.split(";")
    if mime.strip().lower() != "application/json":
        return False
    for param in params:
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset" and val.strip().strip('"').lower() != "utf-8":
            return False
    return True


def check_media_type(content_type, body: bytes) -> None:
    """CALL-3: 415 unless the body is application/json; an empty body may have no type."""
    if content_type is None:
        if body:
            raise AfiError("unsupported_media_type", "a body needs Content-Type: application/json")
    elif not _media_type_ok(content_type):
        raise AfiError("unsupported_media_type", "Content-Type must be application/json")


def parse_object(body: bytes) -> dict:
    """CALL-3: strict JSON (400), CALL-2: an object of named arguments (422)."""
    try:
        args = strict_json.loads(body)
    except strict_json.JsonError as exc:
        raise AfiError("invalid_json", f"the body is not strict JSON: {exc}") from None
    if not isinstance(args, dict):
        raise validation_error([{"loc": ["body"], "type": "type",
                                 "msg": "the body must be a JSON object"}])
    return args


async def read_args(request: Request) -> dict:
    """413, 415, 400 and the body-is-an-object part of 422, in that order (CALL-2, CALL-3)."""
    body = await read_body(request)
    check_media_type(request.headers.get("content-type"), body)
    if not body:
        return {}  # CALL-2: a zero-byte body means {}
    return parse_object(body)


async def call(request: Request, fn) -> Response:
    """CALL-4's order: (404, 405 done by the caller) 401/403, 413, 415, 400, 422, function."""
    viewer = await auth.authorize(request.headers, fn.auth, SECRET, STORE)
    args = await read_args(request)
    return await invoke(fn, viewer, args)


async def invoke(fn, viewer, args: dict) -> Response:
    """The 422 of argument validation (CALL-3, ENV-3), then the function's answer."""
    violations = validate(fn, args)
    if violations:
        raise validation_error(violations)
    defaults = {n: schema["default"] for n, schema in fn.args.items() if "default" in schema}
    result = await fn.handler(Call(viewer, STORE), {**defaults, **args})
    # CALL-5 / INV-1: {result, invalidate}; exactly the declared affects, sorted and unique.
    return json_response({"result": result, "invalidate": sorted(set(fn.affects))})


async def context(request: Request, name: str, members) -> Response:
    """CTX-2..CTX-5: every member's result for this viewer, tagged per viewer."""
    level = auth.strictest(fn.auth for fn in members)
    viewer = await auth.authorize(request.headers, level, SECRET, STORE)
    data = {}
    for fn in members:
        data[fn.name] = await fn.handler(Call(viewer, STORE), {})
    public = level == "public"
    tag = bundle.etag(SECRET.encode("utf-8"), "" if public else viewer.sub, name, members, data)
    headers = bundle.cache_headers(public, tag)
    condition = request.headers.get("if-none-match")
    if condition is not None and bundle.if_none_match(condition, tag):
        return Response(status_code=304, headers=headers)
    return json_response({"context": name, "data": data}, headers=headers)


def _member(rel: bytes, prefix: bytes, table: dict, unknown: str):
    """The function or context named by the segment after prefix (CALL-1, CTX-1)."""
    name = rel[len(prefix):]
    if not name or b"/" in name:
        raise not_found()
    entry = table.get(name.decode("latin-1"))
    if entry is None:
        raise AfiError(unknown, f"no {unknown.split('_')[1]} named {name.decode('latin-1')!r}")
    return name.decode("latin-1"), entry


async def dispatch(request: Request) -> Response:
    """Routes on the raw path; 404 before 405 before everything else (CALL-4)."""
    try:
        raw = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
        method = request.method
        if not raw.startswith(BASE + b"/"):
            raise not_found()
        rel = raw[len(BASE):]
        if rel in (b"/health", b"/schema"):
            if method != "GET":
                raise method_not_allowed("GET")
            # HLT-1, SCH-1: public, credentials never looked at; health is 503 while the
            # store does not answer.
            if rel == b"/health":
                await STORE.ping()
                return Response(HEALTH_BODY, media_type="application/json")
            return Response(SCHEMA_BODY, media_type="application/json")
        if rel.startswith(b"/call/"):
            _, fn = _member(rel, b"/call/", REGISTRY, "unknown_function")
            if method != "POST":
                raise method_not_allowed("POST")
            return await call(request, fn)
        if rel.startswith(b"/context/"):
            name, members = _member(rel, b"/context/", CONTEXTS, "unknown_context")
            if method != "GET":
                raise method_not_allowed("GET")
            return await context(request, name, members)
        raise not_found()  # ENV-5
    except AfiError as err:
        return error_response(err)
    except Unavailable as exc:  # HLT-1: also a jti whose revocation cannot be checked
        log.error("store unavailable on %s %r: %s", request.method,
                  request.scope.get("raw_path"), exc)
        return error_response(unavailable())
    except ClientDisconnect:  # nobody is left to read the answer
        return error_response(AfiError("bad_request", "the client went away mid-request"))
    except Exception as exc:  # ENV-4: logged here, never on the wire
        # One line, no traceback: a parent that pipes stderr and never reads it
        # (harness/conftest.py) must not fill the pipe and stall the server.
        log.error("internal error on %s %r: %s: %s", request.method,
                  request.scope.get("raw_path"), type(exc).__name__, exc)
        return internal_error(exc)


async def _framework_error(request: Request, exc: StarletteHTTPException) -> Response:
    # Only reachable for request targets the catch-all cannot match (e.g. `OPTIONS *`).
    if exc.status_code == 404:
        return error_response(not_found())
    return error_response(AfiError("bad_request", "malformed request"))


async def _unhandled(request: Request, exc: Exception) -> Response:
    return internal_error(exc)


class Dispatcher:
    """The catch-all endpoint as a raw ASGI app: for a function endpoint Starlette would
    default to GET-only (plus an automatic HEAD) and answer other methods itself."""

    async def __call__(self, scope, receive, send):
        response = await dispatch(Request(scope, receive))
        await response(scope, receive, send)


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None,
                  exception_handlers={StarletteHTTPException: _framework_error,
                                      Exception: _unhandled})
    # An ASGI endpoint with methods=None: every method, HEAD included, reaches dispatch.
    app.router.routes.append(Route("/{path:path}", Dispatcher(), methods=None))
    return app


app = create_app()
