"""Built-in AI tools: what the platform's own tools are, and how their async runs are going.

Built-in tools (get_weather, calculate, search_web, generate_image) run server-side when a
chat allows them. Slow ones run asynchronously: an execution (``exec_`` + 32 hex) per tool,
and an orchestration (``orch_`` + 32 hex) when one answer needs several. Records live 24 h.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from quant_mcp.catalog.base import QUERY, V3, ApiResult, NoArguments, Operation, Route, ToolArguments, Toolset

ExecutionStatus = Literal["pending", "running", "complete", "failed"]


class ListToolExecutionsArguments(ToolArguments):
    status: Annotated[ExecutionStatus | None, QUERY] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100)] = None


class ToolExecutionArguments(ToolArguments):
    execution_id: Annotated[str, StringConstraints(pattern=r"^exec_[a-f0-9]{32}$")] = Field(
        description="`exec_` + 32 hex, from list_tool_executions or a chat's toolUse."
    )


class ToolOrchestrationArguments(ToolArguments):
    orchestration_id: Annotated[str, StringConstraints(pattern=r"^orch_[a-f0-9]{32}$")] = Field(
        description="`orch_` + 32 hex, from a chat stream's `done` event."
    )


class ToolInputSchema(ApiResult):
    json_: dict[str, Any] | None = Field(None, alias="json")


class BuiltInToolSpec(ApiResult):
    name: str | None = None
    description: str | None = None
    input_schema: ToolInputSchema | None = None


class BuiltInTool(ApiResult):
    tool_spec: BuiltInToolSpec | None = None


class BuiltInToolList(ApiResult):
    tools: list[BuiltInTool]
    count: int


class ToolNameList(ApiResult):
    tools: list[str]
    count: int


class ToolExecutionSummary(ApiResult):
    execution_id: str | None = None
    tool_name: str | None = None
    status: str | None = None
    created_at: str | None = None
    completed_at: str | None = None


class ToolExecutionList(ApiResult):
    executions: list[ToolExecutionSummary]
    count: int
    org_id: str | None = None
    status: str | None = None


class ToolExecutionOutput(ApiResult):
    images: list[str] | None = None
    s3_urls: list[str] | None = None


class ToolExecution(ApiResult):
    execution_id: str
    tool_name: str
    status: str
    result: ToolExecutionOutput | None = None
    error: str | None = None
    created_at: int | None = None
    started_at: int | None = None
    completed_at: int | None = None
    duration: float | None = None


class OrchestratedTool(ApiResult):
    execution_id: str | None = None
    tool_name: str | None = None
    status: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class ToolOrchestration(ApiResult):
    orchestration_id: str
    status: str
    tool_count: int | None = None
    completed_tools: int | None = None
    result: str | None = None
    tools: list[OrchestratedTool] | None = None
    error: str | None = None
    created_at: str | None = None
    completed_at: str | None = None
    duration: int | None = None


OPERATIONS = [
    Operation(
        name="list_ai_tools",
        toolset=Toolset.TOOLS,
        title="List built-in AI tools",
        description=(
            "Built-in tools (weather, calculator, web search, image generation) and their inputs, for a chat's `allowedTools`."
        ),
        route=Route("GET", V3 + "/tools"),
        arguments=NoArguments,
        result=BuiltInToolList,
        read_only=True,
        idempotent=True,
        operation_ids=("listAITools",),
        summary=lambda r: f"{r['count']} built-in tool(s)",
    ),
    Operation(
        name="list_ai_tool_names",
        toolset=Toolset.TOOLS,
        title="List built-in AI tool names",
        description="Just the names of the built-in tools.",
        route=Route("GET", V3 + "/tools/names"),
        arguments=NoArguments,
        result=ToolNameList,
        read_only=True,
        idempotent=True,
        operation_ids=("listAIToolNames",),
        summary=lambda r: ", ".join(r["tools"]) or "No built-in tools",
    ),
    Operation(
        name="list_tool_executions",
        toolset=Toolset.TOOLS,
        title="List async tool executions",
        description=("Recent asynchronous built-in tool runs (kept 24 h), newest first."),
        route=Route("GET", V3 + "/tools/executions"),
        arguments=ListToolExecutionsArguments,
        result=ToolExecutionList,
        read_only=True,
        idempotent=True,
        operation_ids=("listAIToolExecutions",),
        summary=lambda r: f"{r['count']} execution(s)",
    ),
    Operation(
        name="get_tool_execution",
        toolset=Toolset.TOOLS,
        title="Get async tool execution",
        description=("Poll one asynchronous built-in tool run for its result."),
        route=Route("GET", V3 + "/tools/executions/{executionId}"),
        arguments=ToolExecutionArguments,
        result=ToolExecution,
        read_only=True,
        idempotent=True,
        operation_ids=("getAIToolExecutionStatus",),
        summary=lambda r: f"Execution {r['executionId']} ({r['toolName']}): {r['status']}",
    ),
    Operation(
        name="get_tool_orchestration",
        toolset=Toolset.TOOLS,
        title="Get tool orchestration status",
        description=("Poll a multi-tool orchestration a chat started (every 2 s, up to 10 minutes)."),
        route=Route("GET", V3 + "/tools/orchestrations/{orchestrationId}"),
        arguments=ToolOrchestrationArguments,
        result=ToolOrchestration,
        read_only=True,
        idempotent=True,
        operation_ids=("getAIOrchestrationStatus",),
        summary=lambda r: f"Orchestration {r['orchestrationId']}: {r['status']}",
    ),
]
