"""The OpenAPI 3.1 export of the registry (SCH-2, SCH-3), built once at startup.

SCH-4: its canonical form must equal fixtures/profile-schema.json; check with
`build/conformance schema-diff --target URL`.
"""
from .registry import CONTEXTS, REGISTRY


def _object(props: dict, required) -> dict:
    return {"type": "object", "properties": props, "required": sorted(required),
            "additionalProperties": False}


def _operation(fn) -> dict:
    return {
        "operationId": fn.name,
        "requestBody": {"content": {"application/json": {"schema": _object(fn.args, fn.required)}}},
        "responses": {"200": {
            "description": "Success",
            "content": {"application/json": {"schema": _object({
                "result": _object(fn.result, fn.result.keys()),
                "invalidate": {"type": "array", "items": {"type": "string"}},
            }, ["invalidate", "result"])}},
        }},
        "x-afi": {"context": fn.context, "affects": sorted(set(fn.affects)),
                  "auth": fn.auth, "rev": fn.rev},
    }


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "AFI profile (FastAPI port)", "version": "1"},
        "x-afi-version": "1",
        "x-afi-contexts": {name: [fn.name for fn in members]
                           for name, members in sorted(CONTEXTS.items())},
        "paths": {f"/call/{name}": {"post": _operation(fn)}
                  for name, fn in sorted(REGISTRY.items())},
    }
