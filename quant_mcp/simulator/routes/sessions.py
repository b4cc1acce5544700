"""AISessions (v3) and the legacy session routes, over the shared session store.

Field naming follows the reference exactly, mixed as it is: create, update and
extend answer `sessionId`/`createdAt`; get and list answer `id`/`created_at`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.requests import SnakeWireModel, WireModel, organisation_data, parse_body, parse_query, simulator_state
from ..core.routing import legacy, v3
from ..core.state import timestamp
from ..engine.catalog import DEFAULT_CHAT_MODEL
from ..services.models import require_model
from ..services.sessions import Session, SessionStore


class InitialMessage(WireModel):
    role: Literal["system", "user", "assistant"]
    content: str


class CreateSession(WireModel):
    user_id: str
    session_group: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    expiration_minutes: int = Field(60, ge=5, le=1440)
    initial_messages: list[InitialMessage] = Field(default_factory=list)


class NewMessage(WireModel):
    role: Literal["user", "assistant"]
    content: str


class UpdateSession(WireModel):
    new_messages: list[NewMessage] = Field(default_factory=list)
    tokens_used: int = 0
    status: Literal["active", "completed"] | None = None
    metadata: dict[str, Any] | None = None


class ExtendSession(WireModel):
    additional_minutes: int = Field(60, ge=1, le=1440)


class ListSessions(WireModel):
    user_id: str | None = None
    session_group: str | None = None
    model: str | None = None
    limit: int = Field(50, ge=1, le=100)
    offset: int = Field(0, ge=0)


class LegacyCreateSession(SnakeWireModel):
    model: str
    title: str | None = None
    system_prompt: str | None = None
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)


def _store(request: Request) -> SessionStore:
    return organisation_data(request).get(SessionStore)


def _session(request: Request) -> Session:
    return _store(request).get(request.path_params["sessionId"], simulator_state(request).now())


async def create_session(request: Request) -> Response:
    body = await parse_body(request, CreateSession)
    title = body.metadata.get("title")
    session = _store(request).create(
        simulator_state(request).now(),
        model=DEFAULT_CHAT_MODEL,
        expiration_minutes=body.expiration_minutes,
        title=title if isinstance(title, str) else None,
        user_id=body.user_id,
        session_group=body.session_group,
        metadata=body.metadata,
        messages=[message.model_dump(include={"role", "content"}) for message in body.initial_messages],
    )
    return JSONResponse(
        {
            "sessionId": session.id,
            "status": session.status,
            "expiresAt": timestamp(session.expires_at),
            "createdAt": timestamp(session.created_at),
        },
        status_code=201,
    )


async def list_sessions(request: Request) -> Response:
    query = parse_query(request, ListSessions)
    sessions = [
        session
        for session in _store(request).live(simulator_state(request).now())
        if (query.user_id is None or session.user_id == query.user_id)
        and (query.session_group is None or session.session_group == query.session_group)
        and (query.model is None or session.model == query.model)
    ]
    return JSONResponse([session.summary() for session in sessions[query.offset : query.offset + query.limit]])


async def get_session(request: Request) -> Response:
    return JSONResponse(_session(request).detail())


async def update_session(request: Request) -> Response:
    body = await parse_body(request, UpdateSession)
    session = _session(request)
    session.messages += [message.model_dump(include={"role", "content"}) for message in body.new_messages]
    session.total_tokens += body.tokens_used
    if body.status is not None:
        session.status = body.status
    if body.metadata is not None:
        session.metadata.update(body.metadata)
    session.touch(simulator_state(request).now())
    return JSONResponse(
        {
            "sessionId": session.id,
            "status": session.status,
            "totalMessages": len(session.messages),
            "totalTokens": session.total_tokens,
            "updatedAt": timestamp(session.updated_at or session.created_at),
        }
    )


async def extend_session(request: Request) -> Response:
    body = await parse_body(request, ExtendSession, required=False)
    session = _session(request)
    session.expires_at += timedelta(minutes=body.additional_minutes)
    return JSONResponse(
        {
            "sessionId": session.id,
            "expiresAt": timestamp(session.expires_at),
            "message": f"Session extended by {body.additional_minutes} minutes",
        }
    )


async def delete_session(request: Request) -> Response:
    _store(request).delete(request.path_params["sessionId"], simulator_state(request).now())
    return JSONResponse({"message": "Session deleted"})


async def legacy_create_session(request: Request) -> Response:
    """Legacy create: `{model, title?, system_prompt?, max_tokens?, temperature?}` -> `{id, model, title}`."""
    body = await parse_body(request, LegacyCreateSession)
    require_model(body.model, "chat", field="model")
    session = _store(request).create(simulator_state(request).now(), model=body.model, title=body.title)
    return JSONResponse({"id": session.id, "model": session.model, "title": session.title}, status_code=201)


ROUTES = [
    *v3("POST", "/sessions", create_session, "createAISession"),
    *v3("GET", "/sessions", list_sessions, "listAISessions"),
    *v3("GET", "/sessions/{sessionId}", get_session, "getAISession"),
    *v3("PUT", "/sessions/{sessionId}", update_session, "updateAISession"),
    *v3("DELETE", "/sessions/{sessionId}", delete_session, "deleteAISession"),
    *v3("PUT", "/sessions/{sessionId}/extend", extend_session, "extendAISession"),
    *legacy("POST", "/sessions", legacy_create_session, "legacyCreateAISession"),
    *legacy("GET", "/sessions", list_sessions, "legacyListAISessions"),
    *legacy("GET", "/sessions/{sessionId}", get_session, "legacyGetAISession"),
    *legacy("DELETE", "/sessions/{sessionId}", delete_session, "legacyDeleteAISession"),
]
