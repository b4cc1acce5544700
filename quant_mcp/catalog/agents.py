"""Agents: stored assistants (system prompt, model, tools, collections, skills) you chat with by id.

Organisation agents have UUID ids; global agents, shared by the platform, have slug ids and
can be adjusted per organisation through an *overlay* (model, tools, skills, extra prompt)
without copying them. Agent chats keep their own sessions, which idle out after 60 minutes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from quant_mcp.catalog.base import QUERY, V3, ApiResult, Confirmation, Operation, PathId, Route, Text, ToolArguments, Toolset
from quant_mcp.catalog.uris import AGENT_URI

AgentId = PathId  # from list_agents
GuardrailPreset = Literal["official", "official-sensitive", "protected"]


class ListAgentsArguments(ToolArguments):
    group: Annotated[str | None, QUERY] = None


class AgentSettings(ToolArguments):
    """What create and update share; all optional here, create makes four of them required."""

    group: str | None = None
    temperature: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, ge=1, le=200_000)
    allowed_tools: list[str] | None = None
    allowed_collections: list[PathId] | None = None
    assigned_skills: list[str] | None = None
    long_context: bool | None = None  # the 1M-token context route
    guardrail_preset: GuardrailPreset | None = None
    filter_policies: list[PathId] | None = None


class CreateAgentArguments(AgentSettings):
    name: Text
    description: Text
    system_prompt: Text
    model_id: PathId
    created_by: str | None = None


class UpdateAgentArguments(AgentSettings):
    agent_id: AgentId
    name: str | None = None
    description: str | None = None
    system_prompt: str | None = None
    model_id: PathId | None = None


class AgentArguments(ToolArguments):
    agent_id: AgentId


# The reference's `stream` is left out on purpose: this tool returns one JSON answer (`async` serves long runs).
class ChatWithAgentArguments(ToolArguments):
    agent_id: AgentId
    message: Text
    session_id: PathId | None = Field(None, description="Omit to start a conversation.")
    user_id: str | None = None
    async_: bool | None = Field(
        None,
        alias="async",
        description="Answer at once with a requestId for get_durable_execution_status.",
    )
    system: str | None = Field(None, description="Extra instructions for this turn.")
    long_context: bool | None = None  # the 1M-token context route
    max_tool_iterations: int | None = Field(None, ge=1, le=1000)
    allowed_collections: list[PathId] | None = None


class OverlayArguments(ToolArguments):
    agent_id: AgentId
    model_id: PathId | None = None
    temperature: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    disabled_skills: list[str] | None = None
    additional_skills: list[str] | None = None
    additional_tools: list[str] | None = None
    disabled_tools: list[str] | None = None
    system_prompt_append: str | None = None
    allowed_collections: list[PathId] | None = None
    guardrail_preset: GuardrailPreset | None = None
    version: int | None = Field(None, description="As last read: a change since then fails with 409.")


class Agent(ApiResult):
    agent_id: str | None = None
    name: str | None = None
    description: str | None = None
    group: str | None = None
    system_prompt: str | None = None
    model_id: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    allowed_tools: list[str] | None = None
    allowed_collections: list[str] | None = None
    assigned_skills: list[str] | None = None
    long_context: bool | None = None
    guardrail_preset: str | None = None
    is_global: bool | None = Field(None, description="A platform agent (slug id); adjust it with set_agent_overlay.")
    has_overlay: bool | None = None
    created_by: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class AgentList(ApiResult):
    agents: list[Agent]


class AgentDetails(ApiResult):
    agent: Agent


class AgentSaved(ApiResult):
    success: bool | None = None
    agent: Agent | None = None
    message: str | None = None


class AgentUsage(ApiResult):
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cost_cents: float | None = None


class AgentAnswer(ApiResult):
    text: str | None = Field(None, description="The agent's answer.")
    stop_reason: str | None = None
    usage: AgentUsage | None = None
    tool_results: list[dict[str, Any]] | None = Field(None, description="Tools the agent ran server-side, with their results.")


class AgentReply(ApiResult):
    session_id: str | None = Field(None, description="Pass it back as `sessionId` to continue the conversation.")
    response: AgentAnswer | None = Field(None, description="The answer (absent when `async` was requested).")
    request_id: str | None = Field(None, description="Async only: the durable execution to poll.")
    agent_id: str | None = None
    agent_name: str | None = None
    status: str | None = Field(None, description="Async only: queued.")
    message: str | None = None
    poll_url: str | None = Field(None, description="Async only: relative URL of the execution status.")


class Overlay(ApiResult):
    model_id: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    disabled_skills: list[str] | None = None
    additional_skills: list[str] | None = None
    additional_tools: list[str] | None = None
    disabled_tools: list[str] | None = None
    system_prompt_append: str | None = None
    allowed_collections: list[str] | None = None
    guardrail_preset: str | None = None
    version: int | None = Field(None, description="Send it back with set_agent_overlay for a safe concurrent update.")


class OverlayBase(ApiResult):
    agent_id: str | None = None
    name: str | None = None
    model_id: str | None = None
    allowed_tools: list[str] | None = None
    assigned_skill_ids: list[str] | None = None


class AgentOverlay(ApiResult):
    overlay: Overlay | None = Field(None, description="The organisation's adjustments; null when none are set.")
    base: OverlayBase | None = Field(None, description="The global agent's own defaults.")


class OverlaySaved(ApiResult):
    overlay: Overlay | None = None


def _reply_summary(result: dict[str, Any]) -> str:
    if result.get("pollUrl"):
        return f"Agent run queued as {result.get('requestId')}; poll get_durable_execution_status"
    return str((result.get("response") or {}).get("text") or "")


OPERATIONS = [
    Operation(
        name="list_agents",
        toolset=Toolset.AGENTS,
        title="List agents",
        description=("Organisation and global agents you can chat with: pick an `agentId` for chat_with_agent."),
        route=Route("GET", V3 + "/agents"),
        arguments=ListAgentsArguments,
        result=AgentList,
        read_only=True,
        idempotent=True,
        operation_ids=("listAIAgents",),
        summary=lambda r: (
            f"{len(r['agents'])} agent(s)" + "".join(f"; {a.get('name')} ({a.get('agentId')})" for a in r["agents"][:20])
        ),
    ),
    Operation(
        name="create_agent",
        toolset=Toolset.AGENTS,
        title="Create agent",
        description=("Create a stored agent (prompt, model, tools, collections, skills)."),
        route=Route("POST", V3 + "/agents"),
        arguments=CreateAgentArguments,
        result=AgentSaved,
        changes=AGENT_URI,
        operation_ids=("createAIAgent",),
        summary=lambda r: f"Created agent {(r.get('agent') or {}).get('agentId')}",
    ),
    Operation(
        name="get_agent",
        toolset=Toolset.AGENTS,
        title="Get agent",
        description=("One agent's full definition."),
        route=Route("GET", V3 + "/agents/{agentId}"),
        arguments=AgentArguments,
        result=AgentDetails,
        read_only=True,
        idempotent=True,
        operation_ids=("getAIAgent",),
        summary=lambda r: f"Agent {r['agent'].get('name')} ({r['agent'].get('modelId')})",
    ),
    Operation(
        name="update_agent",
        toolset=Toolset.AGENTS,
        title="Update agent",
        description=("Change an organisation agent (only the fields given); global agents take set_agent_overlay."),
        route=Route("PUT", V3 + "/agents/{agentId}"),
        arguments=UpdateAgentArguments,
        result=AgentSaved,
        idempotent=True,
        changes=AGENT_URI,
        operation_ids=("updateAIAgent",),
        summary=lambda r: r.get("message") or "Agent updated",
    ),
    Operation(
        name="delete_agent",
        toolset=Toolset.AGENTS,
        title="Delete agent",
        description=("Delete an organisation agent, permanently."),
        route=Route("DELETE", V3 + "/agents/{agentId}"),
        arguments=AgentArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        changes=AGENT_URI,
        operation_ids=("deleteAIAgent",),
        summary=lambda r: r.get("message") or "Agent deleted",
    ),
    Operation(
        name="chat_with_agent",
        toolset=Toolset.AGENTS,
        title="Chat with agent",
        description=(
            "Talk to a stored agent (its prompt, model and tools apply; tools run server-side). Pass the returned "
            "`sessionId` to continue."
        ),
        route=Route("POST", V3 + "/agents/{agentId}/chat"),
        arguments=ChatWithAgentArguments,
        result=AgentReply,
        operation_ids=("chatWithAIAgent",),
        summary=_reply_summary,
    ),
    Operation(
        name="get_agent_overlay",
        toolset=Toolset.AGENTS,
        title="Get agent overlay",
        description=("The organisation's adjustments of a global agent, beside its defaults."),
        route=Route("GET", V3 + "/agents/{agentId}/overlay"),
        arguments=AgentArguments,
        result=AgentOverlay,
        read_only=True,
        idempotent=True,
        operation_ids=("getAgentOverlay",),
        summary=lambda r: "No overlay set" if not r.get("overlay") else f"Overlay version {r['overlay'].get('version')}",
    ),
    Operation(
        name="set_agent_overlay",
        toolset=Toolset.AGENTS,
        title="Set agent overlay",
        description=("Replace the organisation's adjustments of a global agent (fields omitted are cleared)."),
        route=Route("PUT", V3 + "/agents/{agentId}/overlay"),
        arguments=OverlayArguments,
        result=OverlaySaved,
        destructive=True,
        idempotent=True,
        operation_ids=("upsertAgentOverlay",),
        summary=lambda r: f"Overlay saved (version {(r.get('overlay') or {}).get('version')})",
    ),
    Operation(
        name="delete_agent_overlay",
        toolset=Toolset.AGENTS,
        title="Delete agent overlay",
        description=("Revert a global agent to the platform defaults."),
        route=Route("DELETE", V3 + "/agents/{agentId}/overlay"),
        arguments=AgentArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        operation_ids=("deleteAgentOverlay",),
        summary=lambda r: r.get("message") or "Overlay removed",
    ),
]
