"""Call middleware that records every tool call: the audit line, the metrics, a span, the request id.

Outermost in ``server.CALL_MIDDLEWARE``, so it sees what the others decide (a limit's refusal
is a refused call). For each call an agent makes (``origin == "tool"``; a flow's own steps and
resource reads are not tool calls) it

* stamps the call's log lines with the request id (the HTTP request's ``X-Request-Id``, or a
  fresh one over stdio), the tenant (a short hash of the Quant token) and the tool, and the
  upstream requests with the same id (``observability.upstream_hooks``);
* counts it in flight (and as a stream when it relays one), then by tool and outcome, and
  times it;
* writes one audit line: who (the inbound identity: the static token's name or the JWT's
  client), tool, organisation, outcome, upstream status, duration; never arguments or tokens;
* ends a tool error's text with the request id, so that the agent's user can quote it.

Outcomes: ``ok``, ``upstream_error`` (the Quant API did not carry it out), ``refused`` (a tool
error raised here: bad input, a limit), ``cancelled``, ``error`` (a bug).
"""

from __future__ import annotations

import time
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from quant_mcp.errors import NotSent, QuantAPIError, UpstreamTimeout
from quant_mcp.observability import (
    IN_FLIGHT_CALLS,
    IN_FLIGHT_STREAMS,
    REQUEST_ID_HEADER,
    UPSTREAM_REQUESTS,
    CallRecord,
    accept_request_id,
    audit,
    call_record_var,
    child,
    log_context,
    span,
    tenant_hash,
)
from quant_mcp.pipeline import Call, CallFailed, Next, Outcome


def who(ctx: Context) -> str:
    """The inbound identity of the caller: its access token's client, ``anonymous`` over HTTP
    without auth, ``local`` over stdio."""
    request = ctx.request_context.request
    scope = getattr(request, "scope", None)
    if scope is None:
        return "local"
    user = scope.get("user")
    token = getattr(user, "access_token", None)
    return str(token.client_id) if token is not None else "anonymous"


def request_id_of(ctx: Context) -> str:
    headers = ctx.headers or {}
    return accept_request_id(headers.get(REQUEST_ID_HEADER.lower()))


async def observe(call: Call[Any], call_next: Next) -> Outcome:
    """Call middleware: log context, metrics, span and audit line of one tool call."""
    if call.origin != "tool":
        return await call_next(call)
    op = call.operation
    request_id = request_id_of(call.ctx)
    record = CallRecord()
    outcome = "error"
    streamed = op.streamed
    started = time.perf_counter()
    IN_FLIGHT_CALLS.inc()
    if streamed:
        IN_FLIGHT_STREAMS.inc()
    token = call_record_var.set(record)
    with log_context(request_id=request_id, tenant=tenant_hash(call.token or call.settings.token_value()), tool=op.name):
        try:
            with span(f"tool {op.name}", **{"gen_ai.tool.name": op.name, "quant.request_id": request_id}):
                result = await call_next(call)
            outcome = "ok"
            return result
        except (QuantAPIError, CallFailed) as exc:  # QuantAPIError inside the chain; CallFailed from a flow's step
            outcome = "upstream_error"
            upstream = exc.upstream if isinstance(exc, CallFailed) else exc
            if upstream.status is None and not isinstance(upstream, NotSent):
                failure = "timeout" if isinstance(upstream, UpstreamTimeout) else "transport"
                child(UPSTREAM_REQUESTS, call.settings.api_routes, failure).inc()  # no answer: the hooks saw nothing
                record.upstream_status = failure
            else:
                record.upstream_status = upstream.status
            _stamp(exc, request_id)
            raise
        except ToolError as exc:
            outcome = "refused"
            _stamp(exc, request_id)
            raise
        except anyio.get_cancelled_exc_class():
            outcome = "cancelled"
            raise
        finally:
            call_record_var.reset(token)
            IN_FLIGHT_CALLS.dec()
            if streamed:
                IN_FLIGHT_STREAMS.dec()
            audit(
                who=who(call.ctx),
                tool=op.name,
                organisation=call.organisation,
                outcome=outcome,
                upstream_status=record.upstream_status,
                seconds=time.perf_counter() - started,
            )


def _stamp(exc: Exception, request_id: str) -> None:
    """End a tool error's text with the request id (once, however many layers it crosses)."""
    text = str(exc)
    if request_id not in text:
        exc.args = (f"{text} (request id {request_id})", *exc.args[1:])
