"""`FunctionTool.call_json`: the executor side of one tool call, with AG2's error texts (RUNTIME.md §1.6)."""

# typing.Optional/Union are tested on purpose, next to the `X | None` spelling:
# ruff: noqa: UP007, UP045
from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import json
import subprocess
import sys
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from studio.errors import ToolError
from studio.runtime.tools import FunctionTool, ToolSignatureError, format_json_str, serialize_result
from studio.runtime.tools._coerce import MISS, converter


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Order(BaseModel):
    item: str
    qty: int = 1


@dataclasses.dataclass
class Box:
    w: int


def add(a: Annotated[int, "first"], b: int) -> int:
    """Add two ints."""
    return a + b


def kaput() -> str:
    raise RuntimeError("kaput")


def echo_types(
    f: float, c: Color, lit: Literal["x", "y"], o: Optional[int] = None, tags: list[str] | None = None
) -> dict[str, Any]:
    return {"f": type(f).__name__, "c": c.name, "lit": lit, "o": o, "tags": tags}


def place(order: Order) -> str:
    assert isinstance(order, Order)  # the model's dict arrives as a model instance
    return f"{order.qty} x {order.item}"


def test_arguments_of_the_right_type_are_passed_and_the_result_is_text() -> None:
    tool = FunctionTool(add)
    assert tool.name == "add" and tool.description == "Add two ints."
    assert tool.call_json('{"a": 2, "b": 3}') == ("5", False)
    assert tool.call_json({"a": 2, "b": 3}) == ("5", False)  # already-parsed arguments are accepted too


def test_arguments_are_coerced_like_pydantic_validate_call() -> None:
    tool = FunctionTool(echo_types)
    content, is_error = tool.call_json('{"f": 2, "c": "green", "lit": "y", "o": "7", "tags": ["a"]}')
    assert not is_error
    assert json.loads(content) == {"f": "float", "c": "GREEN", "lit": "y", "o": 7, "tags": ["a"]}
    assert FunctionTool(add).call_json('{"a": "2", "b": 3.0}') == ("5", False)


def test_a_pydantic_model_parameter_receives_a_model_instance() -> None:
    tool = FunctionTool(place, description="Place an order")
    assert tool.call_json('{"order": {"item": "tea", "qty": 2}}') == ("2 x tea", False)


def test_validation_failures_come_back_as_pydantic_text() -> None:
    tool = FunctionTool(add)
    content, is_error = tool.call_json('{"a": "x", "b": 1}')
    assert is_error
    assert content.startswith("Error: 1 validation error for add\na\n  Input should be a valid integer")
    content, is_error = tool.call_json('{"a": 1}')
    assert is_error and content.startswith("Error: 1 validation error for add\nb\n  Missing required argument")
    content, is_error = tool.call_json('{"a": 1, "b": 2, "c": 3}')
    assert is_error and "c\n  Unexpected keyword argument" in content
    content, is_error = FunctionTool(echo_types).call_json('{"f": 1, "c": "blue", "lit": "x"}')
    assert is_error and content.startswith("Error: 1 validation error for echo_types\nc\n  Input should be 'red' or")
    content, is_error = FunctionTool(place).call_json('{"order": {"qty": 2}}')
    assert is_error and "order.item\n  Field required" in content


def test_bad_json_gives_ag2s_exact_message() -> None:
    bad = '{"a": 1, "b": }'
    with pytest.raises(json.JSONDecodeError) as reference:
        json.loads(bad)
    assert FunctionTool(add).call_json(bad) == (
        f"Error: {reference.value}\n The argument must be in JSON format.",
        True,
    )
    assert FunctionTool(add).call_json("not json") == (
        "Error: Expecting value: line 1 column 1 (char 0)\n The argument must be in JSON format.",
        True,
    )


def test_raw_newlines_and_tabs_inside_strings_are_tolerated_as_in_ag2() -> None:
    def shout(text: str) -> str:
        return text.upper()

    tool = FunctionTool(shout)
    assert tool.call_json('{\n  "text": "line one\nline\ttwo"\n}') == ("LINE ONE\nLINE\tTWO", False)
    assert format_json_str('{\n"a": "x\ny"}') == '{"a": "x\\ny"}'


def test_empty_arguments_mean_no_arguments_and_non_objects_are_errors() -> None:
    def ping() -> str:
        return "pong"

    tool = FunctionTool(ping)
    assert tool.call_json("") == ("pong", False)
    assert tool.call_json(None) == ("pong", False)
    assert tool.call_json("{}") == ("pong", False)
    assert tool.call_json("[1, 2]") == ("Error: ping() argument after ** must be a mapping, not list", True)


def test_an_exception_in_the_tool_becomes_error_content() -> None:
    assert FunctionTool(kaput).call_json("{}") == ("Error: kaput", True)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        (5, "5"),
        (2.5, "2.5"),
        (True, "true"),
        (None, "null"),
        ({"city": "Zürich", "temp": 3}, '{"city": "Zürich", "temp": 3}'),
        ([1, "a", None], '[1, "a", null]'),
        ((1, 2), "[1, 2]"),
        (Order(item="tea"), '{"item":"tea","qty":1}'),
        ({"order": Order(item="x"), "s": {3}}, '{"order": {"item": "x", "qty": 1}, "s": [3]}'),
        (Box(w=2), "Box(w=2)"),
        (Color.RED, "Color.RED"),
    ],
)
def test_return_values_are_serialised_like_ag2(value: Any, text: str) -> None:
    assert serialize_result(value) == text
    assert FunctionTool(lambda: value, name="give").call_json("{}") == (text, False)


def test_async_tools_run_from_sync_code_and_from_inside_a_running_loop() -> None:
    async def slow_add(a: int, b: int) -> int:
        await asyncio.sleep(0.01)
        return a + b

    tool = FunctionTool(slow_add)
    assert tool.is_async
    assert tool.call_json('{"a": 1, "b": 2}') == ("3", False)
    assert tool.call_json('{"a": 1, "b": 2}') == ("3", False)  # the private loop is reused

    async def main() -> tuple[tuple[str, bool], tuple[str, bool]]:
        # sync call_json while this thread runs a loop: finished on another thread, not a crash
        return tool.call_json('{"a": 2, "b": 2}'), await tool.a_call_json('{"a": "3", "b": 3}')

    assert asyncio.run(main()) == (("4", False), ("6", False))


def test_async_tool_errors_are_error_content() -> None:
    async def fails() -> None:
        raise ValueError("nope")

    tool = FunctionTool(fails)
    assert tool.call_json("{}") == ("Error: nope", True)
    assert asyncio.run(tool.a_call_json("{}")) == ("Error: nope", True)
    assert asyncio.run(tool.a_call_json("{")) == (
        "Error: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)\n"
        " The argument must be in JSON format.",
        True,
    )


def test_names_descriptions_and_callables_of_every_kind() -> None:
    class Counter:
        """Counts."""

        def __call__(self, n: int) -> int:
            return n + 1

        def double(self, n: int) -> int:
            return 2 * n

    counter = Counter()
    assert FunctionTool(counter).name == "Counter"
    assert FunctionTool(counter).call_json('{"n": "1"}') == ("2", False)
    assert FunctionTool(counter.double).call_json('{"n": "4"}') == ("8", False)
    part = functools.partial(add, b=10)
    with pytest.raises(ToolSignatureError, match="pass name="):
        FunctionTool(part)
    assert FunctionTool(part, name="add_ten").call_json('{"a": "5"}') == ("15", False)
    with pytest.raises(ValueError, match="Invalid name: <lambda>"):
        FunctionTool(lambda: 1)
    with pytest.raises(ToolError, match="must be a function or another callable"):
        FunctionTool(42)  # type: ignore[arg-type]
    renamed = FunctionTool(FunctionTool(add), name="plus", description="Adds")
    assert (renamed.name, renamed.description, renamed(1, 2)) == ("plus", "Adds", 3)
    assert renamed.schema["function"]["name"] == "plus"
    assert renamed.schema["function"]["description"] == "Adds"
    assert FunctionTool(kaput).description == ""


def test_simple_calls_never_import_pydantic() -> None:
    code = (
        "import sys\n"
        "from typing import Annotated, Optional\n"
        "from studio.runtime.tools import FunctionTool\n"
        "def add(a: Annotated[int, 'x'], b: Optional[float] = None, tags: list[str] = []) -> dict:\n"
        "    return {'sum': a + (b or 0), 'tags': tags}\n"
        "t = FunctionTool(add)\n"
        'assert t.call_json(\'{"a": 1, "b": 2, "tags": ["x"]}\') == (\'{"sum": 3.0, "tags": ["x"]}\', False)\n'
        'assert t.call_json(\'{"a": 1}\') == (\'{"sum": 1, "tags": []}\', False)\n'
        "assert 'pydantic' not in sys.modules, 'pydantic was imported'\n"
        "print('clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"


# -- the fast path's contract: whatever it accepts, pydantic would accept and return identically -------------------

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=5)
    | st.sampled_from(["red", "green", "x", "a", "5", "1.5", "true"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=8,
)
_TYPES = [
    int,
    float,
    str,
    bool,
    Any,
    Optional[int],
    Optional[float],
    list[int],
    list[float],
    list,
    dict,
    dict[str, int],
    dict[str, Optional[float]],
    Union[int, str],
    Union[float, int],
    Union[int, float, None],
    Union[bool, int],
    Union[list[int], list[float]],
    Union[Color, str],
    Literal["a", "x", 1, True],
    Color,
    Optional[Color],
    list[Optional[float]],
    Annotated[int, "described"],
]


@functools.cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_TYPES), _json_values)
def test_the_fast_path_only_accepts_what_pydantic_accepts_unchanged(tp: Any, value: Any) -> None:
    fast = converter(tp, False)
    ours = value if fast is None else fast(value)
    if ours is MISS:
        return  # deferred to pydantic: always allowed
    try:
        theirs = _adapter(tp).validate_python(value)
    except ValidationError:
        pytest.fail(f"fast path accepted {value!r} for {tp!r}, pydantic rejects it")
    assert _same(ours, theirs), (tp, value, ours, theirs)


def test_the_fast_path_accepts_the_common_cases() -> None:
    assert converter(int, False)(5) == 5  # type: ignore[misc]
    assert converter(float, False)(5) == 5.0 and type(converter(float, False)(5)) is float  # type: ignore[misc]
    assert converter(list[str], False)(["a"]) == ["a"]  # type: ignore[misc]
    assert converter(Optional[Color], False)("red") is Color.RED  # type: ignore[misc]
    assert converter(Union[float, int], False)(5) == 5 and type(converter(Union[float, int], False)(5)) is int  # type: ignore[misc]
    assert converter(int, False)("5") is MISS  # type: ignore[misc]
    assert converter(int, False)(True) is MISS  # type: ignore[misc]
