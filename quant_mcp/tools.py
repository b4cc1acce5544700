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
from pydantic import ValidationError

from quant_mcp import pipeline
from quant_mcp.catalog.base import BASE64_PATTERN, Operation, ToolArguments
from quant_mcp.confirm import ASKS, Answered
from quant_mcp.pipeline import Outcome, shown
from quant_mcp.schema_cache import schema_cache
from quant_mcp.schemas import input_schema, output_schema

# The readable copy of a result stays under this many bytes of UTF-8, so under 25,000 tokens with
# any tokenizer, byte-level ones included (clients cap a tool result there); structured content
# is never cut.
MAX_TEXT_BYTES = 24_000
SHOWN_NUMBERS = 8  # a longer list of numbers (an embedding) shows in the text as its length and first values


def render(op: Operation, outcome: Outcome) -> CallToolResult:
    """Structured content, complete, plus a readable text: a summary line, then the JSON once, with
    bulky parts summarised (see :func:`readable`); then any media blocks (images)."""
    structured = outcome.structured
    passed_through = "upstreamAnswer" in structured and "notice" in structured  # pipeline.check: an unforeseen 2xx answer
    summary = structured["notice"] if passed_through else op.summary(structured) if op.summary else ""
    summary = _cut(summary, MAX_TEXT_BYTES // 4, "...")
    text = "\n".join(part for part in [summary, readable(structured, MAX_TEXT_BYTES - _size(summary) - 1)] if part)
    return CallToolResult(content=[TextContent(type="text", text=text), *outcome.media], structured_content=structured)


def readable(structured: dict[str, Any], limit: int) -> str:
    """The result as compact JSON of at most ``limit`` bytes: long lists of numbers become
    "<1024 numbers: 0.01, -0.2, ...>", and a result still too long shows the first items of its
    longest list that fit, saying how many there are (structured content has them all)."""
    shown = _numbers_summarised(structured)
    data = _json(shown)
    if _size(data) <= limit:
        return data
    key = max((k for k, v in shown.items() if isinstance(v, list)), key=lambda k: len(_json(shown[k])), default=None)
    if key is not None:
        items = shown[key]
        low, high = 0, len(items)  # the most items that fit, found by halving
        while low < high:
            middle = (low + high + 1) // 2
            note = f"showing the first {middle} of {len(items)} {key}; structuredContent has all of them"
            if _size(_json({**shown, key: items[:middle], "note": note})) <= limit:
                low = middle
            else:
                high = middle - 1
        note = f"showing the first {low} of {len(items)} {key}; structuredContent has all of them"
        data = _json({**shown, key: items[:low], "note": note})
        if _size(data) <= limit:
            return data
    return _cut(data, limit, f"... [cut at {limit} bytes of {_size(data)}; structuredContent has the whole answer]")


def _size(text: str) -> int:
    return len(text.encode())


def _cut(text: str, limit: int, tail: str) -> str:
    """``text`` in at most ``limit`` bytes, ending with ``tail`` when it had to be cut."""
    if _size(text) <= limit:
        return text
    return text.encode()[: max(0, limit - _size(tail))].decode(errors="ignore") + tail


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _numbers_summarised(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _numbers_summarised(item) for key, item in value.items()}
    if isinstance(value, list):
        if len(value) > SHOWN_NUMBERS and all(isinstance(item, int | float) and not isinstance(item, bool) for item in value):
            first = ", ".join(f"{item:.4g}" if isinstance(item, float) else str(item) for item in value[:3])
            return f"<{len(value)} numbers: {first}, ...>"
        return [_numbers_summarised(item) for item in value]
    return value


def annotations_for(op: Operation) -> ToolAnnotations:
    """The operation's hints, each left out where it equals the protocol's default (not read-only,
    destructive, not idempotent, open world): clients read a missing hint as its default. No
    title either: the tool's own title says it."""
    destructive = op.destructive and not op.read_only
    return ToolAnnotations(
        read_only_hint=True if op.read_only else None,
        destructive_hint=False if not destructive and not op.read_only else None,
        idempotent_hint=True if op.idempotent else None,
    )


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

    parameters, result_schema = schema_cache().schemas(op, lambda: (input_schema(op.arguments), output_schema(op.result)))
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
        fn_metadata=_Arguments(arg_model=op.arguments, output_schema=result_schema),
        is_async=True,
        context_kwarg="ctx",
        annotations=annotations_for(op),
    )


def build_tools(operations: list[Operation], *, confirm: bool = True) -> list[Tool]:
    """The tools of these operations, each followed by its deprecated aliases."""
    return [build_tool(op, name, confirm=confirm) for op in operations for name in (op.name, *op.aliases)]
