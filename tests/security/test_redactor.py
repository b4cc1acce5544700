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


def test_structured_fields_of_access_and_audit_lines_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    """``log_fast`` fields (an organisation or a path come from the client) go through the same
    redaction as a message, on the real handler, and the record's private mark of that is no field."""
    import json

    from quant_mcp.config import Settings
    from quant_mcp.observability import audit, configure_logging
    from quant_mcp.redact import install_log_redaction

    secret = "qc_SECRET-field-test-0123456789"
    handler = configure_logging(Settings(_env_file=None, log_format="json"))
    install_log_redaction()
    try:
        audit(who="local", tool="list_models", organisation=secret, outcome="ok", upstream_status=200, seconds=0.001)
    finally:
        logging.getLogger().removeHandler(handler)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["organisation"] == REDACTED and line["tool"] == "list_models" and line["who"] == "local"
    assert not any(key.startswith("_") for key in line), "the redacted mark is not a field"


@pytest.mark.parametrize("given", ["qc_live_ABCDEF123456", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"])
def test_a_request_id_that_looks_like_a_credential_is_replaced(given: str) -> None:
    """A client's X-Request-Id lands in every log line, error text and upstream request: one
    shaped like a token is never taken."""
    from quant_mcp.observability import accept_request_id

    made = accept_request_id(given)
    assert made != given and len(made) == 32
    assert accept_request_id("req-2026-11-29.0001") == "req-2026-11-29.0001"
