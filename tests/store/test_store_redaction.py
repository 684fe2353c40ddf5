"""T53: a canary key never appears in a log line, a traceback or an error message."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator

import pytest

from studio.store import RedactingFilter, Redactor, Store, install_redaction, redact, set_secret
from studio.store.redact import uninstall_redaction


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A handler added *after* redaction is installed, on a logger of its own (it still gets scrubbed records)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger(f"studio.test.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, buffer
    finally:
        logger.removeHandler(handler)
        uninstall_redaction()


def test_T53_canary_key_is_absent_from_logs_and_tracebacks(
    sqlite_store: Store, logged: tuple[logging.Logger, io.StringIO]
) -> None:
    logger, log_text = logged
    canary = f"sk-canary-{uuid.uuid4()}"
    set_secret("OPENAI_API_KEY", canary, store=sqlite_store)
    install_redaction(sqlite_store)

    logger.info("calling the model with key %s", canary)
    logger.warning("headers: %r", {"Authorization": f"Bearer {canary}"})
    try:
        raise RuntimeError(f"401 Unauthorized for https://api.example/v1?key={canary}")
    except RuntimeError:
        logger.exception("model call failed")
    text = log_text.getvalue()

    assert canary not in text and canary[10:] not in text
    assert "calling the model with key [REDACTED]" in text
    assert "RuntimeError: 401 Unauthorized for https://api.example/v1?key=[REDACTED]" in text  # traceback kept


def test_T53_keys_registered_from_the_environment_and_key_shapes_are_scrubbed(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, log_text = logged
    env_key = f"env-{uuid.uuid4()}"  # not key-shaped: only known-value redaction can catch it
    install_redaction(values=[env_key])
    logger.error("using %s and sk-abcdefghijklmnopqrstuvwx and AIzaSyD-0123456789abcdefghijklmno", env_key)
    text = log_text.getvalue()
    assert env_key not in text and "abcdefghijklmnopqrstuvwx" not in text and "0123456789abcdefghijklmno" not in text
    assert text.count("[REDACTED]") == 3


def test_redactor_replaces_the_longest_value_first_and_json_escaped_forms() -> None:
    redactor = Redactor(["password-1234", "password-1234-extended"])
    assert redactor.redact("a password-1234-extended b", patterns=False) == "a [REDACTED] b"
    quoted = Redactor(['quote"and\\slash-secret'])
    assert quoted.redact('{"v": "quote\\"and\\\\slash-secret"}', patterns=False) == '{"v": "[REDACTED]"}'
    assert Redactor(["short"]).redact("short", patterns=False) == "short"  # too short to be redacted safely


def test_redact_scrubs_error_text_with_patterns() -> None:
    text = redact('{"api_key": "abcd1234efgh"} Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y ?token=zzz123&x=1')
    assert "abcd1234efgh" not in text and "eyJhbGciOiJIUzI1NiJ9" not in text and "zzz123" not in text
    assert "&x=1" in text


def test_redacting_filter_on_a_handler() -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"studio.test.filter.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("key=%s", "sk-proj-abcdefghijklmnop1234")
    finally:
        logger.removeHandler(handler)
    assert buffer.getvalue().strip() == "key=sk-[REDACTED]"
