"""AISlackBots: Slack bots, each backed by an agent, and their workspace's channels and users.

Creating a bot also creates its agent (listed by the agents API, named after the
bot); updating the bot updates the agent's shared settings, deleting it deletes
the agent. A `quant` bot is installed in the simulated workspace at once
(`connected: true`); a `byo` bot would need the owner's own Slack app, which the
API cannot supply, so it stays unconnected and its workspace searches are 404.
The workspace is the same fixed, deterministic directory for every bot; `q`
matches channel names, and user names or real names, case-insensitively.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import ApiError, found_or_404
from ..core.requests import WireModel, organisation_data, parse_body, parse_query, simulator_state
from ..core.routing import v3
from ..core.state import timestamp
from ..services.models import require_model
from ..services.wire import EchoedModel
from .agents import Agent, AgentStore

CHANNELS = ("general", "random", "engineering", "support", "announcements", "ai-assistant", "design", "sales")
USERS = (
    ("alice", "Alice Nguyen"),
    ("bob", "Bob Smith"),
    ("carol", "Carol Jones"),
    ("dave", "Dave Patel"),
    ("erin", "Erin Walker"),
    ("frank", "Frank Li"),
)
# Bot field -> agent setting, for the settings a bot shares with its agent.
_AGENT_SETTINGS = {
    "name": "name",
    "systemPrompt": "system_prompt",
    "modelId": "model_id",
    "temperature": "temperature",
    "maxTokens": "max_tokens",
    "allowedTools": "allowed_tools",
    "allowedCollections": "allowed_collections",
    "assignedSkills": "assigned_skills",
    "longContext": "long_context",
    "guardrailPreset": "guardrail_preset",
    "filterPolicies": "filter_policies",
}
_SUMMARY_FIELDS = (
    "name",
    "setupType",
    "status",
    "systemPrompt",
    "modelId",
    "temperature",
    "maxTokens",
    "allowedTools",
    "assignedSkills",
    "allowedCollections",
    "allowedSubAgents",
    "guardrailPreset",
    "filterPolicies",
    "longContext",
    "sessionTtlDays",
    "keywordsEnabled",
)


class BotFields(EchoedModel):
    """Every settable bot field, all optional, as an update sends them."""

    name: str | None = Field(None, min_length=1)
    status: Literal["active", "inactive"] | None = None
    system_prompt: str | None = None
    model_id: str | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    allowed_tools: list[str] | None = None
    assigned_skills: list[str] | None = None
    allowed_collections: list[str] | None = None
    allowed_sub_agents: list[str] | None = None
    guardrail_preset: str | None = None
    filter_policies: list[str] | None = None
    long_context: bool | None = None
    session_ttl_days: int | None = Field(None, ge=1, le=90)
    allowed_channels: list[str] | None = None
    allowed_users: list[str] | None = None
    denied_users: list[str] | None = None
    allow_guests: bool | None = None
    home_tab_content: str | None = None
    agent_access_control: dict[str, Any] | None = None
    keywords_enabled: bool | None = None
    keywords: list[str] | None = None


class CreateBot(BotFields):
    name: str = Field(min_length=1)
    setup_type: Literal["quant", "byo"]
    system_prompt: str
    model_id: str


class WorkspaceSearch(WireModel):
    q: str | None = None


@dataclass
class SlackBot:
    id: str
    agent_id: str
    settings: dict[str, Any]  # wire name -> value, only the fields that were set
    created_at: datetime
    updated_at: datetime

    @property
    def connected(self) -> bool:
        return bool(self.settings["setupType"] == "quant")

    def summary(self) -> dict[str, Any]:
        fields = {name: self.settings[name] for name in _SUMMARY_FIELDS if name in self.settings}
        return {"botId": self.id, **fields, "connected": self.connected, "createdAt": timestamp(self.created_at)}

    def detail(self) -> dict[str, Any]:
        return {
            "botId": self.id,
            **self.settings,
            "connected": self.connected,
            "agentId": self.agent_id,
            "createdAt": timestamp(self.created_at),
            "updatedAt": timestamp(self.updated_at),
        }


class SlackBotStore(dict[str, SlackBot]):
    """One organisation's Slack bots by id."""


def _bot(request: Request) -> SlackBot:
    bot_id = request.path_params["botId"]
    return found_or_404(organisation_data(request).get(SlackBotStore).get(bot_id), "Slack bot", bot_id)


def _sync_agent(request: Request, bot: SlackBot) -> None:
    """Create or update the bot's agent from the settings they share."""
    agents = organisation_data(request).get(AgentStore)
    shared = {_AGENT_SETTINGS[name]: value for name, value in bot.settings.items() if name in _AGENT_SETTINGS}
    agent = agents.get(bot.agent_id)
    if agent is None:
        agent = agents[bot.agent_id] = Agent(bot.agent_id, {}, bot.created_at, bot.updated_at)
    agent.settings = {**shared, "description": f"Agent of the Slack bot '{shared['name']}'", "group": "slack-bots"}
    agent.updated_at = bot.updated_at


async def create_bot(request: Request) -> Response:
    body = await parse_body(request, CreateBot)
    require_model(body.model_id, "chat")
    now = simulator_state(request).now()
    bot = SlackBot(str(uuid.uuid4()), str(uuid.uuid4()), {"status": "active", **body.to_wire(exclude_none=True)}, now, now)
    organisation_data(request).get(SlackBotStore)[bot.id] = bot
    _sync_agent(request, bot)
    return JSONResponse({"bot": bot.detail()}, status_code=201)


async def list_bots(request: Request) -> Response:
    return JSONResponse({"bots": [bot.summary() for bot in organisation_data(request).get(SlackBotStore).values()]})


async def get_bot(request: Request) -> Response:
    return JSONResponse({"bot": _bot(request).detail()})


async def update_bot(request: Request) -> Response:
    body = await parse_body(request, BotFields)
    bot = _bot(request)
    if body.model_id is not None:
        require_model(body.model_id, "chat")
    bot.settings.update(body.to_wire(exclude_none=True))
    bot.updated_at = simulator_state(request).now()
    _sync_agent(request, bot)
    return JSONResponse({"bot": bot.detail()})


async def delete_bot(request: Request) -> Response:
    bot = _bot(request)
    del organisation_data(request).get(SlackBotStore)[bot.id]
    organisation_data(request).get(AgentStore).pop(bot.agent_id, None)
    return JSONResponse({"success": True, "message": f"Slack bot '{bot.settings['name']}' and its agent deleted"})


def _slack_id(prefix: str, name: str) -> str:
    return prefix + hashlib.sha256(name.encode()).hexdigest()[:10].upper()


def _search_term(request: Request) -> str:
    """The lowercased `q` of a workspace search, once the bot is known to be connected (404 otherwise)."""
    bot = _bot(request)
    if not bot.connected:
        raise ApiError(404, f"Slack bot '{bot.id}' is not connected to a Slack workspace (setupType byo)")
    return (parse_query(request, WorkspaceSearch).q or "").lower()


async def search_channels(request: Request) -> Response:
    wanted = _search_term(request)
    return JSONResponse({"results": [{"id": _slack_id("C", name), "name": name} for name in CHANNELS if wanted in name]})


async def search_users(request: Request) -> Response:
    wanted = _search_term(request)
    users = [(name, real) for name, real in USERS if wanted in name or wanted in real.lower()]
    return JSONResponse({"results": [{"id": _slack_id("U", name), "name": name, "real_name": real} for name, real in users]})


ROUTES = [
    *v3("GET", "/slack-bots", list_bots, "listSlackBots"),
    *v3("POST", "/slack-bots", create_bot, "createSlackBot"),
    *v3("GET", "/slack-bots/{botId}", get_bot, "getSlackBot"),
    *v3("PUT", "/slack-bots/{botId}", update_bot, "updateSlackBot"),
    *v3("DELETE", "/slack-bots/{botId}", delete_bot, "deleteSlackBot"),
    *v3("GET", "/slack-bots/{botId}/workspace/channels", search_channels, "searchSlackWorkspaceChannels"),
    *v3("GET", "/slack-bots/{botId}/workspace/users", search_users, "searchSlackWorkspaceUsers"),
]
