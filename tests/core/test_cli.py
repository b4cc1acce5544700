"""The quant-mcp command as a user runs it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx

from tests.core.test_seed_tools import SEED_TOOLS

QUANT_MCP = [sys.executable, "-m", "quant_mcp"]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*QUANT_MCP, *args], capture_output=True, text=True, timeout=timeout, env={"PATH": "/usr/bin:/bin"})


def test_version():
    result = run("--version")
    assert result.returncode == 0 and re.fullmatch(r"quant-mcp \d+\.\d+\.\d+\n", result.stdout)


def test_tools_table_lists_every_seed_tool_with_toolset_route_and_annotations():
    result = run("tools")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    for tool in SEED_TOOLS:
        assert tool in rows, tool
    assert (
        "sessions" in rows["get_session"]
        and "GET /api/v3/organizations/{organisation}/ai/sessions/{sessionId}" in rows["get_session"]
    )
    assert "read-only" in rows["list_models"] and "destructive" in rows["delete_session"]
    legacy = run("tools", "--api-routes", "legacy")
    assert "GET /organisations/{organisation}/ai/models" in legacy.stdout


def test_demo_walks_the_whole_scenario_over_stdio():
    result = run("demo")
    assert result.returncode == 0, result.stderr[-2000:]
    for step in ["create_session", "chat_stream", "update_session", "read resource quant://sessions/", "get_usage_stats"]:
        assert step in result.stdout
    assert "Demo finished" in result.stdout


def test_simulate_prints_its_url_serves_and_stops_on_ctrl_c():
    process = subprocess.Popen(
        [*QUANT_MCP, "simulate", "--port", "0", "--token", "tok-cli:org-cli"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        for _ in range(50):
            line = process.stderr.readline()
            if match := re.search(r"http://127\.0\.0\.1:\d+", line):
                url = match.group(0)
                break
        assert url, "the simulator prints its base URL on stderr"
        ok = httpx.get(f"{url}/api/v3/organizations/org-cli/ai/models", headers={"Authorization": "Bearer tok-cli"})
        assert ok.status_code == 200 and ok.json()["models"]
        other = httpx.get(f"{url}/api/v3/organizations/elsewhere/ai/models", headers={"Authorization": "Bearer tok-cli"})
        assert other.status_code == 403
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        assert "tok-cli" not in process.stderr.read()
    finally:
        process.kill()
