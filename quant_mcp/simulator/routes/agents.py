"""AIAgents: stored agent configurations, and chatting with them.

An agent chat is an ordinary chat turn with the agent's model and system prompt,
kept in a session: omit `sessionId` and a new session is started and returned.
It may stream (`stream: true`) or be queued (`async: true`, 202).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import bad_request, found_or_404
from ..core.requests import WireModel, organisation_data, parse_body, parse_query, simulator_state
from ..core.routing import v3
from ..core.sse import sse_response
from ..core.state import timestamp
from ..engine.chat import ChatPrompt
from ..services.chat import DurableExecutionStore, run_chat
from ..services.models import require_model
from ..services.sessions import SessionStore

GuardrailPreset = Literal["official", "official-sensitive", "protected"]


class AgentFields(WireModel):
    """Every settable agent field; all optional, as an update sends them."""

    name: str | None = Field(None, min_length=1)
    description: str | None = None
    group: str | None = None
    system_prompt: str | None = None
    temperature: float | None = Field(None, ge=0, le=1)
    model_id: str | None = None
    max_tokens: int | None = Field(None, ge=1, le=200000)
    allowed_tools: list[str] | None = None
    allowed_collections: list[str] | None = None
    assigned_skills: list[str] | None = None
    created_by: str | None = None
    long_context: bool | None = None
    guardrail_preset: GuardrailPreset | None = None
    filter_policies: list[str] | None = None


class CreateAgent(AgentFields):
    name: str = Field(min_length=1)
    description: str
    system_prompt: str
    model_id: str


class AgentChat(WireModel):
    message: str = Field(min_length=1)
    session_id: str | None = None
    user_id: str | None = None
    stream: bool = False
    is_async: bool = Field(False, validation_alias="async")
    system: str | None = None


class ListAgents(WireModel):
    group: str | None = None


# Wire name of each agent field, in the order the API lists them.
_WIRE_NAMES = {
    "name": "name",
    "description": "description",
    "group": "group",
    "system_prompt": "systemPrompt",
    "model_id": "modelId",
    "temperature": "temperature",
    "max_tokens": "maxTokens",
    "allowed_tools": "allowedTools",
    "allowed_collections": "allowedCollections",
    "assigned_skills": "assignedSkills",
    "long_context": "longContext",
    "guardrail_preset": "guardrailPreset",
    "filter_policies": "filterPolicies",
    "created_by": "createdBy",
}
_REQUIRED = ("name", "description", "system_prompt", "model_id")
_SUMMARY_FIELDS = (
    "name",
    "description",
    "group",
    "model_id",
    "temperature",
    "max_tokens",
    "allowed_tools",
    "assigned_skills",
    "long_context",
    "guardrail_preset",
)


@dataclass
class Agent:
    id: str
    settings: dict[str, Any]  # snake_case field -> value, only the fields that were set
    created_at: datetime
    updated_at: datetime

    def _wire(self, names: tuple[str, ...] | None = None) -> dict[str, Any]:
        fields = {_WIRE_NAMES[name]: value for name, value in self.settings.items() if names is None or name in names}
        return {
            "agentId": self.id,
            **fields,
            "isGlobal": False,
            "hasOverlay": False,
            "createdAt": timestamp(self.created_at),
            "updatedAt": timestamp(self.updated_at),
        }

    def summary(self) -> dict[str, Any]:
        return self._wire(_SUMMARY_FIELDS)

    def detail(self) -> dict[str, Any]:
        return self._wire()


class AgentStore(dict[str, Agent]):
    """One organisation's agents by id."""


def requested_agent(request: Request) -> Agent:
    """The organisation agent named by the path's `agentId` (404 when unknown); the overlay routes use it too."""
    agent_id = request.path_params["agentId"]
    return found_or_404(organisation_data(request).get(AgentStore).get(agent_id), "Agent", agent_id)


def _apply(settings: dict[str, Any], body: AgentFields) -> None:
    """Copy the fields the client sent into `settings`; an explicit null clears an optional field."""
    for name in _WIRE_NAMES:
        if name not in body.model_fields_set:
            continue
        value = getattr(body, name)
        if value is None and name in _REQUIRED:
            raise bad_request(_WIRE_NAMES[name], "cannot be null")
        if name == "model_id":
            require_model(value, "chat")
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = value


async def create_agent(request: Request) -> Response:
    body = await parse_body(request, CreateAgent)
    now = simulator_state(request).now()
    agent = Agent(str(uuid.uuid4()), {}, now, now)
    _apply(agent.settings, body)
    organisation_data(request).get(AgentStore)[agent.id] = agent
    return JSONResponse({"success": True, "agent": agent.detail(), "message": f"Agent '{body.name}' created"}, status_code=201)


async def list_agents(request: Request) -> Response:
    group = parse_query(request, ListAgents).group
    agents = organisation_data(request).get(AgentStore).values()
    return JSONResponse({"agents": [a.summary() for a in agents if group is None or a.settings.get("group") == group]})


async def get_agent(request: Request) -> Response:
    return JSONResponse({"agent": requested_agent(request).detail()})


async def update_agent(request: Request) -> Response:
    body = await parse_body(request, AgentFields)
    agent = requested_agent(request)
    _apply(agent.settings, body)
    agent.updated_at = simulator_state(request).now()
    return JSONResponse({"success": True, "agent": agent.detail(), "message": "Agent updated"})


async def delete_agent(request: Request) -> Response:
    agent = requested_agent(request)
    del organisation_data(request).get(AgentStore)[agent.id]
    return JSONResponse({"success": True, "message": "Agent deleted"})


async def chat_with_agent(request: Request) -> Response:
    body = await parse_body(request, AgentChat)
    agent = requested_agent(request)
    state, organisation = simulator_state(request), organisation_data(request)
    settings = agent.settings
    session_id = body.session_id
    if session_id is None:
        session_id = (
            organisation.get(SessionStore)
            .create(
                state.now(),
                model=settings["model_id"],
                title=settings["name"],
                user_id=body.user_id,
                session_group=f"agent:{agent.id}",
            )
            .id
        )
    system_prompt = "\n\n".join(part for part in (settings.get("system_prompt"), body.system) if part)
    prompt = ChatPrompt(
        model=require_model(settings["model_id"], "chat"),
        messages=[{"role": "user", "content": body.message}],
        system_prompt=system_prompt or None,
        max_tokens=settings.get("max_tokens"),
    )
    turn = run_chat(state, organisation, prompt, session_id=session_id)
    if body.is_async:
        queued = organisation.get(DurableExecutionStore).queue(turn, state.now())
        return JSONResponse({**queued, "agentId": agent.id, "agentName": settings["name"]}, status_code=202)
    if body.stream:
        return sse_response(request, turn.stream_events())
    reply = turn.reply
    return JSONResponse(
        {
            "sessionId": session_id,
            "response": {"text": reply.text, "stopReason": reply.finish_reason, "usage": reply.usage(), "toolResults": []},
        }
    )


ROUTES = [
    *v3("GET", "/agents", list_agents, "listAIAgents"),
    *v3("POST", "/agents", create_agent, "createAIAgent"),
    *v3("GET", "/agents/{agentId}", get_agent, "getAIAgent"),
    *v3("PUT", "/agents/{agentId}", update_agent, "updateAIAgent"),
    *v3("DELETE", "/agents/{agentId}", delete_agent, "deleteAIAgent"),
    *v3("POST", "/agents/{agentId}/chat", chat_with_agent, "chatWithAIAgent"),
]
