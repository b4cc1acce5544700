"""stdio: calls in flight are answered before the server leaves when stdin closes.

The SDK ends a stdio session as soon as stdin reaches its end, cancelling whatever is still
running, so ``printf '<requests>' | quant-mcp serve`` lost its last call. Between the SDK's
stdio streams and the server, :func:`answered_before_eof` holds the end of input back until
every request read has been answered (or cancelled by the client), for at most
QUANT_DRAIN_SECONDS, as an HTTP drain does. A client that closes stdin with nothing in flight
sees the server leave at once, as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse

Inbound = SessionMessage | Exception


@asynccontextmanager
async def answered_before_eof(
    read_stream: Any, write_stream: Any, drain_seconds: float
) -> AsyncIterator[tuple[MemoryObjectReceiveStream[Inbound], MemoryObjectSendStream[SessionMessage]]]:
    """The server's read and write streams over the SDK's: the read stream ends only once the
    requests read so far are answered, or ``drain_seconds`` after stdin ended."""
    pending: set[Any] = set()  # ids of the requests read and not yet answered
    changed = anyio.Condition()
    reads_in, reads = anyio.create_memory_object_stream[Inbound](0)
    writes, writes_out = anyio.create_memory_object_stream[SessionMessage](0)

    async def settle(request_id: Any) -> None:
        async with changed:
            pending.discard(request_id)
            changed.notify_all()

    reading = anyio.CancelScope()

    async def inbound() -> None:
        with reading:
            async with reads_in:
                async for item in read_stream:
                    message = item.message if isinstance(item, SessionMessage) else None
                    if isinstance(message, JSONRPCRequest):
                        pending.add(message.id)
                    elif isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled":
                        await settle((message.params or {}).get("requestId"))  # a cancelled request gets no answer
                    await reads_in.send(item)
                with anyio.move_on_after(drain_seconds):
                    async with changed:
                        while pending:
                            await changed.wait()

    async def outbound() -> None:  # until the server closes its write stream: every answer reaches stdout
        async with writes_out, write_stream:
            async for item in writes_out:
                await write_stream.send(item)
                if isinstance(item.message, JSONRPCResponse | JSONRPCError):
                    await settle(item.message.id)

    async with anyio.create_task_group() as relays:
        relays.start_soon(inbound)
        relays.start_soon(outbound)
        yield reads, writes
        reading.cancel()  # the server ended on its own: stop waiting for input
