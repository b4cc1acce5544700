"""``serve --transport http --workers N``: several processes on one port, each connection with
TCP_NODELAY whatever the event loop, refused where a worker would hold state the others lack."""

from __future__ import annotations

import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from quant_mcp.config import Settings
from quant_mcp.http import listening_socket, serve_http
from tests.conftest import TEST_TOKEN, text_of
from tests.http.conftest import CLIENT_TOKEN, connect, free_port, serve_env, wait_until_ready

pytestmark = pytest.mark.anyio


def test_every_accepted_connection_has_tcp_nodelay():
    """Set on the listening socket, so a plain accept() (no asyncio involved) inherits it."""
    with listening_socket("127.0.0.1", 0) as server:
        assert server.proto == socket.IPPROTO_TCP  # asyncio's own check before it sets TCP_NODELAY
        with socket.create_connection(server.getsockname()[:2]):
            accepted, _ = server.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


@pytest.mark.parametrize(
    ("stateless", "simulate", "says"),
    [(False, False, "--workers needs --stateless"), (True, True, "cannot be used with --simulate")],
)
def test_workers_are_refused_where_they_would_not_share_state(capsys, stateless, simulate, says):
    settings = Settings(_env_file=None)
    assert serve_http(settings, host="127.0.0.1", port=free_port(), stateless=stateless, simulate=simulate, workers=2) == 2
    assert says in capsys.readouterr().err


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


async def test_two_workers_serve_one_port_without_nagle_delays(simulator, web):
    port = free_port()
    env = serve_env(simulator)
    argv = [sys.executable, "-m", "quant_mcp", "serve", "--transport", "http", "--port", str(port)]
    argv += ["--auth", "static", "--stateless", "--workers", "2"]
    url = f"http://127.0.0.1:{port}"
    async with await anyio.open_process(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        try:
            await wait_until_ready(url, seconds=60)
            workers = [pid for pid in _children(process.pid) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            assert len(workers) == 2

            failures: list[str] = []

            async def one() -> None:
                async with connect(url) as client:
                    for _ in range(3):
                        result = await client.call_tool("list_models", {})
                        if result.is_error:
                            failures.append(text_of(result))

            with anyio.fail_after(60):
                async with anyio.create_task_group() as tg:
                    for _ in range(8):
                        tg.start_soon(one)
            assert failures == []

            # A response split in two writes (head, then body) waits ~40 ms for a delayed ACK when
            # Nagle is on; with TCP_NODELAY a /healthz round trip on loopback takes a few ms.
            took = []
            for _ in range(15):
                began = time.perf_counter()
                assert (await web.get(f"{url}/healthz")).status_code == 200
                took.append(time.perf_counter() - began)
            assert statistics.median(took) < 0.03, took
        finally:
            process.send_signal(signal.SIGTERM)
            with anyio.fail_after(30):
                code = await process.wait()
        stderr = b"".join([chunk async for chunk in process.stderr]).decode()
    assert code == 0, stderr[-2000:]  # the supervisor drains its workers and exits 0 (workers.py)
    assert "Traceback" not in stderr
    assert "stateless, 2 workers)" in stderr
    assert TEST_TOKEN not in stderr and CLIENT_TOKEN not in stderr
