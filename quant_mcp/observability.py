"""What an operator sees of a running quant-mcp: logs, request ids, audit lines, metrics, traces.

* **Logs** go to stderr (stdout is the protocol in stdio mode), as text or JSON lines
  (``QUANT_LOG_FORMAT``). Every line carries the request id, the tenant (a short hash of the
  Quant token, never the token) and the tool when there is one, from context variables that
  the HTTP middleware and the call middleware set. Other modules' filters (redaction) plug
  into :func:`configure_logging`.
* **Request ids**: ``X-Request-Id`` from the client when it is sane, else a new one; it is
  returned on the response, sent upstream, written on every log line of the request and put
  into tool error texts, so one id follows a failure from the agent to the Quant API.
* **Access and audit lines** (``quant_mcp.access``, ``quant_mcp.audit``) are logged at INFO
  whatever the log level: one per HTTP request, one per tool call. An audit line says who,
  which tool, which organisation, the outcome, the upstream status and the duration; never an
  argument value or a token.
* **Metrics** in Prometheus format from one registry (:data:`REGISTRY`), served at
  ``/metrics`` (behind the MCP endpoint's auth) or on ``QUANT_METRICS_PORT``.
* **Traces**: with the ``quant-mcp[otel]`` extra installed and an OTLP endpoint in the
  standard ``OTEL_*`` variables, the SDK's spans and ours (tool call, upstream request) are
  exported, failures as errors with their texts redacted; without them :func:`span` costs next
  to nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx2
from opentelemetry import propagate, trace
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quant_mcp.config import Settings
from quant_mcp.redact import RECORD_ATTRS, redact

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID_OK = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")  # what we accept from a client, else we make one

request_id_var: ContextVar[str | None] = ContextVar("quant_request_id", default=None)
tenant_var: ContextVar[str | None] = ContextVar("quant_tenant", default=None)
tool_var: ContextVar[str | None] = ContextVar("quant_tool", default=None)

access_log = logging.getLogger("quant_mcp.access")
audit_log = logging.getLogger("quant_mcp.audit")
tracer = trace.get_tracer("quant_mcp")


# --------------------------------------------------------------------------- request ids


def accept_request_id(value: str | None) -> str:
    """The client's request id if it is a sane token (letters, digits, ``._:@/+=-``, at most
    128) that does not look like a credential, else a fresh one: a header is client input and
    ends up in every log line, error text and upstream request."""
    if value and _REQUEST_ID_OK.fullmatch(value) and redact(value) == value:
        return value
    return os.urandom(16).hex()


def tenant_hash(token: str | None) -> str | None:
    """A short, stable name for a Quant token in logs and metrics: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:12] if token else None


@contextmanager
def log_context(*, request_id: str | None = None, tenant: str | None = None, tool: str | None = None) -> Iterator[None]:
    """Stamp the log lines written inside the block with these values (None keeps what is set)."""
    tokens = [
        (var, var.set(value))
        for var, value in ((request_id_var, request_id), (tenant_var, tenant), (tool_var, tool))
        if value is not None
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


# --------------------------------------------------------------------------- logging

_STANDARD_ATTRS = RECORD_ATTRS | {"request_id", "tenant", "tool"}  # the fields every line shows first


class ContextFilter(logging.Filter):
    """Copies the request id, tenant and tool of the current context onto every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in (("request_id", request_id_var), ("tenant", tenant_var), ("tool", tool_var)):
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields of a record: the context ones, then any ``extra=`` given to the call."""
    fields: dict[str, Any] = {}
    for name in ("request_id", "tenant", "tool"):
        value = getattr(record, name, None)
        if value is not None:
            fields[name] = value
    for key, value in record.__dict__.items():
        if value is not None and key not in _STANDARD_ATTRS and not key.startswith("_"):
            fields[key] = value
    return fields


def _timestamp(record: logging.LogRecord) -> str:
    """ISO 8601 in UTC to the millisecond, e.g. ``2026-11-29T09:30:00.123Z``."""
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(record.created))}.{int(record.msecs):03d}Z"


_JSON = json.JSONEncoder(default=str, ensure_ascii=False)


class JSONFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, then the structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _JSON.encode(line)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger message key=value ...``: for people reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        line = f"{_timestamp(record)} {record.levelname} {record.name} {record.getMessage()}"
        line = f"{line} {fields}" if fields else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def configure_logging(settings: Settings, filters: Sequence[logging.Filter] = ()) -> logging.Handler:
    """Send every log record (ours, the SDK's, uvicorn's) to stderr in ``QUANT_LOG_FORMAT``.

    ``filters`` go on the one handler, so they see every record, including those propagated
    from other libraries' loggers (a redacting filter belongs here). Access and audit lines
    are INFO records on their own loggers, which are set to INFO when they are on, so they
    are written at the default WARNING level too. Returns the handler (tests read it)."""
    # Our lines never show the thread or process: do not look them up for every record.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    for extra_filter in filters:
        handler.addFilter(extra_filter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_quant_mcp", False)]:
        root.removeHandler(old)
    handler._quant_mcp = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    access_log.setLevel(logging.INFO if settings.access_log else logging.CRITICAL + 1)
    audit_log.setLevel(logging.INFO if settings.audit_log else logging.CRITICAL + 1)
    logging.getLogger("uvicorn.access").disabled = True  # ours says more, in the same format
    configure_tracing()
    return handler


def log_fast(logger: logging.Logger, message: str, fields: dict[str, Any]) -> None:
    """An INFO record with structured ``fields``, for the lines written on every request and call:
    it skips what ``logger.info`` does first (finding the caller's file and line, which these
    lines do not show), the costliest part of a log call."""
    logger.handle(logger.makeRecord(logger.name, logging.INFO, "", 0, message, None, None, extra=fields))


# --------------------------------------------------------------------------- metrics

REGISTRY = CollectorRegistry(auto_describe=True)
TOOL_CALLS = Counter("quant_mcp_tool_calls", "Tool calls by tool and outcome.", ["tool", "outcome"], registry=REGISTRY)
CALL_SECONDS = Histogram(
    "quant_mcp_tool_call_duration_seconds",
    "Tool call duration.",
    ["tool"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
UPSTREAM_REQUESTS = Counter(
    "quant_mcp_upstream_requests",
    "Requests to the Quant API by route family and status (a number, or transport / timeout).",
    ["route_family", "status"],
    registry=REGISTRY,
)
# multiprocess_mode: how ``--workers`` combine a gauge (see metrics_registry); "live" drops exited workers.
IN_FLIGHT_CALLS = Gauge("quant_mcp_in_flight_calls", "Tool calls running now.", registry=REGISTRY, multiprocess_mode="livesum")
IN_FLIGHT_STREAMS = Gauge(
    "quant_mcp_in_flight_streams",
    "Streamed answers from the Quant API being relayed now.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
HTTP_IN_FLIGHT = Gauge(
    "quant_mcp_http_requests_in_flight",
    "HTTP requests being served now (MCP POSTs and streams).",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
OPEN_SESSIONS = Gauge(  # read from the session manager when scraped (set_function); with workers, stateless: 0
    "quant_mcp_open_sessions", "MCP sessions (2025 era) open on this replica.", registry=REGISTRY, multiprocess_mode="livesum"
)
LIMIT_REFUSALS = Counter("quant_mcp_limit_refusals", "Calls refused by a limit, by limit.", ["limit"], registry=REGISTRY)
REDIS_UP = Gauge(
    "quant_mcp_redis_up",
    "1 while Redis (QUANT_REDIS_URL) answers, 0 while replicas fall back to local delivery.",
    registry=REGISTRY,
    multiprocess_mode="livemin",  # with workers: 0 while any of them falls back
)
REDIS_FALLBACKS = Counter(
    "quant_mcp_redis_fallbacks", "Operations done locally because Redis was unavailable, by kind.", ["kind"], registry=REGISTRY
)
DRAINING = Gauge("quant_mcp_draining", "1 once SIGTERM started the drain.", registry=REGISTRY, multiprocess_mode="livemax")

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # set by `serve --workers N` (workers.py) for its workers
_shared_registries: dict[str, CollectorRegistry] = {}


def shared_metrics() -> str | None:
    """The directory where ``--workers`` keep their metrics (prometheus-client's multiprocess
    mode, chosen by the environment a worker starts with), or None in one process."""
    return os.environ.get(MULTIPROCESS_DIR) or None


def metrics_registry() -> CollectorRegistry:
    """What ``/metrics`` reports: :data:`REGISTRY`, or with ``--workers`` the whole service, read
    from every worker's files (counters and histograms summed, gauges by their multiprocess_mode)."""
    path = shared_metrics()
    if path is None:
        return REGISTRY
    registry = _shared_registries.get(path)
    if registry is None:
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = _shared_registries[path] = CollectorRegistry()
        MultiProcessCollector(registry, path=path)
    return registry


def metrics_text() -> tuple[bytes, str]:
    """The metrics in Prometheus text format, and their content type."""
    return generate_latest(metrics_registry()), CONTENT_TYPE_LATEST


def serve_metrics_port(port: int, host: str) -> None:
    """Serve /metrics on its own port (a daemon thread), for ``QUANT_METRICS_PORT``; with
    ``--workers``, from the supervisor, for the whole service."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host, registry=metrics_registry())


# --------------------------------------------------------------------------- audit


_children: dict[tuple[Any, ...], Any] = {}


def child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, remembered: the client's own lookup takes a lock every time."""
    key = (metric, *labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return found


def audit(
    *,
    who: str,
    tool: str,
    organisation: str | None,
    outcome: str,
    upstream_status: int | str | None,
    seconds: float,
) -> None:
    """One audit line for a finished tool call, and its metrics. Never argument values or tokens."""
    child(TOOL_CALLS, tool, outcome).inc()
    child(CALL_SECONDS, tool).observe(seconds)
    if audit_log.isEnabledFor(logging.INFO):
        fields = {
            "who": who,
            "tool": tool,
            "organisation": organisation,
            "outcome": outcome,
            "upstream_status": upstream_status,
            "duration_ms": round(seconds * 1000, 1),
        }
        log_fast(audit_log, "tool call", fields)


# --------------------------------------------------------------------------- upstream requests


@dataclass
class CallRecord:
    """What the upstream hooks learn during one tool call (the audit line reports it)."""

    upstream_status: int | str | None = None


call_record_var: ContextVar[CallRecord | None] = ContextVar("quant_call_record", default=None)


def upstream_hooks(route_family: str) -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
    """httpx event hooks for the QuantClient: the request id goes upstream as X-Request-Id, each
    answer counts by route family and status."""

    async def on_request(request: httpx2.Request) -> None:
        request_id = request_id_var.get()
        if request_id:
            request.headers[REQUEST_ID_HEADER] = request_id

    async def on_response(response: httpx2.Response) -> None:
        child(UPSTREAM_REQUESTS, route_family, str(response.status_code)).inc()
        record = call_record_var.get()
        if record is not None:
            record.upstream_status = response.status_code

    return {"request": [on_request], "response": [on_response]}


class UpstreamClient(httpx2.AsyncClient):
    """The httpx client for the Quant API. When tracing, each request is a CLIENT span whose
    context goes upstream as ``traceparent``: a span around ``send`` (not in event hooks, which
    see no failure) ends however the request ends, a timeout or a broken connection included."""

    def __init__(self, route_family: str, **options: Any) -> None:
        super().__init__(**options)
        self.route_family = route_family

    async def send(self, request: httpx2.Request, **options: Any) -> httpx2.Response:
        if not _tracing_configured:
            return await super().send(request, **options)
        attributes = {
            "http.request.method": request.method,
            "url.path": request.url.path,
            "quant.route_family": self.route_family,
        }
        with _span(f"upstream {request.method}", trace.SpanKind.CLIENT, attributes) as upstream:
            propagate.inject(request.headers)
            response = await super().send(request, **options)
            upstream.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 400:  # an HTTP client span's error, by the semantic conventions
                upstream.set_status(trace.StatusCode.ERROR)
            return response


# --------------------------------------------------------------------------- tracing

_tracing_configured = False


def configure_tracing() -> bool:
    """Export spans over OTLP when the ``otel`` extra is installed and an OTLP endpoint is set
    in the standard variables (``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``..._TRACES_ENDPOINT``;
    ``OTEL_SDK_DISABLED=true`` turns it off). Returns whether spans are exported."""
    global _tracing_configured
    if _tracing_configured:
        return True
    wanted = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if not wanted or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        logging.getLogger("quant_mcp").warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but the otel extra is not installed: pip install 'quant-mcp[otel]'"
        )
        return False
    resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    if resource.attributes.get("service.name", "").startswith("unknown_service"):  # neither names the service
        resource = resource.merge(Resource({"service.name": "quant-mcp"}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _tracing_configured = True
    return True


def span(name: str, **attributes: Any) -> Any:
    """A span named ``name`` as a context manager; nothing at all unless tracing is configured."""
    if not _tracing_configured:
        return nullcontext()
    return _span(name, trace.SpanKind.INTERNAL, {k: v for k, v in attributes.items() if v is not None})


@contextmanager
def _span(name: str, kind: trace.SpanKind, attributes: dict[str, Any]) -> Iterator[trace.Span]:
    """The current span for the block; an error leaving it marks the span failed with the error's
    texts redacted (the SDK's own recording would export them verbatim, and an upstream error
    may quote a token back)."""
    with tracer.start_as_current_span(
        name, kind=kind, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as current:
        try:
            yield current
        except Exception as exc:
            message = redact(str(exc))
            current.set_status(trace.StatusCode.ERROR, f"{type(exc).__name__}: {message}")
            stack = redact("".join(traceback.format_exception(exc)))
            current.record_exception(exc, attributes={"exception.message": message, "exception.stacktrace": stack})
            raise


# --------------------------------------------------------------------------- HTTP middleware


class RequestContextMiddleware:
    """ASGI middleware for the HTTP service: the request id in and out, and one access line.

    The id is taken from ``X-Request-Id`` (or made), written back into the request's headers
    (so that handlers further in, which may run in other tasks, read the same id from
    ``ctx.headers``), set for this task's log lines and returned on the response. The access
    line is written when the response ends (for a stream, when the stream ends)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = REQUEST_ID_HEADER.lower().encode()
        given = next((value for name, value in scope["headers"] if name == header), None)
        request_id = accept_request_id(given.decode("latin-1") if given else None)
        scope = dict(scope)
        scope["headers"] = [(n, v) for n, v in scope["headers"] if n != header] + [(header, request_id.encode())]
        status = 0
        sent = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (header, request_id.encode())]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        token = request_id_var.set(request_id)
        HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            HTTP_IN_FLIGHT.dec()
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                log_fast(
                    access_log,
                    f"{scope['method']} {scope['path']} {status or '-'}",
                    {
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status or None,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "bytes": sent,
                        "client": client[0] if client else None,
                    },
                )
            request_id_var.reset(token)
