"""A faithful local Quant AI API: the default backend, the test backend and the fault injector.

    from quant_mcp.simulator import Simulator, SimulatorState, Fault

    async with Simulator(tokens={"tok-a": "org-a"}, chunk_delay=0.01) as sim:
        ...  # point any Quant client at sim.base_url; inspect sim.state.requests
        sim.state.add_fault(Fault(mode="status", status=429, path="/chat$"))

Built from the API reference (shared quant-ai-api openapi.yaml + README), not from
a client. Layout:

* `core/`: what every API group shares: `SimulatorState` (log, faults, clock, data),
  the gateway middleware (request log, 25 MB cap, bearer auth, faults), JSON errors,
  request parsing, route builders, the SSE writer and the /_simulator control API.
* `engine/`: the deterministic stand-in for the AI (models, replies, embeddings,
  images, built-in tools); no HTTP.
* `services/`: behaviour several groups share (sessions, usage, chat turns, executions).
* `routes/`: one module per API group, each exporting `ROUTES`.

Adding an API group (files, orchestrations, skills, ...) touches no core module:

1. Create `routes/<group>.py`. Declare each operation with `v3(method, path,
   handler, operationId)` (both spellings of /api/v3/organi[sz]ations/{organisation}/ai)
   or `legacy(...)`; the operationId must be the reference's, which the contract
   test checks.
2. In handlers, read input with `parse_body(request, Model)` / `parse_query(...)`
   (pydantic `WireModel`s: a bad field becomes a 400 naming it), raise `ApiError`
   / `not_found(...)` for refusals, and keep data in a store class of your own via
   `organisation_data(request).get(MyStore)` (one instance per organisation); look
   an item up with `found_or_404(store.get(item_id), "Thing", item_id)`.
3. Add the module to `GROUPS` in `routes/__init__.py`, and exercise every new
   operation in the contract walk (tests/simulator/test_sim_contract.py), which
   checks each request and response against the reference schema and fails while
   an implemented route is left out.

How to run it and point a client at it: README.md in this folder.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .core.faults import Fault, FaultMode
    from .core.state import RequestRecord, SimulatorState
    from .server import Simulator

# A ready-made identity for first-time users and demos (the simulator accepts any
# token unless it was started with explicit tokens).
DEMO_TOKEN = "sim-demo-token"
DEMO_ORGANISATION = "demo-org"

# The public names are imported on first use, so that `quant-mcp serve --simulate` can read
# the demo identity and bind the simulator's socket without importing the simulator itself
# (see listener.py).
_EXPORTS = {
    "create_app": ".app",
    "Fault": ".core.faults",
    "FaultMode": ".core.faults",
    "RequestRecord": ".core.state",
    "SimulatorState": ".core.state",
    "Simulator": ".server",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEMO_ORGANISATION",
    "DEMO_TOKEN",
    "Fault",
    "FaultMode",
    "RequestRecord",
    "Simulator",
    "SimulatorState",
    "create_app",
]
