"""Tool-name rules (RUNTIME.md §1.1): configured names are validated, model-supplied names are normalised."""

from __future__ import annotations

import pytest

from studio.errors import ToolError
from studio.runtime.tools import InvalidToolNameError, normalize_tool_name, validate_tool_name


@pytest.mark.parametrize("name", ["add", "get-weather", "tool_2", "A" * 64, "-", "_x"])
def test_valid_names_pass_through(name: str) -> None:
    assert validate_tool_name(name) == name


@pytest.mark.parametrize("name", ["bad.name", "has space", "", "émoji", "a/b", "trailing\n"])
def test_names_with_other_characters_are_refused_with_ag2s_message(name: str) -> None:
    with pytest.raises(ValueError) as err:
        validate_tool_name(name)
    assert str(err.value) == f"Invalid name: {name}. Only letters, numbers, '_' and '-' are allowed."
    assert isinstance(err.value, InvalidToolNameError) and isinstance(err.value, ToolError)
    assert err.value.name == name


def test_names_longer_than_64_characters_are_refused() -> None:
    name = "a" * 65
    with pytest.raises(ValueError) as err:
        validate_tool_name(name)
    assert str(err.value) == f"Invalid name: {name}. Name must be less than 64 characters."


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("functions.add", "functions_add"),
        ("get weather!", "get_weather_"),
        ("ok-name_1", "ok-name_1"),
        ("x" * 70, "x" * 64),
        ("dé.jà", "d__j_"),
    ],
)
def test_names_from_the_model_are_normalised(raw: str, normalized: str) -> None:
    assert normalize_tool_name(raw) == normalized
    validate_tool_name(normalized)
