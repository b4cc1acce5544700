import sys

from quant_mcp.cli import main

sys.exit(main())
