"""`python -m quant_mcp.simulator [--port 4010] [--token TOKEN[:ORG]] ...`: the same as `quant-mcp simulate`."""

from .cli import main

raise SystemExit(main())
