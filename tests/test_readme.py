"""The README stays true: every setting documented, the tool table current, the test command real,
the client snippets and the Docker HTTP example working as written, links that work on the
package index."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import sys
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from quant_mcp.config import Settings
from quant_mcp.inventory import print_tool_table
from tests.conftest import TEST_ORG, TEST_TOKEN, text_of
from tests.http.conftest import free_port, wait_until_ready

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
QUANT_MCP = str(Path(sys.executable).with_name("quant-mcp"))
CHECKOUT_COMMAND = "/path/to/quant-mcp/.venv/bin/quant-mcp"


def section(title: str) -> str:
    """The README's text under a ``## title`` heading, up to the next one."""
    return re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M).group(1)


def test_every_setting_is_documented():
    missing = [f"QUANT_{name.upper()}" for name in Settings.model_fields if f"`QUANT_{name.upper()}`" not in README]
    assert not missing, f"README lacks: {missing}"


def test_tool_table_matches_the_catalog():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_tool_table(Settings(_env_file=None), markdown=True)
    table = re.search(r"<!-- tools-table -->\n(.*?)\n<!-- /tools-table -->", README, re.S).group(1)
    assert table == out.getvalue().strip(), "regenerate it with `quant-mcp tools --markdown`"


def test_ci_runs_the_readme_test_command():
    command = re.search(r"```bash\n(python3 -m venv .*pytest)\n```", README).group(1)
    ci = (ROOT / ".ci" / "run").read_text()
    assert command.split("&& ")[-1] in ci and 'pip install --quiet -e ".[test]"' in ci


def test_the_first_commands_work_on_a_stock_debian_python():
    """No bare `pip install` into the system Python (externally managed there), no `python` (absent)."""
    first = re.search(r"```bash\n(.*?)```", section("Two commands"), re.S).group(1)
    lines = [line.split("#")[0].strip() for line in first.splitlines()]
    assert lines[1].startswith("python3 -m venv .venv && . .venv/bin/activate && pip install")
    assert not any(re.match(r"(pip|python) ", line) for line in lines)


def test_links_are_absolute_so_they_work_on_the_package_index():
    relative = [target for target in re.findall(r"\]\(([^)]+)\)", README) if not target.startswith(("https://", "http://", "#"))]
    assert not relative, relative


def client_launches() -> dict[str, tuple[str, list[str], dict[str, str]]]:
    """Each client snippet of the README as its client would launch it: (command, args, env)."""
    text = section("Use it from your MCP client")
    inputs = {"${input:quant-token}": TEST_TOKEN, "qc_...": TEST_TOKEN, "my-org": TEST_ORG}
    launches = {}
    for number, block in enumerate(re.findall(r"```json\n(.*?)```", text, re.S)):
        snippet = json.loads(block)
        [server] = (snippet.get("mcpServers") or snippet["servers"]).values()
        env = {k: inputs.get(v, v) for k, v in server["env"].items()}
        launches[f"json snippet {number + 1}"] = (server["command"], server["args"], env)
    [claude] = re.findall(r"^claude mcp add .*$", text, re.M)
    words = shlex.split(claude)
    env = dict(inputs.get(v, v) for v in [])
    env = dict(pair.split("=", 1) for flag, pair in zip(words, words[1:], strict=False) if flag == "--env")
    env = {k: inputs.get(v, v) for k, v in env.items()}
    command, *args = words[words.index("--") + 1 :]
    launches["claude code"] = (command, args, env)
    return launches


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(client_launches()))
async def test_each_client_snippet_from_a_checkout_works_against_the_simulator(name):
    """As the README says: the checkout's quant-mcp, with "--simulate" after "serve", the settings left in."""
    command, args, env = client_launches()[name]
    assert command == CHECKOUT_COMMAND and args == ["serve"], (command, args)
    assert '"args": ["serve", "--simulate"]' in section("Use it from your MCP client")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANT_")} | env
    params = StdioServerParameters(command=QUANT_MCP, args=["serve", "--simulate"], env=env)
    async with Client(params) as client:
        result = await client.call_tool("list_models", {})
        assert not result.is_error, text_of(result)


@pytest.mark.anyio
async def test_the_docker_http_example_answers_its_allowed_host(simulator):
    """The README's `docker run` HTTP example: its env and its command, on loopback instead of 0.0.0.0:8000."""
    block = re.search(r"```bash\n(docker build.*?)```", README, re.S).group(1).replace("\\\n", " ")
    run = shlex.split(next(line for line in block.splitlines() if "--transport http" in line))
    env = dict(run[i + 1].split("=", 1) for i, word in enumerate(run) if word == "-e")
    args = run[run.index("quant-mcp") + 1 :]
    assert env["QUANT_HTTP_ALLOWED_HOSTS"].split(",")[0] == "mcp.example.com"
    port = free_port()
    args = [{"0.0.0.0": "127.0.0.1"}.get(a, a) for a in args] + ["--port", str(port)]
    base = {k: v for k, v in os.environ.items() if not k.startswith("QUANT_")}
    process = await anyio.open_process([QUANT_MCP, *args], env=base | env | {"QUANT_BASE_URL": simulator.base_url})
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_until_ready(url, "/healthz")
        headers = {
            "Authorization": f"Bearer {env['QUANT_HTTP_TOKENS']}",
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
        }
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "readme", "version": "1"}},
        }
        async with httpx.AsyncClient() as web:
            for host, status in [("mcp.example.com", 200), ("mcp.example.com:8000", 200), ("elsewhere.example", 421)]:
                answer = await web.post(f"{url}/mcp", json=body, headers=headers | {"Host": host})
                assert answer.status_code == status, (host, answer.status_code, answer.text[:300])
    finally:
        process.terminate()
        await process.wait()
