"""Shared fixtures. Each fixture starts real parts (servers on 127.0.0.1, port 0) and stops them after the test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Make `studio` and `tests.support` importable however pytest is launched (`pytest` or `python -m pytest`),
# without requiring an editable install.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.support.openai_server import OpenAIServer  # noqa: E402


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A real OpenAI-compatible HTTP server for this test: script it with `.script(...)`/`.add_reply(...)`, point a
    client at `.base_url`, then inspect `.requests` and `.unexpected_requests`."""
    with OpenAIServer() as server:
        yield server
