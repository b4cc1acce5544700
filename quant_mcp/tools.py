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
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ValidationError

from quant_mcp import pipeline
from quant_mcp.catalog.base import BASE64_PATTERN, Operation, ToolArguments
from quant_mcp.pipeline import Outcome, shown
from quant_mcp.schema_cache import schema_cache

# The readable copy of a result stays under this many bytes of UTF-8, so under 25,000 tokens with
# any tokenizer, byte-level ones included (clients cap a tool result there); structured content
# is never cut.
MAX_TEXT_BYTES = 24_000
SHOWN_NUMBERS = 8  # a longer list of numbers (an embedding) shows in the text as its length and first values


def render(op: Operation, outcome: Outcome) -> CallToolResult:
    """Structured content, complete, plus a readable text: a summary line, then the JSON once, with
    bulky parts summarised (see :func:`readable`); then any media blocks (images)."""
    structured = outcome.structured
    summary = op.summary(structured) if op.summary else ""
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


def input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The arguments model's JSON Schema, tidied for agents: no titles, no ``null`` alternatives."""
    return lean(_tidy(model.model_json_schema(by_alias=True)))


def output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The result model's JSON Schema as hosts use it to check structured content: the top-level
    fields and their types (a nested object is an object, a list of them a list of objects) and
    which are required. The answer itself shows the rest."""
    return _top_level(lean(_tidy(model.model_json_schema(by_alias=True)), output=True))


def _top_level(schema: dict[str, Any]) -> dict[str, Any]:
    definitions = schema.get("$defs", {})

    def shape(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            node = {**definitions[node["$ref"].removeprefix("#/$defs/")], **{k: v for k, v in node.items() if k != "$ref"}}
        if "properties" in node:
            return {"type": "object"}
        if "items" in node:
            return {**node, "items": shape(node["items"])}
        if "anyOf" in node:
            return {**node, "anyOf": [shape(alt) for alt in node["anyOf"]]}
        if isinstance(node.get("additionalProperties"), dict):
            return {**node, "additionalProperties": shape(node["additionalProperties"])}
        return node

    top = {key: value for key, value in schema.items() if key != "$defs"}
    if "properties" in top:
        top["properties"] = {name: shape(sub) for name, sub in top["properties"].items()}
    return top


def lean(schema: dict[str, Any], *, output: bool = False) -> dict[str, Any]:
    """The same schema in fewer characters, for every conversation pays for it in ``tools/list``:
    a definition used once is written where it is used, and what JSON Schema assumes anyway
    (``additionalProperties: true``) is left out, and so is the model's docstring. Results also
    leave out descriptions, defaults and ``null`` (structured content never carries one)."""
    definitions = schema.get("$defs", {})
    uses: dict[str, int] = {}

    def count(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                uses[ref[8:]] = uses.get(ref[8:], 0) + 1
            for value in node.values():
                count(value)
        elif isinstance(node, list):
            for item in node:
                count(item)

    count(schema)

    def walk(node: Any, expanding: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [walk(item, expanding) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[8:]
            if uses.get(name) == 1 and name not in expanding and name in definitions:
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return walk({**definitions[name], **rest}, expanding | {name})
        out = {}
        for key, value in node.items():
            if key == "additionalProperties" and value is True:
                continue
            if output and key in ("default", "description"):
                continue
            if output and key == "anyOf" and {"type": "null"} in value:  # results carry no nulls (exclude_none)
                rest = [alt for alt in value if alt != {"type": "null"}]
                if len(rest) == 1:
                    out.update(walk(rest[0], expanding))
                    continue
            if key == "properties":  # names, not keywords
                out[key] = {name: walk(sub, expanding) for name, sub in value.items()}
                continue
            out[key] = walk(value, expanding)
        return out

    root = {k: v for k, v in schema.items() if k not in ("$defs", "description")}  # the description: a model docstring
    lean_schema = walk(root, frozenset())
    kept = {name: walk(definition, frozenset({name})) for name, definition in definitions.items() if uses.get(name, 0) > 1}
    return _share_repeats(lean_schema, kept)


def _share_repeats(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """Write a part that appears more than once (media ``source`` objects, say) once, under
    ``$defs``, named after the property that holds it, and refer to it there: the part that
    saves most first, while any saves characters. A tool's own arguments stay written out."""
    while True:
        found: dict[str, tuple[int, str]] = {}
        _count_parts(schema, None, 0, found)
        for definition in definitions.values():
            _count_parts(definition, None, 2, found)  # a definition is not a repeat of itself
        repeated = [text for text, (times, _) in found.items() if times > 1]
        best = max(repeated, key=lambda text: _saving(text, *found[text]), default=None)
        if best is None or _saving(best, *found[best]) <= 0:
            break
        name = base = found[best][1]
        number = 1
        while name in definitions:
            number += 1
            name = f"{base}{number}"
        reference = {"$ref": f"#/$defs/{name}"}
        schema = _replace_part(schema, best, reference, 0)
        definitions = {key: _replace_part(value, best, reference, 2) for key, value in definitions.items()}
        definitions[name] = json.loads(best)
    if definitions:
        schema["$defs"] = definitions
    return schema


def _canonical(node: Any) -> str:
    return json.dumps(node, sort_keys=True, separators=(",", ":"))


def _count_parts(node: Any, name: str | None, depth: int, found: dict[str, tuple[int, str]]) -> None:
    """How often each object below a tool's own arguments (depth > 1) appears, and the name of
    the property where it first does."""
    if isinstance(node, list):
        for item in node:
            _count_parts(item, name, depth, found)
    if not isinstance(node, dict):
        return
    if name is not None and depth > 1 and "$ref" not in node:
        text = _canonical(node)
        times, first = found.get(text, (0, name))
        found[text] = (times + 1, first)
    for key, value in node.items():
        if key == "properties":
            for prop, sub in value.items():
                _count_parts(sub, prop, depth + 1, found)
        else:
            _count_parts(value, name, depth, found)


def _saving(text: str, times: int, name: str) -> int:
    reference = len(f'{{"$ref":"#/$defs/{name}"}}') + 2  # and a digit or two, should the name be taken
    return (times - 1) * len(text) - times * reference - len(name) - 4


def _replace_part(node: Any, text: str, reference: dict[str, str], depth: int) -> Any:
    if isinstance(node, list):
        return [_replace_part(item, text, reference, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if depth > 1 and _canonical(node) == text:
        return reference
    return {
        key: {prop: _replace_part(sub, text, reference, depth + 1) for prop, sub in value.items()}
        if key == "properties"
        else _replace_part(value, text, reference, depth)
        for key, value in node.items()
    }


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


def build_tool(op: Operation, name: str | None = None) -> Tool:
    """One catalog Operation as one SDK Tool (under a former ``name``: a deprecated alias)."""
    name = name or op.name

    async def call(arguments: ToolArguments | InvalidArguments, ctx: Context) -> CallToolResult:
        if isinstance(arguments, InvalidArguments):
            raise ToolError(describe_validation_error(name, arguments.error))
        return render(op, await pipeline.run(op, arguments, ctx))

    parameters, result_schema = schema_cache().schemas(op, lambda: (input_schema(op.arguments), output_schema(op.result)))
    description = op.description
    if name != op.name:
        description = f"Deprecated: renamed to {op.name}; this name will be removed in a future release. " + description
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


def build_tools(operations: list[Operation]) -> list[Tool]:
    """The tools of these operations, each followed by its deprecated aliases."""
    return [build_tool(op, name) for op in operations for name in (op.name, *op.aliases)]
