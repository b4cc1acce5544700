"""Why a Quant API call did not succeed, as a small tree to branch on (in the spirit of httpx)::

    QuantAPIError                  a call that did not succeed; str() is one sentence an agent can act on
    ├── NotSent                    refused before anything left the process (no usable token, an unsendable URL)
    ├── UpstreamStatusError        the API answered with an error status (.status, .meaning, .detail, .retry_after)
    ├── UpstreamTransportError     no usable answer: the connection failed or broke
    │   └── UpstreamTimeout        no answer within the time limit
    └── UpstreamDecodeError        a success status whose body cannot be read

``status`` is the HTTP status when one arrived. ``retryable`` says whether the same request may
succeed if sent again (the client decides whether it is safe to). No message ever carries a
token: messages are built from the method, the path, the status and the upstream's own words.
"""

from __future__ import annotations

import json

from quant_mcp.dialect import field_messages

STATUS_MEANINGS = {
    400: "the request was rejected as invalid",
    401: "the Quant API token is missing, invalid or expired (check QUANT_API_TOKEN)",
    403: "the token has no access to this organisation (check QUANT_ORGANIZATION or the `organisation` argument), or lacks the permission or scope this call needs",
    404: "not found: check the id and the organisation",
    409: "conflict with the current state (for example a duplicate name)",
    413: "the request is too large (the Quant AI payload limit is 25 MB)",
    422: "the request was understood but failed validation",
    429: "rate limited by the Quant API",
    500: "the Quant API failed internally",
    502: "the Quant API gateway got a bad answer from its backend",
    503: "the Quant API is temporarily unavailable",
    504: "the Quant API gateway timed out",
}
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class QuantAPIError(Exception):
    """A Quant API call that did not succeed."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class NotSent(QuantAPIError):
    """Refused before anything left the process; sending it again as it is cannot help."""


class UpstreamStatusError(QuantAPIError):
    """The Quant API answered with an error status."""

    def __init__(self, message: str, *, status: int, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, status=status, retryable=status in RETRYABLE_STATUSES)
        self.meaning = meaning_of(status)
        self.detail = detail
        self.retry_after = retry_after

    @classmethod
    def from_response(
        cls, method: str, path: str, status: int, body: bytes, retry_after: float | None = None
    ) -> UpstreamStatusError:
        detail = error_detail(body)
        message = f"Quant API {status} on {method} {path}: {meaning_of(status)}"
        if status == 404 and path.rstrip("/").endswith("/ai/config"):
            message = (
                f"Quant API 404 on {method} {path}: this deployment does not offer AI configuration on that route "
                "(/ai/config is in the TypeScript client 4.0-4.4 only and absent from newer API versions); "
                "see the organisation's AI settings in the Quant dashboard instead"
            )
        if detail:
            message += f". Upstream said: {detail}"
        return cls(message, status=status, detail=detail, retry_after=retry_after)


class UpstreamTransportError(QuantAPIError):
    """No usable answer: the connection could not be opened, or broke."""

    def __init__(self, message: str, *, never_sent: bool = False) -> None:
        super().__init__(message, retryable=True)
        self.never_sent = never_sent  # the connection never opened, so even a POST is safe to send again


class UpstreamTimeout(UpstreamTransportError):
    """The Quant API did not answer in time; the request may still have been carried out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.retryable = False


class UpstreamDecodeError(QuantAPIError):
    """A success status whose body is not what the API promised (JSON, or an event stream)."""


def meaning_of(status: int) -> str:
    return STATUS_MEANINGS.get(status, "the Quant API answered with an error" if status >= 400 else "unexpected status")


def error_detail(body: bytes) -> str:
    """The human part of an upstream error body ({message}, {error}, {code}), shortened, with each
    field's messages of a Laravel validation failure ({message, errors: {field: [messages]}})."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:200]
    if isinstance(data, dict):
        parts = [str(data[key]) for key in ("message", "error", "code") if isinstance(data.get(key), str)]
        said = " / ".join(dict.fromkeys(parts))[:300]
        fields = field_messages(data)
        return f"{said} Fields: {fields}" if said and fields else said or fields
    return ""
