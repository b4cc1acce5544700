"""AITaskManagement: an organisation's tasks for agents, with dependencies between them.

The store and the status transitions (which set timestamps) live in services/tasks.py.
`dependsOn` and `blockedByTaskIds` must name existing tasks, and `dependsOn` may not
create a cycle (400). Deleting a task that others depend on is a 409
TASK_HAS_DEPENDENTS unless `cascade=true`, which also deletes every task that
depends on it, directly or not.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field
from pydantic.alias_generators import to_camel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import ApiError, bad_request
from ..core.requests import WireModel, organisation_data, parse_body, parse_query, simulator_state
from ..core.routing import v3
from ..services.tasks import Task, TaskStore, epoch_ms

TaskStatus = Literal["pending", "in_progress", "completed", "failed", "cancelled", "blocked"]


class CreateTask(WireModel):
    title: str = Field(min_length=1)
    description: str = ""
    task_list_id: str | None = None
    status: TaskStatus = "pending"
    assigned_agent_id: str | None = None
    created_by_agent_id: str | None = None
    depends_on: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    max_retries: int = Field(3, ge=0, le=10)
    blocked_reason: str | None = None
    blocked_by_task_ids: list[str] | None = None


class UpdateTask(WireModel):
    """Every field optional; only the fields sent change, and null clears a nullable one."""

    title: str | None = Field(None, min_length=1)
    description: str | None = None
    task_list_id: str | None = None
    status: TaskStatus | None = None
    assigned_agent_id: str | None = None
    depends_on: list[str] | None = None
    metadata: dict[str, Any] | None = None
    progress: float | None = Field(None, ge=0, le=1)
    progress_message: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    retry_count: int | None = Field(None, ge=0)
    max_retries: int | None = Field(None, ge=0, le=10)
    blocked_reason: str | None = None
    blocked_by_task_ids: list[str] | None = None


class ListTasks(WireModel):
    task_list_id: str | None = None
    status: TaskStatus | None = None
    assigned_agent_id: str | None = None
    limit: int = Field(50, ge=1, le=100)
    depends_on: str | None = None
    include_details: bool = False


class DeleteTask(WireModel):
    cascade: bool = False


_NULLABLE = {"task_list_id", "assigned_agent_id", "result", "error", "blocked_reason", "blocked_by_task_ids"}


def _store(request: Request) -> TaskStore:
    return organisation_data(request).get(TaskStore)


async def create_task(request: Request) -> Response:
    body = await parse_body(request, CreateTask)
    store = _store(request)
    store.check_references("dependsOn", body.depends_on)
    store.check_references("blockedByTaskIds", body.blocked_by_task_ids)
    now = epoch_ms(simulator_state(request).now())
    task = Task(
        str(uuid.uuid4()),
        request.path_params["organisation"],
        body.title,
        body.description,
        body.task_list_id,
        "pending",
        body.assigned_agent_id,
        body.created_by_agent_id,
        body.depends_on,
        body.metadata,
        body.max_retries,
        now,
        now,
        body.blocked_reason,
        body.blocked_by_task_ids,
    )
    task.enter(body.status, now)
    store.tasks[task.id] = task
    return JSONResponse(
        {"taskId": task.id, "orgId": task.org_id, "title": task.title, "status": task.status, "createdAt": now}, status_code=201
    )


async def list_tasks(request: Request) -> Response:
    query = parse_query(request, ListTasks)
    store = _store(request)
    tasks = [
        t
        for t in store.tasks.values()
        if (query.task_list_id is None or t.task_list_id == query.task_list_id)
        and (query.status is None or t.status == query.status)
        and (query.assigned_agent_id is None or t.assigned_agent_id == query.assigned_agent_id)
        and (query.depends_on is None or query.depends_on in t.depends_on)
    ][: query.limit]
    if query.depends_on is None:
        return JSONResponse({"tasks": [t.summary() for t in tasks], "count": len(tasks)})
    found: dict[str, Any] = (
        {"tasks": [t.summary() for t in tasks]} if query.include_details else {"taskIds": [t.id for t in tasks]}
    )
    return JSONResponse({"dependsOn": query.depends_on, **found, "count": len(tasks)})


async def get_task(request: Request) -> Response:
    return JSONResponse(_store(request).get(request.path_params["taskId"]).detail())


async def update_task(request: Request) -> Response:
    body = await parse_body(request, UpdateTask)
    store = _store(request)
    task = store.get(request.path_params["taskId"])
    sent = body.model_fields_set
    for name in sent - _NULLABLE:
        if getattr(body, name) is None:
            raise bad_request(to_camel(name), "cannot be null")
    store.check_references("dependsOn", body.depends_on, task.id, acyclic=True)
    store.check_references("blockedByTaskIds", body.blocked_by_task_ids, task.id)
    now = epoch_ms(simulator_state(request).now())
    if body.status is not None:
        task.enter(body.status, now)
    for name in sent - {"status"}:
        setattr(task, name, getattr(body, name))
    task.updated_at = now
    return JSONResponse({"taskId": task.id, "status": task.status, "updatedAt": now})


async def delete_task(request: Request) -> Response:
    cascade = parse_query(request, DeleteTask).cascade
    store = _store(request)
    task = store.get(request.path_params["taskId"])
    dependents = store.dependents(task.id)
    if dependents and not cascade:
        raise ApiError(
            409,
            f"Task '{task.id}' has {len(dependents)} dependent task(s); delete them first or pass cascade=true",
            error="TASK_HAS_DEPENDENTS",
            dependentTaskIds=dependents,
        )
    deleted = [task.id, *store.depending_on(task.id)]
    for task_id in deleted:
        del store.tasks[task_id]
    for remaining in store.tasks.values():
        if remaining.blocked_by_task_ids:
            remaining.blocked_by_task_ids = [other for other in remaining.blocked_by_task_ids if other not in deleted]
    return JSONResponse({"deleted": True, "deletedCount": len(deleted), "deletedTaskIds": deleted})


async def dependency_graph(request: Request) -> Response:
    """The tasks of one list: `graph` maps each to its dependencies and dependents inside the list."""
    task_list_id = request.path_params["taskListId"]
    tasks = [t for t in _store(request).tasks.values() if t.task_list_id == task_list_id]
    ids = {t.id for t in tasks}
    graph = {
        t.id: {
            "title": t.title,
            "status": t.status,
            "dependsOn": [d for d in t.depends_on if d in ids],
            "dependents": [o.id for o in tasks if t.id in o.depends_on],
        }
        for t in tasks
    }
    return JSONResponse(
        {
            "taskListId": task_list_id,
            "taskCount": len(tasks),
            "roots": [task_id for task_id, node in graph.items() if not node["dependsOn"]],
            "leaves": [task_id for task_id, node in graph.items() if not node["dependents"]],
            "graph": graph,
        }
    )


ROUTES = [
    *v3("GET", "/tasks", list_tasks, "listTasks"),
    *v3("POST", "/tasks", create_task, "createTask"),
    *v3("GET", "/tasks/{taskId}", get_task, "getTask"),
    *v3("PUT", "/tasks/{taskId}", update_task, "updateTask"),
    *v3("DELETE", "/tasks/{taskId}", delete_task, "deleteTask"),
    *v3("GET", "/tasks/{taskListId}/dependency-graph", dependency_graph, "getDependencyGraph"),
]
