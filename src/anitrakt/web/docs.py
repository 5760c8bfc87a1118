"""`/docs`: the API reference, rendered here from the app's own OpenAPI document.

FastAPI's default page loads Swagger UI from a CDN, so it was blank offline and ran a
third party's script in our origin. This page is plain HTML from a template: no
script, nothing fetched from elsewhere, the same CSP as every page. Machines read
`/openapi.json`. Both sit behind the token when one is set (a login for the page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from anitrakt.web.pages import PageCaller, render
from anitrakt.web.routing import CHANGES_STATE_KEY

router = APIRouter(include_in_schema=False)
METHOD_ORDER = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True, slots=True)
class DocField:
    name: str
    where: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    secured: bool
    changes_state: bool
    parameters: list[DocField] = field(default_factory=list)
    body: str | None = None
    responses: list[tuple[str, str]] = field(default_factory=list)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any]) -> str:
    """A short human name for a JSON schema: `integer`, `ManualMapRequest`, `list of …`."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "anyOf" in schema:
        return " or ".join(type_of(option) for option in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(str(value) for value in schema["enum"])
    if schema.get("type") == "array":
        return "list of " + type_of(schema.get("items", {}))
    return str(schema.get("type", "any"))


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation of the document, in path order, with what a caller must send."""
    found = []
    for path, methods in sorted(document.get("paths", {}).items()):
        for method in sorted((m for m in methods if m in METHOD_ORDER), key=METHOD_ORDER.index):
            op = methods[method]
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            found.append(
                Operation(
                    anchor=op.get("operationId", f"{method}-{path}"),
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    secured=bool(op.get("security")),
                    changes_state=bool(op.get(CHANGES_STATE_KEY)) or method != "get",
                    parameters=[
                        DocField(
                            p["name"],
                            p["in"],
                            type_of(p.get("schema", {})),
                            bool(p.get("required")),
                            p.get("description", ""),
                        )
                        for p in op.get("parameters", [])
                    ],
                    body=type_of(body["schema"]) if body else None,
                    responses=[
                        (code, answer.get("description", ""))
                        for code, answer in sorted(op.get("responses", {}).items())
                    ],
                )
            )
    return found


def schemas(document: dict[str, Any]) -> list[tuple[str, list[DocField]]]:
    """The named body and answer shapes, each with its fields."""
    shapes = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        fields = [
            DocField(prop, "", type_of(spec), prop in required, spec.get("description", ""))
            for prop, spec in schema.get("properties", {}).items()
        ]
        shapes.append((name, fields))
    return shapes


@router.get("/docs", response_class=HTMLResponse)
def docs_page(request: Request, caller: PageCaller) -> Response:
    """The API reference: every route, its parameters, body and answers."""
    document = request.app.openapi()
    return render(
        request,
        caller,
        "docs.html",
        info=document.get("info", {}),
        operations=operations(document),
        schemas=schemas(document),
    )


@router.get("/redoc")
def redoc() -> Response:
    """FastAPI's other CDN-loaded page; its readers are sent to `/docs`."""
    return RedirectResponse("/docs", status_code=308)
