"""Inbound authentication of MCP clients on the HTTP service (the MCP authorization spec).

Every request to ``/mcp`` must carry ``Authorization: Bearer <token>``; the SDK's bearer
middleware asks one of the verifiers below and answers 401 with ``WWW-Authenticate`` when
the token is missing or rejected. Two kinds of deployment:

* ``static``: a short list of shared tokens (a file or an env var) for simple setups. Only
  their SHA-256 digests are kept, and a presented token is compared with every digest in
  constant time, so neither timing nor a memory dump gives a token away.
* ``jwt``: an OAuth 2.1 resource server. Access tokens are JWTs signed by your authorization
  server; the signature is checked against its JWKS, and ``iss``, ``aud`` and ``exp`` must
  be right. The SDK serves the RFC 9728 protected-resource metadata that tells clients where
  to get a token.

These tokens only admit a client to this server. They are never sent to the Quant API
(that is the job of QUANT_API_TOKEN or a client's own X-Quant-Token).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
import jwt
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings

from quant_mcp.config import Settings
from quant_mcp.redact import REDACTOR

log = logging.getLogger("quant_mcp.auth")


class AuthConfigError(ValueError):
    """The inbound-auth settings are incomplete or contradictory; the message says what to set."""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class StaticTokenVerifier:
    """Accepts a fixed set of bearer tokens, each known by a client name (the session owner)."""

    def __init__(self, tokens: dict[str, str]) -> None:
        """``tokens`` maps client name to token; only digests are kept."""
        if not tokens:
            raise AuthConfigError(
                "QUANT_HTTP_AUTH=static needs at least one token (QUANT_HTTP_TOKENS or QUANT_HTTP_TOKENS_FILE)."
            )
        self._digests = [(_digest(token), name) for name, token in tokens.items()]
        for token in tokens.values():  # no log line or error text may carry one (kept as digests there too)
            REDACTOR.add_digest(_digest(token), len(token))

    async def verify_token(self, token: str) -> AccessToken | None:
        presented = _digest(token)
        client = None
        for digest, name in self._digests:  # no early exit: the time taken says nothing
            if hmac.compare_digest(digest, presented):
                client = name
        if client is None:
            return None
        return AccessToken(token=token, client_id=client, scopes=[])


def load_static_tokens(settings: Settings) -> dict[str, str]:
    """Tokens from QUANT_HTTP_TOKENS (comma-separated) and QUANT_HTTP_TOKENS_FILE.

    File lines are ``TOKEN`` or ``NAME TOKEN``; blank lines and ``#`` comments are skipped.
    Unnamed tokens are called ``env-1``, ``file-3`` (source and position), never by content.
    """
    tokens: dict[str, str] = {}
    if settings.http_tokens:
        for index, token in enumerate(settings.http_tokens.get_secret_value().split(","), start=1):
            if token.strip():
                tokens[f"env-{index}"] = token.strip()
    if settings.http_tokens_file:
        path = Path(settings.http_tokens_file)
        try:
            lines = path.read_text().splitlines()
        except OSError as exc:
            raise AuthConfigError(f"Cannot read QUANT_HTTP_TOKENS_FILE {path}: {exc.strerror}") from None
        for number, line in enumerate(lines, start=1):
            words = line.split("#", 1)[0].split()
            if len(words) == 1:
                tokens[f"file-{number}"] = words[0]
            elif len(words) == 2:
                tokens[words[0]] = words[1]
            elif words:
                raise AuthConfigError(f"{path} line {number}: expected `TOKEN` or `NAME TOKEN`.")
    return tokens


class JWTVerifier:
    """Validates OAuth 2.1 access tokens that are JWTs signed with a key from a JWKS.

    The key set is fetched on first use and again when a token names an unknown ``kid`` (key
    rotation), but at most once per ``refresh_interval`` so that garbage tokens cannot make
    this server hammer the authorization server.
    """

    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        audience: str,
        algorithms: list[str],
        refresh_interval: float = 30.0,
        timeout: float = 5.0,
    ) -> None:
        unsafe = [alg for alg in algorithms if alg.lower() == "none" or alg.upper().startswith("HS")]
        if unsafe:
            raise AuthConfigError(
                f"QUANT_HTTP_JWT_ALGORITHMS must be asymmetric (RS*, PS*, ES*, EdDSA); refusing {', '.join(unsafe)}."
            )
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.algorithms = algorithms
        self.refresh_interval = refresh_interval
        self._http = httpx2.AsyncClient(timeout=timeout, follow_redirects=False)
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = anyio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            header = jwt.get_unverified_header(token)
            key = await self._key(header.get("kid"))
            if key is None:
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            log.info("rejected a bearer token: %s", type(exc).__name__)
            return None
        scopes = claims.get("scope") or claims.get("scp") or []  # RFC 9068 `scope`, or Azure-style `scp`
        if isinstance(scopes, str):
            scopes = scopes.split()
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or claims.get("sub") or "unknown"),
            scopes=scopes,
            expires_at=int(claims["exp"]),
            subject=claims.get("sub"),
            resource=self.audience,
            claims=claims,
        )

    async def _key(self, kid: str | None) -> jwt.PyJWK | None:
        if kid not in self._keys:
            async with self._lock:
                if kid not in self._keys and time.monotonic() - self._fetched_at >= self.refresh_interval:
                    await self._refresh()
        key = self._keys.get(kid)
        if key is None and kid is None and len(self._keys) == 1:  # a token without kid, a JWKS with one key
            key = next(iter(self._keys.values()))
        return key

    async def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            response = await self._http.get(self.jwks_url)
            response.raise_for_status()
            key_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx2.HTTPError, ValueError, jwt.PyJWTError) as exc:
            log.warning(
                "could not load the JWKS from %s: %s; bearer tokens are refused until it loads", self.jwks_url, type(exc).__name__
            )
            return
        self._keys = {key.key_id: key for key in key_set.keys}
        log.info("loaded %d signing key(s) from %s", len(self._keys), self.jwks_url)


def inbound_auth(settings: Settings, resource_url: str) -> tuple[TokenVerifier, AuthSettings] | None:
    """The verifier and SDK AuthSettings for QUANT_HTTP_AUTH, or None when it is ``none``.

    ``resource_url`` is this server's MCP endpoint as clients reach it: the OAuth resource
    identifier, and where the protected-resource metadata (RFC 9728) points.
    """
    if settings.http_auth == "none":
        return None
    if settings.http_auth == "static":
        # Static tokens are not OAuth: no authorization server to advertise, so no metadata;
        # a 401 still says `Bearer error="invalid_token"` (RFC 6750).
        verifier: TokenVerifier = StaticTokenVerifier(load_static_tokens(settings))
        return verifier, AuthSettings(issuer_url=resource_url, resource_server_url=None)
    required = {"QUANT_HTTP_JWT_ISSUER": settings.http_jwt_issuer, "QUANT_HTTP_JWT_JWKS_URL": settings.http_jwt_jwks_url}
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise AuthConfigError(f"QUANT_HTTP_AUTH=jwt needs {' and '.join(missing)}.")
    assert settings.http_jwt_issuer and settings.http_jwt_jwks_url
    verifier = JWTVerifier(
        jwks_url=settings.http_jwt_jwks_url,
        issuer=settings.http_jwt_issuer,
        audience=settings.http_jwt_audience or resource_url,
        algorithms=settings.http_jwt_algorithms,
    )
    return verifier, AuthSettings(  # strings: AuthSettings keeps the issuer exactly as configured
        issuer_url=settings.http_jwt_issuer,
        resource_server_url=resource_url,
        required_scopes=settings.http_required_scopes or None,
        validate_token_resource=False,  # the verifier checks `aud` itself
    )
