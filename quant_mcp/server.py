"""Build the MCP server: the catalog's tools (filtered by configuration), resources and lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx2
from mcp.server import MCPServer
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context
from pydantic import SecretStr

from quant_mcp import __version__, apps, sdk
from quant_mcp import flows as flows  # importing it registers the composite tools' flows with the pipeline
from quant_mcp.client import QuantClient
from quant_mcp.config import Settings
from quant_mcp.pipeline import CallMiddleware, Credentials, Runtime, configured_credentials
from quant_mcp.prompts import register_prompts
from quant_mcp.resources import change_notices, register_resources, remember_request
from quant_mcp.schema_cache import schema_cache
from quant_mcp.tools import build_tools
from quant_mcp.toolsets import check_selection, hide_writing_tools_when_asked, register_discovery_tools, select_operations

log = logging.getLogger("quant_mcp")

# Call middleware, outermost first: every call of the pipeline (tool, resource, prompt,
# completion, a flow's steps) runs through each, in this order.
CALL_MIDDLEWARE: tuple[CallMiddleware, ...] = (change_notices,)

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
    lifetime (started by the first call) and points the client at it with a demo token and
    organisation. ``transport``
    lets tests route upstream calls elsewhere; ``credentials`` is how the HTTP layer supplies
    each caller's own Quant token; ``token_verifier`` and ``auth`` (given together) make the
    Streamable HTTP endpoint require a bearer token.
    """

    tools = [] if settings.dynamic_toolsets else build_tools(select_operations(settings))
    schema_cache().save()  # the next start reads the tools' schemas instead of generating them

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
                effective = settings.model_copy(
                    update={
                        "base_url": base_url,
                        "api_token": settings.api_token or SecretStr(DEMO_TOKEN),
                        "organization": settings.organization or DEMO_ORGANISATION,
                    }
                )
                log.warning("quant-mcp is using the built-in simulator at %s (organisation %s)", base_url, effective.organization)
            client = QuantClient(effective, transport=transport)
            stack.push_async_callback(client.aclose)
            yield Runtime(settings=effective, client=client, credentials=credentials, middleware=CALL_MIDDLEWARE)

    server: MCPServer[Runtime] = MCPServer(
        "quant-mcp",
        title="Quant AI",
        version=__version__,
        instructions=INSTRUCTIONS + (DYNAMIC_INSTRUCTIONS if settings.dynamic_toolsets else ""),
        website_url="https://www.quantcdn.io",
        lifespan=lifespan,
        log_level=settings.log_level,
        tools=tools,
        middleware=[remember_request, hide_writing_tools_when_asked, apps.show_views(settings)],
        extensions=[extension for extension in [apps.extension(settings)] if extension],  # MCP Apps views (ui://)
        token_verifier=token_verifier,
        auth=auth,
    )
    if settings.dynamic_toolsets:
        check_selection(settings)
        register_discovery_tools(server, settings)
    register_resources(server)
    register_prompts(server)
    sdk.advertise_list_changes(server)
    return server
