"""Real parts for the service tests: a ``redis-server`` (the Debian package) started here on a
loopback port, quant-mcp replicas as subprocesses, and a tiny round-robin proxy in front of them."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from anyio.abc import SocketStream

from tests.http.conftest import free_port, wait_until_ready, web  # noqa: F401  (the web fixture)

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """A throwaway redis-server on 127.0.0.1 (no persistence), which a test can stop and restart on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="quant-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if not os.path.exists(REDIS_SERVER):
            pytest.fail("redis-server is not installed (apt-get install redis-server; .ci/run does it)")
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import socket

                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


class Replica:
    """``quant-mcp serve --transport http`` as a subprocess on a loopback port."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "quant_mcp", "serve", "--transport", "http", "--port", str(self.port), *args],
            env={**{k: v for k, v in os.environ.items() if not k.startswith("QUANT_")}, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def terminate(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise


@asynccontextmanager
async def replicas(count: int, env: dict[str, str], *args: str) -> AsyncIterator[list[Replica]]:
    started = [Replica(env, *args) for _ in range(count)]
    try:
        for replica in started:
            await wait_until_ready(replica.url)
        yield started
    finally:
        for replica in started:
            try:
                replica.terminate()
            except subprocess.TimeoutExpired:
                pass
            replica.log.close()


class RoundRobinProxy:
    """A TCP proxy on 127.0.0.1 handing each new connection to the next backend in turn, with the
    one piece of affinity an MCP deployment needs: a connection whose first request carries an
    ``Mcp-Session-Id`` goes to the backend that issued that session (learnt from its responses).
    2026-era requests carry no session id, so they simply rotate."""

    SESSION = re.compile(rb"mcp-session-id:\s*([!-~]+)", re.I)

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.next = 0
        self.port = 0
        self.sessions: dict[bytes, int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _pipe(self, source: SocketStream, sink: SocketStream, index: int | None = None) -> None:
        try:
            async for chunk in source:
                if index is not None:  # a response: remember which backend issued a session
                    for session in self.SESSION.findall(chunk):
                        self.sessions[session] = index
                await sink.send(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
            pass
        finally:
            with contextlib.suppress(Exception):
                await sink.send_eof()

    async def _handle(self, client: SocketStream) -> None:
        async with client:
            head = b""
            with contextlib.suppress(anyio.EndOfStream, anyio.BrokenResourceError):
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    head += await client.receive()
            if not head:
                return
            session = self.SESSION.search(head)
            if session and session.group(1) in self.sessions:
                index = self.sessions[session.group(1)]
            else:
                index = self.next % len(self.backends)
                self.next += 1
            try:
                backend = await anyio.connect_tcp("127.0.0.1", self.backends[index])
            except OSError:
                return
            async with backend, anyio.create_task_group() as tg:
                await backend.send(head)
                tg.start_soon(self._pipe, client, backend)
                await self._pipe(backend, client, index)
                tg.cancel_scope.cancel()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[RoundRobinProxy]:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with listener, anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, self._handle)
            try:
                yield self
            finally:
                tg.cancel_scope.cancel()


def replica_env(simulator_url: str, redis_url: str | None, **extra: str) -> dict[str, str]:
    from tests.conftest import TEST_ORG, TEST_TOKEN

    env = {
        "QUANT_API_TOKEN": TEST_TOKEN,
        "QUANT_ORGANIZATION": TEST_ORG,
        "QUANT_BASE_URL": simulator_url,
        "QUANT_LOG_FORMAT": "json",
        "QUANT_TIMEOUT": "5",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    if redis_url:
        env["QUANT_REDIS_URL"] = redis_url
    return env


async def get(url: str, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(timeout=10) as web:
        return await web.get(url, **kwargs)


ROOT = Path(__file__).resolve().parents[2]
