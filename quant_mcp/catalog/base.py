"""The building blocks of the operation catalog.

An :class:`Operation` describes one Quant AI endpoint as an MCP tool: its name, toolset,
route(s), arguments model, result model, annotations and a description written for an agent.
The server turns every Operation into a tool with the same code (``quant_mcp.tools``); adding
an endpoint means adding an Operation and its models, never server code.

Argument models subclass :class:`ToolArguments`. Where each field goes on the wire follows
from the route: a field named in the path template is a path parameter, a field annotated
with :data:`QUERY` is a query parameter, and every other field is a JSON body member. Field
aliases are the wire names, so what an agent passes is what the API receives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

if TYPE_CHECKING:
    from mcp.types import ContentBlock

V3 = "/api/v3/organizations/{organisation}/ai"
LEGACY = "/organisations/{organisation}/ai"

Method = Literal["GET", "POST", "PUT", "DELETE"]


# The one record of toolsets: each API group with what it is for, the catalog module that holds
# its operations, and whether a server offers it by default. Every tool belongs to exactly one.
class Toolset(StrEnum):
    """API groups; each tool belongs to exactly one."""

    description: str
    module: str
    default: bool

    def __new__(cls, value: str, description: str, module: str | None = None, default: bool = False) -> Toolset:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        member.module = module or value
        member.default = default
        return member

    SESSIONS = (
        "sessions",
        "Server-side chat sessions: create, read, append to, extend and delete conversation histories.",
        None,
        True,
    )
    INFERENCE = (
        "inference",
        "Chat completions: buffered and streamed, multimodal, with tools, in a stored session.",
        None,
        True,
    )
    MODELS = ("models", "The foundation models the organisation can use, with capabilities, limits and prices.", None, True)
    USAGE = (
        "usage",
        "AI usage: the organisation's requests and tokens per month, and the caller's own spend and quota.",
        None,
        True,
    )
    CONFIG = ("config", "The organisation's AI configuration: enabled models and chat defaults.", None, True)
    AGENTS = (
        "agents",
        "Stored AI agents (prompt, model, tools, collections): manage them, chat with them, overlay global agents.",
    )
    TOOLS = (
        "tools",
        "Built-in AI tools (weather, calculator, web search, image generation) and their async executions.",
        "ai_tools",
    )
    CUSTOM_TOOLS = ("custom_tools", "Custom tools backed by your own edge functions: register, read, delete.")
    VECTOR_DB = (
        "vector_db",
        "Vector collections for retrieval: create collections, add and delete documents, semantic search.",
    )
    FILES = ("files", "File storage for AI workloads: upload (inline or presigned), read metadata and download URLs, delete.")
    ORCHESTRATIONS = (
        "orchestrations",
        "Durable batch orchestrations that run an agent or tool over many items: create, control, inspect.",
    )
    SKILLS = (
        "skills",
        "Agent skills (instructions agents can load): create inline, import from GitHub or skills.sh, sync, delete.",
    )
    SLACK_BOTS = ("slack_bots", "Slack bots backed by Quant agents: manage bots and search the connected workspace.")
    TASKS = ("tasks", "Task lists for agents: tasks with status, progress and dependencies.")
    GOVERNANCE = (
        "governance",
        "AI governance: model policy, mandatory guardrails and filters, spend limits and spend summary.",
    )
    FILTER_POLICIES = ("filter_policies", "Content filter policies (word and regex rules that block or redact input and output).")
    AI_SEARCH = (
        "ai_search",
        "AI Search for a project: index pages (crawl or push), semantic search, RAG chat, settings and usage.",
    )
    EMBEDDINGS = ("embeddings", "Text embeddings for semantic search, clustering and similarity.")
    IMAGES = ("images", "Image generation and editing with Amazon Nova Canvas.")
    EXECUTIONS = (
        "executions",
        "Durable chat executions: start a chat in the background, poll it, answer the tool calls it waits for.",
    )


DEFAULT_TOOLSETS = tuple(toolset.value for toolset in Toolset if toolset.default)


class _Query:
    """Marker: this argument is sent as a query parameter."""

    def __repr__(self) -> str:
        return "QUERY"


QUERY = _Query()

Text = Annotated[str, StringConstraints(min_length=1)]  # a required string must not be empty either

# An identifier that goes into a URL path segment. The first character must be a letter or
# digit, so ".." and "." can never form a segment, and "/", "?", "#", "%" and control
# characters are refused before any request is built.
PathId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@~+-]{0,199}$"),  # 1-200 characters, said in the pattern
]

BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"

# Bytes carried as base64 text (media blocks, file uploads): standard alphabet, padded, checked
# before anything is sent. The pattern is published in the schema, so agents see the rule too.
Base64 = Annotated[str, StringConstraints(pattern=BASE64_PATTERN)]

# Optional on every tool; the server's instructions say it defaults to the configured organisation.
Organisation = PathId | None


class WireModel(BaseModel):
    """A nested argument object: unknown fields refused, camelCase wire names."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel, defer_build=True)


class ToolArguments(ArgModelBase):
    """Base of every tool's arguments: unknown fields are refused, aliases are wire names.

    The MCP SDK validates a call's arguments against this model before the tool runs, then
    hands the tool its fields one level deep; ``model_dump_one_level`` is overridden so that
    the tool receives the validated model itself as ``arguments``.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel, defer_build=True)

    organisation: Organisation = None

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": self}


class NoArguments(ToolArguments):
    """No arguments besides the optional organisation."""


class ApiResult(BaseModel):
    """Base of result models: fields the API adds later pass through untouched."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel, defer_build=True)


class Confirmation(ApiResult):
    """The API's usual answer to a delete or a state change."""

    success: bool | None = None
    message: str | None = None


# Where the reference marks a success body unknown (``x-schema-unknown``), no published client
# documents its fields, so inventing a schema would only mislead. Build such operations with
# undocumented(), which also tells the agent. (Model docstrings reach agents: they become the
# output schema's description.)
class UndocumentedResult(ApiResult):
    """The API's JSON answer, passed through as received: its fields are not documented."""


Shape = Callable[[Any], Any]


@dataclass(frozen=True)
class Route:
    """One HTTP route of an operation, and how to talk to it.

    ``fields`` limits which arguments this route understands (None: all of them); an
    argument outside it is refused with an error that names the route family. ``body``
    replaces the default JSON body builder and ``response`` reshapes the upstream answer
    into the result model's shape.
    """

    method: Method
    path: str
    fields: frozenset[str] | None = None
    body: Callable[[ToolArguments], Any] | None = None
    response: Shape | None = None


@dataclass(frozen=True)
class Operation:
    """One Quant AI endpoint, described once, served as one MCP tool.

    How the runtime pipeline runs it follows from the flags: ``attachments`` (its messages may
    carry media to check and stream into the request), ``streamed`` (the answer is an event
    stream, relayed as it arrives), ``slow`` (may take minutes: waits up to
    QUANT_STREAM_TIMEOUT, not QUANT_TIMEOUT), ``model_answer`` (a buffered model answer: waits up
    to QUANT_CHAT_TIMEOUT, read by ``quant_mcp.dialect.read_chat`` in any shape the service sends) and ``media`` (binary media moved out of the answer
    into MCP content blocks). A composite tool names its ``flow`` instead of sending ``route``.
    """

    name: str
    toolset: Toolset
    title: str
    description: str
    route: Route | None
    arguments: type[ToolArguments]
    result: type[BaseModel]
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    legacy_route: Route | None = None  # used when QUANT_API_ROUTES=legacy; None: the v3 route serves both
    flow: str | None = None  # a composite tool: the name of the flow that runs it (quant_mcp.flows)
    attachments: bool = False
    streamed: bool = False
    slow: bool = False
    model_answer: bool = False
    summary: Callable[[Mapping[str, Any]], str] | None = None  # one readable line about the result
    changes: str | None = None  # resource URI template whose contents this tool changes
    operation_ids: tuple[str, ...] = field(default=())  # reference operationIds this tool serves
    media: Callable[[Mapping[str, Any]], tuple[Mapping[str, Any], list[ContentBlock]]] | None = None
    aliases: tuple[str, ...] = field(default=())  # former names, still answered for a release (deprecated)

    def route_for(self, family: Literal["v3", "legacy"]) -> Route:
        if family == "legacy" and self.legacy_route is not None:
            return self.legacy_route
        if self.route is None:
            raise TypeError(f"{self.name} is a composite tool (flow {self.flow!r}); it has no route of its own")
        return self.route


def undocumented(
    toolset: Toolset,
    name: str,
    title: str,
    route: Route,
    arguments: type[ToolArguments],
    description: str,
    operation_id: str,
    *,
    read_only: bool = False,
    destructive: bool = False,
    idempotent: bool = False,
) -> Operation:
    """An operation whose answer the reference does not document: a free-form result, and a
    description that tells the agent so."""
    return Operation(
        name=name,
        toolset=toolset,
        title=title,
        description=description + " (Result undocumented.)",
        route=route,
        arguments=arguments,
        result=UndocumentedResult,
        read_only=read_only,
        destructive=destructive,
        idempotent=idempotent,
        operation_ids=(operation_id,),
    )
