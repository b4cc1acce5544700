"""The live dialect end to end: the simulator speaking it over loopback, the server, the SDK's client.

``live`` is a simulator in the live dialect; ``dialect_sim`` runs a test in both dialects.
``connect`` opens the SDK's in-memory client on a server wired to a simulator (settings
overridable). ``Progress`` records progress notifications; ``sent`` finds what went upstream.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from quant_mcp.server import build_server
from quant_mcp.simulator import RequestRecord, Simulator
from tests.conftest import OTHER_ORG, OTHER_TOKEN, TEST_ORG, TEST_TOKEN, make_settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def live() -> AsyncIterator[Simulator]:
    async with Simulator(tokens={TEST_TOKEN: TEST_ORG, OTHER_TOKEN: OTHER_ORG}) as sim:  # the default: live
        assert sim.state.dialect == "live"
        yield sim


@pytest.fixture(params=["live", "spec"])
async def dialect_sim(request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    async with Simulator(tokens={TEST_TOKEN: TEST_ORG}, dialect=request.param) as sim:
        yield sim


@contextlib.asynccontextmanager
async def connect(sim: Simulator, **settings: Any) -> AsyncIterator[Client]:
    async with Client(build_server(make_settings(sim, toolsets=["all"], **settings))) as client:
        yield client


class Progress:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.messages.append(message or "")

    @property
    def text(self) -> str:
        return "".join(m for m in self.messages if not m.startswith("["))

    def notes(self) -> list[str]:
        return [m for m in self.messages if m.startswith("[")]


def sent(sim: Simulator, method: str, suffix: str) -> list[RequestRecord]:
    return [r for r in sim.state.requests if r.method == method and r.path.endswith(suffix)]
