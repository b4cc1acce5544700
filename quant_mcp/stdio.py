"""stdio: calls in flight are answered before the server leaves when stdin closes.

The SDK ends a stdio session as soon as stdin reaches its end, cancelling whatever is still
running, so ``printf '<requests>' | quant-mcp serve`` lost its last call. :func:`answered_before_eof`
wraps the SDK's stdio streams so that the end of input reaches the server only once every
request read has been answered (or cancelled by the client), for at most QUANT_DRAIN_SECONDS,
as an HTTP drain does. A client that closes stdin with nothing in flight sees the server leave
at once, as before. The wrappers pass each message straight through (no relay task: a stdio
call pays nothing for them).
"""

from __future__ import annotations

from typing import Any, Self

import anyio
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse


class _InFlight:
    """The ids of the requests read and not yet answered."""

    def __init__(self, drain_seconds: float) -> None:
        self.drain_seconds = drain_seconds
        self.ids: set[Any] = set()
        self.none_left: anyio.Event | None = None  # made once input has ended

    def read(self, item: SessionMessage | Exception) -> None:
        message = item.message if isinstance(item, SessionMessage) else None
        if isinstance(message, JSONRPCRequest):
            self.ids.add(message.id)
        elif isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled":
            self.settle((message.params or {}).get("requestId"))  # a cancelled request gets no answer

    def written(self, item: SessionMessage) -> None:
        if isinstance(item.message, JSONRPCResponse | JSONRPCError):
            self.settle(item.message.id)

    def settle(self, request_id: Any) -> None:
        self.ids.discard(request_id)
        if not self.ids and self.none_left is not None:
            self.none_left.set()

    async def answered(self) -> None:
        """Until every request read is answered, or for ``drain_seconds`` at most (no request is
        read after the end of input, so the set only shrinks)."""
        if self.ids:
            self.none_left = anyio.Event()
            with anyio.move_on_after(self.drain_seconds):
                await self.none_left.wait()


class _Wrapped:
    """One of the SDK's stdio streams, closed as it would be."""

    def __init__(self, stream: Any, in_flight: _InFlight) -> None:
        self._stream, self._in_flight = stream, in_flight

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _Input(_Wrapped):
    """The SDK's read stream, whose end waits for the answers."""

    @property
    def last_context(self) -> Any:  # the sender's context, which the SDK's dispatcher restores
        return getattr(self._stream, "last_context", None)

    async def receive(self) -> SessionMessage | Exception:
        try:
            item = await self._stream.receive()
        except anyio.EndOfStream:
            await self._in_flight.answered()
            raise
        self._in_flight.read(item)
        return item

    def __aiter__(self) -> _Input:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None


class _Output(_Wrapped):
    """The SDK's write stream, noting each answer."""

    async def send(self, item: SessionMessage) -> None:
        await self._stream.send(item)
        self._in_flight.written(item)


def answered_before_eof(read_stream: Any, write_stream: Any, drain_seconds: float) -> tuple[_Input, _Output]:
    """The server's read and write streams over the SDK's stdio ones: the read stream ends only
    once the requests read so far are answered, or ``drain_seconds`` after stdin ended."""
    in_flight = _InFlight(drain_seconds)
    return _Input(read_stream, in_flight), _Output(write_stream, in_flight)
