"""Real parts the service tests and benchmarks share: a throwaway ``redis-server`` (Debian's
package) on a loopback port, and a round-robin TCP proxy in front of replicas."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc
from anyio.abc import SocketStream

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
            raise RuntimeError("redis-server is not installed (apt-get install redis-server; .ci/run does it)")
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
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
