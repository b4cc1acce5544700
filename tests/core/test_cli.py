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


# ----------------------------------------------------------------------------- help and misconfiguration


def test_help_says_what_each_command_and_option_does_and_how_credentials_are_given():
    top = run("--help")
    assert top.returncode == 0
    assert "QUANT_API_TOKEN" in top.stdout and "QUANT_ORGANIZATION" in top.stdout and "quant-mcp demo" in top.stdout
    for command in ("serve", "tools", "demo", "simulate"):
        assert re.search(rf"^    {command}\s+\S", top.stdout, re.M), f"{command} has no description"
    serve = run("serve", "--help").stdout
    assert "QUANT_API_TOKEN" in serve
    options = re.findall(r"^  (--[\w-]+)(.*(?:\n {10,}.*)*)", serve, re.M)
    assert len(options) >= 17
    for option, text in options:
        assert text.strip(), f"serve {option} has no help"
    assert "stdio" in dict(options)["--transport"]
    assert "QUANT_API_TOKEN" in dict(options)["--simulate"]  # says it ignores the credentials
    for command in ("tools", "demo"):
        assert run(command, "--help").stdout.count("\n") > 3
    simulate = run("simulate", "--help").stdout
    assert "any" in simulate and "bearer token" in simulate and "--token" in simulate


def test_bad_settings_are_named_by_their_environment_variables_all_at_once():
    result = subprocess.run(
        [*QUANT_MCP, "tools"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "QUANT_READ_ONLY": "maybe",
            "QUANT_TIMEOUT": "-1",
            "QUANT_BASE_URL": "dashboard.quantcdn.io",
        },
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "QUANT_READ_ONLY: should be true or false (got 'maybe')" in result.stderr
    assert "QUANT_TIMEOUT: Input should be greater than 0" in result.stderr
    assert "QUANT_BASE_URL: must start with http:// or https://" in result.stderr
    assert "read_only" not in result.stderr


def test_a_secret_setting_is_never_quoted_in_its_error():
    result = subprocess.run(
        [*QUANT_MCP, "tools"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "QUANT_HTTP_TOKENS": "s3cret-value", "QUANT_HTTP_AUTH": "sometimes"},
    )
    assert "QUANT_HTTP_AUTH" in result.stderr and "s3cret-value" not in result.stderr


def test_a_mistyped_tool_name_gets_the_closest_names():
    result = run("tools", "--tools", "list_agent,chat_streem")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "chat_streem (did you mean chat_stream?)" in result.stderr
    assert "list_agent (did you mean list_agents" in result.stderr


def test_tools_with_dynamic_toolsets_reports_what_the_server_offers_at_start():
    result = run("tools", "--dynamic-toolsets")
    assert result.returncode == 0
    assert "none at start with --dynamic-toolsets" in result.stdout and "enable_toolset" in result.stdout
    assert not [line for line in result.stdout.splitlines()[1:] if re.search(r"\s(yes\s+){2}", line)]


def test_a_wrong_base_url_names_the_url_and_the_setting():
    async def call() -> str:
        from mcp import Client, StdioServerParameters

        env = {"PATH": "/usr/bin:/bin", "QUANT_API_TOKEN": "qc_x", "QUANT_ORGANIZATION": "org"}
        env |= {"QUANT_BASE_URL": "http://127.0.0.1:9", "QUANT_MAX_RETRIES": "0"}
        async with Client(StdioServerParameters(command=sys.executable, args=["-m", "quant_mcp", "serve"], env=env)) as client:
            result = await client.call_tool("list_models", {})
            assert result.is_error
            return result.content[0].text

    import anyio

    text = anyio.run(call)
    assert "http://127.0.0.1:9" in text and "QUANT_BASE_URL" in text, text


def test_no_organisation_and_no_token_are_reported_together():
    async def call() -> str:
        from mcp import Client, StdioServerParameters

        params = StdioServerParameters(command=sys.executable, args=["-m", "quant_mcp", "serve"], env={"PATH": "/usr/bin:/bin"})
        async with Client(params) as client:
            result = await client.call_tool("list_models", {})
            assert result.is_error
            return result.content[0].text

    import anyio

    text = anyio.run(call)
    assert "QUANT_ORGANIZATION" in text and "QUANT_API_TOKEN" in text, text


def test_serve_simulate_uses_the_simulators_identity_whatever_the_environment_says():
    async def call() -> bool:
        from mcp import Client, StdioServerParameters

        env = {"PATH": "/usr/bin:/bin", "QUANT_API_TOKEN": "qc_real-token", "QUANT_ORGANIZATION": "my-org"}
        params = StdioServerParameters(command=sys.executable, args=["-m", "quant_mcp", "serve", "--simulate"], env=env)
        async with Client(params) as client:
            return (await client.call_tool("list_models", {})).is_error

    import anyio

    assert anyio.run(call) is False
