"""Advertising tools in `llm_config["tools"]` the way AG2's `update_tool_signature` does."""

from __future__ import annotations

import warnings

import pytest

from studio.runtime.tools import ToolConfigError, add_tool_to_llm_config, function_schema, remove_tool, tool_names


def add(a: int, b: int) -> int:
    return a + b


def sub(a: int, b: int) -> int:
    return a - b


def test_tools_are_added_in_order_and_the_rest_of_the_config_is_kept() -> None:
    config = {"config_list": [{"model": "m"}], "temperature": 0}
    out = add_tool_to_llm_config(config, function_schema(add, description="Add"))
    add_tool_to_llm_config(config, function_schema(sub, description="Sub"))
    assert out is config
    assert tool_names(config) == ["add", "sub"]
    assert config["config_list"] == [{"model": "m"}] and config["temperature"] == 0
    assert config["tools"][0] == function_schema(add, description="Add")


def test_a_tool_with_the_same_name_is_replaced_with_a_warning_and_moves_to_the_end() -> None:
    config: dict = {}
    add_tool_to_llm_config(config, function_schema(add, description="Add"))
    add_tool_to_llm_config(config, function_schema(sub, description="Sub"))
    with pytest.warns(UserWarning, match=r"^Function 'add' is being overridden\.$"):
        add_tool_to_llm_config(config, function_schema(add, description="Add, better"))
    assert tool_names(config) == ["sub", "add"]
    assert config["tools"][1]["function"]["description"] == "Add, better"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        add_tool_to_llm_config(config, function_schema(add, description="again"), silent_override=True)
    assert tool_names(config) == ["sub", "add"]


def test_invalid_names_and_bad_configs_are_refused() -> None:
    schema = function_schema(add, description="Add")
    schema["function"]["name"] = "bad.name"
    with pytest.raises(ValueError, match="Invalid name: bad.name"):
        add_tool_to_llm_config({}, schema)
    with pytest.raises(AssertionError, match="must have an llm_config dict"):
        add_tool_to_llm_config(False, function_schema(add, description="Add"))  # type: ignore[arg-type]
    with pytest.raises(ToolConfigError, match="A tool schema must look like"):
        add_tool_to_llm_config({}, {"name": "add"})


def test_remove_tool_drops_it_and_deletes_the_key_when_empty() -> None:
    config: dict = {"model": "m"}
    add_tool_to_llm_config(config, function_schema(add, description="Add"))
    add_tool_to_llm_config(config, function_schema(sub, description="Sub"))
    remove_tool(config, "add")
    assert tool_names(config) == ["sub"]
    remove_tool(config, "sub")
    assert config == {"model": "m"}
    with pytest.raises(AssertionError, match=r"^The agent config doesn't have tool sub\.$"):
        remove_tool(config, "sub")
