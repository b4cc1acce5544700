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
TaskId = PathId


class ListTasksArguments(ToolArguments):
    task_list_id: Annotated[str | None, QUERY] = None
    status: Annotated[TaskStatus | None, QUERY] = None
    assigned_agent_id: Annotated[str | None, QUERY] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100)] = None
    depends_on: Annotated[
        PathId | None,
        QUERY,
        Field(description="Tasks depending on this one (ids unless includeDetails)."),
    ] = None
    include_details: Annotated[bool | None, QUERY, Field(description="With dependsOn: return whole tasks, not only ids.")] = None


class TaskFields(ToolArguments):
    """What create and update share."""

    description: str | None = None
    metadata: dict[str, Any] | None = None
    max_retries: int | None = Field(None, ge=0, le=10)
    blocked_by_task_ids: list[PathId] | None = None
    depends_on: list[PathId] | None = Field(None, description="Task ids that must complete first.")


class CreateTaskArguments(TaskFields):
    title: Text
    task_list_id: str | None = Field(None, description="Task list to put it in (any string; created on first use).")
    status: TaskStatus | None = None
    assigned_agent_id: str | None = None
    created_by_agent_id: str | None = None
    blocked_reason: str | None = Field(None, description="Why it is blocked (status blocked).")


class UpdateTaskArguments(TaskFields):
    task_id: TaskId
    title: str | None = None
    task_list_id: str | None = None
    status: TaskStatus | None = None
    assigned_agent_id: str | None = None
    progress: float | None = Field(None, ge=0, le=1)
    progress_message: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    retry_count: int | None = Field(None, ge=0)
    blocked_reason: str | None = None


class TaskArguments(ToolArguments):
    task_id: TaskId


class DeleteTaskArguments(ToolArguments):
    task_id: TaskId
    cascade: Annotated[
        bool | None,
        QUERY,
    ] = None


class DependencyGraphArguments(ToolArguments):
    task_list_id: PathId


class Task(ApiResult):
    task_id: str | None = None
    org_id: str | None = None
    task_list_id: str | None = None
    title: str | None = None
    description: str | None = None
    status: str | None = None
    assigned_agent_id: str | None = None
    created_by_agent_id: str | None = None
    depends_on: list[str] | None = None
    metadata: dict[str, Any] | None = None
    progress: float | None = None
    progress_message: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    retry_count: int | None = None
    max_retries: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    started_at: int | None = None
    completed_at: int | None = None
    expires_at: int | None = None
    blocked_reason: str | None = None
    blocked_by_task_ids: list[str] | None = None
    blocked_at: int | None = None


class TaskList(ApiResult):
    tasks: list[Task] | None = None
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
    roots: list[str] | None = None
    leaves: list[str] | None = None
    graph: dict[str, Any] | None = None


OPERATIONS = [
    Operation(
        name="list_tasks",
        toolset=Toolset.TASKS,
        title="List tasks",
        description=("Tasks, by task list, status or assigned agent, or those depending on a task."),
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
        description=("Create a task (title, assignee, dependencies)."),
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
        description="One task in full: status, progress, result, dependencies, times.",
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
        description=("Change a task, e.g. report its status, progress, result or error."),
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
        description=("Delete a task, permanently (with its dependents if `cascade`)."),
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
        description=("A task list's dependency graph: roots ready to start, and leaves."),
        route=Route("GET", V3 + "/tasks/{taskListId}/dependency-graph"),
        arguments=DependencyGraphArguments,
        result=DependencyGraph,
        read_only=True,
        idempotent=True,
        operation_ids=("getDependencyGraph",),
        summary=lambda r: f"{r.get('taskCount')} task(s), {len(r.get('roots') or [])} root(s)",
    ),
]
