"""The OpenAPI document tells the truth: every status an operation answers, the report body that
`POST /api/v1/reports` reads, and the bearer scheme that guards it.

FastAPI derives most of the document from the routes, but three things it cannot know:
- errors leave through `errors.py` in one shape, `{"error", "status"}` (`ErrorOut`), for every
  status, 422 included (FastAPI would describe its own `{"detail": [...]}` there);
- `POST /api/v1/reports` reads its body by hand (size-capped before parsing), so the body — one
  `fleetpatch.report/v1` document, a JSON array of them, or NDJSON — is declared here, from the
  same JSON Schema the ingest validates against (`fleetpatch schema report`);
- who may call what (`auth.py`): reads need a viewer or operator token when auth is on (and
  nothing when it is off), writes always need a bearer token.

`install` replaces the app's `openapi()` with one that adds these once, and serves the document
at `/openapi.json` behind the read permission: with auth on, the API's shape is not public either.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from fleetpatch.inventory.schema import report_json_schema
from fleetpatch.web.auth import reader
from fleetpatch.web.schemas import ErrorOut

BEARER = "bearer"
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
REASONS = {
    400: "Bad input: a filter, a name or a value that cannot be used (the message says which)",
    401: "No token, or an unknown or revoked one (`WWW-Authenticate: Bearer`)",
    403: "The token's role lacks the permission",
    404: "No such host, bucket, advisory or run",
    413: "The body is over the server's report size limit",
    422: "The request or the report failed validation (the message names the field)",
    503: "The store is unavailable; try again",
}
ERRORS = (400, 401, 403, 404, 422, 503)  # what any read or run action may answer
REPORT_ERRORS = (400, 401, 403, 413, 422, 503)
REPORTS = "/api/v1/reports"


def install(app: FastAPI, *, auth: bool) -> None:
    """Serve the corrected document at `/openapi.json` (needs a reader when auth is on)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = corrected(original(), auth=auth)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(reader)])
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())


def corrected(spec: dict[str, Any], *, auth: bool) -> dict[str, Any]:
    """`spec` with the error responses, the report body and the security requirements added."""
    spec = copy.deepcopy(spec)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorOut"] = ErrorOut.model_json_schema()
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`fp_…`, from `fleetpatch token create`). Reads need "
            "a viewer or operator token when the server runs with auth on; reports need a "
            "reporter or operator token; runs and the halt need an operator token.",
        }
    }
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            reading = method == "get"
            if path == REPORTS and method == "post":
                errors = REPORT_ERRORS
                _report_body(operation, schemas)
                operation["responses"].setdefault(
                    "200", _ingest_answer("Every report was already stored; nothing changed")
                )
            else:
                errors = ERRORS
            for status in errors:
                operation["responses"][str(status)] = {
                    "description": REASONS[status],
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
            if path == REPORTS and method == "post":
                operation["responses"]["422"] = _ingest_answer(
                    "Nothing was stored: every report was rejected (`rejected` says why, naming "
                    "the report and the field)"
                )
            # Optional (`{}`) when reads are open; required for every write, auth on or off.
            operation["security"] = [{BEARER: []}] if auth or not reading else [{}, {BEARER: []}]
    return spec


def _report_body(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """The report JSON Schema, its `$defs` moved into the document's components."""
    report = report_json_schema()
    report.pop("$schema", None)
    definitions = report.pop("$defs", {})
    for name, definition in definitions.items():
        schemas[name] = _rebased(definition)
    schemas["HostReport"] = _rebased(report)
    one = {"$ref": "#/components/schemas/HostReport"}
    operation["requestBody"] = {
        "required": True,
        "description": "One fleetpatch.report/v1 document, a JSON array of them, or NDJSON "
        "(one per line, Content-Type application/x-ndjson).",
        "content": {
            "application/json": {
                "schema": {"oneOf": [one, {"type": "array", "items": one, "minItems": 1}]}
            },
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }


def _ingest_answer(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestOut"}}},
    }


def _rebased(node: Any) -> Any:
    """JSON Schema `$ref`s into `#/$defs/…` rewritten to point into the components."""
    if isinstance(node, dict):
        return {
            key: (
                value.replace("#/$defs/", "#/components/schemas/")
                if key == "$ref" and isinstance(value, str)
                else _rebased(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebased(item) for item in node]
    return node
