"""Real parts for the service tests: a ``redis-server`` (the Debian package) started here on a
loopback port, quant-mcp replicas as subprocesses, and a tiny round-robin proxy in front of them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.http.conftest import free_port, wait_until_ready, web  # noqa: F401  (the web fixture)
from tests.ops.parts import RedisServer, RoundRobinProxy  # noqa: F401  (RoundRobinProxy: for the tests)


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
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(url, **kwargs)


ROOT = Path(__file__).resolve().parents[2]
