"""Check HTTP traffic against the vendored Quant AI reference (quant-ai-openapi.yaml).

Given a method and a concrete path, `find_operation` finds the reference
operation (both `organizations` and `organisations` are accepted under /api/v3,
as the real server does). The `validate_*` functions check what was sent or
received against that operation's JSON Schemas (OpenAPI 3.1 = JSON Schema
2020-12, $refs resolved inside the document) and raise `ContractViolation`
naming the operation, the status and every schema error.

    from tests.contract.openapi_contract import validate_request, validate_response

    validate_request("POST", "/api/v3/organizations/acme/ai/chat", body=payload)
    validate_response("POST", "/api/v3/organizations/acme/ai/chat", 200, response.json())

Rules worth knowing:
* A documented response with no content (e.g. "no body documented") is not checked.
* An undocumented 4xx/5xx is checked against `AIErrorBody`, the reference's
  catch-all error schema; an undocumented 2xx or 3xx is a violation.
* Query parameters are coerced from strings to their schema type before checking;
  a parameter the operation does not declare is a violation (a misspelt name
  otherwise goes unnoticed), unless `allow_unknown_query=True`.
* SSE events are checked with `validate_sse_event` against the operation's
  `x-sse-events` (or chatInferenceStream's, which the legacy stream shares).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).with_name("quant-ai-openapi.yaml")
SPEC_URI = "urn:quant-ai-openapi"
METHODS = ("get", "put", "post", "delete", "patch")
_ANY_BODY: Any = object()  # "validate a body only if one was given"


class ContractViolation(AssertionError):
    """Traffic that the reference does not allow."""


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    template: str  # the reference's path template
    operation_id: str
    pointer: str  # JSON pointer of the operation object inside the document

    def spec(self) -> dict[str, Any]:
        operation: dict[str, Any] = load_spec()["paths"][self.template][self.method.lower()]
        return operation


@cache
def load_spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses the 340 kB document 10x faster
    spec: dict[str, Any] = yaml.load(SPEC_PATH.read_text(encoding="utf-8"), Loader=loader)
    return spec


@cache
def _registry() -> Registry[Any]:
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    )
    return registry


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the reference."""
    found = []
    for template, item in load_spec()["paths"].items():
        for method in METHODS:
            if method in item:
                pointer = f"/paths/{_escape(template)}/{method}"
                found.append(Operation(method.upper(), template, item[method]["operationId"], pointer))
    return tuple(found)


@cache
def _matchers() -> list[tuple[re.Pattern[str], Operation]]:
    """Path regexes, most literal segments first, so /tools/names beats /tools/{id}."""
    compiled = []
    for operation in operations():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(operation.template)) + "$"
        literal = sum(1 for part in operation.template.split("/") if part and not part.startswith("{"))
        compiled.append((literal, re.compile(pattern), operation))
    compiled.sort(key=lambda item: -item[0])
    return [(pattern, operation) for _, pattern, operation in compiled]


def _spellings(path: str) -> list[str]:
    for british, american in (("/api/v3/organisations/", "/api/v3/organizations/"),):
        if path.startswith(british):
            return [path, american + path[len(british) :]]
        if path.startswith(american):
            return [path, british + path[len(american) :]]
    return [path]


def find_operation(method: str, path: str) -> Operation:
    """The reference operation for `method path` (a concrete path, query string allowed)."""
    bare = path.split("?", 1)[0]
    for candidate in _spellings(bare):
        for pattern, operation in _matchers():
            if operation.method == method.upper() and pattern.match(candidate):
                return operation
    raise ContractViolation(f"{method.upper()} {bare}: no such operation in the reference")


def path_parameters(operation: Operation, path: str) -> dict[str, str]:
    """The values of `operation`'s path parameters in the concrete `path`."""
    names = re.findall(r"\{([^/]+?)\}", operation.template)
    pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "([^/]+)", re.escape(operation.template)) + "$"
    for candidate in _spellings(path.split("?", 1)[0]):
        match = re.match(pattern, candidate)
        if match:
            return {name: unquote(value) for name, value in zip(names, match.groups(), strict=True)}
    return {}


def _format_checker() -> FormatChecker:
    """2020-12 formats, plus the ones the reference uses that need optional packages or OpenAPI."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_datetime(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", value):
            return False
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return True

    @checker.checks("date", raises=ValueError)
    def is_date(value: object) -> bool:
        return not isinstance(value, str) or bool(re.match(r"^\d{4}-\d{2}-\d{2}$", value) and date.fromisoformat(value))

    @checker.checks("byte", raises=binascii.Error)
    def is_base64(value: object) -> bool:
        return not isinstance(value, str) or base64.b64decode(value, validate=True) is not None

    return checker


def _errors(schema_pointer: str, instance: Any) -> list[str]:
    validator = Draft202012Validator(
        {"$ref": f"{SPEC_URI}#{schema_pointer}"}, registry=_registry(), format_checker=_format_checker()
    )
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


def _check(where: str, schema_pointer: str, instance: Any) -> None:
    problems = _errors(schema_pointer, instance)
    if problems:
        raise ContractViolation(f"{where} does not match the reference:\n  " + "\n  ".join(problems[:20]))


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer" and re.fullmatch(r"-?\d+", value):
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def validate_request(
    method: str,
    path: str,
    *,
    query: Mapping[str, Any] | None = None,
    body: Any = _ANY_BODY,
    allow_unknown_query: bool = False,
) -> Operation:
    """Check a request's path parameters, query parameters and JSON body (pass body=None for "no body")."""
    operation = find_operation(method, path)
    spec = operation.spec()
    where = f"{operation.method} {operation.template} ({operation.operation_id}) request"
    values = {"path": path_parameters(operation, path), "query": dict(query or {})}
    declared = {(p["in"], p["name"]): (index, p) for index, p in enumerate(spec.get("parameters", []))}
    for (location, name), (index, parameter) in declared.items():
        if location not in values:
            continue
        if name not in values[location]:
            if parameter.get("required"):
                raise ContractViolation(f"{where}: missing required {location} parameter {name!r}")
            continue
        value = values[location][name]
        value = _coerce(value, parameter.get("schema", {})) if isinstance(value, str) else value
        _check(f"{where} {location} parameter {name!r}", f"{operation.pointer}/parameters/{index}/schema", value)
    unknown = sorted(set(values["query"]) - {name for location, name in declared if location == "query"})
    if unknown and not allow_unknown_query:
        raise ContractViolation(f"{where}: query parameter(s) not in the reference: {', '.join(unknown)}")
    request_body = spec.get("requestBody")
    if body is _ANY_BODY:
        return operation
    if body is None:
        if request_body and request_body.get("required"):
            raise ContractViolation(f"{where}: the request body is required")
        return operation
    if not request_body:
        raise ContractViolation(f"{where}: the reference documents no request body")
    if "application/json" not in request_body["content"]:
        raise ContractViolation(f"{where}: the reference documents no JSON request body")
    _check(f"{where} body", f"{operation.pointer}/requestBody/content/application~1json/schema", body)
    return operation


def validate_response(method: str, path: str, status: int, body: Any, content_type: str = "application/json") -> Operation:
    """Check a response's status and body (already parsed from JSON) against the reference."""
    operation = find_operation(method, path)
    responses = operation.spec()["responses"]
    where = f"{operation.method} {operation.template} ({operation.operation_id}) response {status}"
    key = str(status)
    if key not in responses:
        if status >= 400:
            _check(f"{where} (undocumented status, checked as AIErrorBody)", "/components/schemas/AIErrorBody", body)
            return operation
        raise ContractViolation(f"{where}: status not documented (documented: {', '.join(responses)})")
    content = responses[key].get("content")
    if not content:
        return operation  # documented without a body schema: nothing to check
    media = content_type.split(";", 1)[0].strip()
    if media not in content:
        raise ContractViolation(f"{where}: content type {media!r} not documented ({', '.join(content)})")
    if media == "application/json":
        _check(f"{where} body", f"{operation.pointer}/responses/{key}/content/application~1json/schema", body)
    return operation


def sse_event_schemas(operation: Operation) -> dict[str, str]:
    """event name -> schema pointer, from the operation's x-sse-events (or chatInferenceStream's)."""
    events = operation.spec().get("x-sse-events")
    if not isinstance(events, dict):
        stream = next(op for op in operations() if op.operation_id == "chatInferenceStream")
        events = stream.spec()["x-sse-events"]
    return {name: entry["schema"].lstrip("#") for name, entry in events.items()}


def validate_sse_event(method: str, path: str, event: str, data: Any) -> Operation:
    """Check one SSE event (its name and parsed `data:` JSON) of a streaming response."""
    operation = find_operation(method, path)
    schemas = sse_event_schemas(operation)
    where = f"{operation.method} {operation.template} ({operation.operation_id}) SSE event {event!r}"
    if event not in schemas:
        raise ContractViolation(f"{where}: event not in the reference ({', '.join(schemas)})")
    _check(where, schemas[event], data)
    return operation
