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

OrchestrationId = Annotated[PathId, Field(description="Orchestration id, from create_orchestration or list_orchestrations.")]
Status = Literal["pending", "running", "paused", "completed", "failed", "cancelled"]
Cursor = Annotated[str | None, QUERY, Field(description="`nextCursor` of the previous page.")]


class ListOrchestrationsArguments(ToolArguments):
    status: Annotated[Status | None, QUERY, Field(description="Only orchestrations in this status.")] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100, description="Page size, 1-100 (default 20).")] = None
    cursor: Cursor = None


class InputSource(WireModel):
    type: Literal["static", "task_query", "generator"] = Field(
        description="static: the `items` you give; task_query: tasks matching `taskQuery`; generator: items a model writes from `generatorPrompt`."
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
    name: Text = Field(description="Display name, e.g. 'Process batch documents'.")
    input_source: InputSource = Field(description="Where the items come from.")
    description: str | None = None
    agent_id: PathId | None = Field(None, description="Agent that processes each item.")
    tool_id: str | None = Field(None, description="Tool that processes each item (instead of an agent).")
    workflow_id: str | None = Field(None, description="Workflow that processes each item.")
    batch_size: int | None = Field(None, ge=1, le=100, description="Items per batch, 1-100 (default 10).")
    concurrency: int | None = Field(None, ge=1, le=10, description="Batches in parallel, 1-10 (default 1).")
    stop_condition: StopCondition | None = None
    assigned_skills: list[str] | None = Field(None, description="Skill ids the processing agent may load.")
    context: dict[str, Any] | None = Field(None, description="Shared data every item's run can read.")
    auto_start: bool | None = Field(
        None, description="Start at once (default true); false leaves it pending for start_orchestration."
    )


class OrchestrationArguments(ToolArguments):
    orchestration_id: OrchestrationId


class ListBatchesArguments(ToolArguments):
    orchestration_id: OrchestrationId
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100, description="Page size, 1-100 (default 20).")] = None
    cursor: Cursor = None


class OrchestrationList(ApiResult):
    orchestrations: list[dict[str, Any]] = Field(
        description="Orchestrations as the API describes them (id, name, status, progress)."
    )
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


class Batch(ApiResult):
    batch_id: str | None = None
    orchestration_id: str | None = None
    iteration: int | None = None
    item_count: int | None = None
    completed_count: int | None = None
    failed_count: int | None = None
    status: str | None = Field(None, description="pending | running | completed | failed")
    started_at: str | None = None
    completed_at: str | None = None
    error: str | None = None


class BatchList(ApiResult):
    batches: list[Batch]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


OPERATIONS = [
    Operation(
        name="list_orchestrations",
        toolset=Toolset.ORCHESTRATIONS,
        title="List orchestrations",
        description=(
            "List durable orchestrations, optionally by `status` (pending, running, paused, completed, failed, "
            "cancelled); page with `limit` (1-100, default 20) and `cursor`."
        ),
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
        "Create a durable orchestration that runs an agent (`agentId`), tool or workflow over many items in "
        "batches. `inputSource` says where items come from: `static` items, a `task_query`, or a `generator` "
        "prompt. Tune `batchSize` (1-100), `concurrency` (1-10) and `stopCondition`. It starts at once unless "
        "`autoStart: false`. Follow it with get_orchestration and list_orchestration_batches.",
        "createOrchestration",
    ),
    undocumented(
        Toolset.ORCHESTRATIONS,
        "get_orchestration",
        "Get orchestration",
        Route("GET", V3 + "/orchestrations/{orchestrationId}"),
        OrchestrationArguments,
        "Get one orchestration's details, status and progress.",
        "getOrchestration",
        read_only=True,
        idempotent=True,
    ),
    Operation(
        name="delete_orchestration",
        toolset=Toolset.ORCHESTRATIONS,
        title="Delete orchestration",
        description=(
            "Delete a finished orchestration (completed, failed or cancelled) and its records, permanently; "
            "cancel a running one first. The API answers with no body."
        ),
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
        description=(
            "List the batches an orchestration has processed: iteration, item, completed and failed counts, "
            "status, times and any error. Page with `limit` (1-100, default 20) and `cursor`."
        ),
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
        "Cancel an orchestration for good: no further batches run and it cannot be resumed (pause it to continue later).",
        "cancelOrchestration",
        destructive=True,
    ),
    undocumented(
        Toolset.ORCHESTRATIONS,
        "pause_orchestration",
        "Pause orchestration",
        Route("POST", V3 + "/orchestrations/{orchestrationId}/pause"),
        OrchestrationArguments,
        "Pause a running orchestration after its current batches; resume_orchestration continues it.",
        "pauseOrchestration",
    ),
    undocumented(
        Toolset.ORCHESTRATIONS,
        "resume_orchestration",
        "Resume orchestration",
        Route("POST", V3 + "/orchestrations/{orchestrationId}/resume"),
        OrchestrationArguments,
        "Resume a paused orchestration where it stopped.",
        "resumeOrchestration",
    ),
    undocumented(
        Toolset.ORCHESTRATIONS,
        "start_orchestration",
        "Start orchestration",
        Route("POST", V3 + "/orchestrations/{orchestrationId}/start"),
        OrchestrationArguments,
        "Start a pending orchestration (one created with `autoStart: false`).",
        "startOrchestration",
    ),
]
