"""Fixtures for the spec tests."""

from __future__ import annotations

import pytest

from studio.spec import Bundle
from tests.spec.samples import small_bundle


@pytest.fixture
def bundle() -> Bundle:
    return small_bundle()
