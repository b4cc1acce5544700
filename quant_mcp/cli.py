"""The ``quant-mcp`` command: serve, simulate, tools, demo."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from typing import Any

from quant_mcp import __version__

log = logging.getLogger("quant_mcp")


def _settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Command-line flags that override environment settings (only those given)."""
    pairs = {
        "toolsets": args.toolsets,
        "tools": args.tools,
        "exclude_tools": args.exclude_tools,
        "read_only": args.read_only or None,
        "dynamic_toolsets": args.dynamic_toolsets or None,
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
        "--dynamic-toolsets", action="store_true", help="Start with discovery tools only (QUANT_DYNAMIC_TOOLSETS)."
    )
    parser.add_argument("--api-routes", choices=["v3", "legacy"], help="Route family (QUANT_API_ROUTES).")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quant-mcp", description="MCP server for the Quant AI API.")
    parser.add_argument("--version", action="version", version=f"quant-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="Run the MCP server (stdio by default).")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--simulate", action="store_true", help="Use the built-in Quant AI simulator (no credentials needed).")
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
    serve.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="Log level; logs go to stderr.")
    _add_selection_flags(serve)

    simulate = commands.add_parser("simulate", help="Run the Quant AI simulator as an HTTP server.", add_help=False)
    simulate.add_argument("simulator_args", nargs=argparse.REMAINDER)

    tools = commands.add_parser("tools", help="Print the tool table.")
    tools.add_argument("--organization", dest="organization", help=argparse.SUPPRESS)
    tools.add_argument("--base-url", help=argparse.SUPPRESS)
    tools.add_argument("--log-level", help=argparse.SUPPRESS)
    tools.add_argument("--markdown", action="store_true", help="Print a Markdown table (as in the README).")
    _add_selection_flags(tools)

    commands.add_parser("demo", help="Walk a real scenario against the simulator over stdio, printing each step.")
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

        return run_demo()
    # Start-up makes ~1M objects that live as long as the process (the SDK's and the catalog's
    # models): collecting them over and over while they are made is wasted work, and so is
    # scanning them again at every later collection. None until the server is built (settle).
    gc.disable()
    try:
        return _serve(args)
    finally:
        gc.enable()


def settle() -> None:
    """Once the server is built: what exists now lives as long as the process, so keep it out of
    every later collection (gc.freeze) and collect again from here on."""
    gc.freeze()
    gc.enable()


def _load_settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from quant_mcp.config import Settings
    from quant_mcp.toolsets import SelectionError, check_selection

    try:
        settings = Settings(**_settings_overrides(args))
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
        raise SystemExit(f"quant-mcp: invalid configuration: {errors}") from None
    try:
        check_selection(settings)  # unknown toolset or tool names stop here, with the valid ones listed
    except SelectionError as exc:
        raise SystemExit(f"quant-mcp: {exc}") from None
    return settings


def _serve(args: argparse.Namespace) -> int:
    settings = _load_settings(args)
    if not args.simulate and not settings.api_token and args.transport == "stdio":
        print(
            "quant-mcp: QUANT_API_TOKEN is not set; tool calls will fail until it is "
            "(or run `quant-mcp serve --simulate` to try it on the built-in simulator).",
            file=sys.stderr,
        )
    if args.transport == "http":
        from quant_mcp.http import serve_http

        return serve_http(
            settings, host=args.host, port=args.port, stateless=args.stateless, simulate=args.simulate, workers=args.workers
        )
    from quant_mcp.server import build_server

    server = build_server(settings, simulate=args.simulate)
    settle()
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
