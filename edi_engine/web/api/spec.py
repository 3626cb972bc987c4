"""The OpenAPI 3.1 document of the API, generated from the code: each route declares its operation
with `@operation(...)` (summary, the role action it needs, its query, body and response types), the
URL map gives the paths and their methods, and the msgspec Structs of schemas.py give every schema
(msgspec.json.schema_components emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is). apispec
assembles and checks the document. No route or schema is written twice, so the document cannot
say other than what the routes do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from apispec import APISpec
from flask import Flask

from edi_engine.web.api import schemas
from edi_engine.web.auth import ACTIONS
from edi_engine.web.safety import MAX_ID

__all__ = ["OPERATIONS", "Operation", "build_spec", "operation"]

F = TypeVar("F", bound=Callable[..., Any])
REF = "#/components/schemas/{name}"
PROBLEM = "application/problem+json"
_WHY = {400: "The request is malformed or a value is not allowed.", 401: "No valid API token or session.",
        403: "The caller's role may not do this, or a browser session sent no CSRF token.",
        404: "No such finding.", 409: "The finding's status does not allow this (the lifecycle refuses it).",
        413: "The upload is larger than the server takes.", 429: "Too many requests with this token; see Retry-After."}


@dataclass(frozen=True, slots=True)
class Operation:
    summary: str
    action: str | None  # the least role action it needs (auth.ACTIONS); None: public
    response: type[msgspec.Struct] | None = None  # a JSON body
    accepted: type[msgspec.Struct] | None = None  # the JSON body of a 202 (handed to the task queue), if it may
    media: tuple[str, ...] = ()  # or other media types (downloads); with `response`, alternatives to JSON
    query: type[msgspec.Struct] | None = None
    body: type[msgspec.Struct] | None = None
    upload: bool = False  # multipart/form-data with one or more `file` parts
    errors: tuple[int, ...] = ()  # beyond 400, 401, 403 and 429, which every protected operation may answer
    description: str = ""


OPERATIONS: dict[str, Operation] = {}  # by view function name (the endpoint without "api.")


def operation(op: Operation) -> Callable[[F], F]:
    def register(view: F) -> F:
        if op.action is not None and op.action not in ACTIONS:
            raise ValueError(f"unknown action {op.action!r}")
        OPERATIONS[view.__name__] = op
        return view
    return register


def _json(ref: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": ref}}


def _query_parameters(struct: type[msgspec.Struct], components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = components[struct.__name__]
    out = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        if "anyOf" in prop:  # optional: a query parameter is absent rather than null
            default = prop.get("default")
            prop = next(p for p in prop["anyOf"] if p.get("type") != "null")
            if default is not None:
                prop["default"] = default
        description = prop.pop("description", "")
        out.append({"name": name, "in": "query", "required": False, "schema": prop,
                    **({"description": description} if description else {})})
    return out


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), params


def _operation(name: str, op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if op.response is not None:
        content.update(_json({"$ref": REF.format(name=op.response.__name__)}))
    for media in op.media:  # a file; JSON here is a document of its own (the OpenAPI one)
        content[media] = {"schema": {"type": "object"} if media == "application/json" else
                          {"type": "string", "format": "binary"}}
    responses: dict[str, Any] = {"200": {"description": "OK", "content": content}}
    if op.accepted is not None:
        responses["202"] = {"description": "Accepted: handed to the task queue's workers",
                            "content": _json({"$ref": REF.format(name=op.accepted.__name__)})}
    codes = (400, 429) if op.action is None else (400, 401, 403, 429)
    for code in sorted({*codes, *op.errors}):
        responses[str(code)] = {"description": _WHY[code],
                                "content": {PROBLEM: {"schema": {"$ref": REF.format(name="Problem")}}}}
        if code == 401:
            responses["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    out: dict[str, Any] = {"operationId": name, "summary": op.summary, "responses": responses}
    if op.description or op.action:
        role = f"Needs the `{ACTIONS[op.action]}` role or above." if op.action else ""
        out["description"] = " ".join(p for p in (op.description, role) if p)
    if op.action is None:
        out["security"] = []
    if op.query is not None:
        out["parameters"] = _query_parameters(op.query, components)
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": _json({"$ref": REF.format(name=op.body.__name__)})}
    if op.upload:
        out["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"},
                                    "description": "One or more X12 files (835, 837, 999, 277CA)."}}}}}}
    return out


def build_spec(app: Flask, version: str) -> dict[str, Any]:
    """The OpenAPI document of `app`'s API routes."""
    structs = [getattr(schemas, n) for n in schemas.__all__ if isinstance(getattr(schemas, n), type)]
    _, components = msgspec.json.schema_components(structs, ref_template=REF)
    spec = APISpec(title="edi-engine API", version=version, openapi_version="3.1.0", info={
        "description": "Ingest X12 files, review and decide credit-balance findings, download letters and "
                       "corrected claims, run reports. Authenticate with `Authorization: Bearer TOKEN` "
                       "(`edi-engine users token create USER`); a token has its user's role. Errors are RFC "
                       "9457 problem documents."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "edi_session",
                                                "description": "A signed-in browser; state-changing requests "
                                                               "also need the X-CSRF-Token header."})
    for name in sorted(components):
        spec.components.schema(name, components[name])
    paths: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        name = rule.endpoint.removeprefix("api.")
        op = OPERATIONS[name]
        path, params = _path(rule.rule)
        entry = paths.setdefault(path, (params, {}))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            entry[1][method.lower()] = _operation(name, op, components)
    for path, (params, operations) in paths.items():
        spec.path(path=path, operations=operations, parameters=params or None)
    doc = spec.to_dict()
    doc["security"] = [{"bearer": []}, {"session": []}]
    return doc
