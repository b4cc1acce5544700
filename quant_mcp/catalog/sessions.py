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

SessionId = PathId  # from create_session or list_sessions


class SeedMessage(WireModel):
    role: Literal["system", "user", "assistant"]
    content: str


class NewMessage(WireModel):
    role: Literal["user", "assistant"]
    content: str


# ----------------------------------------------------------------------------- arguments


class CreateSessionArguments(ToolArguments):
    user_id: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = Field(None)
    session_group: Annotated[str, StringConstraints(max_length=256)] | None = Field(
        None, description="A label to filter by in list_sessions."
    )
    metadata: dict[str, Any] | None = None
    expiration_minutes: int | None = Field(None, ge=5, le=1440, description="Default 60.")
    initial_messages: list[SeedMessage] | None = Field(None, description="Seed history.")
    # legacy routes only:
    model: PathId | None = None
    title: Annotated[str, StringConstraints(max_length=500)] | None = None
    system_prompt: str | None = None
    max_tokens: int | None = Field(None, ge=1, le=65536)
    temperature: float | None = Field(None, ge=0, le=2)


V3_CREATE_FIELDS = frozenset({"user_id", "session_group", "metadata", "expiration_minutes", "initial_messages"})
LEGACY_CREATE_FIELDS = frozenset({"model", "title", "system_prompt", "max_tokens", "temperature"})


def _legacy_create_body(arguments: CreateSessionArguments) -> dict[str, Any]:
    """Legacy create takes snake_case ``{model, title, system_prompt, max_tokens, temperature}``."""
    return arguments.model_dump(include=set(LEGACY_CREATE_FIELDS), exclude_none=True)


class ListSessionsArguments(ToolArguments):
    user_id: Annotated[str | None, QUERY] = None  # v3 routes
    session_group: Annotated[str | None, QUERY] = None  # v3 routes
    model: Annotated[str | None, QUERY] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100, description="Default 50.")] = None
    offset: Annotated[int | None, QUERY, Field(ge=0, le=1_000_000)] = None


class SessionArguments(ToolArguments):
    session_id: SessionId


class UpdateSessionArguments(ToolArguments):
    session_id: SessionId
    new_messages: list[NewMessage] | None = Field(None, description="Turns to append, oldest first.")
    tokens_used: int | None = Field(None, ge=0, le=10_000_000, description="Added to the session's total.")
    status: Literal["active", "completed"] | None = None
    metadata: dict[str, Any] | None = Field(None, description="Replaces the metadata.")


class ExtendSessionArguments(ToolArguments):
    session_id: SessionId
    additional_minutes: int | None = Field(None, ge=1, le=1440, description="Default 60.")


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
            "A stored conversation for chat_in_session, kept 60 minutes unless extended. v3 routes need "
            "`userId`, legacy routes `model`."
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
        description=("Active sessions without their messages, filtered and paged."),
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
        description=("One session with its whole conversation, oldest first."),
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
        description=("Append turns to a session (after chat; chat_in_session does it for you), or mark it completed."),
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
        description=("Push back an active session's expiry."),
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
        description=("Delete a session and its history, permanently."),
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
