"""Tasks: work items agents create, claim and report progress on, grouped in task lists.

A task moves through pending → in_progress → completed | failed | cancelled (or blocked,
with a reason); the API stamps the times of each transition. Tasks can depend on others,
and a task list's dependency graph shows what can run first. Times are unix seconds.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from quant_mcp.catalog.base import QUERY, V3, ApiResult, Operation, PathId, Route, Text, ToolArguments, Toolset

TaskStatus = Literal["pending", "in_progress", "completed", "failed", "cancelled", "blocked"]
TaskId = Annotated[PathId, Field(description="Task id (a UUID), from create_task or list_tasks.")]


class ListTasksArguments(ToolArguments):
    task_list_id: Annotated[str | None, QUERY, Field(description="Only tasks in this task list.")] = None
    status: Annotated[TaskStatus | None, QUERY, Field(description="Only tasks in this status.")] = None
    assigned_agent_id: Annotated[str | None, QUERY, Field(description="Only tasks assigned to this agent.")] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100, description="Page size, 1-100 (default 50).")] = None
    depends_on: Annotated[
        PathId | None,
        QUERY,
        Field(description="Only tasks that depend on this task id (answers `taskIds` unless includeDetails)."),
    ] = None
    include_details: Annotated[bool | None, QUERY, Field(description="With dependsOn: return whole tasks, not only ids.")] = None


class TaskFields(ToolArguments):
    """What create and update share."""

    description: str | None = Field(None, description="What needs doing.")
    metadata: dict[str, Any] | None = Field(None, description="Any data to keep with the task.")
    max_retries: int | None = Field(None, ge=0, le=10, description="Retries allowed after failure, 0-10 (default 3).")
    blocked_by_task_ids: list[PathId] | None = Field(None, description="Tasks that block this one.")
    depends_on: list[PathId] | None = Field(None, description="Task ids that must complete first.")


class CreateTaskArguments(TaskFields):
    title: Text = Field(description="Short title.")
    task_list_id: str | None = Field(None, description="Task list to put it in (any string; created on first use).")
    status: TaskStatus | None = Field(None, description="Initial status (default pending).")
    assigned_agent_id: str | None = Field(None, description="Agent that should do it.")
    created_by_agent_id: str | None = Field(None, description="Agent that created it.")
    blocked_reason: str | None = Field(None, description="Why it is blocked (status blocked).")


class UpdateTaskArguments(TaskFields):
    task_id: TaskId
    title: str | None = None
    task_list_id: str | None = Field(None, description="Move it to this task list.")
    status: TaskStatus | None = Field(None, description="New status; the API stamps startedAt / completedAt / blockedAt.")
    assigned_agent_id: str | None = Field(None, description="Reassign it to this agent.")
    progress: float | None = Field(None, ge=0, le=1, description="Progress, 0-1.")
    progress_message: str | None = Field(None, description="What is happening now.")
    result: dict[str, Any] | None = Field(None, description="The outcome, when completed.")
    error: str | None = Field(None, description="What went wrong, when failed.")
    retry_count: int | None = Field(None, ge=0, description="Retries so far.")
    blocked_reason: str | None = Field(None, description="Why it is blocked.")


class TaskArguments(ToolArguments):
    task_id: TaskId


class DeleteTaskArguments(ToolArguments):
    task_id: TaskId
    cascade: Annotated[
        bool | None, QUERY, Field(description="true: also delete tasks that depend on it (otherwise such a task fails with 409).")
    ] = None


class DependencyGraphArguments(ToolArguments):
    task_list_id: Annotated[PathId, Field(description="Task list id.")]


class Task(ApiResult):
    task_id: str | None = None
    org_id: str | None = None
    task_list_id: str | None = None
    title: str | None = None
    description: str | None = None
    status: str | None = Field(None, description="pending | in_progress | completed | failed | cancelled | blocked")
    assigned_agent_id: str | None = None
    created_by_agent_id: str | None = None
    depends_on: list[str] | None = None
    metadata: dict[str, Any] | None = None
    progress: float | None = Field(None, description="0-1.")
    progress_message: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    retry_count: int | None = None
    max_retries: int | None = None
    created_at: int | None = Field(None, description="Unix seconds.")
    updated_at: int | None = None
    started_at: int | None = None
    completed_at: int | None = None
    expires_at: int | None = None
    blocked_reason: str | None = None
    blocked_by_task_ids: list[str] | None = None
    blocked_at: int | None = None


class TaskList(ApiResult):
    tasks: list[Task] | None = Field(None, description="The matching tasks (absent when only ids were asked for).")
    task_ids: list[str] | None = Field(None, description="With dependsOn (without includeDetails): ids of the dependent tasks.")
    count: int | None = None
    depends_on: str | None = None


class TaskCreated(ApiResult):
    task_id: str | None = None
    org_id: str | None = None
    title: str | None = None
    status: str | None = None
    created_at: int | None = None


class TaskUpdated(ApiResult):
    task_id: str | None = None
    status: str | None = None
    updated_at: int | None = None


class TasksDeleted(ApiResult):
    deleted: bool | None = None
    deleted_count: int | None = None
    deleted_task_ids: list[str] | None = None


class DependencyGraph(ApiResult):
    task_list_id: str | None = None
    task_count: int | None = None
    roots: list[str] | None = Field(None, description="Tasks that depend on nothing: they can start now.")
    leaves: list[str] | None = Field(None, description="Tasks nothing depends on.")
    graph: dict[str, Any] | None = Field(None, description="Task id -> the ids it depends on.")


OPERATIONS = [
    Operation(
        name="list_tasks",
        toolset=Toolset.TASKS,
        title="List tasks",
        description=(
            "List tasks, filtered by `taskListId`, `status` or `assignedAgentId`; `limit` 1-100 (default 50). "
            "With `dependsOn` it lists the tasks depending on that task (ids only, unless `includeDetails`)."
        ),
        route=Route("GET", V3 + "/tasks"),
        arguments=ListTasksArguments,
        result=TaskList,
        read_only=True,
        idempotent=True,
        operation_ids=("listTasks",),
        summary=lambda r: f"{r.get('count', len(r.get('tasks') or r.get('taskIds') or []))} task(s)",
    ),
    Operation(
        name="create_task",
        toolset=Toolset.TASKS,
        title="Create task",
        description=(
            "Create a task with a `title` (and optionally description, task list, assignee agent, "
            "dependencies and metadata). It starts pending unless you give a `status`. Returns its `taskId`."
        ),
        route=Route("POST", V3 + "/tasks"),
        arguments=CreateTaskArguments,
        result=TaskCreated,
        operation_ids=("createTask",),
        summary=lambda r: f"Created task {r.get('taskId')} ({r.get('status')})",
    ),
    Operation(
        name="get_task",
        toolset=Toolset.TASKS,
        title="Get task",
        description="Get one task in full: status, progress, result or error, dependencies, retries and the time of each transition.",
        route=Route("GET", V3 + "/tasks/{taskId}"),
        arguments=TaskArguments,
        result=Task,
        read_only=True,
        idempotent=True,
        operation_ids=("getTask",),
        summary=lambda r: f"Task {r.get('title')!r}: {r.get('status')}",
    ),
    Operation(
        name="update_task",
        toolset=Toolset.TASKS,
        title="Update task",
        description=(
            "Change a task: only the fields you pass change. Report work with `status` (in_progress, "
            "completed, failed, blocked...), `progress` (0-1), `progressMessage`, `result` or `error`; the API "
            "stamps the transition times."
        ),
        route=Route("PUT", V3 + "/tasks/{taskId}"),
        arguments=UpdateTaskArguments,
        result=TaskUpdated,
        idempotent=True,
        operation_ids=("updateTask",),
        summary=lambda r: f"Task {r.get('taskId')} is {r.get('status')}",
    ),
    Operation(
        name="delete_task",
        toolset=Toolset.TASKS,
        title="Delete task",
        description=(
            "Delete a task, permanently. A task other tasks depend on fails with 409 unless `cascade: true`, "
            "which deletes the dependents too. Returns the deleted ids."
        ),
        route=Route("DELETE", V3 + "/tasks/{taskId}"),
        arguments=DeleteTaskArguments,
        result=TasksDeleted,
        destructive=True,
        idempotent=True,
        operation_ids=("deleteTask",),
        summary=lambda r: f"Deleted {r.get('deletedCount', 0)} task(s)",
    ),
    Operation(
        name="get_task_dependency_graph",
        toolset=Toolset.TASKS,
        title="Get task dependency graph",
        description=(
            "Get the dependency graph of a task list: which tasks depend on which, the roots (ready to start) and the leaves."
        ),
        route=Route("GET", V3 + "/tasks/{taskListId}/dependency-graph"),
        arguments=DependencyGraphArguments,
        result=DependencyGraph,
        read_only=True,
        idempotent=True,
        operation_ids=("getDependencyGraph",),
        summary=lambda r: f"{r.get('taskCount')} task(s), {len(r.get('roots') or [])} root(s)",
    ),
]
