"""MCP Apps views: a month of usage, a chat session's transcript, generated images.

Each view is one self-contained HTML document served as a ``ui://`` resource
(``text/html;profile=mcp-app``) through the SDK's Apps extension. A host that renders MCP
Apps shows it in a sandboxed frame next to the result of a tool bound to it (the tool's
``_meta.ui.resourceUri``), and the view talks to the host only over the Apps bridge
(postMessage): it reads the tool's input and result, and may call tools through the host
(another month, the session again). Nothing here changes what a tool returns.

The documents are assembled from this folder: ``/* include: NAME */`` lines pull in the shared
stylesheet and bridge, and a Content-Security-Policy is written into each from the hashes of
its own inline script and style, so nothing else can run and nothing can be fetched.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from mcp.server.apps import APP_MIME_TYPE, Apps, ResourceCsp, client_supports_apps
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from quant_mcp.config import Settings

__all__ = ["APP_MIME_TYPE", "VIEWS", "View", "document", "enabled", "bindings", "extension", "show_views"]


@dataclass(frozen=True)
class View:
    name: str  # as QUANT_APPS names it
    uri: str
    title: str
    description: str
    tools: tuple[str, ...]  # the tools whose results it shows

    @property
    def file(self) -> str:
        return f"{self.name}.html"


VIEWS = (
    View(
        "usage",
        "ui://quant-mcp/usage.html",
        "AI usage",
        "Requests and tokens per model for a month, with totals, as a chart and a table; another month can be picked.",
        ("get_usage_stats",),
    ),
    View(
        "session",
        "ui://quant-mcp/session.html",
        "Chat session",
        "A chat session's transcript: roles, times, attachments, tool calls and tokens, updated while the session changes.",
        ("get_session", "chat_in_session"),
    ),
    View(
        "images",
        "ui://quant-mcp/images.html",
        "Generated images",
        "The images generate_image made, with the prompt and parameters, each downloadable.",
        ("generate_image",),
    ),
)

_INCLUDE = re.compile(r"^[ \t]*/\* include: ([\w.-]+) \*/[ \t]*$", re.MULTILINE)
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


@cache
def document(view: View) -> str:
    """The view's HTML as served: shared parts inlined, and a CSP that admits only its own code."""
    here = files(__package__)
    html = _INCLUDE.sub(lambda m: here.joinpath(m[1]).read_text(encoding="utf-8"), here.joinpath(view.file).read_text("utf-8"))
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, body in _INLINE.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    policy = "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(hashes["script"]),
            "style-src " + " ".join(hashes["style"]),
            "img-src data: blob:",
            "connect-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    charset = '<meta charset="utf-8">'
    return html.replace(charset, f'{charset}\n<meta http-equiv="Content-Security-Policy" content="{policy}">', 1)


def enabled(settings: Settings) -> tuple[View, ...]:
    """The views QUANT_APPS turns on: ``all`` (the default), ``none``, or names."""
    chosen = set(settings.apps)
    if "none" in chosen:
        return ()
    return tuple(view for view in VIEWS if "all" in chosen or view.name in chosen)


def extension(settings: Settings) -> Apps | None:
    """The SDK's Apps extension serving the enabled views as ``ui://`` resources (None: no view)."""
    views = enabled(settings)
    if not views:
        return None
    apps = Apps()
    for view in views:
        apps.add_html_resource(
            view.uri,
            document(view),
            name=f"{view.name}-view",
            title=view.title,
            description=view.description,
            csp=ResourceCsp(),  # no connections, no outside resources, no frames
            prefers_border=True,
        )
    return apps


def bindings(settings: Settings) -> dict[str, str]:
    """Tool name -> the ``ui://`` view showing its result, for the enabled views (former names too)."""
    from quant_mcp.catalog import OPERATIONS_BY_NAME

    return {
        name: view.uri for view in enabled(settings) for tool in view.tools for name in (tool, *OPERATIONS_BY_NAME[tool].aliases)
    }


def show_views(settings: Settings) -> Callable[[ServerRequestContext[Any, Any], CallNext], Awaitable[HandlerResult]]:
    """Server middleware: hosts that negotiated MCP Apps see each bound tool's
    ``_meta.ui.resourceUri`` in ``tools/list``; every other client gets the lists it got
    before the views existed (no ``_meta.ui``, no ``ui://`` resources). Tool results are never
    touched."""
    bound = cache(lambda: bindings(settings))  # built at the first listing for an Apps host, not when the server is built

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method not in ("tools/list", "resources/list") or not isinstance(result, dict):
            return result
        if not client_supports_apps(ctx):
            if ctx.method == "resources/list":
                result = {
                    **result,
                    "resources": [r for r in result.get("resources", []) if not r.get("uri", "").startswith("ui://")],
                }
            return result
        if ctx.method == "tools/list":
            result = {**result, "tools": [_bound(tool, bound().get(tool.get("name", ""))) for tool in result.get("tools", [])]}
        return result

    return middleware


def _bound(tool: dict[str, Any], uri: str | None) -> dict[str, Any]:
    if uri is None:
        return tool
    meta = tool.get("_meta") or {}
    return {**tool, "_meta": {**meta, "ui": {**(meta.get("ui") or {}), "resourceUri": uri}}}
