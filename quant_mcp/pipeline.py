"""The runtime pipeline: every call to the Quant AI API runs through :func:`run`.

A tool call, a resource read, a prompt's fetch and a completion's lookup are all the same
thing here: a catalog operation with validated arguments, run for the caller of one MCP
request::

    run ─▶ resolve ─▶ middleware ─▶ … ─▶ execute: prepare ─▶ send | stream | flow ─▶ shape ─▶ check
           (credentials, (change notices,          (attachments)                    (route   (result
            organisation, metrics, audit,                                            shape,   model)
            the request)  limits, …)                                                 media)

* :func:`resolve` turns arguments into a :class:`Call`: whose credentials, which organisation,
  and the HTTP :class:`Request` (route, path, query, body), or a refusal in plain words.
* Call middleware (``Runtime.middleware``) wraps the execution of every call, sub-calls of a
  flow included (``Call.origin`` tells them apart): ``async def mw(call, call_next) -> Outcome``.
  The server module assembles the list; this module imports neither it nor the MCP faces.
* :func:`execute` prepares attachments, then sends the request, relays the event stream, or
  runs the operation's flow (registered by name with :func:`flow`), then shapes and checks
  the answer into an :class:`Outcome`.
* Upstream failures (:mod:`quant_mcp.errors`) leave :func:`run` as :class:`CallFailed`, the one
  place they become errors an MCP face shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import reduce
from reprlib import Repr
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ContentBlock
from pydantic import BaseModel, TypeAdapter, ValidationError

from quant_mcp import attachments, catalog, dialect, streaming
from quant_mcp.catalog.base import QUERY, Operation, PathId, Route, ToolArguments
from quant_mcp.client import QuantClient
from quant_mcp.config import Settings
from quant_mcp.errors import QuantAPIError
from quant_mcp.redact import redact

Origin = Literal["tool", "resource", "prompt", "completion", "flow"]
A = TypeVar("A", bound=ToolArguments)

_ORGANISATION = TypeAdapter(PathId)

# How a caller's value is quoted in an error: short, escaped, and safe on any input (a megabyte
# string, nesting thousands deep) where plain repr() would be long or raise RecursionError.
_SHOWN = Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60
shown = _SHOWN.repr


@dataclass(frozen=True)
class Credentials:
    """The Quant credentials of one MCP request."""

    token: str | None = None  # None: the client falls back to QUANT_API_TOKEN
    organisation: str | None = None  # set when the connection is bound to one organisation


def configured_credentials(ctx: Context) -> Credentials:
    """stdio and single-tenant HTTP: the server's own token and default organisation."""
    return Credentials()


@dataclass(frozen=True)
class Request:
    """One HTTP request to the Quant AI API, rendered from an operation's route and arguments."""

    method: str
    path: str
    query: dict[str, Any]
    body: Any  # None, a JSON value, or a StreamedBody (attachments)
    timeout: float | None = None  # None: QUANT_TIMEOUT


@dataclass(frozen=True)
class Outcome:
    """What a call produced: the checked result, and any media moved out of it (images)."""

    structured: dict[str, Any]
    media: Sequence[ContentBlock] = ()


@dataclass(frozen=True)
class Call(Generic[A]):
    """One operation run for one MCP request: who asks, with which arguments, and what is sent."""

    operation: Operation
    arguments: A
    ctx: Context
    runtime: Runtime
    organisation: str
    token: str | None
    request: Request | None  # None for a composite tool: its flow sends through other operations
    origin: Origin = "tool"

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def client(self) -> QuantClient:
        return self.runtime.client

    def http(self) -> Request:
        if self.request is None:
            raise TypeError(f"{self.operation.name} is a composite tool and sends no request of its own")
        return self.request

    async def send(self) -> Any:
        """Send the request; the decoded JSON answer (None when the body is empty)."""
        request = self.http()
        return await self.client.request(
            request.method,
            request.path,
            params=request.query or None,
            body=request.body,
            token=self.token,
            idempotent=self.operation.idempotent,
            timeout=request.timeout,
        )

    async def run(self, name: str, arguments: ToolArguments | Mapping[str, Any]) -> dict[str, Any]:
        """Run another operation for the same caller and organisation (a flow's step)."""
        if not isinstance(arguments, ToolArguments):
            arguments = {**arguments, "organisation": self.organisation}
        outcome = await _run(catalog.OPERATIONS_BY_NAME[name], arguments, self.ctx, "flow")
        return outcome.structured


Next = Callable[[Call[Any]], Awaitable[Outcome]]
CallMiddleware = Callable[[Call[Any], Next], Awaitable[Outcome]]
Flow = Callable[[Call[Any]], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True)
class Runtime:
    """What every call can reach: settings, the one shared QuantClient, how to find the caller's
    credentials (the HTTP layer swaps in a per-request resolver when multi-tenant), and the
    call middleware, outermost first."""

    settings: Settings
    client: QuantClient
    credentials: Callable[[Context], Credentials] = configured_credentials
    middleware: Sequence[CallMiddleware] = field(default=())


class CallFailed(ToolError):
    """A call the Quant API did not carry out; ``upstream`` says why, by type and status."""

    def __init__(self, upstream: QuantAPIError) -> None:
        super().__init__(redact(str(upstream)))  # upstream text may quote a request header back
        self.upstream = upstream


FLOWS: dict[str, Flow] = {}


def flow(name: str) -> Callable[[Flow], Flow]:
    """Register a composite tool's runner under the name its catalog entry gives as ``flow``."""

    def register(runner: Flow) -> Flow:
        FLOWS[name] = runner
        return runner

    return register


# ----------------------------------------------------------------------------- running a call


async def run(op: Operation, arguments: ToolArguments | Mapping[str, Any], ctx: Context, origin: Origin = "tool") -> Outcome:
    """Run ``op`` for the caller of ``ctx``. Arguments not yet validated (a mapping of wire
    names, from a resource or a prompt) are validated as an agent's would be, and refused
    with pydantic's ``ValidationError``."""
    return await _run(op, arguments, ctx, origin)


async def _run(op: Operation, arguments: ToolArguments | Mapping[str, Any], ctx: Context, origin: Origin) -> Outcome:
    if not isinstance(arguments, ToolArguments):
        arguments = op.arguments.model_validate(arguments)
    call = resolve(op, arguments, ctx, origin)
    chain = reduce(lambda inner, mw: _wrap(mw, inner), reversed(call.runtime.middleware), execute)
    try:
        return await chain(call)
    except QuantAPIError as exc:
        raise CallFailed(exc) from None


def _wrap(middleware: CallMiddleware, inner: Next) -> Next:
    async def wrapped(call: Call[Any]) -> Outcome:
        return await middleware(call, inner)

    return wrapped


async def execute(call: Call[Any]) -> Outcome:
    """The innermost step of every call: prepare, send (or stream, or run the flow), shape, check."""
    op = call.operation
    async with _prepared(call) as ready:
        if op.flow is not None:
            data: Any = await FLOWS[op.flow](ready)
        elif op.streamed:
            data = await streaming.relay(ready)
        else:
            data = await ready.send()
    return check(op, *shape(ready, data))


# ----------------------------------------------------------------------------- resolve


def resolve(op: Operation, arguments: A, ctx: Context, origin: Origin = "tool") -> Call[A]:
    """Validated arguments as a concrete call, or a refusal with a sentence that says why."""
    runtime: Runtime = ctx.request_context.lifespan_context
    credentials = runtime.credentials(ctx)
    organisation = _organisation(credentials, arguments, runtime.settings)
    request = None if op.flow is not None else render(op, arguments, organisation, runtime.settings)
    return Call(op, arguments, ctx, runtime, organisation, credentials.token, request, origin)


def _organisation(credentials: Credentials, arguments: ToolArguments, settings: Settings) -> str:
    """The organisation a call acts on: the connection's, else the argument, else the configured one."""
    bound, given = credentials.organisation, arguments.organisation
    if bound and given and given != bound:
        raise ToolError(f"This connection is bound to organisation {bound!r}; omit `organisation` or pass that one.")
    organisation = bound or given or settings.organization
    if not organisation:
        message = "No organisation given: pass `organisation`, or set QUANT_ORGANIZATION in the server's environment."
        if not (credentials.token or settings.api_token):  # every missing setting at once, not one per attempt
            message += " QUANT_API_TOKEN is not set either: both go in the MCP client's configuration of this server."
        raise ToolError(message)
    try:  # the argument is checked already; a header or the configuration ("..") could leave the route
        _ORGANISATION.validate_python(organisation)
    except ValidationError:
        raise ToolError(
            f"The organisation {shown(organisation)} is not a machine name (letters, digits and . _ : @ ~ + -, "
            "starting with a letter or digit): check X-Quant-Organization or QUANT_ORGANIZATION. Nothing was sent to the Quant API."
        ) from None
    return organisation


def render(op: Operation, arguments: ToolArguments, organisation: str, settings: Settings) -> Request:
    """The HTTP request for these arguments: each field goes to the path, the query or the body."""
    route = op.route_for(settings.api_routes)
    model = type(arguments)
    _refuse_fields_outside(route, arguments, settings)
    path_params = {segment[1:-1] for segment in route.path.split("/") if segment.startswith("{")}
    path_values: dict[str, Any] = {"organisation": organisation}
    query: dict[str, Any] = {}
    body_fields: set[str] = set()
    for name, info in model.model_fields.items():
        if name == "organisation":
            continue
        wire, value = info.alias or name, getattr(arguments, name)
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
    body: Any = None
    if route.method != "GET":
        if route.body is not None:
            body = route.body(arguments)
        elif body_fields:
            body = arguments.model_dump(mode="json", by_alias=True, exclude_none=True, include=body_fields)
    timeout = settings.stream_timeout if op.slow else settings.chat_timeout if op.model_answer else None
    return Request(route.method, path, query, body, timeout)


def _refuse_fields_outside(route: Route, arguments: ToolArguments, settings: Settings) -> None:
    if route.fields is None:
        return
    model = type(arguments)
    given = arguments.model_fields_set - {"organisation"} - route.fields
    unsupported = sorted(model.model_fields[f].alias or f for f in given if getattr(arguments, f) is not None)
    if unsupported:
        family = settings.api_routes
        raise ToolError(
            f"{', '.join(unsupported)} cannot be sent on the {family} routes this server uses "
            f"(QUANT_API_ROUTES={family}); remove it."
        )


# ----------------------------------------------------------------------------- prepare, shape, check


@asynccontextmanager
async def _prepared(call: Call[Any]) -> AsyncIterator[Call[Any]]:
    """The call ready to send: attachments checked and streamed into the body. Files stay open
    until the call is done, so what was checked is exactly what is sent."""
    if not call.operation.attachments or call.request is None:
        yield call
        return
    async with attachments.prepared(call.arguments, call.request.body, call.ctx, call.settings) as body:
        yield replace(call, request=replace(call.request, body=body))


def shape(call: Call[Any], data: Any) -> tuple[Any, Sequence[ContentBlock]]:
    """The answer in the result model's shape (the route's own reshaping; the body sent when the
    API answers nothing), with binary media moved out into MCP content blocks."""
    op = call.operation
    if call.request is not None:
        route = op.route_for(call.settings.api_routes)
        if route.response is not None and not op.streamed:
            data = route.response(data)
        if op.model_answer:
            data = dialect.read_chat(data)
        if data is None:
            data = call.request.body if isinstance(call.request.body, dict) else {}
    media: Sequence[ContentBlock] = ()
    if op.media is not None:
        data, media = op.media(data)
    return data, media


def check(op: Operation, data: Any, media: Sequence[ContentBlock] = ()) -> Outcome:
    """Validate an answer against the result model. The answer came with a success status, so a
    mismatch is never an error (the agent would repeat a write that happened): the answer is
    passed through as ``upstreamAnswer`` with a ``notice`` that says the request succeeded."""
    try:
        result: BaseModel = op.result.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        notice = (
            f"The Quant API carried out {op.name} (it answered with a success status), but its answer does not have the "
            f"shape this server knows ({where}: {first['msg']}); it is passed through unchanged as upstreamAnswer. "
            "Do not repeat the request."
        )
        return Outcome({"upstreamAnswer": data, "notice": notice}, media)
    return Outcome(result.model_dump(mode="json", by_alias=True, exclude_none=True), media)
