"""Light clients, a canned upstream and the server processes they measure, for the HTTP
benchmarks (``bench_http_servers``, ``bench_workers``).

On a 2-core machine a load generator built on an HTTP client library and the simulator as the
upstream together need more than one core, and then the servers measured are starved of CPU,
which changes their CPU per call as much as the differences being measured (it made one
quant-mcp process run at ~0.45 of a core, and two workers look no faster than one). So:

- the **upstream** answers every request with the same bytes (the simulator's own
  ``list_models`` answer, taken once at the start) from a bare ``asyncio.Protocol``;
- the **clients** are keep-alive connections in the benchmark's process, each writing one
  pre-built ``tools/call`` POST (stateless: no session) and reading its answer with
  ``asyncio.Protocol`` too; every answer is checked to be a tool result.

Together they cost ~0.2-0.3 ms of CPU per call, against the servers' ~3 ms; :func:`drive`
reports both. **CPU per call** is the server's user + system time read from ``/proc`` (its
workers included): the figure a busy machine disturbs least.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2

from tests.benchmarks._common import ORGANISATION, PYTHON, ROOT, TOKEN, _free_port, clean_env, simulator_process

CLIENT_TOKEN = "bench-inbound-token"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP_SECONDS = 1.5

CANNED_UPSTREAM = r"""
import asyncio, sys

body = open(sys.argv[1], "rb").read()
answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

class Upstream(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.pending = transport, b""

    def data_received(self, data):  # GET requests: no body, so each ends at its blank line
        self.pending += data
        while (end := self.pending.find(b"\r\n\r\n")) >= 0:
            self.pending = self.pending[end + 4:]
            self.transport.write(answer)

async def main():
    server = await asyncio.get_running_loop().create_server(Upstream, "127.0.0.1", 0)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the benchmark closes stdin

asyncio.run(main())
"""


@contextmanager
def canned_upstream() -> Iterator[tuple[str, int]]:
    """The canned upstream in its own process: its base URL and pid."""
    with simulator_process() as base_url:
        answer = httpx.get(
            f"{base_url}/api/v3/organizations/{ORGANISATION}/ai/models", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        answer.raise_for_status()
    with tempfile.NamedTemporaryFile(suffix=".json") as body:
        body.write(answer.content)
        body.flush()
        upstream = subprocess.Popen(
            [PYTHON, "-c", CANNED_UPSTREAM, body.name], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=clean_env()
        )
        try:
            assert upstream.stdout is not None
            yield upstream.stdout.readline().strip(), upstream.pid
        finally:
            assert upstream.stdin is not None
            upstream.stdin.close()
            upstream.wait(10)


class Contender:
    """One server process: how to call ``list_models`` on it, and its CPU time so far."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], tool: str, arguments: dict[str, Any]) -> None:
        self.name, self.tool, self.arguments = name, tool, arguments
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()

    def start(self) -> None:
        # stderr to a file, never an unread pipe: a server logging each request (the SDK's default
        # INFO level) would block once the pipe's 64 KiB are full, after ~500 calls
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self) -> float:
        """User + system time of the server process and of every live process under it (workers)."""
        assert self.process is not None
        total, pending = 0.0, [self.process.pid]
        while pending:
            pid = pending.pop()
            try:
                total += _cpu(pid)
                pending += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
        return total


@contextmanager
def running(contenders: list[Contender]) -> Iterator[None]:
    with ExitStack() as stack:
        for contender in contenders:
            contender.start()
            stack.callback(contender.stop)
        anyio.run(_wait_until_answering, contenders)
        yield


async def _wait_until_answering(contenders: list[Contender]) -> None:
    async with httpx2.AsyncClient(timeout=5) as http:
        for contender in contenders:
            deadline = time.monotonic() + 60
            while True:
                try:
                    await _call(http, contender)
                    break
                except (httpx2.TransportError, RuntimeError) as exc:
                    assert contender.process is not None
                    if contender.process.poll() is not None or time.monotonic() > deadline:
                        contender.log.seek(0)
                        stderr = contender.log.read().decode("utf-8", "replace")
                        raise RuntimeError(f"{contender.name} did not start ({exc}): {stderr[-1500:]}") from None
                    await anyio.sleep(0.2)


HEADERS = {
    "Authorization": f"Bearer {CLIENT_TOKEN}",
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


async def _call(http: httpx2.AsyncClient, contender: Contender) -> None:
    """One tools/call as one POST (stateless: no session); its answer must be a tool result."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": contender.tool, "arguments": contender.arguments},
    }
    response = await http.post(contender.url, content=json.dumps(body), headers=HEADERS)
    text = response.text
    if response.status_code != 200 or '"result"' not in text or '"isError":true' in text.replace(" ", ""):
        raise RuntimeError(f"{contender.name}: {response.status_code} {text[:300]}")


class Caller(asyncio.Protocol):
    """One keep-alive connection making one ``tools/call`` after another."""

    def __init__(self, request: bytes, latencies: list[float], failures: list[bytes]) -> None:
        self.request, self.latencies, self.failures = request, latencies, failures
        self.buffer = b""
        self.measuring = False
        self.stopped = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self._send()

    def _send(self) -> None:
        self.began = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        answer = self._complete()
        if answer is None:
            return
        if self.measuring:
            if answer.startswith(b"HTTP/1.1 200") and b'"result"' in answer and b'"isError":true' not in answer:
                self.latencies.append((time.perf_counter() - self.began) * 1000)
            else:
                self.failures.append(answer[:300])
        self._send()

    def _complete(self) -> bytes | None:
        """The whole first answer in the buffer (taken out of it), or None while it is partial."""
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        head = self.buffer[:head_end].lower()
        if b"transfer-encoding: chunked" in head:
            end = self.buffer.find(b"\r\n0\r\n\r\n", head_end)
            if end < 0:
                return None
            end += 7
        else:
            length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return None
        answer, self.buffer = self.buffer[:end], self.buffer[end:]
        return answer

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.stopped.done():
            self.stopped.set_result(None)


def _request(contender: Contender) -> bytes:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": contender.tool, "arguments": contender.arguments}}
    ).encode()
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{contender.port}\r\nAuthorization: Bearer {CLIENT_TOKEN}\r\n"
        "Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n"
        f"MCP-Protocol-Version: 2025-11-25\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def drive(contender: Contender, clients: int, seconds: float, upstream_pid: int) -> dict[str, Any]:
    """``clients`` callers for ``seconds`` after a warm-up: latencies (ms), wall and server CPU
    seconds, the clients' and the upstream's CPU seconds, and failed calls."""
    latencies: list[float] = []
    failures: list[bytes] = []
    loop = asyncio.get_running_loop()
    request = _request(contender)
    callers = []
    for _ in range(clients):
        _, caller = await loop.create_connection(lambda: Caller(request, latencies, failures), "127.0.0.1", contender.port)
        callers.append(caller)
    await asyncio.sleep(WARM_UP_SECONDS)
    for caller in callers:
        caller.measuring = True
    cpu, own, upstream_cpu, began = contender.cpu_seconds(), time.process_time(), _cpu(upstream_pid), time.perf_counter()
    await asyncio.sleep(seconds)
    for caller in callers:
        caller.measuring = False
    wall = time.perf_counter() - began
    figures = {
        "ms": list(latencies),
        "wall": wall,
        "cpu": contender.cpu_seconds() - cpu,
        "clients_cpu": time.process_time() - own,
        "upstream_cpu": _cpu(upstream_pid) - upstream_cpu,
        "failures": len(failures),
    }
    for caller in callers:
        caller.transport.close()
    await asyncio.gather(*(caller.stopped for caller in callers))
    print(f"  {contender.name}, {clients} clients: {len(latencies) / wall:.0f} calls/s", file=sys.stderr)
    if failures:
        print(f"  {contender.name}: {len(failures)} failed, e.g. {failures[0]!r}", file=sys.stderr)
    return figures


def total(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several runs pooled."""
    pooled: dict[str, Any] = {"ms": [ms for run in runs for ms in run["ms"]]}
    for key in ("wall", "cpu", "clients_cpu", "upstream_cpu", "failures"):
        pooled[key] = sum(run[key] for run in runs)
    return pooled


def _cpu(pid: int) -> float:
    """User + system seconds of one process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
