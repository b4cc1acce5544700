"""AIOrchestrations: durable runs of an agent, tool or workflow over a list of items, in batches.

Lifecycle: `pending` -(start)-> `running` <-(pause/resume)-> `paused`; a running
orchestration becomes `completed` by itself; `cancel` ends any unfinished one
(`cancelled`). Creating starts it at once unless `autoStart` is false. A transition
from the wrong status is a 400 naming the current status. Only finished
orchestrations (completed, failed, cancelled) can be deleted (204; 400 otherwise).

Progress follows the simulated clock, so tests drive it with `advance_clock`: a
running orchestration finishes one batch of `batchSize` items every `BATCH_SECONDS`
of running time (paused time does not count). It completes after its last batch,
or after `maxIterations` batches (stop condition `max_iterations`); with stop
condition `manual` it stays running once its items are done, until cancelled.
Items come from the input source: `static` takes `items`; `task_query` takes the
organisation's tasks matching `taskQuery` (`taskListId`, `status`) when it is
created; `generator` makes `GENERATED_ITEMS` items from `generatorPrompt`.

The reference documents no body for create, get and the transitions. The simulator
answers `{orchestration}` (get) and `{success, orchestration, message}` (create and
transitions), `orchestration` being the object that list items also use:
`{orchestrationId, name, description, status, agentId, toolId, workflowId,
inputSource: {type, itemCount}, batchSize, concurrency, stopCondition, assignedSkills,
context, progress: {totalItems, processedItems, completedItems, failedItems,
totalBatches, completedBatches, percent}, createdAt, startedAt, completedAt}`.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import ApiError, bad_request, found_or_404
from ..core.requests import WireModel, organisation_data, parse_body, parse_query, simulator_state
from ..core.routing import Endpoint, v3
from ..core.state import timestamp
from ..services.paging import page
from ..services.tasks import TaskStore

BATCH_SECONDS = 60
GENERATED_ITEMS = 5
FINISHED = frozenset({"completed", "failed", "cancelled"})
Status = Literal["pending", "running", "paused", "completed", "failed", "cancelled"]


class InputSource(WireModel):
    type: Literal["static", "task_query", "generator"]
    items: list[dict[str, Any]] | None = None
    task_query: dict[str, Any] | None = None
    generator_prompt: str | None = Field(None, min_length=1)


class StopCondition(WireModel):
    type: Literal["all_complete", "max_iterations", "condition", "manual"] = "all_complete"
    max_iterations: int | None = Field(None, ge=1)
    condition_prompt: str | None = None

    def to_json(self) -> dict[str, Any]:
        wire = {"type": self.type, "maxIterations": self.max_iterations, "conditionPrompt": self.condition_prompt}
        return {key: value for key, value in wire.items() if value is not None}


class CreateOrchestration(WireModel):
    name: str = Field(min_length=1)
    description: str | None = None
    agent_id: str | None = None
    tool_id: str | None = None
    workflow_id: str | None = None
    input_source: InputSource
    batch_size: int = Field(10, ge=1, le=100)
    concurrency: int = Field(1, ge=1, le=10)
    stop_condition: StopCondition = Field(default_factory=lambda: StopCondition.model_validate({}))
    assigned_skills: list[str] = Field(default_factory=list)
    context: dict[str, Any] | None = None
    auto_start: bool = True


class ListOrchestrations(WireModel):
    status: Status | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = None


class ListBatches(WireModel):
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = None


@dataclass
class Orchestration:
    id: str
    request: CreateOrchestration
    items: list[dict[str, Any]]
    created_at: datetime
    status: str = "pending"
    runs: list[list[datetime]] = field(default_factory=list)  # [start] or [start, end] spans of running time
    ended_at: datetime | None = None

    @property
    def total_batches(self) -> int:
        batches = math.ceil(len(self.items) / self.request.batch_size)
        stop = self.request.stop_condition
        return min(batches, stop.max_iterations) if stop.type == "max_iterations" and stop.max_iterations else batches

    def _running_seconds(self, now: datetime) -> float:
        return sum(((run[1] if len(run) == 2 else now) - run[0]).total_seconds() for run in self.runs)

    def _moment(self, running_seconds: float) -> datetime:
        """The wall-clock moment at which the orchestration had run for `running_seconds`."""
        for run in self.runs:
            span = (run[1] - run[0]).total_seconds() if len(run) == 2 else math.inf
            if running_seconds <= span:
                return run[0] + timedelta(seconds=running_seconds)
            running_seconds -= span
        return self.runs[-1][-1]

    def completed_batches(self, now: datetime) -> int:
        return min(self.total_batches, int(self._running_seconds(now) // BATCH_SECONDS))

    def settle(self, now: datetime) -> None:
        """Complete a running orchestration whose last batch finished before `now`."""
        if self.status != "running" or self.request.stop_condition.type == "manual":
            return
        if self.completed_batches(now) >= self.total_batches:
            self.ended_at = self._moment(self.total_batches * BATCH_SECONDS)
            self.runs[-1].append(self.ended_at)
            self.status = "completed"

    def move(self, action: str, now: datetime) -> None:
        """Apply start/pause/resume/cancel, or 400 when the current status does not allow it."""
        allowed = {
            "start": ("pending",),
            "pause": ("running",),
            "resume": ("paused",),
            "cancel": ("pending", "running", "paused"),
        }
        if self.status not in allowed[action]:
            raise bad_request("status", f"cannot {action} an orchestration that is {self.status}")
        if self.status == "running":
            self.runs[-1].append(now)
        if action in ("start", "resume"):
            self.runs.append([now])
        self.status = {"start": "running", "pause": "paused", "resume": "running", "cancel": "cancelled"}[action]
        if action == "cancel":
            self.ended_at = now
        self.settle(now)

    def batches(self, now: datetime) -> list[dict[str, Any]]:
        """The batches processed so far, and the one in progress while running."""
        done = self.completed_batches(now)
        count = done + (1 if self.status == "running" and done < self.total_batches else 0)
        size = self.request.batch_size
        return [
            {
                "batchId": f"{self.id}-batch-{index + 1}",
                "orchestrationId": self.id,
                "iteration": index + 1,
                "itemCount": len(self.items[index * size : (index + 1) * size]),
                "completedCount": len(self.items[index * size : (index + 1) * size]) if index < done else 0,
                "failedCount": 0,
                "status": "completed" if index < done else "running",
                "startedAt": timestamp(self._moment(index * BATCH_SECONDS)),
                **({"completedAt": timestamp(self._moment((index + 1) * BATCH_SECONDS))} if index < done else {}),
                "error": None,
            }
            for index in range(count)
        ]

    def to_json(self, now: datetime) -> dict[str, Any]:
        request, done = self.request, self.completed_batches(now)
        processed = min(len(self.items), done * request.batch_size)
        total = min(len(self.items), self.total_batches * request.batch_size)
        return {
            "orchestrationId": self.id,
            "name": request.name,
            "description": request.description,
            "status": self.status,
            "agentId": request.agent_id,
            "toolId": request.tool_id,
            "workflowId": request.workflow_id,
            "inputSource": {"type": request.input_source.type, "itemCount": len(self.items)},
            "batchSize": request.batch_size,
            "concurrency": request.concurrency,
            "stopCondition": request.stop_condition.to_json(),
            "assignedSkills": request.assigned_skills,
            "context": request.context,
            "progress": {
                "totalItems": total,
                "processedItems": processed,
                "completedItems": processed,
                "failedItems": 0,
                "totalBatches": self.total_batches,
                "completedBatches": done,
                "percent": round(100 * processed / total, 1) if total else 100.0,
            },
            "createdAt": timestamp(self.created_at),
            "startedAt": timestamp(self.runs[0][0]) if self.runs else None,
            "completedAt": timestamp(self.ended_at) if self.ended_at else None,
        }


class OrchestrationStore(dict[str, Orchestration]):
    """One organisation's orchestrations by id."""


def _items(request: Request, source: InputSource) -> list[dict[str, Any]]:
    """The items an orchestration works through, from its input source (400 when the source lacks them)."""
    if source.type == "static":
        if not source.items:
            raise bad_request("inputSource.items", "is required (at least one item) for a static input source")
        return source.items
    if source.type == "task_query":
        if source.task_query is None:
            raise bad_request("inputSource.taskQuery", "is required for a task_query input source")
        wanted = source.task_query
        tasks = organisation_data(request).get(TaskStore).tasks.values()
        return [
            {"taskId": t.id, "title": t.title}
            for t in tasks
            if wanted.get("taskListId") in (None, t.task_list_id) and wanted.get("status") in (None, t.status)
        ]
    if not source.generator_prompt:
        raise bad_request("inputSource.generatorPrompt", "is required for a generator input source")
    return [{"item": index + 1, "prompt": source.generator_prompt} for index in range(GENERATED_ITEMS)]


def _orchestration(request: Request) -> Orchestration:
    orchestration_id = request.path_params["orchestrationId"]
    stored = organisation_data(request).get(OrchestrationStore).get(orchestration_id)
    orchestration = found_or_404(stored, "Orchestration", orchestration_id)
    orchestration.settle(simulator_state(request).now())
    return orchestration


async def create_orchestration(request: Request) -> Response:
    body = await parse_body(request, CreateOrchestration)
    stop = body.stop_condition
    if stop.type == "max_iterations" and stop.max_iterations is None:
        raise bad_request("stopCondition.maxIterations", "is required for the max_iterations stop condition")
    if stop.type == "condition" and not stop.condition_prompt:
        raise bad_request("stopCondition.conditionPrompt", "is required for the condition stop condition")
    now = simulator_state(request).now()
    orchestration = Orchestration(str(uuid.uuid4()), body, _items(request, body.input_source), now)
    organisation_data(request).get(OrchestrationStore)[orchestration.id] = orchestration
    if body.auto_start:
        orchestration.move("start", now)
    message = f"Orchestration '{body.name}' created" + (" and started" if body.auto_start else "")
    return JSONResponse({"success": True, "orchestration": orchestration.to_json(now), "message": message}, status_code=201)


async def list_orchestrations(request: Request) -> Response:
    query = parse_query(request, ListOrchestrations)
    now = simulator_state(request).now()
    orchestrations = list(reversed(organisation_data(request).get(OrchestrationStore).values()))
    for orchestration in orchestrations:
        orchestration.settle(now)
    matching = [o for o in orchestrations if query.status is None or o.status == query.status]
    shown, next_cursor = page(matching, query.limit, query.cursor)
    return JSONResponse({"orchestrations": [o.to_json(now) for o in shown], "nextCursor": next_cursor})


async def get_orchestration(request: Request) -> Response:
    return JSONResponse({"orchestration": _orchestration(request).to_json(simulator_state(request).now())})


async def delete_orchestration(request: Request) -> Response:
    orchestration = _orchestration(request)
    if orchestration.status not in FINISHED:
        message = (
            f"Orchestration '{orchestration.id}' is {orchestration.status}: only finished ones can be deleted, cancel it first"
        )
        raise ApiError(400, message)
    del organisation_data(request).get(OrchestrationStore)[orchestration.id]
    return Response(status_code=204)


async def list_batches(request: Request) -> Response:
    query = parse_query(request, ListBatches)
    orchestration = _orchestration(request)
    shown, next_cursor = page(orchestration.batches(simulator_state(request).now()), query.limit, query.cursor)
    return JSONResponse({"batches": shown, "nextCursor": next_cursor})


def _transition(action: str, past: str) -> Endpoint:
    """The handler of one lifecycle action (start, pause, resume, cancel)."""

    async def handler(request: Request) -> Response:
        orchestration = _orchestration(request)
        now = simulator_state(request).now()
        orchestration.move(action, now)
        return JSONResponse({"success": True, "orchestration": orchestration.to_json(now), "message": f"Orchestration {past}"})

    return handler


ROUTES = [
    *v3("GET", "/orchestrations", list_orchestrations, "listOrchestrations"),
    *v3("POST", "/orchestrations", create_orchestration, "createOrchestration"),
    *v3("GET", "/orchestrations/{orchestrationId}", get_orchestration, "getOrchestration"),
    *v3("DELETE", "/orchestrations/{orchestrationId}", delete_orchestration, "deleteOrchestration"),
    *v3("GET", "/orchestrations/{orchestrationId}/batches", list_batches, "listOrchestrationBatches"),
    *v3("POST", "/orchestrations/{orchestrationId}/start", _transition("start", "started"), "startOrchestration"),
    *v3("POST", "/orchestrations/{orchestrationId}/pause", _transition("pause", "paused"), "pauseOrchestration"),
    *v3("POST", "/orchestrations/{orchestrationId}/resume", _transition("resume", "resumed"), "resumeOrchestration"),
    *v3("POST", "/orchestrations/{orchestrationId}/cancel", _transition("cancel", "cancelled"), "cancelOrchestration"),
]
