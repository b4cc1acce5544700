"""The /_simulator/ control API (for other processes) and the `simulate` CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from quant_mcp.simulator import Simulator

from .conftest import ORG_A, V3

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[2]


async def test_control_api_steers_log_faults_and_clock_without_a_token(sim: Simulator, http: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=f"{sim.base_url}/_simulator") as control:
        assert (await control.get("/health")).json() == {"status": "ok"}

        created = await control.post("/faults", json={"mode": "status", "status": 429, "retry_after": 2, "path": "/models$"})
        assert created.status_code == 201 and created.json()["fault"]["count"] == 1
        assert [f["mode"] for f in (await control.get("/faults")).json()["faults"]] == ["status"]
        refused = await http.get(f"{V3}/models")
        assert refused.status_code == 429 and refused.headers["retry-after"] == "2"
        assert (await control.get("/faults")).json()["faults"] == []
        await control.post("/faults", json={"mode": "latency", "count": None})
        assert (await control.delete("/faults")).status_code == 200 and (await control.get("/faults")).json()["faults"] == []
        bad = await control.post("/faults", json={"mode": "meteor"})
        assert bad.status_code == 400 and "mode" in bad.json()["message"]

        session = (await http.post(f"{V3}/sessions", json={"userId": "u", "expirationMinutes": 5})).json()["sessionId"]
        moved = await control.post("/clock", json={"advanceSeconds": 301})
        assert moved.status_code == 200 and "now" in moved.json()
        assert (await http.get(f"{V3}/sessions/{session}")).status_code == 404
        assert (await control.post("/clock", json={"advanceSeconds": "soon"})).status_code == 400

        log = (await control.get("/requests")).json()["requests"]
        assert [(r["method"], r["status"], r["fault"]) for r in log] == [
            ("GET", 429, "status"),
            ("POST", 201, None),
            ("GET", 404, None),
        ]
        assert log[1]["body"] == {"userId": "u", "expirationMinutes": 5} and log[1]["organisation"] == ORG_A
        assert (await control.delete("/requests")).status_code == 200
        assert (await control.get("/requests")).json()["requests"] == []


def test_cli_serves_prints_its_url_and_stops_on_ctrl_c() -> None:
    secret = "cli-secret-token-42"
    code = "from quant_mcp.simulator.cli import main; raise SystemExit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "--port", "0", "--token", f"{secret}:org-cli", "--chunk-delay", "0"],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stderr is not None
        first_line = process.stderr.readline()
        url = next(word for word in first_line.split() if word.startswith("http://127.0.0.1:"))
        with httpx.Client(base_url=url) as http:
            assert (
                http.get("/api/v3/organizations/org-cli/ai/models", headers={"Authorization": f"Bearer {secret}"}).status_code
                == 200
            )
            assert (
                http.get("/api/v3/organizations/other/ai/models", headers={"Authorization": f"Bearer {secret}"}).status_code
                == 403
            )
            assert (
                http.get("/api/v3/organizations/org-cli/ai/models", headers={"Authorization": "Bearer guess"}).status_code == 401
            )
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        rest = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
    output = first_line + rest
    assert secret not in output and "Traceback" not in output and "stopped" in rest


def test_cli_reports_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", "from quant_mcp.simulator.cli import main; raise SystemExit(main())", "--port", str(port)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=20,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    assert result.returncode == 1 and f"127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr
