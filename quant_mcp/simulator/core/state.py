"""Everything one simulator instance remembers: tokens, clock, request log, faults, data.

Tests hold the `SimulatorState` and inspect or steer it directly (in-process) or
through the control API (out of process). API groups keep their data per
organisation with `state.organisation(org).get(SomeStore)`, so a new group brings
its own store class and never needs a change here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar, get_args

from .faults import Fault, FaultQueue

StoreT = TypeVar("StoreT")
# Which Quant AI the simulator speaks: "live" answers as Quant's own applications show the live
# service answering (shared/quant-ai-api/LIVE-DIALECT.md); "spec" as the generated reference says.
Dialect = Literal["live", "spec"]
DIALECTS: tuple[str, ...] = get_args(Dialect)
# The log keeps the most recent requests only, so a long-running simulator (the default
# backend of `serve --simulate`) does not grow without bound; tests clear it long before.
REQUEST_LOG_LIMIT = 1000


def timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, e.g. 2026-01-31T09:30:00.000Z: the API's date-time format."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class RequestRecord:
    """One API request as the simulator received it (never the Authorization header).

    Times are `time.perf_counter()` values of the simulator process, so they compare
    with each other and, in-process, with a test's own perf_counter readings.
    """

    method: str
    path: str
    query: dict[str, str | list[str]]
    organisation: str | None
    status: int | None = None
    body: Any = None  # the parsed JSON body, or None when absent or not JSON
    body_size: int = 0  # bytes received (the declared Content-Length if refused unread)
    started_at: float = 0.0
    finished_at: float | None = None
    stream_chunk_times: list[float] = field(default_factory=list)
    fault: str | None = None  # the injected fault mode that hit this request

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class OrganisationData:
    """One organisation's data: one instance of each store class, made on first use."""

    def __init__(self) -> None:
        self._stores: dict[type, Any] = {}

    def get(self, store_type: type[StoreT]) -> StoreT:
        if store_type not in self._stores:
            self._stores[store_type] = store_type()
        store: StoreT = self._stores[store_type]
        return store


class SimulatorState:
    """The mutable state behind one simulator app.

    tokens=None accepts any non-empty bearer token for any organisation.
    tokens={TOKEN: ORG} accepts only those tokens (401 otherwise), each for its ORG
    only (403 for another organisation), or for any organisation when ORG is None.
    chunk_delay is the pause between SSE chunks, in seconds.
    dialect is "live" (the default: what users will meet) or "spec" (the generated reference).
    """

    def __init__(self, tokens: dict[str, str | None] | None = None, chunk_delay: float = 0.0, dialect: Dialect = "live") -> None:
        self.tokens = tokens
        self.chunk_delay = chunk_delay
        self.dialect: Dialect = "live"
        self.set_dialect(dialect)
        self.requests: list[RequestRecord] = []
        self.faults = FaultQueue()
        self._clock_offset = timedelta()
        self._organisations: dict[str, OrganisationData] = {}

    def set_dialect(self, dialect: str) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}")
        self.dialect = dialect  # type: ignore[assignment]

    @property
    def live(self) -> bool:
        return self.dialect == "live"

    def now(self) -> datetime:
        """The simulated time: real UTC time moved forward by `advance_clock`."""
        return datetime.now(UTC) + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move simulated time forward, e.g. to expire sessions without waiting."""
        self._clock_offset += timedelta(seconds=seconds)

    def log_request(self, record: RequestRecord) -> None:
        self.requests.append(record)
        del self.requests[:-REQUEST_LOG_LIMIT]

    def clear_requests(self) -> None:
        self.requests.clear()

    def add_fault(self, fault: Fault) -> None:
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def organisation(self, name: str) -> OrganisationData:
        if name not in self._organisations:
            self._organisations[name] = OrganisationData()
        return self._organisations[name]
