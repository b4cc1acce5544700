"""Agent tasks: one store per organisation, read by the task routes and by orchestrations
(whose `task_query` input source takes the matching tasks as its items).

Times are epoch milliseconds, as documented. A status change sets the matching
timestamp: `in_progress` sets startedAt (the first time), a terminal status
(completed, failed, cancelled) sets completedAt (completed also sets progress to 1),
`blocked` sets blockedAt; leaving `blocked` clears blockedAt, blockedReason and
blockedByTaskIds, and leaving a terminal status clears completedAt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..core.errors import bad_request, found_or_404

TERMINAL = frozenset({"completed", "failed", "cancelled"})


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class Task:
    id: str
    org_id: str
    title: str
    description: str
    task_list_id: str | None
    status: str
    assigned_agent_id: str | None
    created_by_agent_id: str | None
    depends_on: list[str]
    metadata: dict[str, Any]
    max_retries: int
    created_at: int
    updated_at: int
    blocked_reason: str | None = None
    blocked_by_task_ids: list[str] | None = None
    progress: float = 0.0
    progress_message: str = ""
    result: dict[str, Any] | None = None
    error: str | None = None
    retry_count: int = 0
    started_at: int | None = None
    completed_at: int | None = None
    blocked_at: int | None = None
    expires_at: int | None = None  # the simulator keeps tasks until they are deleted

    def enter(self, status: str, now: int) -> None:
        """Move to `status`, setting and clearing timestamps as the module docstring says."""
        if status == self.status:
            return
        if self.status == "blocked":
            self.blocked_at, self.blocked_reason, self.blocked_by_task_ids = None, None, None
        if self.status in TERMINAL:
            self.completed_at = None
        if status == "in_progress" and self.started_at is None:
            self.started_at = now
        elif status in TERMINAL:
            self.completed_at = now
            if status == "completed":
                self.progress = 1.0
        elif status == "blocked":
            self.blocked_at = now
        self.status = status

    def summary(self) -> dict[str, Any]:
        return {
            "taskId": self.id,
            "orgId": self.org_id,
            "taskListId": self.task_list_id,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "assignedAgentId": self.assigned_agent_id,
            "progress": self.progress,
            "blockedReason": self.blocked_reason,
            "blockedByTaskIds": self.blocked_by_task_ids,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "createdByAgentId": self.created_by_agent_id,
            "dependsOn": self.depends_on,
            "metadata": self.metadata,
            "progressMessage": self.progress_message,
            "result": self.result,
            "error": self.error,
            "retryCount": self.retry_count,
            "maxRetries": self.max_retries,
            "startedAt": self.started_at,
            "completedAt": self.completed_at,
            "expiresAt": self.expires_at,
            "blockedAt": self.blocked_at,
        }


@dataclass
class TaskStore:
    """One organisation's tasks, in creation order."""

    tasks: dict[str, Task] = field(default_factory=dict)

    def get(self, task_id: str) -> Task:
        return found_or_404(self.tasks.get(task_id), "Task", task_id)

    def dependents(self, task_id: str) -> list[str]:
        """The tasks that depend on `task_id` directly."""
        return [t.id for t in self.tasks.values() if task_id in t.depends_on]

    def depending_on(self, task_id: str) -> list[str]:
        """Every task that depends on `task_id`, directly or not."""
        found: list[str] = []
        pending = self.dependents(task_id)
        while pending:
            current = pending.pop()
            if current not in found:
                found.append(current)
                pending += self.dependents(current)
        return found

    def check_references(
        self, field_name: str, task_ids: list[str] | None, task_id: str | None = None, acyclic: bool = False
    ) -> None:
        """400 unless every id names another existing task (and, with `acyclic`, none depends on `task_id`)."""
        for index, other in enumerate(task_ids or []):
            where = f"{field_name}[{index}]"
            if other == task_id:
                raise bad_request(where, "a task cannot refer to itself")
            if other not in self.tasks:
                raise bad_request(where, f"task '{other}' not found")
            if acyclic and task_id is not None and other in self.depending_on(task_id):
                raise bad_request(where, f"task '{other}' depends on this task, so this would make a cycle")
