"""Server-side tool executions: records of built-in tools the server ran for a chat.

They are created when a chat request sets `toolConfig.autoExecute` and allows the
tool, and are polled through the tools API. Records expire after 24 hours (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..core.errors import ApiError
from ..core.state import timestamp
from ..engine.tools import BuiltinTool, ToolFailure

RETENTION = timedelta(hours=24)


@dataclass
class ToolExecution:
    id: str
    tool_name: str
    status: str  # complete | failed (the simulator runs tools synchronously)
    created_at: datetime
    result: dict[str, Any] | None = None
    error: str | None = None

    def detail(self) -> dict[str, Any]:
        """The status-poll shape: times are unix seconds, as documented for this route."""
        unix = int(self.created_at.timestamp())
        body: dict[str, Any] = {
            "executionId": self.id,
            "toolName": self.tool_name,
            "status": self.status,
            "createdAt": unix,
            "startedAt": unix,
            "completedAt": unix,
            "duration": 0.0,
        }
        if self.result is not None:
            body["result"] = self.result
        if self.error is not None:
            body["error"] = self.error
        return body

    def summary(self) -> dict[str, Any]:
        """The list item shape: times are date-time strings, as documented for the list route."""
        moment = timestamp(self.created_at)
        return {
            "executionId": self.id,
            "toolName": self.tool_name,
            "status": self.status,
            "createdAt": moment,
            "completedAt": moment,
        }


class ToolExecutionStore:
    def __init__(self) -> None:
        self._executions: dict[str, ToolExecution] = {}

    def run(self, tool: BuiltinTool, arguments: Any, now: datetime) -> ToolExecution:
        execution = ToolExecution(f"exec_{uuid.uuid4().hex}", tool.name, "complete", now)
        try:
            execution.result = tool.run(arguments if isinstance(arguments, dict) else {})
        except ToolFailure as exc:
            execution.status, execution.error = "failed", str(exc)
        self._executions[execution.id] = execution
        return execution

    def recent(self, now: datetime) -> list[ToolExecution]:
        """Unexpired executions, newest first."""
        for expired in [key for key, e in self._executions.items() if now - e.created_at >= RETENTION]:
            del self._executions[expired]
        return list(reversed(self._executions.values()))

    def get(self, execution_id: str, now: datetime) -> ToolExecution:
        execution = next((e for e in self.recent(now) if e.id == execution_id), None)
        if execution is None:
            raise ApiError(404, f"Tool execution '{execution_id}' not found or expired", executionId=execution_id)
        return execution
