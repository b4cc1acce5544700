"""The one redactor, by itself: the credential shapes it must catch, the known tokens it must
find wherever they stand, the ordinary text it must leave alone, and the logging filter."""

from __future__ import annotations

import logging

import pytest

from quant_mcp.redact import REDACTED, RedactingFilter, Redactor


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abcdefghijklmnop",
        '{"headers": {"authorization": "Basic dXNlcjpwYXNzd29yZA=="}}',
        "x-quant-token=qwertyuiopasdf&next=1",
        "the JWT eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl was refused",
        "token qc_live_ABCDEF123456 rejected",
        "curl -H 'Cookie: session=0123456789abcdef'",
        "password=hunter2hunter2",
    ],
)
def test_credential_shapes_are_redacted(text: str) -> None:
    clean = Redactor()(text)
    assert REDACTED in clean
    for secret in (
        "abcdefghijklmnop",
        "dXNlcjpwYXNzd29yZA",
        "qwertyuiopasdf",
        "c2lnbmF0dXJl",
        "ABCDEF123456",
        "0123456789abcdef",
        "hunter2",
    ):
        assert secret not in clean


def test_known_tokens_are_redacted_wherever_they_stand_and_ordinary_text_is_not() -> None:
    redactor = Redactor()
    redactor.add("server-token-0123456789")
    redactor.remember("caller-token-abcdefghij")
    text = "server-token-0123456789 and (caller-token-abcdefghij) and totalTokens: 12345678, tokensUsed 1234"
    assert redactor(text) == f"{REDACTED} and ({REDACTED}) and totalTokens: 12345678, tokensUsed 1234"
    plain = "Summarise session 3f1c-22 with amazon.nova-lite-v1:0 in organisation test-org; 401 Missing bearer token."
    assert redactor(plain) == plain


def test_the_filter_redacts_arguments_messages_and_tracebacks() -> None:
    secret = "qc_SECRET-filter-test-0123456789"
    logger = logging.getLogger("tests.security.filter")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.info("client %s sent %r", "alice", f"Bearer {secret}")
        try:
            raise ValueError(f"header Authorization: Bearer {secret}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    formatter = logging.Formatter("%(message)s")
    rendered = "\n".join(formatter.format(record) for record in records)
    assert "alice" in rendered and "ValueError" in rendered
    assert secret[3:15] not in rendered, rendered
