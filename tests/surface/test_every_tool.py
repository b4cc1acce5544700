"""Every tool, called once with valid arguments against the simulator, through a real MCP client.

Tools run in scenarios, one per API group, because most need something made first (an
agent to read, a collection to query). Every request a scenario sends is checked against the
vendored reference. A scenario that needs an operation the simulator does not serve yet is
an expected failure ("simulator route pending"), decided from the simulator's own route
table (routes are named by operationId), so each one turns into a real test as soon as
the simulator grows the route; ``strict`` makes a forgotten mark fail loudly.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from mcp import Client

from quant_mcp.catalog import OPERATIONS_BY_NAME
from quant_mcp.server import build_server
from quant_mcp.simulator.routes import api_routes
from tests.conftest import MODEL, make_settings, text_of
from tests.contract.openapi_contract import find_operation, validate_request

pytestmark = pytest.mark.anyio

EMBEDDING_MODEL = "amazon.titan-embed-text-v2:0"
PROJECT = "site-1"
GLOBAL_AGENT = "research-assistant"  # a global agent (slug id) the simulator provides
HELLO = [{"role": "user", "content": "Hello there"}]
LOOKUP_ORDER = {
    "toolSpec": {
        "name": "lookup_order",
        "inputSchema": {"json": {"type": "object", "properties": {"orderId": {"type": "string"}}}},
    }
}

Ids = dict[str, Any]


@dataclass
class Step:
    tool: str
    arguments: dict[str, Any] | Callable[[Ids], dict[str, Any]] = field(default_factory=dict)
    keep: Callable[[dict[str, Any]], Ids] | None = None  # ids to remember from the result


def find(key: str, data: Any) -> Any:
    """The first value of ``key`` anywhere in a result (for answers the reference leaves undocumented)."""
    if isinstance(data, dict):
        if data.get(key) is not None:
            return data[key]
        data = list(data.values())
    if isinstance(data, list):
        for item in data:
            found = find(key, item)
            if found is not None:
                return found
    return None


def keep(name: str, *keys: str) -> Callable[[dict[str, Any]], Ids]:
    """Remember the first of ``keys`` found in the result as ``name``."""
    return lambda result: {name: next(value for key in keys if (value := find(key, result)) is not None)}


SCENARIOS: dict[str, list[Step]] = {
    "sessions": [
        Step("create_session", {"userId": "user-1", "sessionGroup": "tests"}, keep("session", "sessionId")),
        Step("list_sessions", {"userId": "user-1"}),
        Step("get_session", lambda ids: {"sessionId": ids["session"]}),
        Step("update_session", lambda ids: {"sessionId": ids["session"], "newMessages": HELLO, "tokensUsed": 3}),
        Step("extend_session", lambda ids: {"sessionId": ids["session"], "additionalMinutes": 30}),
        Step("chat_in_session", lambda ids: {"sessionId": ids["session"], "message": "Hello again", "modelId": MODEL}),
        Step("delete_session", lambda ids: {"sessionId": ids["session"]}),
    ],
    "inference": [
        Step("chat", {"messages": HELLO, "modelId": MODEL}),
        Step("chat_stream", {"messages": HELLO, "modelId": MODEL}),
        Step("start_chat_execution", {"messages": HELLO, "modelId": MODEL}, keep("request", "requestId")),
        Step("get_durable_execution_status", lambda ids: {"identifier": ids["request"]}),
        Step("create_embeddings", {"input": ["first text", "second text"]}),
        Step("generate_image", {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a lighthouse at dawn"}}),
    ],
    "tool callbacks": [
        Step(
            "start_chat_execution",
            {"messages": HELLO, "modelId": MODEL, "toolConfig": {"tools": [LOOKUP_ORDER]}},
            keep("request", "requestId"),
        ),
        Step(
            "get_durable_execution_status",
            lambda ids: {"identifier": ids["request"]},
            lambda result: {"callback": result["callbackId"], "tool use": result["pendingTools"][0]["toolUseId"]},
        ),
        Step(
            "submit_tool_callback",
            lambda ids: {
                "callbackId": ids["callback"],
                "toolResults": [{"toolUseId": ids["tool use"], "result": {"status": "shipped"}}],
            },
        ),
    ],
    "models, usage, config": [
        Step("list_models", {"feature": "chat"}),
        Step("get_model", {"modelId": MODEL}),
        Step("get_usage_stats", {}),
        Step("get_ai_config", {}),
        Step("update_ai_config", {"temperature": 0.5}),
    ],
    "my usage": [Step("get_my_usage", {})],
    "agents": [
        Step(
            "create_agent",
            {
                "name": "Helper",
                "description": "Answers questions",
                "systemPrompt": "Be brief.",
                "modelId": MODEL,
                "temperature": 0.3,
            },
            keep("agent", "agentId"),
        ),
        Step("list_agents", {}),
        Step("get_agent", lambda ids: {"agentId": ids["agent"]}),
        Step("update_agent", lambda ids: {"agentId": ids["agent"], "description": "Answers questions briefly"}),
        Step("chat_with_agent", lambda ids: {"agentId": ids["agent"], "message": "What can you do?"}),
        Step("delete_agent", lambda ids: {"agentId": ids["agent"]}),
    ],
    "agent overlays": [
        Step("get_agent_overlay", {"agentId": GLOBAL_AGENT}),
        Step(
            "set_agent_overlay",
            {"agentId": GLOBAL_AGENT, "systemPromptAppend": "Answer in English.", "additionalTools": ["calculate"]},
        ),
        Step("delete_agent_overlay", {"agentId": GLOBAL_AGENT}),
    ],
    "built-in tools": [
        Step("list_ai_tools", {}),
        Step("list_ai_tool_names", {}),
        Step(
            "chat",
            {
                "messages": [{"role": "user", "content": "Weather in Sydney?"}],
                "modelId": MODEL,
                "toolConfig": {
                    "tools": [
                        {
                            "toolSpec": {
                                "name": "get_weather",
                                "inputSchema": {"json": {"type": "object", "properties": {"location": {"type": "string"}}}},
                            }
                        }
                    ],
                    "autoExecute": True,
                    "allowedTools": ["get_weather"],
                },
            },
        ),
        Step("list_tool_executions", {"limit": 10}, keep("execution", "executionId")),
        Step("get_tool_execution", lambda ids: {"executionId": ids["execution"]}),
    ],
    "tool orchestrations": [
        # The real API hands out the id in the `done` event of a chat whose answer needs several slow tools.
        Step("get_tool_orchestration", {"orchestrationId": "orch_" + "0" * 32}),
    ],
    "custom tools": [
        Step(
            "create_custom_tool",
            {
                "name": "lookup_order",
                "description": "Look up an order by id.",
                "edgeFunctionCode": "export default async (input) => ({ status: 'shipped', id: input.orderId });",
                "inputSchema": {"type": "object", "properties": {"orderId": {"type": "string"}}, "required": ["orderId"]},
            },
        ),
        Step("list_custom_tools", {}),
        Step("get_custom_tool", {"toolName": "lookup_order"}),
        Step("delete_custom_tool", {"toolName": "lookup_order"}),
    ],
    "vector collections": [
        Step(
            "create_vector_collection",
            {"name": "handbook", "embeddingModel": EMBEDDING_MODEL},
            keep("collection", "collectionId"),
        ),
        Step("list_vector_collections", {}),
        Step("get_vector_collection", lambda ids: {"collectionId": ids["collection"]}),
        Step(
            "upload_vector_documents",
            lambda ids: {
                "collectionId": ids["collection"],
                "documents": [
                    {
                        "content": "Leave requests go to your manager.",
                        "key": "leave",
                        "metadata": {"title": "Leave", "source_url": "https://example.com/leave"},
                    },
                    {"content": "Expenses are paid monthly.", "key": "expenses"},
                ],
            },
        ),
        Step(
            "query_vector_collection", lambda ids: {"collectionId": ids["collection"], "query": "who approves leave", "limit": 3}
        ),
        Step("delete_vector_collection", lambda ids: {"collectionId": ids["collection"]}),
    ],
    "vector documents": [
        Step("create_vector_collection", {"name": "docs", "embeddingModel": EMBEDDING_MODEL}, keep("collection", "collectionId")),
        Step(
            "upload_vector_documents",
            lambda ids: {"collectionId": ids["collection"], "documents": [{"content": "Some text.", "key": "k1"}]},
        ),
        Step("list_vector_documents", lambda ids: {"collectionId": ids["collection"], "limit": 10}),
        Step("delete_vector_documents", lambda ids: {"collectionId": ids["collection"], "keys": ["k1"]}),
    ],
    "files": [
        Step(
            "upload_file",
            {
                "contentType": "text/plain",
                "filename": "notes.txt",
                "content": base64.b64encode(b"hello").decode(),
                "metadata": {"tag": "t"},
            },
            keep("file", "fileId"),
        ),
        Step("list_files", {"limit": 10}),
        Step("get_file", lambda ids: {"fileId": ids["file"]}),
        Step("delete_file", lambda ids: {"fileId": ids["file"]}),
    ],
    "orchestrations": [
        Step(
            "create_agent",
            {"name": "Summariser", "description": "Summarises", "systemPrompt": "Summarise.", "modelId": MODEL},
            keep("agent", "agentId"),
        ),
        Step(
            "create_orchestration",
            lambda ids: {
                "name": "Summarise",
                "agentId": ids["agent"],
                "inputSource": {"type": "static", "items": [{"text": "a"}, {"text": "b"}]},
                "autoStart": False,
            },
            keep("orchestration", "orchestrationId", "id"),
        ),
        Step("list_orchestrations", {}),
        Step("get_orchestration", lambda ids: {"orchestrationId": ids["orchestration"]}),
        Step("start_orchestration", lambda ids: {"orchestrationId": ids["orchestration"]}),
        Step("pause_orchestration", lambda ids: {"orchestrationId": ids["orchestration"]}),
        Step("resume_orchestration", lambda ids: {"orchestrationId": ids["orchestration"]}),
        Step("list_orchestration_batches", lambda ids: {"orchestrationId": ids["orchestration"]}),
        Step("cancel_orchestration", lambda ids: {"orchestrationId": ids["orchestration"]}),
        Step("delete_orchestration", lambda ids: {"orchestrationId": ids["orchestration"]}),
    ],
    "skills": [
        Step(
            "create_skill",
            {"name": "tone", "content": "Write plainly.", "triggerCondition": "When writing"},
            keep("skill", "skillId"),
        ),
        Step("list_skills", {}),
        Step("get_skill", lambda ids: {"skillId": ids["skill"]}),
        Step("update_skill", lambda ids: {"skillId": ids["skill"], "tags": ["writing"]}),
        Step(
            "import_skill",
            {"source": {"type": "github", "repo": "acme/skills", "path": "skills/review"}},
            keep("imported", "skillId"),
        ),
        Step("sync_skill", lambda ids: {"skillId": ids["imported"]}),
        Step(
            "import_skill_collection",
            {"namespace": "acme-skills", "source": {"type": "github", "repo": "acme/skills", "path": "skills"}},
        ),
        Step("list_skill_collections", {}),
        Step("sync_skill_collection", {"namespace": "acme-skills"}),
        Step("delete_skill_collection", {"namespace": "acme-skills"}),
        Step("delete_skill", lambda ids: {"skillId": ids["skill"]}),
    ],
    "slack bots": [
        Step(
            "create_slack_bot",
            {"name": "helpdesk", "setupType": "quant", "systemPrompt": "Help.", "modelId": MODEL},
            keep("bot", "botId"),
        ),
        Step("list_slack_bots", {}),
        Step("get_slack_bot", lambda ids: {"botId": ids["bot"]}),
        Step("update_slack_bot", lambda ids: {"botId": ids["bot"], "status": "inactive"}),
        Step("search_slack_channels", lambda ids: {"botId": ids["bot"], "q": "gen"}),
        Step("search_slack_users", lambda ids: {"botId": ids["bot"], "q": "al"}),
        Step("delete_slack_bot", lambda ids: {"botId": ids["bot"]}),
    ],
    "tasks": [
        Step("create_task", {"title": "Draft", "taskListId": "launch"}, keep("first", "taskId")),
        Step(
            "create_task",
            lambda ids: {"title": "Review", "taskListId": "launch", "dependsOn": [ids["first"]]},
            keep("second", "taskId"),
        ),
        Step("list_tasks", {"taskListId": "launch"}),
        Step("get_task", lambda ids: {"taskId": ids["second"]}),
        Step("update_task", lambda ids: {"taskId": ids["first"], "status": "in_progress", "progress": 0.5}),
        Step("get_task_dependency_graph", {"taskListId": "launch"}),
        Step("delete_task", lambda ids: {"taskId": ids["first"], "cascade": True}),
    ],
    "governance": [
        Step("get_governance_config", {}),
        Step("update_governance_config", {"aiEnabled": True, "modelPolicy": "allowlist", "modelList": [MODEL]}),
        Step("get_governance_spend", {}),
    ],
    "filter policies": [
        Step(
            "create_filter_policy",
            {
                "name": "no secrets",
                "rules": [{"match": {"type": "word", "values": ["password"]}, "action": "REDACT", "applyTo": "both"}],
            },
            keep("policy", "policyId", "id"),
        ),
        Step("list_filter_policies", {}),
        Step("get_filter_policy", lambda ids: {"policyId": ids["policy"]}),
        Step("update_filter_policy", lambda ids: {"policyId": ids["policy"], "description": "Redacts passwords"}),
        Step("disable_filter_policy", lambda ids: {"policyId": ids["policy"]}),
        Step("enable_filter_policy", lambda ids: {"policyId": ids["policy"]}),
        Step("delete_filter_policy", lambda ids: {"policyId": ids["policy"]}),
    ],
    "ai search": [
        Step("enable_ai_search", {"project": PROJECT, "baseUrl": "https://example.com"}),
        Step("get_ai_search_status", {"project": PROJECT}),
        Step("update_ai_search_settings", {"project": PROJECT, "publicAccess": {"enabled": True}}),
        Step("get_ai_search_settings", {"project": PROJECT}),
        Step(
            "ingest_ai_search_pages",
            {
                "project": PROJECT,
                "pages": [{"url": "https://example.com/a", "title": "A", "content": "Opening hours are 9 to 5."}],
            },
        ),
        Step("list_ai_search_pages", {"project": PROJECT, "limit": 10}),
        Step("search_ai_search_index", {"project": PROJECT, "query": "opening hours"}),
        Step("chat_with_ai_search", {"project": PROJECT, "message": "When are you open?"}),
        Step("start_ai_search_crawl", {"project": PROJECT, "crawler_uuid": "7d9f2c3e-1b2a-4c5d-8e9f-0a1b2c3d4e5f"}),
        Step("list_ai_search_crawls", {"project": PROJECT}, keep("job", "jobId", "id")),
        Step("get_ai_search_crawl", lambda ids: {"project": PROJECT, "jobId": ids["job"]}),
        Step("list_ai_search_crawl_pages", lambda ids: {"project": PROJECT, "jobId": ids["job"]}),
        Step("get_ai_search_top_queries", {"project": PROJECT, "range": "7d"}),
        Step("get_ai_search_usage", {"project": PROJECT}),
        Step("delete_ai_search_pages", {"project": PROJECT, "urls": ["https://example.com/a"]}),
        Step("purge_ai_search_index", {"project": PROJECT}),
        Step("disable_ai_search", {"project": PROJECT}),
    ],
}

SERVED = {route.name for route in api_routes()}


def operation_of(tool: str) -> str:
    """The reference operation a step exercises (a composite tool's: the streamed chat it relays)."""
    op = OPERATIONS_BY_NAME[tool]
    route = (OPERATIONS_BY_NAME["chat_stream"] if op.flow == "chat_in_session" else op).route_for("v3")
    return find_operation(route.method, route.path).operation_id


# Scenarios the simulator cannot serve although it has the route, and why.
SIMULATOR_GAPS = {
    "tool orchestrations": "the simulator runs built-in tools synchronously, so it never hands out an orchestration id "
    "(every id is a 404) and get_tool_orchestration has nothing valid to ask for",
}


def scenario(name: str) -> Any:
    pending = sorted({operation_of(step.tool) for step in SCENARIOS[name]} - SERVED)
    reason = f"simulator route pending: {', '.join(pending)}" if pending else SIMULATOR_GAPS.get(name)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(name, marks=marks, id=name.replace(" ", "-").replace(",", ""))


def test_the_scenarios_call_every_tool():
    called = {step.tool for steps in SCENARIOS.values() for step in steps}
    assert called == set(OPERATIONS_BY_NAME), f"never called: {sorted(set(OPERATIONS_BY_NAME) - called)}"


@pytest.mark.parametrize("name", [scenario(name) for name in SCENARIOS])
async def test_every_tool_answers_valid_arguments(simulator, name):
    ids: Ids = {}
    async with Client(build_server(make_settings(simulator, toolsets=["all"]))) as client:
        for step in SCENARIOS[name]:
            arguments = step.arguments(ids) if callable(step.arguments) else step.arguments
            result = await client.call_tool(step.tool, arguments)
            assert not result.is_error, f"{step.tool}: {text_of(result)}"
            assert isinstance(result.structured_content, dict), step.tool
            if step.keep:
                ids |= step.keep(result.structured_content)
    for request in simulator.state.requests:
        if request.path.endswith("/custom-tools") and request.method == "POST":
            # the body follows the live endpoint (inputSchema an object, toolName); the reference says a string
            validate_request(request.method, request.path, query=request.query)
            continue
        validate_request(request.method, request.path, query=request.query, body=request.body)
