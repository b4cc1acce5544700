"""Conversation sessions: one store per organisation, shared by every route that touches them.

v3 session routes, legacy session routes, chat with a `sessionId` and agent chat
all read and write the same sessions. A session expires `expirationMinutes` after
creation (pushed back by extend); an expired session is gone: 404 and not listed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..core.errors import found_or_404
from ..core.state import timestamp

DEFAULT_EXPIRATION_MINUTES = 60
DEFAULT_TITLE = "Untitled session"


@dataclass
class Session:
    id: str
    model: str
    title: str
    created_at: datetime
    expires_at: datetime
    user_id: str | None = None
    session_group: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    total_tokens: int = 0
    status: str = "active"
    updated_at: datetime | None = None

    def touch(self, now: datetime) -> None:
        self.updated_at = now

    def summary(self) -> dict[str, Any]:
        """The list item shape: `{id, title, model, created_at, updated_at}` (snake_case, as documented)."""
        return {
            "id": self.id,
            "title": self.title,
            "model": self.model,
            "created_at": timestamp(self.created_at),
            "updated_at": timestamp(self.updated_at or self.created_at),
        }

    def detail(self) -> dict[str, Any]:
        """The get shape: `{id, title, model, messages, created_at}`."""
        return {
            "id": self.id,
            "title": self.title,
            "model": self.model,
            "messages": list(self.messages),
            "created_at": timestamp(self.created_at),
        }


class SessionStore:
    """One organisation's sessions, newest first when listed."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def create(self, now: datetime, model: str, expiration_minutes: int = DEFAULT_EXPIRATION_MINUTES, **fields: Any) -> Session:
        session = Session(
            id=str(uuid.uuid4()),
            model=model,
            title=fields.pop("title", None) or DEFAULT_TITLE,
            created_at=now,
            expires_at=now + timedelta(minutes=expiration_minutes),
            **fields,
        )
        self._sessions[session.id] = session
        return session

    def live(self, now: datetime) -> list[Session]:
        """The unexpired sessions, newest first; expired ones are forgotten."""
        for session_id in [sid for sid, s in self._sessions.items() if s.expires_at <= now]:
            del self._sessions[session_id]
        return list(reversed(self._sessions.values()))

    def get(self, session_id: str, now: datetime) -> Session:
        return found_or_404(next((s for s in self.live(now) if s.id == session_id), None), "Session", session_id)

    def delete(self, session_id: str, now: datetime) -> None:
        del self._sessions[self.get(session_id, now).id]
