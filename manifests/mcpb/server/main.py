"""Entry point of the quant-mcp desktop bundle (MCPB, server type ``uv``).

The host runs ``uv run --directory <bundle> server/main.py``: uv provides a Python that fits
``requires-python`` and installs the bundle's ``pyproject.toml`` dependencies for this
platform, and the ``quant_mcp`` package beside this file is the server itself.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quant_mcp.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
