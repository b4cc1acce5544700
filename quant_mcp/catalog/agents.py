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

AgentId = Annotated[
    PathId, Field(description="Agent id: a UUID for organisation agents, a slug for global agents (list_agents).")
]
GuardrailPreset = Literal["official", "official-sensitive", "protected"]


class ListAgentsArguments(ToolArguments):
    group: Annotated[str | None, QUERY, Field(description="Only agents in this group.")] = None


class AgentSettings(ToolArguments):
    """What create and update share; all optional here, create makes four of them required."""

    group: str | None = Field(None, description="Free-form group label, for list_agents filtering.")
    temperature: float | None = Field(None, ge=0, le=1, description="Sampling temperature, 0-1.")
    max_tokens: int | None = Field(None, ge=1, le=200_000, description="Most tokens per answer, 1-200000.")
    allowed_tools: list[str] | None = Field(None, description="Built-in or custom tool names the agent may call.")
    allowed_collections: list[PathId] | None = Field(None, description="Vector collection ids the agent may search.")
    assigned_skills: list[str] | None = Field(None, description="Skill ids the agent may load.")
    long_context: bool | None = Field(None, description="Use the 1M-token context route.")
    guardrail_preset: GuardrailPreset | None = Field(None, description="Guardrail preset applied to the agent's conversations.")
    filter_policies: list[PathId] | None = Field(None, description="Filter policy ids applied to input and output.")


class CreateAgentArguments(AgentSettings):
    name: Text = Field(description="Display name.")
    description: Text = Field(description="What the agent is for.")
    system_prompt: Text = Field(description="The agent's instructions.")
    model_id: PathId = Field(description="Model id from list_models.")
    created_by: str | None = Field(None, description="Who created it (free text).")


class UpdateAgentArguments(AgentSettings):
    agent_id: AgentId
    name: str | None = Field(None, description="New display name.")
    description: str | None = Field(None, description="New description.")
    system_prompt: str | None = Field(None, description="New instructions.")
    model_id: PathId | None = Field(None, description="New model id.")


class AgentArguments(ToolArguments):
    agent_id: AgentId


# The reference's `stream` is left out on purpose: this tool returns one JSON answer (`async` serves long runs).
class ChatWithAgentArguments(ToolArguments):
    agent_id: AgentId
    message: Text = Field(description="Your message to the agent.")
    session_id: PathId | None = Field(None, description="Continue this agent session; omit to start a new one.")
    user_id: str | None = Field(None, description="Your identifier for the end user.")
    async_: bool | None = Field(
        None,
        alias="async",
        description="Run durably: answers at once with `requestId`/`pollUrl`; poll get_durable_execution_status.",
    )
    system: str | None = Field(None, description="Extra system instructions for this turn.")
    long_context: bool | None = Field(None, description="Use the 1M-token context route.")
    max_tool_iterations: int | None = Field(None, ge=1, le=1000, description="Most tool-call rounds for this turn, 1-1000.")
    allowed_collections: list[PathId] | None = Field(None, description="Narrow the vector collections the agent may search.")


class OverlayArguments(ToolArguments):
    agent_id: AgentId
    model_id: PathId | None = Field(None, description="Model to use instead of the global agent's.")
    temperature: float | None = Field(None, ge=0, le=1, description="Sampling temperature, 0-1.")
    max_tokens: int | None = Field(None, ge=1, description="Most tokens per answer.")
    disabled_skills: list[str] | None = Field(None, description="Skills of the global agent to switch off.")
    additional_skills: list[str] | None = Field(None, description="Extra skill ids to give it.")
    additional_tools: list[str] | None = Field(None, description="Extra tool names to allow.")
    disabled_tools: list[str] | None = Field(None, description="Tools of the global agent to switch off.")
    system_prompt_append: str | None = Field(None, description="Text appended to the global agent's system prompt.")
    allowed_collections: list[PathId] | None = Field(None, description="Vector collection ids it may search.")
    guardrail_preset: GuardrailPreset | None = Field(None, description="Guardrail preset to apply.")
    version: int | None = Field(
        None, description="The overlay `version` you last read: the write fails with 409 if someone changed it since."
    )


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
        description=(
            "List the organisation's agents and the global agents it can use: id, name, description, group, "
            "model, tools, skills, and whether a global agent has an organisation overlay. `group` narrows the "
            "list. Use an agent's `agentId` with chat_with_agent."
        ),
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
        description=(
            "Create a stored agent: `name`, `description`, `systemPrompt` and `modelId` are required; "
            "optionally the tools it may call, vector collections it may search, skills, temperature (0-1), "
            "max tokens, guardrail preset and filter policies. Returns the new agent with its `agentId`."
        ),
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
        description="Get one agent's full definition, including its system prompt, model, tools, collections and skills.",
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
        description=(
            "Change an organisation agent: only the fields you pass change. Global agents cannot be edited; "
            "adjust them with set_agent_overlay. Returns the updated agent."
        ),
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
        description="Delete an organisation agent, permanently.",
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
            "Send a message to a stored agent; its prompt, model, temperature and tools apply, and its tools "
            "run server-side. Omit `sessionId` to start a conversation and pass the returned `sessionId` to "
            "continue it (agent sessions idle out after 60 minutes). Returns the answer text, stop reason, "
            "usage and tool results. With `async: true` it returns at once with a `requestId` to poll with "
            "get_durable_execution_status."
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
        description=(
            "Read the organisation's overlay of a global agent (its model, tool, skill and prompt adjustments; "
            "null when none) next to the global agent's own defaults. Keep `overlay.version` for set_agent_overlay."
        ),
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
        description=(
            "Create or replace the organisation's overlay of a global agent: a different model, extra or "
            "disabled tools and skills, text appended to its prompt, collections, guardrail preset. This is a "
            "full replacement: fields you omit are cleared. Pass the `version` you last read to fail with 409 "
            "instead of overwriting someone else's change."
        ),
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
        description="Remove the organisation's overlay of a global agent, so it reverts to the platform defaults.",
        route=Route("DELETE", V3 + "/agents/{agentId}/overlay"),
        arguments=AgentArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        operation_ids=("deleteAgentOverlay",),
        summary=lambda r: r.get("message") or "Overlay removed",
    ),
]
