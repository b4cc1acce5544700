"""Slack bots: a Quant agent answering in Slack, either through Quant's Slack app or your own (BYO).

Creating a bot also creates the agent behind it; the bot's model, prompt, tools, skills and
collections are that agent's. Access is limited by channel and user lists.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from quant_mcp.catalog.base import (
    QUERY,
    V3,
    ApiResult,
    Confirmation,
    NoArguments,
    Operation,
    PathId,
    Route,
    Text,
    ToolArguments,
    Toolset,
)

BotId = Annotated[PathId, Field(description="Slack bot id, from list_slack_bots.")]


class BotSettings(ToolArguments):
    """What create and update share."""

    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature, 0-2.")
    max_tokens: int | None = Field(None, ge=1, description="Most tokens per answer.")
    allowed_tools: list[str] | None = Field(None, description="Tool names the bot's agent may call.")
    assigned_skills: list[str] | None = Field(None, description="Skill ids it may load.")
    allowed_collections: list[PathId] | None = Field(None, description="Vector collection ids it may search.")
    allowed_sub_agents: list[PathId] | None = Field(None, description="Agent ids it may delegate to.")
    guardrail_preset: str | None = Field(None, description="Guardrail preset, e.g. 'official'.")
    filter_policies: list[PathId] | None = Field(None, description="Filter policy ids applied to messages.")
    long_context: bool | None = Field(None, description="Use the 1M-token context route.")
    session_ttl_days: int | None = Field(None, ge=1, le=90, description="Days a Slack thread's conversation is remembered, 1-90.")
    allowed_channels: list[str] | None = Field(
        None, description="Slack channel ids it answers in (search_slack_channels finds them)."
    )
    allowed_users: list[str] | None = Field(None, description="Slack user ids allowed to use it (search_slack_users).")
    denied_users: list[str] | None = Field(None, description="Slack user ids refused.")
    allow_guests: bool | None = Field(None, description="Let Slack guest accounts use it.")
    home_tab_content: str | None = Field(None, description="Text of the bot's Slack Home tab.")
    agent_access_control: dict[str, Any] | None = Field(None, description="Per-agent access rules.")
    keywords_enabled: bool | None = Field(None, description="Answer messages containing `keywords`, not only mentions.")
    keywords: list[str] | None = Field(None, description="Words that trigger an answer when keywordsEnabled.")


class CreateBotArguments(BotSettings):
    name: Text = Field(description="Bot name.")
    setup_type: Literal["quant", "byo"] = Field(description="quant: Quant's Slack app; byo: your own Slack app.")
    system_prompt: Text = Field(description="Instructions for the bot's agent.")
    model_id: PathId = Field(description="Model id from list_models.")


class UpdateBotArguments(BotSettings):
    bot_id: BotId
    name: str | None = None
    status: Literal["active", "inactive"] | None = Field(None, description="inactive: the bot stops answering.")
    system_prompt: str | None = None
    model_id: PathId | None = None


class BotArguments(ToolArguments):
    bot_id: BotId


class WorkspaceSearchArguments(ToolArguments):
    bot_id: BotId
    q: Annotated[str | None, QUERY, Field(description="Text the name should contain.")] = None


class SlackBot(ApiResult):
    bot_id: str | None = None
    name: str | None = None
    setup_type: str | None = Field(None, description="quant | byo")
    status: str | None = Field(None, description="active | inactive")
    connected: bool | None = Field(None, description="Whether a Slack workspace is connected.")
    system_prompt: str | None = None
    model_id: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    allowed_tools: list[str] | None = None
    assigned_skills: list[str] | None = None
    allowed_collections: list[str] | None = None
    allowed_sub_agents: list[str] | None = None
    guardrail_preset: str | None = None
    filter_policies: list[str] | None = None
    long_context: bool | None = None
    session_ttl_days: int | None = None
    allowed_channels: list[str] | None = None
    allowed_users: list[str] | None = None
    denied_users: list[str] | None = None
    allow_guests: bool | None = None
    home_tab_content: str | None = None
    agent_access_control: dict[str, Any] | None = None
    keywords_enabled: bool | None = None
    keywords: list[str] | None = None
    created_at: str | None = None
    updated_at: str | None = None


class SlackBotList(ApiResult):
    bots: list[SlackBot]


class SlackBotDetails(ApiResult):
    bot: SlackBot


class WorkspaceEntry(ApiResult):
    id: str | None = Field(None, description="Slack id, for allowedChannels / allowedUsers.")
    name: str | None = None
    real_name: str | None = Field(None, alias="real_name", description="Users only.")


class WorkspaceResults(ApiResult):
    results: list[WorkspaceEntry]


OPERATIONS = [
    Operation(
        name="list_slack_bots",
        toolset=Toolset.SLACK_BOTS,
        title="List Slack bots",
        description="List the organisation's Slack bots: name, setup type, status, whether connected, and their agent settings.",
        route=Route("GET", V3 + "/slack-bots"),
        arguments=NoArguments,
        result=SlackBotList,
        read_only=True,
        idempotent=True,
        operation_ids=("listSlackBots",),
        summary=lambda r: f"{len(r['bots'])} Slack bot(s)",
    ),
    Operation(
        name="create_slack_bot",
        toolset=Toolset.SLACK_BOTS,
        title="Create Slack bot",
        description=(
            "Create a Slack bot and the agent behind it: `name`, `setupType` (quant: Quant's Slack app; byo: "
            "your own), `systemPrompt` and `modelId` are required; optionally tools, skills, collections, "
            "channel and user allow-lists, keywords and session lifetime. Returns the bot."
        ),
        route=Route("POST", V3 + "/slack-bots"),
        arguments=CreateBotArguments,
        result=SlackBotDetails,
        operation_ids=("createSlackBot",),
        summary=lambda r: f"Created Slack bot {r['bot'].get('botId')}",
    ),
    Operation(
        name="get_slack_bot",
        toolset=Toolset.SLACK_BOTS,
        title="Get Slack bot",
        description="Get one Slack bot with all of its settings, access lists and connection state.",
        route=Route("GET", V3 + "/slack-bots/{botId}"),
        arguments=BotArguments,
        result=SlackBotDetails,
        read_only=True,
        idempotent=True,
        operation_ids=("getSlackBot",),
        summary=lambda r: f"Slack bot {r['bot'].get('name')} ({r['bot'].get('status')})",
    ),
    Operation(
        name="update_slack_bot",
        toolset=Toolset.SLACK_BOTS,
        title="Update Slack bot",
        description=(
            "Change a Slack bot and its agent: only the fields you pass change. `status: inactive` stops it "
            "answering. Returns the updated bot."
        ),
        route=Route("PUT", V3 + "/slack-bots/{botId}"),
        arguments=UpdateBotArguments,
        result=SlackBotDetails,
        idempotent=True,
        operation_ids=("updateSlackBot",),
        summary=lambda r: f"Slack bot {r['bot'].get('botId')} updated",
    ),
    Operation(
        name="delete_slack_bot",
        toolset=Toolset.SLACK_BOTS,
        title="Delete Slack bot",
        description="Delete a Slack bot and the agent behind it, permanently.",
        route=Route("DELETE", V3 + "/slack-bots/{botId}"),
        arguments=BotArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        operation_ids=("deleteSlackBot",),
        summary=lambda r: r.get("message") or "Slack bot deleted",
    ),
    Operation(
        name="search_slack_channels",
        toolset=Toolset.SLACK_BOTS,
        title="Search Slack channels",
        description="Search channels of the Slack workspace a bot is connected to, by name (`q`). Returns channel ids and names, for `allowedChannels`.",
        route=Route("GET", V3 + "/slack-bots/{botId}/workspace/channels"),
        arguments=WorkspaceSearchArguments,
        result=WorkspaceResults,
        read_only=True,
        idempotent=True,
        operation_ids=("searchSlackWorkspaceChannels",),
        summary=lambda r: f"{len(r['results'])} channel(s)",
    ),
    Operation(
        name="search_slack_users",
        toolset=Toolset.SLACK_BOTS,
        title="Search Slack users",
        description="Search users of the Slack workspace a bot is connected to, by name (`q`). Returns user ids and names, for `allowedUsers` / `deniedUsers`.",
        route=Route("GET", V3 + "/slack-bots/{botId}/workspace/users"),
        arguments=WorkspaceSearchArguments,
        result=WorkspaceResults,
        read_only=True,
        idempotent=True,
        operation_ids=("searchSlackWorkspaceUsers",),
        summary=lambda r: f"{len(r['results'])} user(s)",
    ),
]
