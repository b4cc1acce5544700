"""Fault injection: the failures a reliability test asks the simulator to produce.

A `Fault` names a failure mode and which requests it hits (method and path regex).
It applies to the next `count` matching API requests, then disappears. The gateway
applies the modes that act on the whole response (latency, status, drop,
malformed_json and unexpected_shape on JSON bodies); the SSE writer applies the modes that act inside a
stream (slow_stream, truncated_sse, error_event, malformed_json on a stream, and the live
service's habits: unreadable_frame, orchestration_done, silent_tool).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

FaultMode = Literal[
    "latency",  # sleep `delay` seconds, then answer normally
    "status",  # answer `status` with a JSON error body (429 carries Retry-After)
    "drop",  # send the headers and half of the first body chunk, then abort the connection
    "malformed_json",  # 200 with an invalid JSON body; on a stream, the first content event's data is invalid
    "unexpected_shape",  # 200 with the JSON answer wrapped as {"data": <answer>}: valid JSON, not the documented shape
    "truncated_sse",  # the stream ends (connection closed) before its `done` event
    "slow_stream",  # `delay` seconds between SSE chunks
    "error_event",  # the stream sends `event: error` after the first delta and ends
    "unreadable_frame",  # two frames whose data is not a JSON object come after the first delta
    "orchestration_done",  # the stream ends `done {complete: false, orchestration: {pollUrl}}`
    "silent_tool",  # a server-side tool runs first: tool_start, `delay` seconds of silence, tool_complete
]
FAULT_MODES: tuple[str, ...] = get_args(FaultMode)


@dataclass
class Fault:
    """One injected failure. `count=None` keeps it for every matching request."""

    mode: FaultMode
    method: str | None = None
    path: str | None = None
    count: int | None = 1
    delay: float = 1.0
    status: int = 503
    retry_after: int = 1
    message: str = "Injected fault"

    def __post_init__(self) -> None:
        if self.mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}")
        if self.path is not None:
            try:
                re.compile(self.path)  # fail now, not on the first request
            except re.error as exc:
                raise ValueError(f"path is not a valid regular expression: {exc}") from exc
        if self.count is not None and self.count < 1:
            raise ValueError("count must be >= 1 (or None for every request)")
        if not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.delay < 0 or self.retry_after < 0:
            raise ValueError("delay and retry_after must be >= 0")

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request with this method and path."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """Build a fault from the control API's JSON (the dataclass field names)."""
        if not isinstance(data, dict):
            raise ValueError("a fault must be a JSON object")
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        if "mode" not in data:
            raise ValueError("mode is required")
        try:
            return cls(**data)
        except TypeError as exc:  # a field of the wrong type, e.g. count="x"
            raise ValueError(str(exc)) from exc


class FaultQueue:
    """The active faults, in the order they were added; the first match wins."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def active(self) -> list[Fault]:
        return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any, using up one of its `count`."""
        for fault in self._faults:
            if fault.matches(method, path):
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                return fault
        return None
