"""The one generic translator from catalog Operations to MCP tools, and the code that runs them.

``build_tool(op)`` makes an SDK ``Tool`` whose input schema is the operation's arguments
model and whose output schema is its result model. ``run_operation`` is what every call
goes through: resolve credentials and route, render the request, send it, shape and check
the answer, and hand back structured content plus one readable line.
"""

from __future__ import annotations

import json
import logging
import reprlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import quote

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.types import CallToolResult, ContentBlock, TextContent, ToolAnnotations
from pydantic import BaseModel, TypeAdapter, ValidationError

from quant_mcp.catalog.base import QUERY, Operation, PathId, Route, ToolArguments
from quant_mcp.client import QuantAPIError, QuantClient
from quant_mcp.config import Settings
from quant_mcp.schema_cache import schema_cache

log = logging.getLogger("quant_mcp.tools")

MAX_TEXT_CHARS = 20_000  # the readable copy of a result; structured content is never cut
_ORGANISATION = TypeAdapter(PathId)


@dataclass
class Credentials:
    """The Quant credentials of one MCP request."""

    token: str | None = None  # None: the client falls back to QUANT_API_TOKEN
    organisation: str | None = None  # set when the connection is bound to one organisation


def configured_credentials(ctx: Context) -> Credentials:
    """stdio and single-tenant HTTP: the server's own token and default organisation."""
    return Credentials()


@dataclass
class AppState:
    """What every tool call can reach: settings, the one shared QuantClient, and how to find
    the caller's credentials (the HTTP layer swaps in a per-request resolver when multi-tenant)."""

    settings: Settings
    client: QuantClient
    credentials: Callable[[Context], Credentials] = configured_credentials


@dataclass
class Invocation:
    """One tool call, resolved: everything a runner needs to talk to the API."""

    operation: Operation
    arguments: ToolArguments
    route: Route
    path: str
    query: dict[str, Any]
    body: Any
    token: str | None
    organisation: str
    ctx: Context
    client: QuantClient
    settings: Settings


def _wire_name(model: type[BaseModel], field: str) -> str:
    info = model.model_fields[field]
    return info.alias or field


def _path_fields(route: Route) -> set[str]:
    return {segment[1:-1] for segment in route.path.split("/") if segment.startswith("{")}


def resolve(op: Operation, arguments: ToolArguments, ctx: Context) -> Invocation:
    """Turn validated arguments into a concrete request, or refuse with a sentence that says why."""
    state: AppState = ctx.request_context.lifespan_context
    settings = state.settings
    route = op.route_for(settings.api_routes)
    credentials = state.credentials(ctx)

    organisation = credentials.organisation or arguments.organisation or settings.organization
    if credentials.organisation and arguments.organisation and arguments.organisation != credentials.organisation:
        raise ToolError(
            f"This connection is bound to organisation {credentials.organisation!r}; omit `organisation` or pass that one."
        )
    if not organisation:
        raise ToolError("No organisation given: pass `organisation`, or set QUANT_ORGANIZATION in the server's environment.")
    try:  # the argument is checked already; a header or the configuration ("..") could leave the route
        _ORGANISATION.validate_python(organisation)
    except ValidationError:
        raise ToolError(
            f"The organisation {_SHOWN.repr(organisation)} is not a machine name (letters, digits and . _ : @ ~ + -, "
            "starting with a letter or digit): check X-Quant-Organization or QUANT_ORGANIZATION. Nothing was sent to the Quant API."
        ) from None

    model = type(arguments)
    given = arguments.model_fields_set - {"organisation"}
    if route.fields is not None:
        unsupported = sorted(_wire_name(model, f) for f in given - route.fields if getattr(arguments, f) is not None)
        if unsupported:
            family = settings.api_routes
            raise ToolError(
                f"{', '.join(unsupported)} cannot be sent on the {family} routes this server uses "
                f"(QUANT_API_ROUTES={family}); remove it."
            )

    path_values = {"organisation": organisation}
    query: dict[str, Any] = {}
    body_fields: set[str] = set()
    path_params = _path_fields(route)
    for name, info in model.model_fields.items():
        if name == "organisation":
            continue
        wire = info.alias or name
        value = getattr(arguments, name)
        if wire in path_params:
            path_values[wire] = value
        elif QUERY in info.metadata:
            if value is not None:
                query[wire] = value
        else:
            body_fields.add(name)
    missing = sorted(p for p in path_params if path_values.get(p) in (None, ""))
    if missing:
        raise ToolError(f"Missing required argument(s): {', '.join(missing)}.")
    path = route.path.format(**{k: quote(str(v), safe="") for k, v in path_values.items()})

    if route.body is not None:
        body = route.body(arguments)
    elif body_fields:
        body = arguments.model_dump(mode="json", by_alias=True, exclude_none=True, include=body_fields)
    else:
        body = None
    if route.method == "GET":
        body = None

    return Invocation(
        operation=op,
        arguments=arguments,
        route=route,
        path=path,
        query=query,
        body=body,
        token=credentials.token,
        organisation=organisation,
        ctx=ctx,
        client=state.client,
        settings=settings,
    )


async def send(invocation: Invocation) -> Mapping[str, Any]:
    """The default runner: one request, one JSON answer (or the body sent, when none comes back)."""
    data = await invocation.client.request(
        invocation.route.method,
        invocation.path,
        params=invocation.query or None,
        body=invocation.body,
        token=invocation.token,
        idempotent=invocation.operation.idempotent,
        timeout=invocation.settings.stream_timeout if invocation.operation.slow else None,
    )
    if invocation.route.response is not None:
        data = invocation.route.response(data)
    if data is None:
        data = invocation.body if isinstance(invocation.body, dict) else {}
    return data


async def call_operation(op: Operation, arguments: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """Run a catalog operation from inside the server (flows, resources, completions, prompts),
    with the current request's credentials; its arguments are validated like an agent's."""
    return check_result(op, await send(resolve(op, op.arguments.model_validate(arguments), ctx)))


def check_result(op: Operation, data: Any) -> dict[str, Any]:
    """Validate an upstream answer against the result model; a mismatch is a clear tool error."""
    try:
        result = op.result.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ToolError(
            f"The Quant API answered {op.name} with an unexpected shape ({where}: {first['msg']}); the API may have changed."
        ) from None
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)


def render(
    op: Operation, structured: dict[str, Any], notes: list[str] | None = None, media: Sequence[ContentBlock] = ()
) -> CallToolResult:
    """Structured content plus a readable text (a summary line, any notes, then the JSON), followed
    by any media blocks (images) the operation returns."""
    summary = op.summary(structured) if op.summary else ""
    data = json.dumps(structured, ensure_ascii=False, separators=(",", ":"))
    if len(data) > MAX_TEXT_CHARS:
        data = data[:MAX_TEXT_CHARS] + f"... [truncated; {len(data)} characters in all, see structuredContent]"
    text = "\n".join(part for part in [summary, *(notes or []), data] if part)
    return CallToolResult(content=[TextContent(type="text", text=text), *media], structured_content=structured)


async def run_operation(op: Operation, arguments: ToolArguments, ctx: Context) -> CallToolResult:
    invocation = resolve(op, arguments, ctx)
    runner = op.runner or send
    try:
        data = await runner(invocation)
    except QuantAPIError as exc:
        raise ToolError(str(exc)) from None
    media: Sequence[ContentBlock] = ()
    if op.media is not None:
        data, media = op.media(data)
    structured = check_result(op, data)
    if op.changes:
        from quant_mcp.resources import announce_change

        await announce_change(ctx, op, structured, arguments)
    return render(op, structured, media=media)


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


# How a caller's value is quoted in an error: short, escaped, and safe on any input (a megabyte
# string, nesting thousands deep) where plain repr() would be long or raise RecursionError.
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60


def _location(loc: tuple[int | str, ...]) -> str:
    """``messages.0.content.blocks.0.image.image.source`` -> ``messages.0.content.0.image.source``:
    drop the union tags pydantic puts in error locations."""
    parts: list[str] = []
    for part in map(str, loc):
        if part in ("string", "blocks") or (parts and parts[-1] == part):
            continue
        parts.append(part if part.isprintable() and len(part) <= 60 else _SHOWN.repr(part))  # an unknown key is the caller's text
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
        if item["type"] == "string_pattern_mismatch" and "A-Za-z0-9" in str(item.get("ctx", {}).get("pattern", "")):
            message = (
                "must be an id of letters, digits and . _ : @ ~ + - starting with a letter or digit (no /, .., ?, # or spaces)"
            )
        if item["type"] not in ("missing", "extra_forbidden") and "input" in item:
            message += f" (got {_SHOWN.repr(item['input'])})"
        problems.append(f"{where} {message}")
    more = error.error_count() - len(problems)
    tail = f"; and {more} more problem(s)" if more > 0 else ""
    return f"Invalid arguments for {tool}: " + "; ".join(problems) + tail + ". Nothing was sent to the Quant API."


def build_tool(op: Operation) -> Tool:
    """One catalog Operation as one SDK Tool."""

    async def call(arguments: ToolArguments | InvalidArguments, ctx: Context) -> CallToolResult:
        if isinstance(arguments, InvalidArguments):
            raise ToolError(describe_validation_error(op.name, arguments.error))
        return await run_operation(op, arguments, ctx)

    parameters, output_schema = schema_cache().schemas(
        op, lambda: (input_schema(op.arguments), _tidy(op.result.model_json_schema(by_alias=True)))
    )
    return Tool(
        fn=call,
        name=op.name,
        title=op.title,
        description=op.description,
        parameters=parameters,
        fn_metadata=_Arguments(arg_model=op.arguments, output_schema=output_schema),
        is_async=True,
        context_kwarg="ctx",
        annotations=annotations_for(op),
    )
