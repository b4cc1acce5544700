"""``serve --transport http --stateless --workers 2`` run as one service: ``/metrics`` from any
worker reports every worker's calls, SIGTERM to the supervisor drains every worker and exits 0,
a second one stops at once. Real parts: the server as a subprocess on 127.0.0.1, the simulator
over loopback. (One port, TCP_NODELAY and the refusals: tests/http/test_workers.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from quant_mcp.workers import METRICS_DIR_PREFIX, shared_metrics_dir
from tests.conftest import text_of
from tests.http.conftest import connect, free_port, wait_until_ready
from tests.ops.conftest import Replica, replica_env
from tests.ops.test_service import until
from tests.streaming.conftest import LONG_PROMPT, chat_arguments

pytestmark = pytest.mark.anyio


def workers_of(supervisor: int) -> set[int]:
    """The worker processes under the supervisor (multiprocessing's resource tracker left out)."""
    found = set()
    for pid in Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split():
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(int(pid))
        except OSError:  # it has just exited
            pass
    return found


def upstream_connections(pid: int, port: int) -> int:
    """Established TCP connections that process ``pid`` holds to ``port`` (its upstream pool,
    kept alive after a call): which worker made upstream calls, seen from the outside."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], fields[9]
        count += state == "01" and int(remote.split(":")[1], 16) == port and inode in inodes
    return count


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Prometheus text as {(sample name, labels): value}."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(url: str) -> dict[tuple[str, frozenset], float]:
    """One /metrics read on a new connection, so it lands on whichever worker accepts it."""
    async with httpx.AsyncClient(timeout=10) as web:
        response = await web.get(url)
    assert response.status_code == 200, response.text
    return samples(response.text)


@asynccontextmanager
async def two_workers(simulator_url: str, **env: str) -> AsyncIterator[tuple[Replica, set[int]]]:
    """The service with two workers, ready; it and its workers are killed if still there at the end."""
    replica = Replica(replica_env(simulator_url, None, **env), "--stateless", "--workers", "2")
    workers: set[int] = set()
    try:
        await wait_until_ready(replica.url, seconds=60)
        workers = workers_of(replica.process.pid)
        assert len(workers) == 2, replica.stderr()[-2000:]
        yield replica, workers
    finally:
        if replica.process.poll() is None:
            replica.process.kill()
            await anyio.to_thread.run_sync(replica.process.wait, 10)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        replica.log.close()


def multiproc_dir(pid: int) -> Path:
    """The metrics directory a worker was started with (from its environment)."""
    environ = dict(entry.split(b"=", 1) for entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in entry)
    return Path(environ[b"PROMETHEUS_MULTIPROC_DIR"].decode())


TOOL_CALLS_OK = ("quant_mcp_tool_calls_total", frozenset({("tool", "list_models"), ("outcome", "ok")}))


async def test_metrics_from_any_worker_count_every_workers_calls(simulator):
    """Calls on new connections land on both workers (each then holds an upstream connection);
    every /metrics read, whichever worker answers it, reports all of them. A worker that dies
    is replaced, and what it counted stays counted."""
    upstream_port = int(simulator.base_url.rsplit(":", 1)[1])
    async with two_workers(simulator.base_url) as (replica, workers):
        calls = 0
        failures: list[str] = []

        async def one_call() -> None:
            nonlocal calls
            async with connect(replica.url, headers={}) as client:
                result = await client.call_tool("list_models", {})
            calls += 1
            if result.is_error:
                failures.append(text_of(result))

        with anyio.fail_after(60):
            for _ in range(40):  # until both workers have served some (the kernel picks who accepts:
                async with anyio.create_task_group() as tg:  # with quick answers, often one for a while)
                    for _ in range(8):
                        tg.start_soon(one_call)
                if all(upstream_connections(pid, upstream_port) for pid in workers):
                    break
        assert failures == []
        assert all(upstream_connections(pid, upstream_port) for pid in workers), "one worker served every call"

        for _ in range(6):
            seen = await scrape(f"{replica.url}/metrics")
            assert seen[TOOL_CALLS_OK] == calls
            assert seen[("quant_mcp_in_flight_calls", frozenset())] == 0
            assert seen[("quant_mcp_draining", frozenset())] == 0

        # A worker killed outright: another takes its place, its count stays, its live gauges go.
        metrics_dir = multiproc_dir(min(workers))
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        await until(lambda: len(workers_of(replica.process.pid) - {victim}) == 2, seconds=20)
        workers |= workers_of(replica.process.pid)  # the replacement is killed at the end too
        await until(lambda: not list(metrics_dir.glob(f"gauge_live*_{victim}.db")), seconds=5)
        await wait_until_ready(replica.url)
        assert (await scrape(f"{replica.url}/metrics"))[TOOL_CALLS_OK] == calls

        started = time.monotonic()
        assert await anyio.to_thread.run_sync(replica.terminate) == 0
        assert time.monotonic() - started < 10
        assert not metrics_dir.exists()  # the service's private directory is gone with it
        assert "Traceback" not in replica.stderr()


async def test_sigterm_to_the_supervisor_drains_every_worker_and_exits_0(simulator):
    """A streamed answer (about 3 s) is in flight when the supervisor gets SIGTERM: readiness
    fails at once, no worker is restarted, the metrics (on QUANT_METRICS_PORT, served by the
    supervisor) show the stream and the drain, the answer arrives whole, and the service exits 0."""
    simulator.state.chunk_delay = 0.1
    metrics_port = free_port()
    metrics = f"http://127.0.0.1:{metrics_port}/metrics"
    async with two_workers(simulator.base_url, QUANT_DRAIN_SECONDS="30", QUANT_METRICS_PORT=str(metrics_port)) as (
        replica,
        workers,
    ):
        metrics_dir = multiproc_dir(min(workers))
        streaming = anyio.Event()
        answer: dict = {}

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            streaming.set()

        async def streamed_call() -> None:
            async with connect(replica.url, headers={}) as client:
                answer["result"] = await client.call_tool(
                    "chat_stream", chat_arguments(LONG_PROMPT), progress_callback=on_progress
                )

        async with anyio.create_task_group() as tg:
            tg.start_soon(streamed_call)
            with anyio.fail_after(15):
                await streaming.wait()
            assert (await scrape(metrics))[("quant_mcp_in_flight_streams", frozenset())] == 1

            replica.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            await anyio.sleep(0.5)
            async with httpx.AsyncClient(timeout=2) as web:
                ready = await web.get(f"{replica.url}/readyz")
            assert ready.status_code == 503 and ready.json() == {"status": "draining"}
            during = await scrape(metrics)
            assert during[("quant_mcp_draining", frozenset())] == 1
            assert during[("quant_mcp_in_flight_streams", frozenset())] == 1
            assert replica.process.poll() is None  # the supervisor waits for the stream
            assert workers_of(replica.process.pid) <= workers  # draining workers are not replaced

        result = answer["result"]
        assert not result.is_error, text_of(result)
        assert result.structured_content["complete"] is True and result.structured_content["chunks"] > 20
        assert await anyio.to_thread.run_sync(replica.process.wait, 10) == 0
        assert time.monotonic() - signalled < 10  # the stream's end, not the 30 s drain time
        assert not metrics_dir.exists()
        stderr = replica.stderr()
        assert "Traceback" not in stderr and "draining 2 workers" in stderr


async def test_a_second_sigterm_stops_every_worker_at_once(simulator):
    simulator.state.chunk_delay = 0.2  # about 6 s
    async with two_workers(simulator.base_url, QUANT_DRAIN_SECONDS="60") as (replica, workers):
        streaming = anyio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            streaming.set()

        async def streamed_call() -> None:
            try:
                async with connect(replica.url, headers={}) as client:
                    await client.call_tool("chat_stream", chat_arguments(LONG_PROMPT), progress_callback=on_progress)
            except Exception:  # cut: what a second signal is for
                pass

        async with anyio.create_task_group() as tg:
            tg.start_soon(streamed_call)
            with anyio.fail_after(15):
                await streaming.wait()
            replica.process.send_signal(signal.SIGTERM)
            await anyio.sleep(0.5)
            assert replica.process.poll() is None  # draining
            replica.process.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            assert await anyio.to_thread.run_sync(replica.process.wait, 10) == 0
            assert time.monotonic() - stopped < 2
            assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
            tg.cancel_scope.cancel()


def test_a_killed_supervisors_metrics_directory_is_removed_by_the_next_one(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphaned = tmp_path / f"{METRICS_DIR_PREFIX}{gone.stdout.strip()}-x1"  # its supervisor was SIGKILLed
    running = tmp_path / f"{METRICS_DIR_PREFIX}{os.getppid()}-x2"  # another service, still running
    for directory in (orphaned, running):
        directory.mkdir()
        (directory / "counter_1.db").write_bytes(b"\0" * 1024)
    with shared_metrics_dir() as path:
        assert not orphaned.exists() and running.exists()
        assert Path(path).name.startswith(f"{METRICS_DIR_PREFIX}{os.getpid()}-")
    assert not Path(path).exists()
