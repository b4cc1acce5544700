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
    status: Annotated[ExecutionStatus | None, QUERY, Field(description="Only executions in this status.")] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100, description="Page size, 1-100 (default 50).")] = None


class ToolExecutionArguments(ToolArguments):
    execution_id: Annotated[str, StringConstraints(pattern=r"^exec_[a-f0-9]{32}$")] = Field(
        description="Execution id, `exec_` + 32 hex characters, as a chat's toolUse or list_tool_executions reported it."
    )


class ToolOrchestrationArguments(ToolArguments):
    orchestration_id: Annotated[str, StringConstraints(pattern=r"^orch_[a-f0-9]{32}$")] = Field(
        description="Tool orchestration id, `orch_` + 32 hex characters, from a chat stream's `done` event."
    )


class ToolInputSchema(ApiResult):
    json_: dict[str, Any] | None = Field(None, alias="json", description="JSON Schema of the tool's input.")


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
    tools: list[str] = Field(description="Names to pass in a chat's `allowedTools`.")
    count: int


class ToolExecutionSummary(ApiResult):
    execution_id: str | None = None
    tool_name: str | None = None
    status: str | None = None
    created_at: str | None = None
    completed_at: str | None = None


class ToolExecutionList(ApiResult):
    executions: list[ToolExecutionSummary] = Field(description="Newest first.")
    count: int
    org_id: str | None = None
    status: str | None = Field(None, description="The status filter that was applied.")


class ToolExecutionOutput(ApiResult):
    images: list[str] | None = Field(None, description="Generated images (data URLs or base64).")
    s3_urls: list[str] | None = None


class ToolExecution(ApiResult):
    execution_id: str
    tool_name: str
    status: str = Field(description="pending | running | complete | failed")
    result: ToolExecutionOutput | None = Field(None, description="Present when complete.")
    error: str | None = Field(None, description="Present when failed.")
    created_at: int | None = Field(None, description="Unix seconds.")
    started_at: int | None = None
    completed_at: int | None = None
    duration: float | None = Field(None, description="Seconds.")


class OrchestratedTool(ApiResult):
    execution_id: str | None = None
    tool_name: str | None = None
    status: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class ToolOrchestration(ApiResult):
    orchestration_id: str
    status: str = Field(description="pending | waiting_tools | synthesizing | complete | failed")
    tool_count: int | None = None
    completed_tools: int | None = None
    result: str | None = Field(None, description="The synthesised answer, once complete.")
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
            "List the platform's built-in tools (such as get_weather, calculate, search_web, generate_image) "
            "with their full specs: name, description and input JSON Schema. Use it to decide which names to "
            "allow in a chat's `allowedTools`; list_ai_tool_names is the short form."
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
        description="List only the names of the platform's built-in tools (for a chat's `allowedTools`).",
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
        description=(
            "List recent asynchronous runs of built-in tools (newest first; records expire after 24 h): "
            "execution id, tool, status and times. Filter by `status`; `limit` 1-100 (default 50). Use "
            "get_tool_execution for one run's result."
        ),
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
        description=(
            "Poll one asynchronous built-in tool run by its `executionId` (`exec_` + 32 hex). Status is "
            "pending, running, complete (with `result`, e.g. generated images) or failed (with `error`). "
            "Poll every few seconds; records expire after 24 h (then 404)."
        ),
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
        description=(
            "Poll a multi-tool orchestration (`orch_` + 32 hex) that a chat started when its answer needs "
            "several slow tools. Status is pending, waiting_tools, synthesizing, complete (the answer is in "
            "`result`) or failed. Poll every 2 s, for at most 10 minutes."
        ),
        route=Route("GET", V3 + "/tools/orchestrations/{orchestrationId}"),
        arguments=ToolOrchestrationArguments,
        result=ToolOrchestration,
        read_only=True,
        idempotent=True,
        operation_ids=("getAIOrchestrationStatus",),
        summary=lambda r: f"Orchestration {r['orchestrationId']}: {r['status']}",
    ),
]
