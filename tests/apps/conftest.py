"""The MCP Apps views in a real browser: headless Debian Chromium, driven by Playwright, loads
``host.html`` (the official AppBridge from ``@modelcontextprotocol/ext-apps``, bundled by
``scripts/apps-host.sh``), which shows a view in a sandboxed frame and feeds it a real tool
result from the server over the simulator. The view's own tool calls go back to that server.

Anything a view throws (page errors, console errors, CSP refusals, errors it logs to the host)
fails the test. Screenshots land in ``build/apps/`` (or ``$QUANT_MCP_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from quant_mcp.server import build_server
from quant_mcp.simulator import Simulator
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("QUANT_MCP_ARTIFACTS") or ROOT / "build" / "apps")
HOST_PAGE = Path(__file__).with_name("host.html")
ORIGIN = "http://quant-mcp-host.test"  # served by page.route: nothing leaves the machine


def apps_host() -> Client:
    """How an MCP Apps host declares the extension when it connects."""
    return advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})


@pytest.fixture(scope="session")
def app_bridge() -> Path:
    """Chromium and the bundled AppBridge, installed once; skipped (failed under CI) when they cannot be."""
    run = subprocess.run(["bash", str(ROOT / "scripts" / "apps-host.sh")], capture_output=True, text=True, timeout=900)
    chromium = shutil.which("chromium")
    if run.returncode != 0 or chromium is None:
        reason = f"MCP Apps browser tests need chromium and the ext-apps bundle: {run.stderr.strip()[-500:]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return Path(run.stdout.strip().splitlines()[-1])


@pytest.fixture
async def apps_client(simulator: Simulator) -> AsyncIterator[Client]:
    """The SDK's client, declaring MCP Apps as a host does, on a server wired to the simulator."""
    settings = make_settings(simulator, toolsets=["default", "images"])  # generate_image has a view, and is off by default
    async with Client(build_server(settings), extensions=[apps_host()]) as client:
        yield client


class ViewHost:
    """One browser page holding host.html; ``open`` shows a view with a tool's input and result."""

    def __init__(self, page: Any, client: Client) -> None:
        self.page = page
        self.client = client
        self.problems: list[str] = []

    async def open(
        self,
        uri: str,
        tool: str,
        arguments: dict[str, Any],
        result: Any,
        theme: str = "light",
        capabilities: dict[str, Any] | None = None,
    ) -> Any:
        """Read the view from the server, hand it the tool's real result, and return its frame."""
        html = (await self.client.read_resource(uri)).contents[0].text
        listed = {t.name: t for t in (await self.client.list_tools()).tools}
        await self.page.goto(f"{ORIGIN}/host.html")
        await self.page.evaluate(
            "(view) => window.openView(view)",
            {
                "html": html,
                "theme": theme,
                "tool": listed[tool].model_dump(mode="json", by_alias=True, exclude_none=True),
                "toolInput": arguments,
                "toolResult": result.model_dump(mode="json", by_alias=True, exclude_none=True),
                "capabilities": capabilities,  # None: a host that does everything
            },
        )
        frame = self.page.frame_locator("#view")
        await frame.locator("body").wait_for()
        return frame

    async def host_state(self) -> dict[str, Any]:
        return await self.page.evaluate("() => window.host")

    async def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await self.page.locator("#view").screenshot(path=str(path))
        return path


@pytest.fixture
async def view_host(app_bridge: Path, apps_client: Client) -> AsyncIterator[ViewHost]:
    from playwright.async_api import Route, async_playwright

    async def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/host.html":
            await route.fulfill(body=HOST_PAGE.read_text(encoding="utf-8"), content_type="text/html")
        elif path == "/app-bridge.js":
            await route.fulfill(body=app_bridge.read_text(encoding="utf-8"), content_type="text/javascript")
        else:
            await route.fulfill(status=404)

    async def call_tool(params: dict[str, Any]) -> dict[str, Any]:
        result = await apps_client.call_tool(params["name"], params.get("arguments") or {})
        return result.model_dump(mode="json", by_alias=True, exclude_none=True)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=[
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
            timeout=60_000,
        )
        try:
            page = await browser.new_page(viewport={"width": 880, "height": 900})
            page.set_default_timeout(20_000)
            host = ViewHost(page, apps_client)
            page.on("pageerror", lambda error: host.problems.append(f"page error: {error}"))
            page.on("console", lambda message: message.type == "error" and host.problems.append(f"console: {message.text}"))
            await page.route(f"{ORIGIN}/**", serve)
            await page.route(lambda url: not url.startswith(ORIGIN), lambda route: route.abort())  # the view fetches nothing
            await page.expose_function("hostCallTool", call_tool)
            yield host
            logged = [entry for entry in (await host.host_state())["logs"] if entry.get("level") == "error"]
            host.problems += [f"view logged: {entry.get('data')}" for entry in logged]
            assert not host.problems, "the view failed in the browser:\n" + "\n".join(host.problems)
        finally:
            await browser.close()
