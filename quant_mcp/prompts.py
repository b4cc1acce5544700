"""Prompts for common Quant AI workflows, offered to the user by MCP clients (e.g. as slash commands).

Each prompt fetches what it needs through the catalog's read operations (with the caller's
credentials) and embeds it, so the model starts with the material in hand rather than a
list of tools to call first:

* ``continue_session``: a stored conversation, and the message to continue it with
* ``summarise_session``: a stored conversation, to summarise
* ``answer_from_collection``: the five passages of a vector collection closest to a question
"""

from __future__ import annotations

import json
from typing import Any, Literal

from mcp import MCPError
from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.server.mcpserver.prompts.base import Message, UserMessage
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS, EmbeddedResource, TextResourceContents
from pydantic import ValidationError

from quant_mcp import sdk
from quant_mcp.catalog.uris import SESSION_URI
from quant_mcp.resources import MIME_JSON, read_operation

PASSAGES = 5

SUMMARY_STYLES = {
    "brief": "in three to five bullet points",
    "detailed": "section by section: the goal, what was decided, open questions and next steps",
}


async def _read(name: str, arguments: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A catalog read whose failure reaches the client as its own message (the SDK hides any other error)."""
    try:
        return await read_operation(name, arguments, ctx, "prompt")
    except ResourceError as exc:
        raise MCPError(INVALID_PARAMS if isinstance(exc, ResourceNotFoundError) else INTERNAL_ERROR, str(exc)) from None


async def _session(session_id: str, ctx: Context) -> UserMessage:
    """The session as an embedded resource, exactly as ``quant://sessions/{id}`` reads."""
    session = await _read("get_session", {"sessionId": session_id}, ctx)
    return UserMessage(
        EmbeddedResource(
            type="resource",
            resource=TextResourceContents(
                uri=SESSION_URI.format(sessionId=session_id), mime_type=MIME_JSON, text=json.dumps(session, indent=2)
            ),
        )
    )


def _passage(number: int, match: dict[str, Any]) -> str:
    metadata = match.get("metadata") or {}
    source = ", ".join(str(metadata[key]) for key in ("title", "source_url", "section") if metadata.get(key))
    score = match.get("similarity", match.get("score"))
    heading = (
        f"[{number}]" + (f" {source}" if source else "") + (f" (similarity {score:.2f})" if isinstance(score, float) else "")
    )
    return f"{heading}\n{match.get('content', '')}"


def checked_prompt_requests(server: MCPServer) -> Any:
    """Server middleware: ``prompts/get`` with an unknown name, a missing argument or an argument
    of the wrong kind answers -32602 (invalid params), as the spec asks, naming what is wrong
    (the SDK would answer error code 0 and log a traceback)."""

    async def check(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "prompts/get" or not isinstance(ctx.params, dict):
            return await call_next(ctx)
        name, given = ctx.params.get("name"), ctx.params.get("arguments") or {}
        prompts = {prompt.name: prompt for prompt in await server.list_prompts()}
        prompt = prompts.get(name) if isinstance(name, str) else None
        if prompt is None:
            raise MCPError(INVALID_PARAMS, f"Unknown prompt {name!r}; the prompts are {', '.join(prompts)}.")
        expected = prompt.arguments or []
        missing = [arg.name for arg in expected if arg.required and arg.name not in given]
        if missing:
            raise MCPError(
                INVALID_PARAMS,
                f"Prompt {name} needs the argument(s) {', '.join(missing)} "
                f"(it takes {', '.join(arg.name + ('' if arg.required else ' (optional)') for arg in expected)}).",
            )
        try:
            return await call_next(ctx)
        except ValueError as exc:  # the SDK wraps a rejected argument value (pydantic) in ValueErrors
            cause: BaseException | None = exc
            while cause is not None and not isinstance(cause, ValidationError):
                cause = cause.__cause__
            if cause is None:
                raise
            raise MCPError(INVALID_PARAMS, f"Invalid argument for prompt {name}: {_first_problem(cause)}") from None

    return check


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}"


def register_prompts(server: MCPServer) -> None:
    sdk.lowlevel_server(server).middleware.append(checked_prompt_requests(server))

    @server.prompt(name="continue_session", title="Continue a chat session")
    async def continue_session(sessionId: str, message: str, ctx: Context) -> list[Message]:
        """Continue a stored Quant AI chat session with a new message, keeping the history in the session."""
        return [
            await _session(sessionId, ctx),
            UserMessage(
                f"Above is the stored Quant AI chat session {sessionId}. Continue it with this message:\n\n{message}\n\n"
                f"Send it with the chat_in_session tool and sessionId {sessionId!r}, so that both the message and "
                "the answer are stored in the session, then show me the answer."
            ),
        ]

    @server.prompt(name="summarise_session", title="Summarise a chat session")
    async def summarise_session(sessionId: str, ctx: Context, style: Literal["brief", "detailed"] = "brief") -> list[Message]:
        """Summarise a stored Quant AI chat session (style: brief or detailed)."""
        return [
            await _session(sessionId, ctx),
            UserMessage(
                f"Summarise the conversation above {SUMMARY_STYLES[style]}. Quote the user's own words where they matter."
            ),
        ]

    @server.prompt(name="answer_from_collection", title="Answer from a vector collection")
    async def answer_from_collection(collectionId: str, question: str, ctx: Context) -> list[Message]:
        """Answer a question from the documents of a vector collection, citing the passages used."""
        # The closest passages whatever their score (threshold 0): the model judges relevance better than a cut-off.
        query = {"collectionId": collectionId, "query": question, "limit": PASSAGES, "threshold": 0}
        found = await _read("query_vector_collection", query, ctx)
        passages = "\n\n".join(_passage(number, match) for number, match in enumerate(found["results"], start=1))
        return [
            UserMessage(
                f"Answer this question using only the passages below, from vector collection {collectionId}. "
                "Cite the passages you use as [n]. If they do not contain the answer, say so instead of guessing; "
                "query_vector_collection can search again with other words.\n\n"
                f"Question: {question}\n\nPassages:\n\n{passages or '(no passage matched the question)'}"
            )
        ]
