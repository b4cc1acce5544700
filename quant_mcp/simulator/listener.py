"""The simulator's loopback socket, and a simulator that starts when first called.

`quant-mcp serve --simulate` needs the simulator's address at start-up, but most of the
simulator's cost is importing its route groups, which a session that only lists tools (or
never calls one) should not pay. `simulator_on_first_connection` binds the socket at once,
which fixes the base URL, and imports and starts the simulator when the first connection
waits on it; that connection is answered as soon as it is up. This module imports nothing
heavy, and neither does the package's `__init__`, until the simulator is needed.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio


def loopback_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound, listening TCP socket (port 0: an ephemeral one).

    proto=IPPROTO_TCP matters: asyncio only disables Nagle (TCP_NODELAY) on accepted sockets
    whose proto says TCP, and with Nagle on every answer waits ~40 ms for an ACK.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen()
    except OSError:
        sock.close()
        raise
    return sock


@asynccontextmanager
async def simulator_on_first_connection(tokens: dict[str, str | None]) -> AsyncIterator[str]:
    """Yield the base URL of a simulator that starts when the first connection arrives."""
    sock = loopback_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    waiting = anyio.CancelScope()
    stop = anyio.Event()

    async def serve() -> None:
        with waiting:
            await anyio.wait_readable(sock)
        if waiting.cancel_called:  # stopped before anyone called
            return
        from .server import Simulator

        async with Simulator(tokens=tokens, sock=sock):
            await stop.wait()

    try:
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(serve)
            try:
                yield base_url
            finally:
                waiting.cancel()
                stop.set()
    finally:
        sock.close()
