"""Helpers shared by every benchmark module (``bench_*.py``): statistics, table rows, and
servers in child processes (a stdio MCP server spoken to in raw JSON-RPC, the simulator).

Machines here are shared and noisy, so no benchmark reports a bare number: each figure is
measured side by side with a baseline in the same run (alternating, when they take turns)
and reported as a row ``{benchmark, metric, value, baseline, ratio, note}`` built by
:func:`row`. Any benchmark module may import from here.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench-cache"  # gitignored: the peer's venv and anything else a benchmark installs
PYTHON = sys.executable

# The tenant every benchmark's simulator knows. Not a real token.
TOKEN = "qc_bench-token-0000"
ORGANISATION = "bench-org"

# JSON-RPC over stdio speaks the 2025 handshake: every stdio server here (SDK, FastMCP) takes it.
PROTOCOL_VERSION = "2025-11-25"


# ----------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def row(benchmark: str, metric: str, value: float, baseline: float | None, note: str = "") -> dict[str, Any]:
    """One line of the table; ``ratio`` is value / baseline (None without a baseline)."""
    ratio = value / baseline if baseline else None
    return {
        "benchmark": benchmark,
        "metric": metric,
        "value": value,
        "baseline": baseline,
        "ratio": ratio,
        "note": note,
    }


def print_table(rows: Sequence[Mapping[str, Any]], file: Any = None) -> None:
    """The rows as one aligned text table."""
    columns = ["benchmark", "metric", "value", "baseline", "ratio", "note"]

    def cell(key: str, value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.2f}x" if key == "ratio" else f"{value:.2f}"
        return str(value)

    cells = [[cell(c, r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) if cells else len(c) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(), file=file)
    for line in cells:
        print("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip(), file=file)


def cli_main(main: Any) -> None:
    """``python -m tests.benchmarks.bench_x [--quick]``: run one module and print its table."""
    print_table(main(quick="--quick" in sys.argv[1:]))


# ----------------------------------------------------------------------------- child processes


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without anyone's QUANT_* settings, with a cache directory of the
    benchmarks' own (other checkouts on the machine would replace the tool schema cache with
    theirs), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANT_")}
    return env | {"XDG_CACHE_HOME": str(CACHE / "xdg")} | extra


def quant_mcp_argv(*args: str) -> list[str]:
    """``quant-mcp ARGS`` run by this interpreter (``python -m quant_mcp``)."""
    return [PYTHON, "-m", "quant_mcp", *args]


def quant_mcp_env(base_url: str) -> dict[str, str]:
    """Environment for ``quant-mcp serve`` pointed at a simulator as the benchmark tenant."""
    return clean_env(QUANT_BASE_URL=base_url, QUANT_API_TOKEN=TOKEN, QUANT_ORGANIZATION=ORGANISATION)


class StdioServer:
    """An MCP server in a child process, spoken to in raw JSON-RPC lines over its stdin/stdout.

    Raw messages keep client-side cost (parsing, validation) the same for every server
    compared, so the differences measured are the servers'. Messages the server sends on its
    own (notifications, log lines) are skipped while waiting for an answer.
    """

    def __init__(self, argv: Sequence[str], env: Mapping[str, str] | None = None, lifetime: float = 600.0) -> None:
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=dict(env) if env is not None else clean_env(),
            cwd=ROOT,
        )
        # A stuck server is killed after `lifetime` seconds, so a benchmark fails instead of hanging.
        self._watchdog = threading.Timer(lifetime, self.process.kill)
        self._watchdog.daemon = True
        self._watchdog.start()
        self._next_id = 0
        self._closed = False

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, **({"params": params} if params is not None else {})})

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one request and return its result; an error answer or a dead server raises."""
        self._next_id += 1
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params or {}})
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"server exited during {method}: {self.stderr_tail()}")
            message = json.loads(line)
            if message.get("id") != self._next_id or "method" in message:
                continue
            if "error" in message:
                raise RuntimeError(f"{method} failed: {message['error']}")
            return message["result"]

    def initialize(self) -> dict[str, Any]:
        result = self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "quant-mcp-benchmarks", "version": "1"},
            },
        )
        self.notify("notifications/initialized")
        return result

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = self.request("tools/call", {"name": name, "arguments": arguments})
        if result.get("isError"):
            raise RuntimeError(f"{name} failed: {result.get('content')}")
        return result

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory so far (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc (Linux only)")

    def stderr_tail(self, chars: int = 2000) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-chars:]

    def close(self) -> int:
        """Close stdin (an MCP stdio server's cue to exit) and wait for the process to end."""
        self._closed = True
        assert self.process.stdin is not None
        try:
            self.process.stdin.close()
        except BrokenPipeError:  # it is gone already
            pass
        try:
            code = self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._watchdog.cancel()
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr.close()
        return code

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._closed:
            self.close()


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_start(argv: Sequence[str], env: Mapping[str, str] | None = None) -> tuple[float, int, float]:
    """Seconds from spawn to exit for: initialize, tools/list, close; the number of tools; and
    the server process's CPU seconds (the figure a busy machine disturbs least)."""
    started, cpu = time.perf_counter(), children_cpu()
    with StdioServer(argv, env) as server:
        server.initialize()
        tools = server.request("tools/list")["tools"]
        server.close()
    return time.perf_counter() - started, len(tools), children_cpu() - cpu


def alternating_cold_starts(
    servers: Mapping[str, tuple[Sequence[str], Mapping[str, str]]], runs: int, cpu: dict[str, list[float]] | None = None
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Cold-start each named server (argv, env) ``runs`` times, taking turns, after one
    unmeasured warm-up each (byte-code and page caches); returns milliseconds and tool counts,
    and fills ``cpu`` (when given) with each run's CPU milliseconds."""
    for argv, env in servers.values():
        cold_start(argv, env)
    times: dict[str, list[float]] = {name: [] for name in servers}
    tools: dict[str, int] = {}
    for _ in range(runs):
        for name, (argv, env) in servers.items():
            seconds, tools[name], cpu_seconds = cold_start(argv, env)
            times[name].append(seconds * 1000)
            if cpu is not None:
                cpu.setdefault(name, []).append(cpu_seconds * 1000)
    return times, tools


_SIMULATOR = """
import sys, anyio
from quant_mcp.simulator import Simulator

async def main(token, organisation):
    async with Simulator(tokens={token: organisation}) as sim:
        print(sim.base_url, flush=True)
        await anyio.to_thread.run_sync(sys.stdin.read)

anyio.run(main, *sys.argv[1:3])
"""


@contextmanager
def simulator_process() -> Iterator[str]:
    """The Quant AI simulator in its own process (so it never competes with the code being
    measured for this process's event loop or GIL); yields its base URL. It knows one tenant:
    :data:`TOKEN` bound to :data:`ORGANISATION`."""
    process = subprocess.Popen(
        [PYTHON, "-c", _SIMULATOR, TOKEN, ORGANISATION],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=clean_env(),
        cwd=ROOT,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError("the simulator did not start")
        yield base_url
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def http_server(
    base_url: str, *serve_args: str, inbound_token: str, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """``quant-mcp serve --transport http [serve_args]`` in a child process, pointed at a
    simulator, admitting clients that present ``inbound_token`` (static auth, as deployed);
    yields its base URL and process id once /readyz answers."""
    import httpx  # a test extra: imported on use, like create_session's

    port = _free_port()
    env = quant_mcp_env(base_url) | {"QUANT_HTTP_AUTH": "static", "QUANT_HTTP_TOKENS": inbound_token} | dict(env or {})
    argv = quant_mcp_argv("serve", "--transport", "http", "--port", str(port), *serve_args)
    # stderr to a file, not a pipe nobody reads: access and audit lines would fill a pipe and stall the server.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                stderr = log.read().decode(errors="replace")
                raise RuntimeError(f"the HTTP server did not start: {stderr[-1000:]}")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def create_session(base_url: str) -> str:
    """A fresh session in the simulator, made with plain httpx; returns its id."""
    import httpx

    response = httpx.post(
        f"{base_url}/api/v3/organizations/{ORGANISATION}/ai/sessions",
        json={"userId": "bench-user"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    response.raise_for_status()
    return response.json()["sessionId"]
