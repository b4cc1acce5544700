"""A real simulator on a loopback port, and `http`, an httpx client authenticated for organisation A."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from quant_mcp.simulator import Simulator, SimulatorState

TOKEN_A, ORG_A = "sim-test-token-a", "org-a"
TOKEN_B, ORG_B = "sim-test-token-b", "org-b"
V3 = f"/api/v3/organizations/{ORG_A}/ai"
V3_BRITISH = f"/api/v3/organisations/{ORG_A}/ai"
LEGACY = f"/organisations/{ORG_A}/ai"
LITE, MICRO, PRO = "amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "amazon.nova-pro-v1:0"
CLAUDE, TITAN, CANVAS = "anthropic.claude-3-5-sonnet-20241022-v2:0", "amazon.titan-embed-text-v2:0", "amazon.nova-canvas-v1:0"
PNG_BASE64 = "iVBORw0KGgo="  # enough bytes to be valid base64; the simulated models do not decode media


def user(content: object) -> dict[str, object]:
    return {"role": "user", "content": content}


@pytest.fixture
def state() -> SimulatorState:
    """The spec dialect: these tests check the simulator against the generated reference
    (test_sim_live.py checks the live dialect)."""
    return SimulatorState(tokens={TOKEN_A: ORG_A, TOKEN_B: ORG_B}, dialect="spec")


@pytest.fixture
async def sim(state: SimulatorState) -> AsyncIterator[Simulator]:
    async with Simulator(state=state) as running:
        yield running


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {TOKEN_A}"}
    async with httpx.AsyncClient(base_url=sim.base_url, headers=headers, timeout=10) as http:
        yield http
