"""Fixtures for the model-client tests."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["auto", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    """Scenarios that take this run on both transports: the stdlib keep-alive pool (chosen automatically for a
    local http server) and the SDK's httpx client (what https and proxied endpoints use)."""
    return request.param
