"""Cold start: spawn ``quant-mcp serve --simulate`` over stdio, initialize, tools/list, exit.

The floor is a bare MCP SDK server with one tool: what any Python MCP server pays for the
interpreter and the SDK. Runs alternate between the floor and quant-mcp so that a noisy
neighbour hurts both alike; the ratio of the medians is the figure. Targets: at most 1.1x
the floor with the default toolsets, 1.2x with all of them; wall time and the server's CPU
time are both reported (CPU is the steadier on a shared machine). ``--simulate`` counts: the simulator runs in-process,
its socket bound at start-up, the simulator itself started by the first tool call (which a
cold start does not make).
Two more rows: the first start after an install or upgrade, before the tool schemas are
cached (``quant_mcp.schema_cache``; an unusable cache directory stands in for an empty one),
and the configuration of real use, without the simulator (pointed at an address it never
calls: initialize and tools/list need no upstream request).
"""

from __future__ import annotations

from tests.benchmarks._common import (
    PYTHON,
    alternating_cold_starts,
    clean_env,
    cli_main,
    median,
    quant_mcp_argv,
    quant_mcp_env,
    row,
)

FLOOR_SERVER = '''
from mcp.server import MCPServer

server = MCPServer("floor")

@server.tool()
async def ping() -> str:
    """Answer pong."""
    return "pong"

server.run("stdio")
'''


def main(quick: bool = False) -> list[dict]:
    runs = 3 if quick else 12
    env = clean_env()
    servers = {
        "floor": ([PYTHON, "-c", FLOOR_SERVER], env),
        "serve --simulate": (quant_mcp_argv("serve", "--simulate"), env),
        "serve --simulate --toolsets all": (quant_mcp_argv("serve", "--simulate", "--toolsets", "all"), env),
        "serve --simulate, no schema cache": (
            quant_mcp_argv("serve", "--simulate"),
            clean_env(XDG_CACHE_HOME="/dev/null"),
        ),
        "serve (no simulator)": (quant_mcp_argv("serve"), quant_mcp_env("http://127.0.0.1:9")),
    }
    cpu: dict[str, list[float]] = {}
    times, tools = alternating_cold_starts(servers, runs, cpu)
    targets = {"serve --simulate": "; target <= 1.1x", "serve --simulate --toolsets all": "; target <= 1.2x"}
    return [
        row(
            "cold start",
            f"{name}, median {kind}",
            median(figures[name]),
            median(figures["floor"]),
            f"{tools[name]} tools vs the floor's bare SDK server; {runs} runs each, alternating" + targets.get(name, ""),
        )
        for name in servers
        if name != "floor"
        for kind, figures in (("wall (ms)", times), ("CPU (ms)", cpu))
    ]


if __name__ == "__main__":
    cli_main(main)
