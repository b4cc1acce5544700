"""Settings, read from the environment (prefix ``QUANT_``) and from command-line overrides.

Every setting has one name, one type and one default here; the README's settings table is
written from this class. The token is a ``SecretStr`` so that it never shows up in a repr,
a log line or a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLATFORM_URLS = {
    "quantcdn": "https://dashboard.quantcdn.io",
    "quantgov": "https://dash.quantgov.cloud",
}


class ConfigError(ValueError):
    """Settings that cannot be used; the message names every QUANT_ variable at fault, at once."""


def env_name(field: str) -> str:
    """The environment variable of a setting: ``read_only`` -> ``QUANT_READ_ONLY``."""
    return field if field.startswith("QUANT_") else f"QUANT_{field.upper()}"


# Settings whose value is never quoted back, not even in an error about it.
SECRET_SETTINGS = frozenset({"api_token", "http_tokens"})


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment with command-line ``overrides``; a :class:`ConfigError`
    naming each bad variable, what it holds and what it takes, instead of pydantic's field names."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "bool_parsing":
                message = "should be true or false"
            got = error.get("input")
            if field not in SECRET_SETTINGS and isinstance(got, str | int | float):
                message += f" (got {str(got)[:60]!r})"
            problems.append(f"{env_name(field)}: {message}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None


def missing_settings(settings: Settings) -> list[str]:
    """The settings a call to the real Quant API needs and that are not set (all of them, at once)."""
    missing = []
    if not settings.api_token:
        missing.append("QUANT_API_TOKEN")
    if not settings.organization:
        missing.append("QUANT_ORGANIZATION")
    return missing


def _split_list(value: object, *, colon: bool = True) -> object:
    """Accept ``a,b`` or (unless ``colon`` is False: URLs, hosts, scopes) ``a:b`` strings (env vars) as well as real lists."""
    if isinstance(value, str):
        return [part.strip() for part in (value.replace(":", ",") if colon else value).split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """What quant-mcp needs to know to reach Quant AI and which tools to offer."""

    model_config = SettingsConfigDict(env_prefix="QUANT_", extra="ignore", populate_by_name=True)

    api_token: SecretStr | None = Field(None, description="Quant API token sent upstream as a bearer token (never logged).")
    organization: str | None = Field(
        None,
        validation_alias=AliasChoices("QUANT_ORGANIZATION", "QUANT_ORGANISATION", "organization"),
        description="Default organisation machine name; tools accept `organisation` to override it.",
    )
    platform: Literal["quantcdn", "quantgov"] = Field("quantcdn", description="Shortcut for the base URL: quantcdn or quantgov.")
    base_url: str | None = Field(
        None, description="Quant API base URL; overrides QUANT_PLATFORM (default https://dashboard.quantcdn.io)."
    )
    api_routes: Literal["v3", "legacy"] = Field(
        "v3", description="Route family: v3 (/api/v3/organizations/...) or legacy (/organisations/...)."
    )
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for a Quant API response.")
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to wait for a connection.")
    stream_timeout: float = Field(300.0, gt=0, description="Seconds a streamed answer or image generation may take in all.")
    chat_timeout: float = Field(120.0, gt=0, description="Seconds to wait for a buffered chat answer (the chat tool).")
    progress_interval: float = Field(
        5.0, gt=0, le=60, description="Seconds a waiting tool call may stay silent before it sends a progress notification."
    )
    max_retries: int = Field(
        2,
        ge=0,
        le=10,
        description="Retries of calls that are safe to repeat (reads, deletes, idempotent updates) after 429/5xx or a broken connection.",
    )
    retry_max_wait: float = Field(
        10.0, ge=0, description="Longest Retry-After (seconds) honoured before giving up with an error."
    )
    toolsets: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["default"],
        description="Toolsets to enable: `all`, `default`, or names such as `default,agents`.",
    )
    tools: Annotated[list[str], NoDecode] = Field(default_factory=list, description="Extra single tools to enable by name.")
    exclude_tools: Annotated[list[str], NoDecode] = Field(default_factory=list, description="Tools to hide by name.")
    read_only: bool = Field(False, description="Offer only tools that do not change anything.")
    tool_mode: Literal["tools", "search"] = Field(
        "tools",
        description="tools: one typed tool per operation; search: three tools (find, describe, call) that reach every operation.",
    )
    dynamic_toolsets: bool = Field(
        False, description="Deprecated (use QUANT_TOOL_MODE=search): start with discovery tools only; enable toolsets on request."
    )
    allowed_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Directories chat attachments may be read from by path, besides the client's MCP roots: absolute paths separated by commas or the platform's path separator.",
    )
    apps: Annotated[list[Literal["all", "none", "usage", "session", "images"]], NoDecode] = Field(
        default_factory=lambda: ["all"],
        description="MCP Apps views offered to hosts that render them: `all`, `none`, or some of usage, session, images.",
    )
    confirm_destructive: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Ask the user before a destructive tool runs: auto (when the client can ask), always (refuse clients that cannot), never.",
    )
    request_state_keys: SecretStr | None = Field(
        None,
        description="Comma-separated secrets (32+ characters) sealing 2026-era questions so any replica takes the answer; the first seals (default: one kept in Redis with QUANT_REDIS_URL, else one per process).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("WARNING", description="Log level (logs go to stderr).")

    # --- Streamable HTTP service (``quant-mcp serve --transport http``) ---
    http_auth: Literal["none", "static", "jwt"] = Field(
        "none",
        description="Inbound authentication of MCP clients: none (loopback only), static bearer tokens, or jwt (OAuth 2.1 resource server).",
    )
    http_tokens: SecretStr | None = Field(
        None, description="Static mode: accepted bearer tokens, comma-separated (held only as SHA-256 digests)."
    )
    http_tokens_file: Path | None = Field(
        None,
        description="Static mode: file of accepted bearer tokens, one per line as `TOKEN` or `NAME TOKEN`; # starts a comment.",
    )
    http_jwt_issuer: str | None = Field(None, description="JWT mode: the required `iss`, your authorization server's issuer URL.")
    http_jwt_jwks_url: str | None = Field(None, description="JWT mode: URL of the authorization server's JWKS (signing keys).")
    http_jwt_audience: str | None = Field(
        None, description="JWT mode: the required `aud` (default: QUANT_HTTP_PUBLIC_URL, the resource URL of /mcp)."
    )
    http_jwt_algorithms: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["RS256", "ES256"], description="JWT mode: accepted signature algorithms."
    )
    http_required_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="JWT mode: scopes every token must carry (else 403 insufficient_scope)."
    )
    http_public_url: str | None = Field(
        None,
        description="Public URL of the MCP endpoint (e.g. https://mcp.example.com/mcp): the OAuth resource identifier; its host is also allowed.",
    )
    http_tenancy: Literal["single", "multi"] = Field(
        "single",
        description="single: every call uses QUANT_API_TOKEN; multi: each client sends its own X-Quant-Token (and X-Quant-Organization).",
    )
    http_server_token_fallback: bool = Field(
        False,
        description="Multi-tenant mode: let clients without X-Quant-Token use QUANT_API_TOKEN (off: they get a tool error).",
    )
    http_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra Host header values accepted (DNS-rebinding protection); `name:*` = any port, `*` = turn Host/Origin checks off.",
    )
    http_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Extra browser Origin values accepted, e.g. https://app.example.com."
    )
    http_max_body_bytes: int = Field(
        26_214_400,
        gt=0,
        description="Largest MCP request body accepted (bytes, default 25 MiB, the Quant AI payload limit); larger gets 413.",
    )
    http_force_insecure: bool = Field(
        False,
        description="Allow binding a non-loopback address with QUANT_HTTP_AUTH=none (anyone who can connect uses the server).",
    )

    http_file_attachments: bool = Field(
        False,
        description="Let HTTP clients attach files from QUANT_ALLOWED_DIRS (the server's disk); off: only stdio clients may.",
    )

    # --- Fair limits per client identity on the HTTP service (README, "Limits") ---
    limit_sessions: int = Field(50, gt=0, description="Open 2025-era sessions per client identity (more: HTTP 429).")
    limit_listen_streams: int = Field(10, gt=0, description="Open listen streams (notification streams) per client identity.")
    limit_upstream_requests: int = Field(
        32, gt=0, description="Quant API requests in flight per client identity; more wait (up to QUANT_TIMEOUT) for a turn."
    )
    limit_large_bodies: int = Field(
        2, gt=0, description="Large requests (over QUANT_LIMIT_LARGE_BODY_BYTES) in flight per client identity."
    )
    limit_large_body_bytes: int = Field(1_048_576, gt=0, description="From how many bytes a request body counts as large.")
    limit_tool_calls_per_minute: int = Field(
        3000, gt=0, description="Calls of any one tool per client identity per minute (a burst of that many, refilled evenly)."
    )

    # --- Running it as a service: logs, metrics, drain, replicas (README "Run it in production") ---
    api_token_file: Path | None = Field(
        None,
        description="File holding the Quant API token (e.g. a mounted Kubernetes Secret); used when QUANT_API_TOKEN is unset.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines on stderr: text, or json (one object a line: time, level, logger, message, request id, tenant, tool).",
    )
    access_log: bool = Field(
        True, description="HTTP: one log line per request (method, path, status, duration, request id), at any log level."
    )
    audit_log: bool = Field(
        True,
        description="One audit line per tool call (who, tool, organisation, outcome, upstream status, duration), at any log level.",
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Serve Prometheus /metrics on this port without auth (e.g. for in-cluster scraping) instead of on the MCP port behind its auth.",
    )
    drain_seconds: float = Field(
        120.0,
        ge=0,
        description="HTTP: on SIGTERM; stdio: when stdin closes. How long in-flight calls and streams may take to finish before the process exits.",
    )
    redis_url: SecretStr | None = Field(
        None,
        description="Redis (redis:// or rediss://) that replicas share: change notifications, per-session state and ordering, limit counters.",
    )
    redis_prefix: str = Field(
        "quant-mcp", min_length=1, description="Prefix of every Redis key and channel (several deployments can share one Redis)."
    )

    @field_validator("toolsets", "tools", "exclude_tools", "apps", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("allowed_dirs", mode="before")
    @classmethod
    def _paths(cls, value: object) -> object:
        """Commas, or the platform's path separator (``:``, ``;`` on Windows, where ``:`` is in ``C:\\``)."""
        if isinstance(value, str):
            value = value.replace(os.pathsep, ",")
        return _split_list(value, colon=False)

    @field_validator("http_jwt_algorithms", "http_required_scopes", "http_allowed_hosts", "http_allowed_origins", mode="before")
    @classmethod
    def _comma_lists(cls, value: object) -> object:
        return _split_list(value, colon=False)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, e.g. https://dashboard.quantcdn.io")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _token_from_file(self) -> Settings:
        if self.api_token is None and self.api_token_file is not None:
            try:
                token = self.api_token_file.read_text().strip()
            except OSError as exc:
                raise ValueError(f"QUANT_API_TOKEN_FILE cannot be read ({type(exc).__name__})") from None
            self.api_token = SecretStr(token) if token else None
        return self

    @property
    def api_base_url(self) -> str:
        """The base URL every upstream request goes to (configuration only, never a tool argument)."""
        return self.base_url or PLATFORM_URLS[self.platform]

    def token_value(self) -> str | None:
        return self.api_token.get_secret_value() if self.api_token else None
