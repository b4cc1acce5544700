"""Chat sessions: server-side conversation histories that expire (60 min by default, 24 h at most).

The v3 routes answer create/update/extend with ``sessionId``/``createdAt`` and get/list with
``id``/``created_at``; the tools keep those names, as the API documents them. The legacy
family creates sessions from ``model``/``title``/``systemPrompt``; ``create_session`` accepts
both shapes and sends the one the configured family documents.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from quant_mcp.catalog.base import (
    LEGACY,
    QUERY,
    V3,
    ApiResult,
    Confirmation,
    Operation,
    PathId,
    Route,
    ToolArguments,
    Toolset,
    WireModel,
)
from quant_mcp.catalog.uris import SESSION_URI

SessionId = Annotated[PathId, Field(description="Session id, as returned by create_session or list_sessions.")]


class SeedMessage(WireModel):
    role: Literal["system", "user", "assistant"]
    content: str


class NewMessage(WireModel):
    role: Literal["user", "assistant"]
    content: str


# ----------------------------------------------------------------------------- arguments


class CreateSessionArguments(ToolArguments):
    user_id: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = Field(
        None, description="Your identifier for the end user (required on v3 routes), e.g. 'user-12345'."
    )
    session_group: Annotated[str, StringConstraints(max_length=256)] | None = Field(
        None, description="Free-form label to group sessions (app, environment, tenant); list_sessions can filter by it."
    )
    metadata: dict[str, Any] | None = Field(None, description="Any extra data to keep with the session.")
    expiration_minutes: int | None = Field(
        None, ge=5, le=1440, description="Lifetime in minutes, 5-1440 (default 60). extend_session pushes it back."
    )
    initial_messages: list[SeedMessage] | None = Field(
        None, description="Messages to seed the history with, e.g. a system prompt."
    )
    model: PathId | None = Field(None, description="Model id for the session (legacy routes: required).")
    title: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, description="Title (legacy routes).")
    system_prompt: str | None = Field(None, description="System prompt (legacy routes).")
    max_tokens: int | None = Field(None, ge=1, le=65536, description="Default max tokens (legacy routes).")
    temperature: float | None = Field(None, ge=0, le=2, description="Default temperature (legacy routes).")


V3_CREATE_FIELDS = frozenset({"user_id", "session_group", "metadata", "expiration_minutes", "initial_messages"})
LEGACY_CREATE_FIELDS = frozenset({"model", "title", "system_prompt", "max_tokens", "temperature"})


def _legacy_create_body(arguments: CreateSessionArguments) -> dict[str, Any]:
    """Legacy create takes snake_case ``{model, title, system_prompt, max_tokens, temperature}``."""
    return arguments.model_dump(include=set(LEGACY_CREATE_FIELDS), exclude_none=True)


class ListSessionsArguments(ToolArguments):
    user_id: Annotated[str | None, QUERY, Field(description="Only sessions of this user (v3 routes).")] = None
    session_group: Annotated[str | None, QUERY, Field(description="Only sessions in this group (exact match, v3 routes).")] = None
    model: Annotated[str | None, QUERY, Field(description="Only sessions using this model id.")] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100, description="Page size, 1-100 (default 50).")] = None
    offset: Annotated[int | None, QUERY, Field(ge=0, le=1_000_000, description="Sessions to skip, for paging (default 0).")] = (
        None
    )


class SessionArguments(ToolArguments):
    session_id: SessionId


class UpdateSessionArguments(ToolArguments):
    session_id: SessionId
    new_messages: list[NewMessage] | None = Field(
        None, description="Messages to append to the history, oldest first (role user or assistant)."
    )
    tokens_used: int | None = Field(None, ge=0, le=10_000_000, description="Tokens to add to the session's running total.")
    status: Literal["active", "completed"] | None = Field(None, description="Mark the session active or completed.")
    metadata: dict[str, Any] | None = Field(None, description="Replace the session's metadata.")


class ExtendSessionArguments(ToolArguments):
    session_id: SessionId
    additional_minutes: int | None = Field(None, ge=1, le=1440, description="Minutes to add to the expiry, 1-1440 (default 60).")


# ----------------------------------------------------------------------------- results


class SessionCreated(ApiResult):
    session_id: str | None = Field(None, description="The new session's id.")
    status: str | None = None
    expires_at: str | None = None
    created_at: str | None = None
    model: str | None = Field(None, description="Legacy routes only.")
    title: str | None = Field(None, description="Legacy routes only.")


class SessionSummary(ApiResult):
    id: str | None = None
    title: str | None = None
    model: str | None = None
    created_at: str | None = Field(None, alias="created_at")
    updated_at: str | None = Field(None, alias="updated_at")


class SessionList(ApiResult):
    sessions: list[SessionSummary] = Field(description="Active sessions, newest first as the API orders them.")
    count: int = Field(description="Number of sessions in this page.")


class Session(ApiResult):
    id: str | None = None
    title: str | None = None
    model: str | None = None
    messages: list[dict[str, Any]] = Field(default_factory=list, description="The whole conversation, oldest first.")
    created_at: str | None = Field(None, alias="created_at")


class SessionUpdated(ApiResult):
    session_id: str | None = None
    status: str | None = None
    total_messages: int | None = None
    total_tokens: int | None = None
    updated_at: str | None = None


class SessionExtended(ApiResult):
    session_id: str | None = None
    expires_at: str | None = None
    message: str | None = None


def _session_list(data: Any) -> dict[str, Any]:
    sessions = data if isinstance(data, list) else (data or {}).get("sessions", [])
    return {"sessions": sessions, "count": len(sessions)}


def _legacy_created(data: dict[str, Any]) -> dict[str, Any]:
    return {"sessionId": data.get("id"), **{k: v for k, v in data.items() if k != "id"}}


# ----------------------------------------------------------------------------- operations

OPERATIONS = [
    Operation(
        name="create_session",
        toolset=Toolset.SESSIONS,
        title="Create chat session",
        description=(
            "Create a server-side chat session that stores a conversation history so that later turns can "
            "continue it (with chat_in_session, or by passing its id to chat). On v3 routes give `userId` "
            "(and optionally `sessionGroup`, `metadata`, `expirationMinutes`, `initialMessages`); on legacy "
            "routes give `model` (and optionally `title`, `systemPrompt`). Returns the new `sessionId` and "
            "when it expires (60 minutes by default)."
        ),
        route=Route("POST", V3 + "/sessions", fields=V3_CREATE_FIELDS),
        legacy_route=Route(
            "POST", LEGACY + "/sessions", fields=LEGACY_CREATE_FIELDS, body=_legacy_create_body, response=_legacy_created
        ),
        arguments=CreateSessionArguments,
        result=SessionCreated,
        changes=SESSION_URI,
        operation_ids=("createAISession", "legacyCreateAISession"),
        summary=lambda r: f"Created session {r.get('sessionId')}" + (f", expires {r['expiresAt']}" if r.get("expiresAt") else ""),
    ),
    Operation(
        name="list_sessions",
        toolset=Toolset.SESSIONS,
        title="List chat sessions",
        description=(
            "List the organisation's active (unexpired) chat sessions: id, title, model and timestamps, "
            "without their messages (use get_session for those). Filter by `userId`, `sessionGroup` or "
            "`model`; page with `limit` (1-100, default 50) and `offset`."
        ),
        route=Route("GET", V3 + "/sessions", response=_session_list),
        legacy_route=Route("GET", LEGACY + "/sessions", fields=frozenset({"model", "limit", "offset"}), response=_session_list),
        arguments=ListSessionsArguments,
        result=SessionList,
        read_only=True,
        idempotent=True,
        operation_ids=("listAISessions", "legacyListAISessions"),
        summary=lambda r: f"{r['count']} session(s)",
    ),
    Operation(
        name="get_session",
        toolset=Toolset.SESSIONS,
        title="Get chat session",
        description=(
            "Fetch one chat session with its whole conversation (`messages`, oldest first), its model and "
            "title. Fails with 404 when the id is unknown or the session has expired."
        ),
        route=Route("GET", V3 + "/sessions/{sessionId}"),
        legacy_route=Route("GET", LEGACY + "/sessions/{sessionId}"),
        arguments=SessionArguments,
        result=Session,
        read_only=True,
        idempotent=True,
        operation_ids=("getAISession", "legacyGetAISession"),
        summary=lambda r: f"Session {r.get('id')} with {len(r.get('messages') or [])} message(s)",
    ),
    Operation(
        name="update_session",
        toolset=Toolset.SESSIONS,
        title="Append to chat session",
        description=(
            "Append messages to a session's history and add to its token total; can also mark it "
            "`completed` or replace its metadata. Use it after running chat with the session's history to "
            "store the new user and assistant turns (chat_in_session does all three steps for you). "
            "Returns the new message and token totals."
        ),
        route=Route("PUT", V3 + "/sessions/{sessionId}"),
        arguments=UpdateSessionArguments,
        result=SessionUpdated,
        changes=SESSION_URI,
        operation_ids=("updateAISession",),
        summary=lambda r: (
            f"Session {r.get('sessionId')} now has {r.get('totalMessages')} message(s), {r.get('totalTokens')} token(s)"
        ),
    ),
    Operation(
        name="extend_session",
        toolset=Toolset.SESSIONS,
        title="Extend chat session",
        description=(
            "Push back an active session's expiry by `additionalMinutes` (1-1440, default 60). Returns the new `expiresAt`."
        ),
        route=Route("PUT", V3 + "/sessions/{sessionId}/extend"),
        arguments=ExtendSessionArguments,
        result=SessionExtended,
        changes=SESSION_URI,
        operation_ids=("extendAISession",),
        summary=lambda r: f"Session {r.get('sessionId')} now expires {r.get('expiresAt')}",
    ),
    Operation(
        name="delete_session",
        toolset=Toolset.SESSIONS,
        title="Delete chat session",
        description=(
            "Delete a chat session and its whole conversation history, permanently; it cannot be undone. "
            "Use it when a conversation is finished and should not be kept. Returns a confirmation message."
        ),
        route=Route("DELETE", V3 + "/sessions/{sessionId}"),
        legacy_route=Route("DELETE", LEGACY + "/sessions/{sessionId}"),
        arguments=SessionArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        changes=SESSION_URI,
        operation_ids=("deleteAISession", "legacyDeleteAISession"),
        summary=lambda r: r.get("message") or "Session deleted",
    ),
]
