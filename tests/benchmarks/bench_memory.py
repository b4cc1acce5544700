"""Peak memory of a chat carrying the largest attachment Quant AI takes, as a multiple of it.

Quant AI caps a request at 25 MB and media travel base64-encoded (4 bytes per 3), so the
largest attachment is about 18.7 MB; this uses an 18.5 MiB PDF (a 24.7 MiB request). Each
measurement runs in a fresh child process so nothing else shares its heap; the simulator runs
in a third process. Memory is tracemalloc's peak of Python allocations during the one call,
above what the process held just before it (the interpreter and imports are not counted);
the RSS high-water mark's growth is given in the note for reference.

* streamed: the ``chat`` tool through the SDK's in-memory client, the file given as a
  ``{"file": {"path": ...}}`` block (read and base64-encoded chunk by chunk into the request);
* embedded: the same file passed as an MCP embedded resource (its base64 already in the
  arguments, as a client would send it);
* baseline: what the obvious code does: read the file, base64 it, ``json.dumps`` the body,
  encode it and POST it with httpx.

Target: the streamed chat under 3x the payload.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from tests.benchmarks._common import ORGANISATION, PYTHON, ROOT, TOKEN, clean_env, cli_main, row, simulator_process
from tests.conftest import MODEL

BENCHMARK = "attachment memory"
PAYLOAD = int(18.5 * 1024 * 1024)


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _measured(call: Any) -> dict[str, float]:
    """Run ``call()`` under tracemalloc; its peak above the memory held before it, and RSS growth."""
    rss_before = _rss_kb("VmRSS")
    tracemalloc.reset_peak()
    held, _ = tracemalloc.get_traced_memory()
    answer = call()
    _, peak = tracemalloc.get_traced_memory()
    if "with 1 document" not in answer:
        raise RuntimeError(f"the chat did not carry the document: {answer[:300]}")
    return {"peak": peak - held, "rss_growth": (_rss_kb("VmHWM") - rss_before) * 1024}


def _mcp_chat(base_url: str, path: Path, block: dict[str, Any]) -> dict[str, float]:
    import anyio
    from mcp import Client

    from quant_mcp.config import Settings
    from quant_mcp.server import build_server

    settings = Settings(
        _env_file=None, base_url=base_url, api_token=TOKEN, organization=ORGANISATION, allowed_dirs=[str(path.parent)]
    )

    async def run() -> str:
        async with Client(build_server(settings)) as client:
            warm = await client.call_tool("chat", {"modelId": MODEL, "messages": [{"role": "user", "content": "warm up"}]})
            assert not warm.is_error, warm.content
            arguments = {"modelId": MODEL, "messages": [{"role": "user", "content": [block, {"text": "Summarise."}]}]}
            result = await client.call_tool("chat", arguments)
            answer = result.structured_content["response"]["content"] if not result.is_error else str(result.content)
            return answer

    tracemalloc.start()
    return _measured(lambda: anyio.run(run))


def _naive_chat(base_url: str, path: Path) -> dict[str, float]:
    import httpx

    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as http:
        http.get(f"/api/v3/organizations/{ORGANISATION}/ai/models")  # warm the connection up

        def call() -> str:
            encoded = base64.b64encode(path.read_bytes()).decode()
            document = {"document": {"format": "pdf", "name": "report", "source": {"bytes": encoded}}}
            body = {"modelId": MODEL, "messages": [{"role": "user", "content": [document, {"text": "Summarise."}]}]}
            content = json.dumps(body).encode()
            response = http.post(
                f"/api/v3/organizations/{ORGANISATION}/ai/chat", content=content, headers={"Content-Type": "application/json"}
            )
            return str(response.json()["response"]["content"])

        tracemalloc.start()
        return _measured(call)


def child(mode: str, base_url: str, path: str) -> None:
    """Entry point of the measuring child process; prints its figures as one JSON line."""
    file = Path(path)
    if mode == "streamed":
        figures = _mcp_chat(base_url, file, {"file": {"path": path}})
    elif mode == "embedded":
        blob = base64.b64encode(file.read_bytes()).decode()
        figures = _mcp_chat(base_url, file, {"type": "resource", "resource": {"uri": "file:///report.pdf", "blob": blob}})
    else:
        figures = _naive_chat(base_url, file)
    print(json.dumps(figures))


def _run_child(mode: str, base_url: str, path: Path) -> dict[str, float]:
    completed = subprocess.run(
        [PYTHON, "-m", "tests.benchmarks.bench_memory", "--child", mode, base_url, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=clean_env(),
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{mode} child failed: {completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(quick: bool = False) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as directory, simulator_process() as base_url:
        path = Path(directory) / "report.pdf"
        path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * (PAYLOAD // 256) + b"\n%%EOF\n")
        size = path.stat().st_size
        runs = {mode: _run_child(mode, base_url, path) for mode in ("baseline", "streamed", "embedded")}
    baseline = runs["baseline"]["peak"] / size
    rows = []
    extra = {"streamed": "; target < 3x", "embedded": "; the arguments' own base64 (1.33x), held before the call, not counted"}
    for mode, target in extra.items():
        figures = runs[mode]
        note = (
            f"tracemalloc peak {figures['peak'] / 2**20:.1f} MiB for a {size / 2**20:.1f} MiB file "
            f"(RSS high-water +{figures['rss_growth'] / 2**20:.0f} MiB; baseline {runs['baseline']['peak'] / 2**20:.1f} MiB, "
            f"RSS +{runs['baseline']['rss_growth'] / 2**20:.0f} MiB){target}"
        )
        rows.append(row(BENCHMARK, f"peak / payload, {mode} chat (x)", figures["peak"] / size, baseline, note))
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        cli_main(main)
