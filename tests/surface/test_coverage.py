"""The catalog against the vendored reference: every operation is one tool or one listed exclusion,
and method, path, parameter names, required parameters and enums agree."""

from __future__ import annotations

import types
from importlib import import_module
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from quant_mcp.catalog import OPERATIONS, Operation, Toolset
from quant_mcp.catalog.base import QUERY, Route
from quant_mcp.catalog.exclusions import EXCLUDED
from tests.contract.openapi_contract import load_spec, operations

REFERENCE = {operation.operation_id: operation for operation in operations()}
LEGACY_PREFIX = "/organisations/{organisation}/ai"

# Required in the reference, optional in a tool, and why. Everything else the reference
# requires, the tool's arguments model requires (or always sends, through a default).
HANDLED_EXPLICITLY = {
    ("createCustomTool", "name"): "create_custom_tool takes toolName (the live endpoint's name) and sends it as name too",
    ("createAISession", "userId"): "create_session serves both route families; v3 needs userId, legacy does not",
    ("legacyCreateAISession", "model"): "create_session serves both route families; legacy needs model, v3 does not",
}

# Arguments the live service takes beyond the reference (shared/quant-ai-api/LIVE-DIALECT.md), and why.
LIVE_DIALECT = {
    ("chat", "agentId"): "Quant's chat app sends agentId to chat and chat/stream",
    ("chat_stream", "agentId"): "Quant's chat app sends agentId to chat and chat/stream",
    ("chat", "response_format"): "Quant's Drupal provider sends response_format {type: json_schema, ...}",
    ("chat_stream", "response_format"): "Quant's Drupal provider sends response_format {type: json_schema, ...}",
    ("create_custom_tool", "toolName"): "the live v3 endpoint validates toolName (Quant's custom-tools action)",
    ("upload_vector_documents", "documents.vector"): "Quant's Drupal vector-db client sends a client-computed vector",
}

# Arguments whose wire name a route's own body builder changes, and why.
RENAMED = {
    ("create_session", "systemPrompt"): "the legacy body is snake_case (system_prompt); its body builder renames it",
    ("create_session", "maxTokens"): "the legacy body is snake_case (max_tokens); its body builder renames it",
}


def _schema(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = load_spec()["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _body_schema(operation_id: str) -> dict[str, Any]:
    body = REFERENCE[operation_id].spec().get("requestBody")
    return _schema(body["content"]["application/json"]["schema"]) if body else {}


def _parameters(operation_id: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in REFERENCE[operation_id].spec().get("parameters", []) if p["name"] != "organisation"}


def _parameter_schemas(operation_id: str) -> dict[str, Any]:
    return {name: _schema(parameter.get("schema", {})) for name, parameter in _parameters(operation_id).items()}


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """Wire name -> pydantic FieldInfo, without the organisation every tool takes."""
    return {(info.alias or name): info for name, info in model.model_fields.items() if name != "organisation"}


def _route_for(op: Operation, operation_id: str) -> Route:
    reference = REFERENCE[operation_id]
    legacy = reference.template.startswith(LEGACY_PREFIX)
    route = op.legacy_route if legacy and op.legacy_route else op.route
    return route


def _serving(operation_id: str) -> list[Operation]:
    return [op for op in OPERATIONS if operation_id in op.operation_ids]


def _unwrap(annotation: Any) -> list[Any]:
    """The alternatives of an optional / union / list annotation, list items included."""
    if get_origin(annotation) in (Union, types.UnionType):
        return [inner for arg in get_args(annotation) for inner in _unwrap(arg)]
    if get_origin(annotation) is list:
        return _unwrap(get_args(annotation)[0])
    if hasattr(annotation, "__metadata__"):  # Annotated
        return _unwrap(get_args(annotation)[0])
    return [annotation]


def _literal_values(annotation: Any) -> set[Any] | None:
    values = [arg for alt in _unwrap(annotation) if get_origin(alt) is Literal for arg in get_args(alt)]
    return set(values) if values else None


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    models = [alt for alt in _unwrap(annotation) if isinstance(alt, type) and issubclass(alt, BaseModel)]
    return models[0] if len(models) == 1 else None


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    schema = _schema(schema)
    if schema.get("type") == "array" or "items" in schema:
        return _properties(schema.get("items", {}))
    return {name: _schema(prop) for name, prop in schema.get("properties", {}).items()}


def _wire_name_problems(model: type[BaseModel], reference: dict[str, Any], where: str) -> list[str]:
    """Every argument of ``model`` is a property of the reference object, recursively, with the same enum."""
    problems = []
    for wire, info in _fields(model).items():
        if wire not in reference:
            problems.append(f"{where}.{wire} is not in the reference")
            continue
        enum = {value for value in reference[wire].get("enum", []) if value is not None}
        ours = _literal_values(info.annotation)
        if enum and ours is not None and ours != enum:
            problems.append(f"{where}.{wire} allows {sorted(ours)}, the reference {sorted(enum)}")
        nested = _nested_model(info.annotation)
        if nested is not None and _properties(reference[wire]):
            problems += _wire_name_problems(nested, _properties(reference[wire]), f"{where}.{wire}")
    return problems


def test_every_reference_operation_is_one_tool_or_one_listed_exclusion():
    problems = []
    for operation_id in REFERENCE:
        tools = [op.name for op in _serving(operation_id)]
        excluded = operation_id in EXCLUDED
        if len(tools) + excluded != 1:
            problems.append(f"{operation_id}: served by {tools or 'no tool'}{' and excluded' if excluded else ''}")
    assert not problems, "\n".join(problems)
    assert all(len(reason) > 20 for reason in EXCLUDED.values()), "every exclusion says why"


def test_catalog_names_only_reference_operations():
    named = {operation_id for op in OPERATIONS for operation_id in op.operation_ids} | set(EXCLUDED)
    assert named <= set(REFERENCE), f"not in the reference: {sorted(named - set(REFERENCE))}"


def test_only_the_openai_compatible_routes_are_excluded():
    """Legacy routes are served by the seed tools' legacy_route, not excluded."""
    assert {REFERENCE[operation_id].template.split("/")[1] for operation_id in EXCLUDED} == {"oai"}
    legacy = [operation_id for operation_id, reference in REFERENCE.items() if reference.template.startswith(LEGACY_PREFIX)]
    assert legacy and all(any(op.legacy_route for op in _serving(operation_id)) for operation_id in legacy)


@pytest.mark.parametrize("operation_id", [operation_id for operation_id in REFERENCE if operation_id not in EXCLUDED])
def test_tool_agrees_with_the_reference(operation_id: str):
    reference = REFERENCE[operation_id]
    (op,) = _serving(operation_id)
    route = _route_for(op, operation_id)
    assert (route.method, route.path) == (reference.method, reference.template)

    fields = _fields(op.arguments)
    problems = []
    for name, parameter in _parameters(operation_id).items():
        info = fields.get(name)
        where = "query" if QUERY in (info.metadata if info else []) else "path"
        if info is None:
            problems.append(f"{parameter['in']} parameter {name} is missing")
        elif where != parameter["in"]:
            problems.append(f"{name} is sent in the {where}, the reference has it in the {parameter['in']}")
        elif parameter.get("required") and not info.is_required():
            problems.append(f"{parameter['in']} parameter {name} is required by the reference")
    body = _body_schema(operation_id)
    for name in body.get("required", []):
        info = fields.get(name)
        if (operation_id, name) in HANDLED_EXPLICITLY:
            continue
        always_sent = info is not None and (info.is_required() or info.default is not None)
        if not always_sent:
            problems.append(f"body field {name} is required by the reference")

    # Every argument is a reference parameter or body property of some operation the tool serves.
    per_operation = [
        set(_wire_name_problems(op.arguments, {**_parameter_schemas(served), **_properties(_body_schema(served))}, op.name))
        for served in op.operation_ids
    ]
    renamed = {f"{op.name}.{wire} is not in the reference" for tool, wire in [*RENAMED, *LIVE_DIALECT] if tool == op.name}
    problems += sorted(set.intersection(*per_operation) - renamed)
    assert not problems, f"{op.name} ({operation_id}):\n" + "\n".join(problems)


def test_get_tools_take_only_path_and_query_arguments():
    """A GET carries no body, so every argument of a GET tool must be a path or query parameter."""
    for op in OPERATIONS:
        for route in filter(None, (op.route, op.legacy_route)):
            if route.method == "GET":
                body = [
                    wire
                    for wire, info in _fields(op.arguments).items()
                    if QUERY not in info.metadata and "{" + wire + "}" not in route.path
                ]
                assert not body, f"{op.name}: {body} would be dropped from a GET"


def test_each_catalog_module_is_exactly_one_toolset():
    """The server imports a toolset's module only when it offers that toolset, so none may hold another's tools."""
    for toolset in Toolset:
        operations = import_module(f"quant_mcp.catalog.{toolset.module}").OPERATIONS
        assert operations and {op.toolset for op in operations} == {toolset}, toolset.module
