"""`Simulator`: the simulator served by uvicorn inside the caller's event loop.

It binds its own loopback socket (port 0 = an ephemeral port, known before the
first request) and runs uvicorn as a task of an anyio task group, so a test or
`quant-mcp serve --simulate` can start it, use `base_url`, and stop it on exit.
It needs the asyncio backend (uvicorn is asyncio-only).
"""

from __future__ import annotations

import contextlib
import math
import socket
from collections.abc import Iterator
from types import TracebackType

import anyio
import uvicorn
from anyio.abc import TaskGroup

from .app import create_app
from .core.gateway import quiet_intentional_drops
from .core.state import Dialect, SimulatorState
from .listener import loopback_socket


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handlers (the host program owns Ctrl-C, not the simulator),
    and quick to stop: uvicorn polls for a stop every 0.1 s and then sleeps another 0.1 s
    before draining, which every test and every `serve --simulate` exit would pay."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stop_requested = anyio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def stop(self) -> None:
        self.should_exit = True
        self._stop_requested.set()

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter += 10  # on_tick refreshes the Date header when counter % 10 == 0: once a second
            with anyio.move_on_after(1.0):
                await self._stop_requested.wait()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's graceful shutdown (lifespan is off), polling every 5 ms instead of 100 ms."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # idle keep-alive connections close at once, busy ones once answered
        with anyio.move_on_after(self.config.timeout_graceful_shutdown or math.inf):
            while self.server_state.connections or self.server_state.tasks:
                await anyio.sleep(0.005)
        for task in self.server_state.tasks:
            task.cancel()


class Simulator:
    """Run the simulator for the duration of an `async with` block.

    Pass a `state` to share it with the test, or `tokens`/`chunk_delay` to build one; `sock`
    serves on a socket already listening (see `listener.py`) instead of binding `host:port`;
    `dialect` is "live" (the default) or "spec" (see `SimulatorState`).
    """

    def __init__(
        self,
        state: SimulatorState | None = None,
        tokens: dict[str, str | None] | None = None,
        chunk_delay: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        sock: socket.socket | None = None,
        dialect: Dialect = "live",
    ) -> None:
        self.state = state if state is not None else SimulatorState(tokens=tokens, chunk_delay=chunk_delay, dialect=dialect)
        self.host = host
        self.port = port
        self._sock = sock
        self._server: _EmbeddedServer | None = None
        self._task_group: TaskGroup | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> Simulator:
        sock = self._sock or loopback_socket(self.host, self.port)
        self.host, self.port = sock.getsockname()[:2]
        quiet_intentional_drops()
        config = uvicorn.Config(
            create_app(self.state),
            lifespan="off",
            log_config=None,  # leave the host program's logging alone
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = _EmbeddedServer(config)
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._task_group.start_soon(self._server.serve, [sock])
        while not self._server.started:
            await anyio.sleep(0.005)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> bool | None:
        assert self._server is not None and self._task_group is not None
        self._server.stop()
        return await self._task_group.__aexit__(exc_type, exc, traceback)
