"""quant-mcp against a peer: the generic server a user could build instead with FastMCP's
``FastMCP.from_openapi`` over the vendored Quant AI reference, pointed at the same simulator.

Compared over stdio: cold start (spawn, initialize, tools/list, exit), per-call latency of
``get_session`` (the peer's ``getAISession``), and the server process's peak memory. quant-mcp
runs with every toolset on, the closest match to the peer's one tool per operation.

FastMCP is a benchmark-only dependency (the ``bench`` extra) and lives in its own venv under
``.bench-cache/peer``: installing it next to quant-mcp would bring ``rich``, which the MCP SDK
then uses for its log handler, changing the very server being measured. The peer is given
its best case: the reference is converted from YAML to JSON once, so it never pays for YAML
parsing at start-up.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.benchmarks._common import (
    CACHE,
    ORGANISATION,
    ROOT,
    TOKEN,
    StdioServer,
    alternating_cold_starts,
    clean_env,
    cli_main,
    create_session,
    median,
    percentile,
    quant_mcp_argv,
    quant_mcp_env,
    row,
    simulator_process,
)

REFERENCE = ROOT / "tests" / "contract" / "quant-ai-openapi.yaml"
PEER_VENV = CACHE / "peer"
PEER_PYTHON = PEER_VENV / "bin" / "python"
PEER_SPEC = CACHE / "quant-ai-openapi.json"

PEER_SERVER = """
import json, sys
import httpx2
from fastmcp import FastMCP

spec_path, base_url, token = sys.argv[1:4]
with open(spec_path) as f:
    spec = json.load(f)
client = httpx2.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
FastMCP.from_openapi(openapi_spec=spec, client=client, name="quant-peer").run("stdio", show_banner=False)
"""


def ensure_peer() -> None:
    """Create the peer's venv with the ``bench`` extra, and its JSON copy of the reference."""
    probe = [str(PEER_PYTHON), "-c", "import fastmcp"]
    if not PEER_PYTHON.exists() or subprocess.run(probe, check=False, capture_output=True).returncode != 0:
        print(f"installing the peer (quant-mcp[bench]: fastmcp) into {PEER_VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        pip = [str(PEER_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "-e", f"{ROOT}[bench]"], check=True, stdout=sys.stderr)
    if not PEER_SPEC.exists() or PEER_SPEC.stat().st_mtime < REFERENCE.stat().st_mtime:
        import yaml

        spec = yaml.load(REFERENCE.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        PEER_SPEC.write_text(json.dumps(spec))


def _servers(base_url: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    """argv and environment of each contender, both pointed at the simulator as the same tenant."""
    return {
        "quant-mcp": (quant_mcp_argv("serve", "--toolsets", "all"), quant_mcp_env(base_url)),
        "peer": ([str(PEER_PYTHON), "-c", PEER_SERVER, str(PEER_SPEC), base_url, TOKEN], clean_env()),
    }


def _get_session(server: StdioServer, name: str, session_id: str) -> float:
    """One get_session call (the peer's getAISession) in milliseconds."""
    started = time.perf_counter()
    if name == "peer":
        server.call_tool("getAISession", {"organisation": ORGANISATION, "sessionId": session_id})
    else:
        server.call_tool("get_session", {"sessionId": session_id})
    return (time.perf_counter() - started) * 1000


def main(quick: bool = False) -> list[dict]:
    ensure_peer()
    starts = 3 if quick else 10
    calls = 100 if quick else 500
    with simulator_process() as base_url:
        servers = _servers(base_url)
        start_ms, tools = alternating_cold_starts(servers, starts)
        session_id = create_session(base_url)
        latency: dict[str, list[float]] = {name: [] for name in servers}
        running = {name: StdioServer(argv, env) for name, (argv, env) in servers.items()}
        try:
            for name, server in running.items():
                server.initialize()
                for _ in range(10):  # warm-up, not measured
                    _get_session(server, name, session_id)
            for _ in range(calls):  # call by call, taking turns
                for name, server in running.items():
                    latency[name].append(_get_session(server, name, session_id))
            peak = {name: server.peak_rss_mb() for name, server in running.items()}
        finally:
            for server in running.values():
                server.close()
    who = f"value: quant-mcp ({tools['quant-mcp']} tools), baseline: FastMCP.from_openapi ({tools['peer']} tools)"
    return [
        row("peer", "cold start, median (ms)", median(start_ms["quant-mcp"]), median(start_ms["peer"]), who),
        *(
            row(
                "peer",
                f"get_session p{q} (ms)",
                percentile(latency["quant-mcp"], q),
                percentile(latency["peer"], q),
                f"stdio, {calls} calls each, alternating",
            )
            for q in (50, 99)
        ),
        row("peer", "peak RSS (MiB)", peak["quant-mcp"], peak["peer"], f"server process VmHWM after {calls + 10} calls"),
    ]


if __name__ == "__main__":
    cli_main(main)
