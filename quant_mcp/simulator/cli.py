"""`quant-mcp simulate`: serve the simulator until Ctrl-C.

    simulate --host 127.0.0.1 --port 4010 --token TOKEN[:ORG] ... --chunk-delay 0.05 --dialect live|spec

Without --token any non-empty bearer token is accepted for any organisation.
The base URL goes to stderr; token values are never printed.
"""

from __future__ import annotations

import argparse
import signal
import sys

import anyio

from . import DEMO_ORGANISATION
from .core.state import DIALECTS
from .server import Simulator


def _token(value: str) -> tuple[str, str | None]:
    token, _, organisation = value.partition(":")
    if not token:
        raise argparse.ArgumentTypeError("expected TOKEN or TOKEN:ORG")
    return token, organisation or None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quant-mcp simulate",
        description=(
            "Run the local Quant AI API simulator on HTTP until Ctrl-C. Without --token it accepts any "
            "non-empty bearer token, for any organisation. Point quant-mcp at it with QUANT_BASE_URL."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4010, help="port to listen on; 0 picks a free one (default 4010)")
    parser.add_argument(
        "--token",
        type=_token,
        action="append",
        default=[],
        metavar="TOKEN[:ORG]",
        help="accept only this bearer token, for ORG only when given (repeatable); without it, any bearer token is accepted",
    )
    parser.add_argument("--chunk-delay", type=float, default=0.0, metavar="SECONDS", help="pause between SSE chunks")
    parser.add_argument(
        "--dialect",
        choices=DIALECTS,
        default="live",
        help="live: answer as the live service is known to (default); spec: as the generated API reference says",
    )
    return parser


async def _serve(simulator: Simulator, token_count: int) -> None:
    async with simulator:
        auth = f"{token_count} configured token(s)" if token_count else "any bearer token"
        dialect = f"{simulator.state.dialect} dialect"
        print(f"Quant AI simulator listening on {simulator.base_url} ({auth}, {dialect}); Ctrl-C to stop", file=sys.stderr)
        print(f"  e.g. GET {simulator.base_url}/api/v3/organizations/{DEMO_ORGANISATION}/ai/models", file=sys.stderr)
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                break
    print("Quant AI simulator stopped", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    tokens = dict(args.token) or None
    simulator = Simulator(tokens=tokens, chunk_delay=args.chunk_delay, host=args.host, port=args.port, dialect=args.dialect)
    try:
        anyio.run(_serve, simulator, len(args.token))
    except OSError as exc:
        print(f"Cannot start the simulator on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
