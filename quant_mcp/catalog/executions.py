"""Durable chat executions: a chat that runs in the background, polled, and resumed with the
results of tools the caller runs. Its own toolset, off by default: most agents chat directly.
The arguments and results are the chat models of :mod:`quant_mcp.catalog.inference`."""

from __future__ import annotations

from quant_mcp.catalog.base import V3, Operation, Route, Toolset
from quant_mcp.catalog.inference import (
    CallbackAccepted,
    ChatArguments,
    ChatExecutionQueued,
    ExecutionArguments,
    ExecutionStatus,
    ToolCallbackArguments,
    _async_chat_body,
    _execution_summary,
)

OPERATIONS = [
    Operation(
        name="start_chat_execution",
        toolset=Toolset.EXECUTIONS,
        title="Start a durable chat execution",
        description=(
            "Start a chat in the background (slow turns, or tools you run yourself); poll it with get_durable_execution_status."
        ),
        route=Route("POST", V3 + "/chat", body=_async_chat_body),
        arguments=ChatArguments,
        result=ChatExecutionQueued,
        attachments=True,
        summary=lambda r: f"Queued {r.get('requestId')}: poll get_durable_execution_status with it.",
    ),
    Operation(
        name="get_durable_execution_status",
        toolset=Toolset.EXECUTIONS,
        title="Get durable chat execution status",
        description=(
            "Poll a durable chat (every few seconds, up to 30 s apart). On waiting_callback, run "
            "`pendingTools` and call submit_tool_callback."
        ),
        route=Route("GET", V3 + "/chat/executions/{identifier}"),
        arguments=ExecutionArguments,
        result=ExecutionStatus,
        read_only=True,
        idempotent=True,
        operation_ids=("getDurableExecutionStatus",),
        summary=_execution_summary,
    ),
    Operation(
        name="submit_tool_callback",
        toolset=Toolset.EXECUTIONS,
        title="Submit tool results to a durable execution",
        description=("Resume a waiting execution with one result per pending tool (a callbackId works once)."),
        route=Route("POST", V3 + "/chat/callback"),
        arguments=ToolCallbackArguments,
        result=CallbackAccepted,
        operation_ids=("submitToolCallback",),
        summary=lambda r: r.get("message") or ("Callback accepted" if r.get("success") else "Callback sent"),
    ),
]
