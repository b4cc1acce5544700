"""Inbound authentication on /mcp: static bearer tokens and the OAuth 2.1 resource server (JWTs
checked against a JWKS served on loopback), with the 401/403 answers the MCP spec asks for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from quant_mcp.auth import AuthConfigError, JWTVerifier, StaticTokenVerifier, inbound_auth, load_static_tokens
from quant_mcp.config import Settings
from tests.conftest import text_of
from tests.http.conftest import CLIENT_TOKEN, connect, http_service, serve_app

pytestmark = pytest.mark.anyio

ISSUER = "https://auth.example.test"
PUBLIC_URL = "https://mcp.example.test/mcp"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
SCOPED = {"http_required_scopes": "quant:ai"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


# ----------------------------------------------------------------------------- static tokens


async def test_no_token_is_401_with_bearer_challenge(web, simulator):
    async with http_service(simulator) as url:
        response = await web.post(f"{url}/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        assert response.status_code == 401
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
        assert simulator.state.requests == []


async def test_wrong_token_and_wrong_scheme_are_401(web, simulator):
    async with http_service(simulator) as url:
        for authorization in ("Bearer not-the-token", f"Basic {CLIENT_TOKEN}", f"Bearer {CLIENT_TOKEN}x"):
            response = await web.post(f"{url}/mcp", json=INITIALIZE, headers=MCP_HEADERS | {"Authorization": authorization})
            assert response.status_code == 401, authorization


async def test_with_the_token_tools_work_in_both_eras(simulator, era):
    async with http_service(simulator) as url, connect(url, mode=era) as client:
        assert client.protocol_version == ("2026-07-28" if era == "auto" else "2025-11-25")
        result = await client.call_tool("list_models", {})
        assert not result.is_error, text_of(result)
        assert result.structured_content["models"]


async def test_health_endpoints_need_no_token(web, simulator):
    async with http_service(simulator) as url:
        assert (await web.get(f"{url}/healthz")).status_code == 200
        assert (await web.get(f"{url}/readyz")).status_code == 200


def test_static_tokens_from_env_and_file(tmp_path):
    tokens_file = tmp_path / "tokens"
    tokens_file.write_text("# team tokens\nalice tok-alice\n\ntok-anonymous   # no name\n")
    settings = Settings(_env_file=None, http_tokens="tok-env-a, tok-env-b", http_tokens_file=tokens_file)
    assert load_static_tokens(settings) == {
        "env-1": "tok-env-a",
        "env-2": "tok-env-b",
        "alice": "tok-alice",
        "file-4": "tok-anonymous",
    }
    tokens_file.write_text("alice tok-alice extra\n")
    with pytest.raises(AuthConfigError, match="line 1"):
        load_static_tokens(settings)
    with pytest.raises(AuthConfigError, match="Cannot read"):
        load_static_tokens(Settings(_env_file=None, http_tokens_file=tmp_path / "missing"))
    with pytest.raises(AuthConfigError, match="at least one token"):
        inbound_auth(Settings(_env_file=None, http_auth="static"), PUBLIC_URL)


async def test_static_verifier_names_the_client_and_keeps_only_digests():
    verifier = StaticTokenVerifier({"alice": "tok-alice", "bob": "tok-bob"})
    assert (await verifier.verify_token("tok-bob")).client_id == "bob"
    assert await verifier.verify_token("tok-carol") is None
    assert "tok-alice" not in repr(vars(verifier))


# ----------------------------------------------------------------------------- JWT resource server


class Issuer:
    """A test authorization server: signing keys and a JWKS endpoint that counts its fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.fetches = 0
        self.add_key("k1")

    def add_key(self, kid: str, key: Any = None) -> None:
        self.keys[kid] = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        found = []
        for kid, key in self.keys.items():
            algorithm = jwt.algorithms.ECAlgorithm if isinstance(key, ec.EllipticCurvePrivateKey) else jwt.algorithms.RSAAlgorithm
            found.append(algorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": kid, "use": "sig"})
        return {"keys": found}

    def token(self, *, kid: str = "k1", algorithm: str = "RS256", key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": PUBLIC_URL, "sub": "user-1", "client_id": "desktop", "iat": now, "exp": now + 300}
        body |= claims
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key or self.keys[kid], algorithm=algorithm, headers={"kid": kid})

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        async def jwks(request: Request) -> JSONResponse:
            self.fetches += 1
            return JSONResponse(self.jwks())

        async with serve_app(Starlette(routes=[Route("/jwks", jwks)])) as url:
            yield f"{url}/jwks"


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    yield Issuer()


def jwt_settings(jwks_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "http_auth": "jwt",
        "http_tokens": None,
        "http_jwt_issuer": ISSUER,
        "http_jwt_jwks_url": jwks_url,
        "http_public_url": PUBLIC_URL,
    } | extra


async def test_jwt_401_points_at_protected_resource_metadata(web, simulator, issuer):
    async with issuer.serving() as jwks_url, http_service(simulator, **jwt_settings(jwks_url, **SCOPED)) as url:
        response = await web.post(f"{url}/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        assert response.status_code == 401
        challenge = response.headers["WWW-Authenticate"]
        metadata_url = "https://mcp.example.test/.well-known/oauth-protected-resource/mcp"
        assert f'resource_metadata="{metadata_url}"' in challenge

        metadata = (await web.get(f"{url}/.well-known/oauth-protected-resource/mcp")).json()
        assert metadata["resource"] == PUBLIC_URL
        assert metadata["authorization_servers"] == [ISSUER]
        assert metadata["scopes_supported"] == ["quant:ai"]


async def test_jwt_valid_token_works_in_both_eras(simulator, issuer, era):
    async with issuer.serving() as jwks_url, http_service(simulator, **jwt_settings(jwks_url)) as url:
        headers = {"Authorization": f"Bearer {issuer.token()}"}
        async with connect(url, mode=era, headers=headers) as client:
            result = await client.call_tool("list_models", {})
            assert not result.is_error, text_of(result)


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://other.example.test/mcp"},
        {"iss": "https://evil.example.test"},
        {"exp": int(time.time()) - 600},
        {"aud": None},
        {"exp": None},
    ],
    ids=["wrong-audience", "wrong-issuer", "expired", "no-audience", "no-expiry"],
)
async def test_jwt_bad_claims_are_401(web, simulator, issuer, claims):
    async with issuer.serving() as jwks_url, http_service(simulator, **jwt_settings(jwks_url)) as url:
        headers = MCP_HEADERS | {"Authorization": f"Bearer {issuer.token(**claims)}"}
        assert (await web.post(f"{url}/mcp", json=INITIALIZE, headers=headers)).status_code == 401
        good = MCP_HEADERS | {"Authorization": f"Bearer {issuer.token()}"}
        assert (await web.post(f"{url}/mcp", json=INITIALIZE, headers=good)).status_code == 200


def hs256_signed_with(secret: bytes, claims: dict[str, Any]) -> str:
    """A token MACed with ``secret`` (built by hand: pyjwt refuses to use a public key as an HMAC secret)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode()) + "." + b64(json.dumps(claims).encode())
    return signing_input + "." + b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


async def test_jwt_forged_signature_alg_confusion_and_none_are_401(web, simulator, issuer):
    async with issuer.serving() as jwks_url, http_service(simulator, **jwt_settings(jwks_url)) as url:
        claims = {"iss": ISSUER, "aud": PUBLIC_URL, "sub": "attacker", "exp": int(time.time()) + 300}
        public_pem = issuer.keys["k1"].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        tokens = {
            "wrong key, right kid": issuer.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            "RS256 -> HS256 with the public key": hs256_signed_with(public_pem, claims),
            "alg none": jwt.encode(claims, None, algorithm="none"),
            "not a JWT": "not.a.jwt",
        }
        for what, token in tokens.items():
            headers = MCP_HEADERS | {"Authorization": f"Bearer {token}"}
            assert (await web.post(f"{url}/mcp", json=INITIALIZE, headers=headers)).status_code == 401, what


async def test_jwt_missing_scope_is_403_insufficient_scope(web, simulator, issuer):
    async with issuer.serving() as jwks_url, http_service(simulator, **jwt_settings(jwks_url, **SCOPED)) as url:
        without = MCP_HEADERS | {"Authorization": f"Bearer {issuer.token(scope='other')}"}
        response = await web.post(f"{url}/mcp", json=INITIALIZE, headers=without)
        assert response.status_code == 403
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
        with_scope = MCP_HEADERS | {"Authorization": f"Bearer {issuer.token(scope='openid quant:ai')}"}
        assert (await web.post(f"{url}/mcp", json=INITIALIZE, headers=with_scope)).status_code == 200


async def test_jwt_verifier_follows_key_rotation_but_rate_limits_fetches(issuer):
    async with issuer.serving() as jwks_url:
        verifier = JWTVerifier(
            jwks_url=jwks_url, issuer=ISSUER, audience=PUBLIC_URL, algorithms=["RS256", "ES256"], refresh_interval=0
        )
        try:
            assert (await verifier.verify_token(issuer.token())).subject == "user-1"
            issuer.add_key("k2", ec.generate_private_key(ec.SECP256R1()))  # rotation to a new EC key
            token = await verifier.verify_token(issuer.token(kid="k2", algorithm="ES256", scope="a b"))
            assert token is not None and token.scopes == ["a", "b"] and token.client_id == "desktop"
            assert issuer.fetches == 2
        finally:
            await verifier.aclose()

        limited = JWTVerifier(jwks_url=jwks_url, issuer=ISSUER, audience=PUBLIC_URL, algorithms=["RS256"], refresh_interval=60)
        try:
            before = issuer.fetches
            for n in range(20):  # unknown kids must not turn into 20 JWKS fetches
                unknown = jwt.encode({"iss": ISSUER}, issuer.keys["k1"], algorithm="RS256", headers={"kid": f"unknown-{n}"})
                assert await limited.verify_token(unknown) is None
            assert issuer.fetches - before == 1
        finally:
            await limited.aclose()


async def test_jwt_unreachable_jwks_refuses_tokens(issuer):
    verifier = JWTVerifier(jwks_url="http://127.0.0.1:9/jwks", issuer=ISSUER, audience=PUBLIC_URL, algorithms=["RS256"])
    try:
        assert await verifier.verify_token(issuer.token()) is None
    finally:
        await verifier.aclose()


def test_jwt_configuration_is_checked():
    with pytest.raises(AuthConfigError, match="QUANT_HTTP_JWT_ISSUER and QUANT_HTTP_JWT_JWKS_URL"):
        inbound_auth(Settings(_env_file=None, http_auth="jwt"), PUBLIC_URL)
    with pytest.raises(AuthConfigError, match="asymmetric"):
        inbound_auth(
            Settings(_env_file=None, **jwt_settings("https://x/jwks", http_jwt_algorithms="HS256")),
            PUBLIC_URL,
        )
