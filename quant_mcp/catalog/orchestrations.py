"""Durable orchestrations: run an agent, tool or workflow over many items, in batches, for as long as it takes.

Items come from a static list, a task query, or a prompt that generates them. The run goes
pending → running → completed | failed | cancelled, can be paused and resumed, and is
inspected batch by batch. Most control answers are undocumented in the reference.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from quant_mcp.catalog.base import (
    QUERY,
    V3,
    ApiResult,
    Confirmation,
    Operation,
    PathId,
    Route,
    Text,
    ToolArguments,
    Toolset,
    WireModel,
    undocumented,
)

OrchestrationId = PathId
Status = Literal["pending", "running", "paused", "completed", "failed", "cancelled"]
Cursor = Annotated[str | None, QUERY]


class ListOrchestrationsArguments(ToolArguments):
    status: Annotated[Status | None, QUERY] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100)] = None
    cursor: Cursor = None


class InputSource(WireModel):
    type: Literal["static", "task_query", "generator"] = Field(
        description="static: `items`; task_query: `taskQuery`; generator: `generatorPrompt`."
    )
    items: list[dict[str, Any]] | None = Field(None, description="The items to process (static).")
    task_query: dict[str, Any] | None = Field(None, description="Task filter, e.g. {taskListId, status} (task_query).")
    generator_prompt: str | None = Field(None, description="Prompt that produces the items (generator).")


class StopCondition(WireModel):
    type: Literal["all_complete", "max_iterations", "condition", "manual"] | None = Field(
        None, description="When the run ends (default all_complete)."
    )
    max_iterations: int | None = Field(None, ge=1, description="With max_iterations: how many batches at most.")
    condition_prompt: str | None = Field(None, description="With condition: a question a model answers after each batch.")


class CreateOrchestrationArguments(ToolArguments):
    name: Text
    input_source: InputSource = Field(description="Where the items come from.")
    description: str | None = None
    agent_id: PathId | None = None
    tool_id: str | None = None
    workflow_id: str | None = None
    batch_size: int | None = Field(None, ge=1, le=100)
    concurrency: int | None = Field(None, ge=1, le=10)
    stop_condition: StopCondition | None = None
    assigned_skills: list[str] | None = None
    context: dict[str, Any] | None = None
    auto_start: bool | None = Field(None, description="false: pending until start_orchestration.")


class OrchestrationArguments(ToolArguments):
    orchestration_id: OrchestrationId


class ListBatchesArguments(ToolArguments):
    orchestration_id: OrchestrationId
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100)] = None
    cursor: Cursor = None


class OrchestrationList(ApiResult):
    orchestrations: list[dict[str, Any]] = Field(
        description="Orchestrations as the API describes them (id, name, status, progress)."
    )
    next_cursor: str | None = None


class Batch(ApiResult):
    batch_id: str | None = None
    orchestration_id: str | None = None
    iteration: int | None = None
    item_count: int | None = None
    completed_count: int | None = None
    failed_count: int | None = None
    status: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    error: str | None = None


class BatchList(ApiResult):
    batches: list[Batch]
    next_cursor: str | None = None


OPERATIONS = [
    Operation(
        name="list_orchestrations",
        toolset=Toolset.ORCHESTRATIONS,
        title="List orchestrations",
        description=("Durable batch orchestrations, by status, paged."),
        route=Route("GET", V3 + "/orchestrations"),
        arguments=ListOrchestrationsArguments,
        result=OrchestrationList,
        read_only=True,
        idempotent=True,
        operation_ids=("listOrchestrations",),
        summary=lambda r: f"{len(r['orchestrations'])} orchestration(s)",
    ),
    undocumented(
        Toolset.ORCHESTRATIONS,
        "create_orchestration",
        "Create orchestration",
        Route("POST", V3 + "/orchestrations"),
        CreateOrchestrationArguments,
        ("Run an agent, tool or workflow over many items in batches, durably (starts at once unless `autoStart: false`)."),
        "createOrchestration",
    ),
    undocumented(
        Toolset.ORCHESTRATIONS,
        "get_orchestration",
        "Get orchestration",
        Route("GET", V3 + "/orchestrations/{orchestrationId}"),
        OrchestrationArguments,
        "One orchestration's status and progress.",
        "getOrchestration",
        read_only=True,
        idempotent=True,
    ),
    Operation(
        name="delete_orchestration",
        toolset=Toolset.ORCHESTRATIONS,
        title="Delete orchestration",
        description=("Delete a finished orchestration and its records, permanently."),
        route=Route("DELETE", V3 + "/orchestrations/{orchestrationId}"),
        arguments=OrchestrationArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        operation_ids=("deleteOrchestration",),
        summary=lambda r: "Orchestration deleted",
    ),
    Operation(
        name="list_orchestration_batches",
        toolset=Toolset.ORCHESTRATIONS,
        title="List orchestration batches",
        description=("The batches an orchestration has processed, paged."),
        route=Route("GET", V3 + "/orchestrations/{orchestrationId}/batches"),
        arguments=ListBatchesArguments,
        result=BatchList,
        read_only=True,
        idempotent=True,
        operation_ids=("listOrchestrationBatches",),
        summary=lambda r: f"{len(r['batches'])} batch(es)",
    ),
    undocumented(
        Toolset.ORCHESTRATIONS,
        "cancel_orchestration",
        "Cancel orchestration",
        Route("POST", V3 + "/orchestrations/{orchestrationId}/cancel"),
        OrchestrationArguments,
        "Stop an orchestration for good (pause_orchestration to continue later).",
        "cancelOrchestration",
        destructive=True,
    ),
    undocumented(
        Toolset.ORCHESTRATIONS,
        "pause_orchestration",
        "Pause orchestration",
        Route("POST", V3 + "/orchestrations/{orchestrationId}/pause"),
        OrchestrationArguments,
        "Pause a running orchestration after its current batches.",
        "pauseOrchestration",
    ),
    undocumented(
        Toolset.ORCHESTRATIONS,
        "resume_orchestration",
        "Resume orchestration",
        Route("POST", V3 + "/orchestrations/{orchestrationId}/resume"),
        OrchestrationArguments,
        "Resume a paused orchestration.",
        "resumeOrchestration",
    ),
    undocumented(
        Toolset.ORCHESTRATIONS,
        "start_orchestration",
        "Start orchestration",
        Route("POST", V3 + "/orchestrations/{orchestrationId}/start"),
        OrchestrationArguments,
        "Start a pending orchestration (created with `autoStart: false`).",
        "startOrchestration",
    ),
]
