"""The ``quant-mcp`` command: serve, simulate, tools, demo.

Every mode stops within a second on Ctrl-C or SIGTERM, without a traceback.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from quant_mcp import __version__

if TYPE_CHECKING:
    from mcp.server import MCPServer

    from quant_mcp.config import Settings

log = logging.getLogger("quant_mcp")

CREDENTIALS = """\
credentials and settings come from the environment:
  QUANT_API_TOKEN      your Quant API token (qc_...), sent only to the Quant API, never logged
  QUANT_ORGANIZATION   your organisation's machine name (every tool also takes `organisation`)
  QUANT_BASE_URL, QUANT_PLATFORM, QUANT_TOOLSETS, ... : every QUANT_* setting is in the README
no account yet? `quant-mcp demo` walks a real scenario against the built-in simulator, and
`quant-mcp serve --simulate` serves it to your MCP client."""

TERMINAL_HINT = """\
quant-mcp is waiting for an MCP client on stdin: MCP clients (Claude Desktop, VS Code, Cursor,
Claude Code, ...) launch this command themselves and speak JSON-RPC to it; see the README for
their configuration. To see it work from a terminal, run `quant-mcp demo`. Ctrl-C stops it."""

GRACE_SECONDS = 0.5  # after Ctrl-C or SIGTERM, time left for the lifespan to close before the process exits


def _settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Command-line flags that override environment settings (only those given)."""
    pairs = {
        "toolsets": args.toolsets,
        "tools": args.tools,
        "exclude_tools": args.exclude_tools,
        "read_only": args.read_only or None,
        "dynamic_toolsets": args.dynamic_toolsets or None,
        "tool_mode": args.tool_mode,
        "api_routes": args.api_routes,
        "organization": args.organization,
        "base_url": args.base_url,
        "log_level": args.log_level,
        "http_auth": getattr(args, "auth", None),  # serve only
        "http_tenancy": getattr(args, "tenancy", None),
        "http_force_insecure": getattr(args, "force_insecure", False) or None,
    }
    return {key: value for key, value in pairs.items() if value is not None}


def _add_selection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--toolsets", help="Toolsets to enable: all, default, or a list such as default,agents (QUANT_TOOLSETS).")
    parser.add_argument("--tools", help="Extra single tools to enable, comma-separated (QUANT_TOOLS).")
    parser.add_argument("--exclude-tools", help="Tools to hide, comma-separated (QUANT_EXCLUDE_TOOLS).")
    parser.add_argument("--read-only", action="store_true", help="Offer only tools that change nothing (QUANT_READ_ONLY).")
    parser.add_argument(
        "--tool-mode",
        choices=["tools", "search"],
        help="tools: a typed tool per operation; search: find/describe/call tools reaching every operation (QUANT_TOOL_MODE).",
    )
    parser.add_argument(
        "--dynamic-toolsets",
        action="store_true",
        help="Deprecated, use --tool-mode search: start with three discovery tools only (QUANT_DYNAMIC_TOOLSETS).",
    )
    parser.add_argument(
        "--api-routes",
        choices=["v3", "legacy"],
        help="Route family: v3 (/api/v3/organizations/...) or legacy (/organisations/...) (QUANT_API_ROUTES).",
    )


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="quant-mcp",
        description="An MCP server for the Quant AI API (QuantCDN): every API operation as a typed MCP tool.",
        epilog=CREDENTIALS,
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"quant-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{serve,simulate,tools,demo}")

    serve = commands.add_parser(
        "serve",
        help="Run the MCP server (stdio by default; what an MCP client launches).",
        description=(
            "Run the MCP server. Over stdio (the default) an MCP client launches this command and speaks "
            "JSON-RPC on its stdin and stdout; with --transport http it is a Streamable HTTP service at /mcp "
            "for many clients. With --simulate it talks to the built-in Quant AI simulator instead of the "
            "real API, with the simulator's own token and organisation."
        ),
        epilog=CREDENTIALS,
        formatter_class=raw,
    )
    serve.add_argument(
        "--transport",
        choices=["stdio", "http"],
        default="stdio",
        help="stdio: one client, over stdin/stdout (default); http: a Streamable HTTP service at /mcp.",
    )
    serve.add_argument(
        "--simulate",
        action="store_true",
        help="Use the built-in Quant AI simulator: no account needed; QUANT_API_TOKEN and QUANT_ORGANIZATION are ignored.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="HTTP: address to bind (default 127.0.0.1).")
    serve.add_argument("--port", type=int, default=8000, help="HTTP: port (default 8000).")
    serve.add_argument("--stateless", action="store_true", help="HTTP: no server-side MCP sessions (for load balancers).")
    serve.add_argument(
        "--workers", type=int, default=1, help="HTTP with --stateless: processes serving the one port (default 1; see README)."
    )
    serve.add_argument("--auth", choices=["none", "static", "jwt"], help="HTTP: inbound client authentication (QUANT_HTTP_AUTH).")
    serve.add_argument(
        "--tenancy",
        choices=["single", "multi"],
        help="HTTP: whose Quant token is used; multi = each client's X-Quant-Token (QUANT_HTTP_TENANCY).",
    )
    serve.add_argument(
        "--force-insecure",
        action="store_true",
        help="HTTP: allow a non-loopback --host with --auth none (QUANT_HTTP_FORCE_INSECURE).",
    )
    serve.add_argument("--organization", "--organisation", dest="organization", help="Default organisation (QUANT_ORGANIZATION).")
    serve.add_argument("--base-url", help="Quant API base URL (QUANT_BASE_URL).")
    serve.add_argument(
        "--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="Log level; logs go to stderr (QUANT_LOG_LEVEL)."
    )
    _add_selection_flags(serve)

    commands.add_parser(
        "simulate",
        help="Run the Quant AI simulator as an HTTP server (any bearer token unless --token; see simulate --help).",
        add_help=False,
    )

    tools = commands.add_parser(
        "tools",
        help="Print the tool table: every tool, its toolset and route, and whether this configuration offers it.",
        description=(
            "Print every tool with its toolset, route and annotations, and whether the configuration (the same "
            "QUANT_* settings and flags as serve) offers it. Sends nothing to the Quant API."
        ),
    )
    tools.add_argument("--organization", dest="organization", help=argparse.SUPPRESS)
    tools.add_argument("--base-url", help=argparse.SUPPRESS)
    tools.add_argument("--log-level", help=argparse.SUPPRESS)
    tools.add_argument("--markdown", action="store_true", help="Print a Markdown table (as in the README).")
    _add_selection_flags(tools)

    commands.add_parser(
        "demo",
        help="Walk a real scenario against the simulator over stdio, printing each step (no account needed).",
        description=(
            "Launch `quant-mcp serve --simulate` as a stdio subprocess, connect to it as an MCP client does, and "
            "walk a real scenario: models, a session, a chat, a streamed chat with progress, a resource, usage. "
            "Needs no account; QUANT_* settings are ignored."
        ),
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["simulate"]:  # the simulator has its own flags and help
        from quant_mcp.simulator.cli import main as simulate_main

        return simulate_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "tools":
        from quant_mcp.inventory import print_tool_table

        return print_tool_table(_load_settings(args), markdown=args.markdown)
    if args.command == "demo":
        from quant_mcp.demo import run_demo

        return _until_stopped(run_demo)
    # Start-up makes ~1M objects that live as long as the process (the SDK's and the catalog's
    # models): collecting them over and over while they are made is wasted work, and so is
    # scanning them again at every later collection. None until the server is built (server.settle).
    gc.disable()
    try:
        return _serve(args)
    finally:
        gc.enable()


def _load_settings(args: argparse.Namespace) -> Settings:
    from quant_mcp.config import ConfigError, load_settings
    from quant_mcp.toolsets import SelectionError, check_selection

    try:
        settings = load_settings(**_settings_overrides(args))
        check_selection(settings)  # unknown toolset or tool names stop here, with the closest valid ones
    except (ConfigError, SelectionError) as exc:
        raise SystemExit(f"quant-mcp: {exc}") from None
    return settings


def _serve(args: argparse.Namespace) -> int:
    from quant_mcp.config import missing_settings

    settings = _load_settings(args)
    from quant_mcp.observability import configure_logging

    configure_logging(settings)
    if args.simulate:
        ignored = [
            name
            for name, value in (("QUANT_API_TOKEN", settings.api_token), ("QUANT_ORGANIZATION", settings.organization))
            if value
        ]
        if ignored:
            print(
                f"quant-mcp: --simulate ignores {' and '.join(ignored)}: the simulator has its own token and organisation.",
                file=sys.stderr,
            )
    elif args.transport == "stdio" and (missing := missing_settings(settings)):
        print(
            f"quant-mcp: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set; tool calls will fail "
            "until the MCP client's configuration sets them (or run `quant-mcp serve --simulate` to try it on the "
            "built-in simulator).",
            file=sys.stderr,
        )
    if args.transport == "http":
        from quant_mcp.http import serve_http

        return _until_stopped(
            lambda: serve_http(
                settings, host=args.host, port=args.port, stateless=args.stateless, simulate=args.simulate, workers=args.workers
            )
        )
    from quant_mcp.server import build_server, settle

    if settings.metrics_port is not None:
        from quant_mcp.observability import serve_metrics_port

        serve_metrics_port(settings.metrics_port, "127.0.0.1")
    server = build_server(settings, simulate=args.simulate)
    settle()
    return _run_stdio(server, settings.drain_seconds, hint=TERMINAL_HINT if sys.stdin.isatty() else None)


def _until_stopped(run: Any) -> int:
    """Run a blocking mode (HTTP: uvicorn stops itself on the signal, then re-raises it) until
    Ctrl-C or SIGTERM, which end it quietly with status 0."""
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM as Ctrl-C: KeyboardInterrupt
    try:
        return run()
    except KeyboardInterrupt:
        print("quant-mcp: stopped", file=sys.stderr)
        return 0


def _run_stdio(server: MCPServer[Any], drain_seconds: float, hint: str | None = None) -> int:
    """Serve over stdio until the client closes stdin (calls in flight are answered first, for at
    most ``drain_seconds``: see ``stdio.py``), or Ctrl-C / SIGTERM.

    The SDK reads stdin in a worker thread that nothing can interrupt, so a signal cancels the
    server (closing the upstream client and the simulator) and then ends the process after
    at most GRACE_SECONDS, rather than waiting for a line that may never come. ``hint`` goes
    to stderr once signals are handled, so that a Ctrl-C right after it is never lost.
    """
    import anyio
    import anyio.abc
    from mcp.server.stdio import stdio_server

    from quant_mcp import sdk
    from quant_mcp.stdio import answered_before_eof

    if sys.platform == "win32":  # pragma: no cover - no signal receivers on Windows event loops
        if hint:
            print(hint, file=sys.stderr, flush=True)
        return _until_stopped(lambda: server.run("stdio"))

    async def serve() -> None:
        async with anyio.create_task_group() as group:

            async def stop_on_signal(*, task_status: anyio.abc.TaskStatus[None]) -> None:
                with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    task_status.started()
                    async for _ in signals:
                        print("quant-mcp: stopped", file=sys.stderr, flush=True)
                        timer = threading.Timer(GRACE_SECONDS, os._exit, (0,))
                        timer.daemon = True
                        timer.start()
                        group.cancel_scope.cancel()
                        return

            await group.start(stop_on_signal)
            if hint:
                print(hint, file=sys.stderr, flush=True)
            lowlevel = sdk.lowlevel_server(server)
            async with stdio_server() as (stdin, stdout):
                reads, writes = answered_before_eof(stdin, stdout, drain_seconds)
                await lowlevel.run(reads, writes, lowlevel.create_initialization_options())
            group.cancel_scope.cancel()  # stdin closed and every call answered: the client is gone

    anyio.run(serve)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
