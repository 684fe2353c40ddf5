"""Redaction of secret values: in log records, in error text, in event payloads before they are stored.

A `Redactor` knows exact secret values (the ones in the secret store, and any key the model client registers) and a
few patterns that look like keys whatever their origin: `sk-…`, `AIza…`, `Bearer …`, `?key=…` in URLs, and
`"api_key": "…"`. Event payloads are scrubbed of known values only (a conversation may legitimately talk about
"Bearer tokens"); logs and error text get both.

`install_redaction(store)` wraps the logging record factory, so every record from every logger is scrubbed when it is
created — before any handler, including ones added later, can format it. Arguments are merged into the message
(`record.args` cleared) and the traceback text is rendered and scrubbed (`record.exc_text`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import weakref
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 8  # shorter values would turn ordinary words into "[REDACTED]"

PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), "sk-" + REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), REDACTED),
    (re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9._~+/=\-]{8,}"), r"\1" + REDACTED),
    (re.compile(r"(?i)([?&](?:key|api_key|apikey|api-key|access_token|token)=)[^&\s'\"#]+"), r"\1" + REDACTED),
    (
        re.compile(r"(?i)([\"']?(?:api_key|apikey|api-key|authorization)[\"']?\s*[:=]\s*[\"'])[^\"']{4,}"),
        r"\1" + REDACTED,
    ),
)


class Redactor:
    """Replaces known secret values (and, with `patterns=True`, key-shaped strings) by `[REDACTED]`. Thread-safe."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        """Remember `value` (and its JSON-escaped form, as it appears inside stored JSON text)."""
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            return
        forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
        with self._lock:
            # Longest first, so a secret that contains another is replaced whole.
            self._values = tuple(sorted(set(self._values) | forms, key=len, reverse=True))

    def discard(self, value: str) -> None:
        forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
        with self._lock:
            self._values = tuple(v for v in self._values if v not in forms)

    def __bool__(self) -> bool:
        return bool(self._values)

    def contains_secret(self, text: str) -> bool:
        """Whether `text` contains a known secret value (patterns are not considered)."""
        return any(v in text for v in self._values)

    def redact(self, text: str, *, patterns: bool = True) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        if patterns:
            for pattern, replacement in PATTERNS:
                text = pattern.sub(replacement, text)
        return text


# The process-wide redactor for values that are not in any store (e.g. a key read from an environment variable).
GLOBAL = Redactor()
_installed: weakref.WeakSet[Redactor] = weakref.WeakSet()
_install_lock = threading.Lock()
_original_factory: Any = None


def redact(text: str, *, patterns: bool = True) -> str:
    """`text` scrubbed by the global redactor and by every redactor passed to `install_redaction`."""
    text = GLOBAL.redact(text, patterns=False)
    for redactor in list(_installed):
        text = redactor.redact(text, patterns=False)
    if patterns:
        text = GLOBAL.redact(text, patterns=True)
    return text


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Merge the arguments into the message, render the traceback, and redact both, in place."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not hide the record
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """A handler filter doing what `install_redaction` does globally, for code that prefers to attach filters."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


def install_redaction(store: Any = None, *, values: Iterable[str] = ()) -> Redactor:
    """Scrub every log record of this process from now on; also use `store`'s secrets. Idempotent.

    Returns the global redactor: `.add(value)` registers a secret that is not in the store (an environment key).
    """
    global _original_factory
    for value in values:
        GLOBAL.add(value)
    if store is not None:
        from studio.store.secrets import load_secret_values

        load_secret_values(store=store)
        _installed.add(store.redactor)
    with _install_lock:
        if _original_factory is None:
            _original_factory = logging.getLogRecordFactory()
            factory = _original_factory

            def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                return scrub_record(factory(*args, **kwargs))

            logging.setLogRecordFactory(scrubbing_factory)
    return GLOBAL


def uninstall_redaction() -> None:
    """Restore the original record factory (for tests)."""
    global _original_factory
    with _install_lock:
        if _original_factory is not None:
            logging.setLogRecordFactory(_original_factory)
            _original_factory = None
        _installed.clear()


__all__ = [
    "GLOBAL",
    "PATTERNS",
    "REDACTED",
    "RedactingFilter",
    "Redactor",
    "install_redaction",
    "redact",
    "scrub_record",
    "uninstall_redaction",
]
