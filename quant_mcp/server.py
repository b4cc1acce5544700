"""Build the MCP server: the catalog's tools (filtered by configuration), resources and lifespan."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx2
from mcp.server import MCPServer
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context
from pydantic import SecretStr

from quant_mcp import __version__, apps, sdk, subscriptions
from quant_mcp import flows as flows  # importing it registers the composite tools' flows with the pipeline
from quant_mcp.audit import observe
from quant_mcp.client import QuantClient
from quant_mcp.config import Settings
from quant_mcp.confirm import ask_before_destroying, request_state_security
from quant_mcp.limits import limit_calls, limit_listen_streams
from quant_mcp.model_limits import clamp_max_tokens
from quant_mcp.pipeline import CallMiddleware, Credentials, Runtime, configured_credentials
from quant_mcp.progress import keep_alive
from quant_mcp.prompts import register_prompts
from quant_mcp.redact import REDACTOR, install_log_redaction, redact_replies
from quant_mcp.resources import change_notices, register_resources, remember_request
from quant_mcp.schema_cache import schema_cache
from quant_mcp.search import SEARCH_INSTRUCTIONS, register_search_tools
from quant_mcp.shared_state import SharedState
from quant_mcp.subscriptions import TenantBus
from quant_mcp.tools import build_tools
from quant_mcp.toolsets import DynamicToolsets, check_selection, hide_writing_tools_when_asked, select_operations

log = logging.getLogger("quant_mcp")

# Call middleware, outermost first: every call of the pipeline (tool, resource, prompt,
# completion, a flow's steps) runs through each, in this order.
# Every call is observed (metrics, audit line, request id) whatever happens inside. A call over
# its limits is refused before the user is asked anything; the heartbeat of a waiting call
# starts once the user has agreed to it; maxTokens is clamped innermost, so what the other
# middleware see is the call as the agent made it.
CALL_MIDDLEWARE: tuple[CallMiddleware, ...] = (
    observe,
    limit_calls,
    ask_before_destroying,
    keep_alive,
    change_notices,
    clamp_max_tokens,
)

INSTRUCTIONS = """\
Tools for the Quant AI platform (QuantCDN): chat with foundation models (buffered or streamed, \
with images, video and documents), keep conversations in server-side sessions, and read models, \
usage and AI configuration. Start with list_models to pick a modelId. To hold a conversation, \
create_session, then chat_in_session (or chat with the history, then update_session). Sessions, \
models, agents and vector collections are also readable as resources (quant://sessions, \
quant://models, quant://agents, quant://vector-collections, each with /{id}; quant://usage/{month}). \
The organisation defaults to the configured one; pass `organisation` to use another."""

DYNAMIC_INSTRUCTIONS = """ Only the discovery tools are loaded at first: call list_toolsets, then \
enable_toolset for the group you need (sessions, inference, agents, vector_db, ...); its tools \
appear right away."""


def build_server(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    simulate: bool = False,
    credentials: Callable[[Context], Credentials] = configured_credentials,
    token_verifier: TokenVerifier | None = None,
    auth: AuthSettings | None = None,
) -> MCPServer[Runtime]:
    """An MCPServer for these settings.

    ``simulate`` serves the built-in Quant AI simulator on a loopback port for the server's
    lifetime (started by the first call) and points the client at it with the simulator's own
    token and organisation, whatever the settings say. ``transport``
    lets tests route upstream calls elsewhere; ``credentials`` is how the HTTP layer supplies
    each caller's own Quant token; ``token_verifier`` and ``auth`` (given together) make the
    Streamable HTTP endpoint require a bearer token.
    """

    search = settings.tool_mode == "search"
    if settings.dynamic_toolsets:
        log.warning(
            "QUANT_DYNAMIC_TOOLSETS / --dynamic-toolsets is deprecated and will be removed in a future release: "
            "use QUANT_TOOL_MODE=search (--tool-mode search), which reaches every operation through three tools."
        )
    confirm = settings.confirm_destructive != "never"  # destructive tools' descriptions say the user is asked
    tools = [] if settings.dynamic_toolsets or search else build_tools(select_operations(settings), confirm=confirm)
    schema_cache().save()  # the next start reads the tools' schemas instead of generating them
    shared = SharedState(settings)  # over Redis with QUANT_REDIS_URL, else this process alone

    @asynccontextmanager
    async def lifespan(server: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        async with AsyncExitStack() as stack:
            effective = settings
            if simulate:
                from quant_mcp.simulator import DEMO_ORGANISATION, DEMO_TOKEN
                from quant_mcp.simulator.listener import simulator_on_first_connection

                base_url = await stack.enter_async_context(
                    simulator_on_first_connection({DEMO_TOKEN: DEMO_ORGANISATION})  # started by the first call
                )
                # Always the simulator's own identity: a real token or organisation from the
                # environment would only be refused by it (the CLI says it ignores them).
                effective = settings.model_copy(
                    update={"base_url": base_url, "api_token": SecretStr(DEMO_TOKEN), "organization": DEMO_ORGANISATION}
                )
                log.warning("quant-mcp is using the built-in simulator at %s (organisation %s)", base_url, effective.organization)
            REDACTOR.add(effective.token_value())
            client = QuantClient(effective, transport=transport)
            stack.push_async_callback(client.aclose)
            await stack.enter_async_context(shared.running())
            yield Runtime(settings=effective, client=client, credentials=credentials, middleware=CALL_MIDDLEWARE, shared=shared)

    dynamic = DynamicToolsets(settings, shared) if settings.dynamic_toolsets and not search else None
    bus = TenantBus()  # 2026-era listen streams hear only their own tenant
    subscriptions.share_between_replicas(bus, shared)  # and, with Redis, on every replica
    middleware = [
        redact_replies,
        limit_listen_streams,
        bus.per_request,
        remember_request,
        hide_writing_tools_when_asked,
        apps.show_views(settings),
    ]
    server: MCPServer[Runtime] = MCPServer(
        "quant-mcp",
        title="Quant AI",
        version=__version__,
        instructions=INSTRUCTIONS + (DYNAMIC_INSTRUCTIONS if dynamic else "") + (SEARCH_INSTRUCTIONS if search else ""),
        website_url="https://www.quantcdn.io",
        lifespan=lifespan,
        log_level=settings.log_level,
        tools=tools,
        middleware=[*middleware, dynamic.per_client] if dynamic else middleware,
        subscriptions=bus,
        extensions=[extension for extension in [apps.extension(settings)] if extension],  # MCP Apps views (ui://)
        token_verifier=token_verifier,
        auth=auth,
        request_state_security=request_state_security(settings),  # QUANT_REQUEST_STATE_KEYS: answers to any replica
    )
    if search:
        check_selection(settings)
        register_search_tools(server, settings, confirm=confirm)
    elif dynamic:
        check_selection(settings)
        dynamic.register(server)
    register_resources(server)
    shared.on_2025(lambda tenant, uri: subscriptions.deliver(server, tenant, uri))  # 2025 sessions, likewise
    register_prompts(server)
    sdk.advertise_list_changes(server)
    install_log_redaction()  # after MCPServer has configured logging: its handlers get the filter too
    return server


def settle() -> None:
    """Once the server is built: what exists now lives as long as the process, so keep it out of
    every later collection (gc.freeze), and collect again from here on (``quant-mcp serve``
    builds with collection off, cli.main)."""
    gc.freeze()
    gc.enable()
