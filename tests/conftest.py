"""Shared fixtures: a real simulator on loopback, and the MCP server wired to it.

Every test talks to real parts: the simulator over loopback HTTP, the server through the
SDK's in-memory client (both protocol eras), a stdio subprocess, or uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from quant_mcp.config import Settings
from quant_mcp.server import build_server
from quant_mcp.simulator import Simulator

# A recognisable token: the secrets tests look for it in every output.
TEST_TOKEN = "qc_SECRET-test-token-9f8e7d6c5b4a"
TEST_ORG = "test-org"
OTHER_TOKEN = "qc_SECRET-other-token-1a2b3c4d5e6f"
OTHER_ORG = "other-org"
MODEL = "amazon.nova-lite-v1:0"  # the default model of the tests: takes text, images, video and documents


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    """The Quant AI simulator on an ephemeral loopback port, two tenants bound to their orgs,
    speaking the generated reference's dialect (tests/live runs the live one)."""
    async with Simulator(tokens={TEST_TOKEN: TEST_ORG, OTHER_TOKEN: OTHER_ORG}, dialect="spec") as sim:
        yield sim


def make_settings(simulator: Simulator, **overrides: Any) -> Settings:
    """Settings pointing at the simulator, isolated from the developer's own QUANT_* variables."""
    values: dict[str, Any] = {
        "api_token": TEST_TOKEN,
        "organization": TEST_ORG,
        "base_url": simulator.base_url,
        "max_retries": 2,
        "retry_max_wait": 2.0,
        "timeout": 5.0,
        "toolsets": ["default"],
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def _no_quant_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real QUANT_* environment."""
    for name in list(os.environ):
        if name.startswith("QUANT_"):
            monkeypatch.delenv(name)


@pytest.fixture(params=["auto", "legacy"], ids=["era-2026", "era-2025"])
def era(request: pytest.FixtureRequest) -> str:
    """Both protocol eras the SDK speaks: 2026-07-28 ("auto") and 2025-11-25 ("legacy")."""
    return request.param


@pytest.fixture
async def mcp_client(simulator: Simulator) -> AsyncIterator[Client]:
    """The SDK's in-memory client on a server wired to the simulator (v3 routes, 2026 era)."""
    async with Client(build_server(make_settings(simulator))) as client:
        yield client


def text_of(result: Any) -> str:
    """All text content of a tool result, joined."""
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")
