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

BotId = PathId


class BotSettings(ToolArguments):
    """What create and update share."""

    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    allowed_tools: list[str] | None = None
    assigned_skills: list[str] | None = None
    allowed_collections: list[PathId] | None = None
    allowed_sub_agents: list[PathId] | None = None
    guardrail_preset: str | None = None
    filter_policies: list[PathId] | None = None
    long_context: bool | None = None
    session_ttl_days: int | None = Field(None, ge=1, le=90, description="How long a thread is remembered.")
    allowed_channels: list[str] | None = Field(None, description="From search_slack_channels.")
    allowed_users: list[str] | None = Field(None, description="From search_slack_users.")
    denied_users: list[str] | None = None
    allow_guests: bool | None = None
    home_tab_content: str | None = None
    agent_access_control: dict[str, Any] | None = None
    keywords_enabled: bool | None = None
    keywords: list[str] | None = None  # answered when keywords_enabled


class CreateBotArguments(BotSettings):
    name: Text
    setup_type: Literal["quant", "byo"] = Field(description="quant: Quant's Slack app; byo: your own Slack app.")
    system_prompt: Text
    model_id: PathId


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
    q: Annotated[str | None, QUERY] = None


class SlackBot(ApiResult):
    bot_id: str | None = None
    name: str | None = None
    setup_type: str | None = None
    status: str | None = Field(None, description="active | inactive")
    connected: bool | None = None
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
    id: str | None = None
    name: str | None = None
    real_name: str | None = Field(None, alias="real_name", description="Users only.")


class WorkspaceResults(ApiResult):
    results: list[WorkspaceEntry]


OPERATIONS = [
    Operation(
        name="list_slack_bots",
        toolset=Toolset.SLACK_BOTS,
        title="List Slack bots",
        description="The organisation's Slack bots and their agent settings.",
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
        description=("Create a Slack bot and the agent behind it."),
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
        description="One Slack bot with all its settings.",
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
        description=("Change a Slack bot and its agent (only the fields given)."),
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
        description="Delete a Slack bot and its agent, permanently.",
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
        description="Find channels of a bot's Slack workspace by name, for `allowedChannels`.",
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
        description="Find users of a bot's Slack workspace by name, for the user allow and deny lists.",
        route=Route("GET", V3 + "/slack-bots/{botId}/workspace/users"),
        arguments=WorkspaceSearchArguments,
        result=WorkspaceResults,
        read_only=True,
        idempotent=True,
        operation_ids=("searchSlackWorkspaceUsers",),
        summary=lambda r: f"{len(r['results'])} user(s)",
    ),
]
