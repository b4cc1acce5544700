"""The simulator that `quant-mcp serve --simulate` starts on the first call (listener.py)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from quant_mcp.simulator.listener import simulator_on_first_connection
from tests.simulator.conftest import ORG_A, TOKEN_A, V3

pytestmark = pytest.mark.anyio


async def test_the_first_call_starts_the_simulator_and_is_answered() -> None:
    async with simulator_on_first_connection({TOKEN_A: ORG_A}) as base_url:
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN_A}"}) as http:
            first = await http.get(f"{V3}/models")
            second = await http.get(f"{V3}/models")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()


async def test_stopping_before_any_call_closes_the_port() -> None:
    async with simulator_on_first_connection({TOKEN_A: ORG_A}) as base_url:
        pass
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"{base_url}/_simulator/health")


def test_the_package_and_its_demo_identity_import_nothing_heavy() -> None:
    """What makes the lazy start worth it: reading DEMO_TOKEN must not import the app."""
    probe = (
        "import sys; from quant_mcp.simulator import DEMO_TOKEN; import quant_mcp.simulator.listener; "
        "print(sorted(m for m in sys.modules if m.startswith('quant_mcp.simulator.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['quant_mcp.simulator.listener']"
