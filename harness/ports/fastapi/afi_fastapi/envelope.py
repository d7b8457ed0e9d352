"""The one place answers are rendered: success bodies and the error envelope (ENV-1..ENV-7)."""
import json

from starlette.responses import Response

# ENV-2: each code has exactly one status.
STATUS = {
    "invalid_json": 400,
    "bad_request": 400,
    "unauthenticated": 401,
    "invalid_token": 401,
    "token_expired": 401,
    "token_revoked": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_function": 404,
    "unknown_context": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "validation_error": 422,
    "internal_error": 500,
    "unavailable": 503,
}

INTERNAL_MESSAGE = "internal error"


class AfiError(Exception):
    """A protocol error: raised anywhere, rendered by error_response()."""

    def __init__(self, code: str, message: str, details=None, headers=None):
        if code not in STATUS:
            raise ValueError(f"not an ENV-2 code: {code}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})

    @property
    def status(self) -> int:
        return STATUS[self.code]


def dumps(value) -> bytes:
    """Compact UTF-8 JSON, the wire form and the form the 64 KiB limit (SCOPE-4) measures."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def json_response(value, status: int = 200, headers=None) -> Response:
    return Response(dumps(value), status_code=status, headers=headers,
                    media_type="application/json")


def error_response(err: AfiError) -> Response:
    """ENV-1: {"error": {code, message, details}} and nothing else, on every error path."""
    headers = dict(err.headers)
    if err.status == 401:
        # ENV-7: the error parameter only when a credential was presented.
        headers["WWW-Authenticate"] = ("Bearer" if err.code == "unauthenticated"
                                       else 'Bearer error="invalid_token"')
    body = {"error": {"code": err.code, "message": err.message, "details": err.details}}
    return json_response(body, err.status, headers)


def internal_error(exc: BaseException) -> Response:
    """ENV-4: a generic message and null details, whatever exc says: its text stays in
    the log (router.dispatch writes it there)."""
    return error_response(AfiError("internal_error", INTERNAL_MESSAGE))


def unavailable() -> AfiError:
    """HLT-1: the store did not answer within its bound; a retry may succeed."""
    return AfiError("unavailable", "the store is unavailable; try again shortly")


def not_found() -> AfiError:
    return AfiError("not_found", "no such path")


def method_not_allowed(allowed: str) -> AfiError:
    """ENV-6: 405 naming the one allowed method."""
    return AfiError("method_not_allowed", f"this path only accepts {allowed}",
                    headers={"Allow": allowed})


def validation_error(violations) -> AfiError:
    return AfiError("validation_error", "the arguments do not match the function's schema",
                    details=list(violations))
