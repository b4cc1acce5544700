"""One redactor for every text that reaches a client or a log.

What it removes:

* the secrets this process knows: the server's QUANT_API_TOKEN and the inbound static tokens
  (:meth:`Redactor.add`), and every Quant token and inbound bearer token a client has presented
  recently (:meth:`Redactor.remember`). Presented tokens are held only as SHA-256 digests (a
  bounded, most-recent set): a text is split into words, and a word whose digest is known is
  replaced, so the redactor never keeps a caller's token in clear;
* anything shaped like a credential, known or not: ``Bearer <credential>``, the value of an
  ``Authorization`` / ``X-Quant-Token`` / ``Cookie`` / ``api_key`` / ``password``-like field,
  a JWT (``eyJ...``) and a Quant token (``qc_...``).

:func:`redact` is what code calls; :class:`RedactingFilter` is the same redactor as a
``logging.Filter`` (installable on handlers and loggers), and :func:`install_log_redaction`
puts it on the root logger, every logger that exists (the SDK's, uvicorn's, httpx's) and
their handlers, so that no log line at any level carries a token, tracebacks included.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

REDACTED = "[redacted]"
REMEMBERED = 10_000  # presented tokens whose digests are kept (32 bytes each)
_MIN_SECRET = 8  # shorter "secrets" would redact ordinary words

_FIELD = re.compile(
    r"""(?ix)
    (\b(?:proxy-)?authorization|\bx-quant-token|\bset-cookie|\bcookie|\bx-api-key|\bapi[_-]?key|\baccess[_-]?token
      |\brefresh[_-]?token|\bid[_-]?token|\bclient[_-]?secret|\bpassword|\bsecret)
    (["']?\s*[:=]\s*["']?)          # : or =, perhaps quoted (JSON, headers, query strings, reprs)
    (?:(?:bearer|basic)\s+)?(?:\[redacted\]|[^\s"',;&}\]\[]+)
    """
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=:-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*")
_QUANT_TOKEN = re.compile(r"\bqc_[A-Za-z0-9_\-]{6,}")
_WORDS = (re.compile(r"[^\s\"'<>,;()\[\]{}\\`]+"), re.compile(r"[A-Za-z0-9._~+/=-]+"))


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class Redactor:
    """The secrets to remove, and the function that removes them (and credential-shaped text)."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()  # configured secrets, which the settings hold anyway
        self._digests: OrderedDict[bytes, None] = OrderedDict()  # presented tokens, most recent last
        self._lengths: dict[int, int] = {}  # length -> how many remembered digests have it
        self._lengths_of: dict[bytes, int] = {}
        self._pinned: set[bytes] = set()  # configured inbound tokens: never forgotten

    def add(self, secret: str | None) -> None:
        """A secret of the configuration (server token): removed wherever it appears."""
        if secret and len(secret.strip()) >= _MIN_SECRET:
            self._secrets.add(secret.strip())

    def add_digest(self, digest: bytes, length: int) -> None:
        """A secret known only by its SHA-256 and length (an inbound static token): removed as a whole word."""
        if length >= _MIN_SECRET:
            self._remember_digest(digest, length, pinned=True)

    def remember(self, token: str | None) -> None:
        """A token a client presented (X-Quant-Token, an inbound bearer): removed as a whole word from now on."""
        if token and len(token) >= _MIN_SECRET:
            self._remember_digest(_digest(token), len(token), pinned=False)

    def _remember_digest(self, digest: bytes, length: int, *, pinned: bool) -> None:
        if digest in self._digests:
            self._digests.move_to_end(digest)
            return
        self._digests[digest] = None
        self._lengths[length] = self._lengths.get(length, 0) + 1
        self._lengths_of[digest] = length
        if pinned:
            self._pinned.add(digest)
        while len(self._digests) - len(self._pinned) > REMEMBERED:
            oldest = next(d for d in self._digests if d not in self._pinned)
            del self._digests[oldest]
            gone = self._lengths_of.pop(oldest)
            self._lengths[gone] -= 1
            if not self._lengths[gone]:
                del self._lengths[gone]

    def __call__(self, text: str, extra: Iterable[str | None] = ()) -> str:
        """``text`` without any known secret (plus ``extra``, e.g. this call's own token) or credential-shaped part."""
        if len(text) < _MIN_SECRET:  # nothing shorter can be a secret or a credential-shaped text
            return text
        for secret in (*self._secrets, *(s for s in extra if s and len(s) >= _MIN_SECRET)):
            if secret in text:
                text = text.replace(secret, REDACTED)
        if self._lengths:
            text = self._known_words(text)
        text = _FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        text = _JWT.sub(REDACTED, text)
        return _QUANT_TOKEN.sub(REDACTED, text)

    def _known_words(self, text: str) -> str:
        found: set[str] = set()
        for words in _WORDS:
            for match in words.finditer(text):
                word = match.group()
                if len(word) in self._lengths and _digest(word) in self._digests:
                    found.add(word)
        for word in found:
            text = text.replace(word, REDACTED)
        return text


REDACTOR = Redactor()
"""The process's redactor: every module registers its secrets here and redacts through it."""


def redact(text: str, extra: Iterable[str | None] = ()) -> str:
    """``text`` safe to show to a client or to log (see the module docstring)."""
    return REDACTOR(text, extra)


class RedactingFilter(logging.Filter):
    """A ``logging.Filter`` that redacts a record in place and never drops it.

    Arguments are redacted one by one (so formatters that read ``record.args``, like uvicorn's
    access log, keep working); a message that still carries a secret after that is flattened
    to its redacted text. Text fields given with ``extra=`` (the structured fields of access
    and audit lines) are redacted too. A traceback is rendered once, redacted, and kept as ``exc_text``
    (``exc_info`` is cleared, so no later formatter can render the original again).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):  # already, by the logger's filter before the handler's
            return True
        try:
            self._redact(record)
        except Exception:  # a record that cannot be formatted is the logging module's problem, not ours
            record.msg, record.args = redact(str(record.msg)), ()
        record._redacted = True
        return True

    @staticmethod
    def _redact(record: logging.LogRecord) -> None:
        if record.args:
            if isinstance(record.args, dict):
                record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
            else:
                record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args or not isinstance(record.msg, str):  # else the message is the msg just redacted
            message = record.getMessage()
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, ()
        if record.exc_info:
            text = record.exc_text or _FORMATTER.formatException(record.exc_info)
            record.exc_text, record.exc_info = redact(text), None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        fields = record.__dict__
        for key in fields.keys() - RECORD_ATTRS:
            if isinstance(fields[key], str):
                fields[key] = redact(fields[key])


_FORMATTER = logging.Formatter()
RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}  # what every log record has
FILTER = RedactingFilter()


def _with_filter(target: logging.Filterer) -> None:
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(FILTER)


def install_log_redaction() -> None:
    """Put :data:`FILTER` on the root logger, every logger that exists now and all their handlers.

    Idempotent; call it again after something (uvicorn's log config) adds handlers. A logger
    created later is still covered when its records reach a handler installed here.
    """
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [item for item in logging.Logger.manager.loggerDict.values() if isinstance(item, logging.Logger)]
    for logger in loggers:
        _with_filter(logger)
        for handler in logger.handlers:
            _with_filter(handler)


# ----------------------------------------------------------------------------- what reaches a client


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


async def redact_replies(ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
    """Server middleware, outermost: no error a client receives carries a secret.

    Errors are where upstream and library text reaches a client (a tool error result, a
    JSON-RPC error of a resource read or a prompt, both protocol eras); successful results are
    data and are left as they are. The places that build error text redact it already; this is
    the net under them.
    """
    try:
        result = await call_next(ctx)
    except MCPError as exc:
        exc.error = exc.error.model_copy(update={"message": redact(exc.error.message)})
        exc.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in exc.args)
        raise
    except Exception as exc:
        exc.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in exc.args)
        raise
    if isinstance(result, BaseModel) and getattr(result, "is_error", False):
        result = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(result, dict) and result.get("isError"):
        result = _scrub(result)
    return result
