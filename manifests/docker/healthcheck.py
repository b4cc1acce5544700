"""Docker HEALTHCHECK for the quant-mcp image: ``python healthcheck.py [PID]``.

The container's main process (PID 1 unless given) is ``quant-mcp serve ...``. In HTTP mode
this asks its ``/healthz`` on loopback (the port from ``--port``, default 8000) and fails
unless it answers 200; in stdio mode there is no listener, so it reports healthy.
Standard library only: it runs inside the image.
"""

import sys
import urllib.request

pid = sys.argv[1] if len(sys.argv) > 1 else "1"
with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
    argv = cmdline.read().decode().split("\0")


def option(name: str, default: str) -> str:
    """The value of ``--name VALUE`` or ``--name=VALUE`` on the server's command line."""
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


if option("--transport", "stdio") != "http":
    sys.exit(0)
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{option('--port', '8000')}/healthz", timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError:
    sys.exit(1)
