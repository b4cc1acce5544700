"""The tool face: catalog Operations as MCP tools.

``build_tool(op)`` makes an SDK ``Tool`` whose input schema is the operation's arguments
model and whose output schema is its result model. A call is validated (a failure becomes one
sentence per problem, naming the wire field), run through the pipeline
(:func:`quant_mcp.pipeline.run`), and rendered as structured content plus a readable text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ValidationError

from quant_mcp import pipeline
from quant_mcp.catalog.base import BASE64_PATTERN, Operation, ToolArguments
from quant_mcp.confirm import ASKS, Answered
from quant_mcp.pipeline import Outcome, shown
from quant_mcp.schema_cache import schema_cache

MAX_TEXT_CHARS = 20_000  # the readable copy of a result; structured content is never cut


def render(op: Operation, outcome: Outcome) -> CallToolResult:
    """Structured content plus a readable text (a summary line, then the JSON), followed by any
    media blocks (images) the operation returns."""
    structured = outcome.structured
    summary = op.summary(structured) if op.summary else ""
    data = json.dumps(structured, ensure_ascii=False, separators=(",", ":"))
    if len(data) > MAX_TEXT_CHARS:
        data = data[:MAX_TEXT_CHARS] + f"... [truncated; {len(data)} characters in all, see structuredContent]"
    text = "\n".join(part for part in [summary, data] if part)
    return CallToolResult(content=[TextContent(type="text", text=text), *outcome.media], structured_content=structured)


def annotations_for(op: Operation) -> ToolAnnotations:
    return ToolAnnotations(
        title=op.title,
        read_only_hint=op.read_only,
        destructive_hint=op.destructive if not op.read_only else False,
        idempotent_hint=op.idempotent,
        open_world_hint=True,
    )


def input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The arguments model's JSON Schema, tidied for agents: no titles, no ``null`` alternatives."""
    return _tidy(model.model_json_schema(by_alias=True))


def _tidy(node: Any) -> Any:
    if isinstance(node, dict):
        any_of = node.get("anyOf")
        if isinstance(any_of, list) and {"type": "null"} in any_of and node.get("default", ...) is None:
            rest = [alt for alt in any_of if alt != {"type": "null"}]
            node = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
            node = {**(rest[0] if len(rest) == 1 else {"anyOf": rest}), **node}
        return {k: _tidy(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    return node


@dataclass
class InvalidArguments:
    """Arguments that failed validation, carried to the tool so it can refuse them in plain words."""

    error: ValidationError


class _Arguments(FuncMetadata):
    """The SDK's argument handling, except that a validation failure reaches the tool as
    :class:`InvalidArguments` instead of pydantic's multi-line dump with documentation links."""

    def validate_arguments(self, arguments_to_validate: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().validate_arguments(arguments_to_validate)
        except ValidationError as exc:
            return {"arguments": InvalidArguments(exc)}

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        """The SDK turns a string holding a JSON list or object into that value for every argument
        not annotated exactly ``str`` (clients that send lists as JSON text); an optional string
        argument then refused '["a"]' as text. Text-only arguments keep the string as sent."""
        parsed = super().pre_parse_json(data)
        fields = {key: info for name, info in self.arg_model.model_fields.items() for key in (name, info.alias or name)}
        return {
            key: data[key] if key in fields and _text_only(fields[key].annotation) else value for key, value in parsed.items()
        }


def _text_only(annotation: Any) -> bool:
    """Whether an argument takes text and nothing a JSON list or object could stand for
    (``str``, ``str | None``, ``Annotated[str, ...]``); ``str | list[...]`` keeps the SDK's parsing."""
    if annotation is str:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _text_only(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return all(arg is type(None) or _text_only(arg) for arg in get_args(annotation))
    return False


def _location(loc: tuple[int | str, ...]) -> str:
    """``messages.0.content.blocks.0.image.image.source`` -> ``messages.0.content.0.image.source``:
    drop the union tags pydantic puts in error locations."""
    parts: list[str] = []
    for part in map(str, loc):
        if part in ("string", "blocks") or (parts and parts[-1] == part):
            continue
        parts.append(part if part.isprintable() and len(part) <= 60 else shown(part))  # an unknown key is the caller's text
    return ".".join(parts) or "arguments"


_MESSAGES = {
    "string_pattern_mismatch": "has characters that are not allowed here",
    "extra_forbidden": "is not a known argument of this tool; remove it",
    "missing": "is required",
}


def describe_validation_error(tool: str, error: ValidationError) -> str:
    """One sentence per problem, naming the argument by its wire name."""
    problems = []
    for item in error.errors(include_url=False)[:5]:
        where = _location(item["loc"])
        message = _MESSAGES.get(item["type"], item["msg"][0].lower() + item["msg"][1:])
        pattern = str(item.get("ctx", {}).get("pattern", "")) if item["type"] == "string_pattern_mismatch" else ""
        if pattern == BASE64_PATTERN:
            message = "is not valid base64 (standard alphabet, padded, length a multiple of 4)"
        elif "A-Za-z0-9" in pattern:
            message = (
                "must be an id of letters, digits and . _ : @ ~ + - starting with a letter or digit (no /, .., ?, # or spaces)"
            )
        if item["type"] not in ("missing", "extra_forbidden") and "input" in item:
            message += f" (got {shown(item['input'])})"
        problems.append(f"{where} {message}")
    more = error.error_count() - len(problems)
    tail = f"; and {more} more problem(s)" if more > 0 else ""
    return f"Invalid arguments for {tool}: " + "; ".join(problems) + tail + ". Nothing was sent to the Quant API."


def build_tool(op: Operation, name: str | None = None, *, confirm: bool = True) -> Tool:
    """One catalog Operation as one SDK Tool (under a former ``name``: a deprecated alias).
    ``confirm``: destructive tools ask the user first (QUANT_CONFIRM_DESTRUCTIVE is not never)."""
    name = name or op.name

    async def call(arguments: ToolArguments | InvalidArguments, ctx: Context) -> CallToolResult | InputRequiredResult:
        if isinstance(arguments, InvalidArguments):
            raise ToolError(describe_validation_error(name, arguments.error))
        try:
            return render(op, await pipeline.run(op, arguments, ctx))
        except Answered as answered:  # the user was asked, or said no: nothing was sent
            return answered.result

    parameters, output_schema = schema_cache().schemas(
        op, lambda: (input_schema(op.arguments), _tidy(op.result.model_json_schema(by_alias=True)))
    )
    description = op.description
    if name != op.name:
        description = f"Deprecated: renamed to {op.name}; this name will be removed in a future release. " + description
    if confirm and op.destructive and not op.read_only:
        description += " " + ASKS
    return Tool(
        fn=call,
        name=name,
        title=op.title,
        description=description,
        parameters=parameters,
        fn_metadata=_Arguments(arg_model=op.arguments, output_schema=output_schema),
        is_async=True,
        context_kwarg="ctx",
        annotations=annotations_for(op),
    )


def build_tools(operations: list[Operation], *, confirm: bool = True) -> list[Tool]:
    """The tools of these operations, each followed by its deprecated aliases."""
    return [build_tool(op, name, confirm=confirm) for op in operations for name in (op.name, *op.aliases)]
