"""Tool schemas from type hints, in AG2's exact format (RUNTIME.md §1.6).

This module uses `from __future__ import annotations`, so every hint below is a string the schema code must resolve.
"""

# typing.Optional/Union are tested on purpose, next to the `X | None` spelling:
# ruff: noqa: UP007, UP045
from __future__ import annotations

import dataclasses
import enum
import json
import re
import subprocess
import sys
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from pydantic import BaseModel, Field, TypeAdapter

from studio.errors import ToolError
from studio.runtime.tools import ToolSignatureError, function_schema, parameters_schema
from studio.runtime.tools.schema import _Context


class Color(enum.Enum):
    """A colour."""

    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Inner(BaseModel):
    x: int


class Order(BaseModel):
    """An order."""

    item: str
    inner: Inner
    tags: list[str] = []


class Node(BaseModel):
    value: int
    children: list[Node] = []


@dataclasses.dataclass
class Point:
    x: float
    y: float


def add(a: Annotated[int, "first"], b: int) -> int:
    return a + b


def test_the_add_example_of_the_design_is_reproduced_byte_for_byte() -> None:
    schema = function_schema(add, description="Add two ints")
    expected = (
        '{"type": "function", "function": {"description": "Add two ints", "name": "add", "parameters": '
        '{"type": "object", "properties": {"a": {"type": "integer", "description": "first"}, '
        '"b": {"type": "integer", "description": "b"}}, "required": ["a", "b"]}}}'
    )
    assert json.dumps(schema) == expected


def test_defaults_are_listed_and_make_parameters_optional() -> None:
    def search(
        query: Annotated[str, "What to look for"],
        limit: int = 10,
        exact: bool = False,
        color: Color = Color.RED,
        tags: tuple[str, ...] = ("a", "b"),
    ) -> list[str]:
        return []

    params = function_schema(search, description="Search")["function"]["parameters"]
    assert params["required"] == ["query"]
    assert params["properties"]["query"] == {"type": "string", "description": "What to look for"}
    assert params["properties"]["limit"] == {"type": "integer", "default": 10, "description": "limit"}
    assert params["properties"]["exact"] == {"type": "boolean", "default": False, "description": "exact"}
    # Defaults are JSON-ready: an enum default is its value, a tuple a list.
    assert params["properties"]["color"] == {
        "enum": ["red", "green"],
        "type": "string",
        "default": "red",
        "description": "color",
    }
    assert params["properties"]["tags"]["default"] == ["a", "b"]
    # key order as AG2: the type's schema, then default, then description
    assert list(params["properties"]["limit"]) == ["type", "default", "description"]


def test_optional_literal_enum_list_dict_tuple_and_set() -> None:
    def f(
        a: Optional[int],
        b: str | None,
        c: Literal["fast", "slow"],
        d: Literal["only"],
        e: Color,
        f: Level,
        g: list[int],
        h: dict[str, float],
        i: list,
        j: dict,
        k: tuple[int, str],
        m: set[str],
        n: list[Color],
        o: Union[int, str, None],
        p: Any,
    ) -> None:
        pass

    props = function_schema(f, description="")["function"]["parameters"]["properties"]
    assert props["a"] == {"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "a"}
    assert props["b"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "b"}
    assert props["c"] == {"enum": ["fast", "slow"], "type": "string", "description": "c"}
    assert props["d"] == {"const": "only", "type": "string", "description": "d"}
    assert props["e"] == {"enum": ["red", "green"], "type": "string", "description": "e"}
    assert props["f"] == {"enum": [1, 2], "type": "integer", "description": "f"}
    assert props["g"] == {"items": {"type": "integer"}, "type": "array", "description": "g"}
    assert props["h"] == {"additionalProperties": {"type": "number"}, "type": "object", "description": "h"}
    assert props["i"] == {"items": {}, "type": "array", "description": "i"}
    assert props["j"] == {"additionalProperties": True, "type": "object", "description": "j"}
    assert props["k"] == {
        "maxItems": 2,
        "minItems": 2,
        "prefixItems": [{"type": "integer"}, {"type": "string"}],
        "type": "array",
        "description": "k",
    }
    assert props["m"] == {"items": {"type": "string"}, "type": "array", "uniqueItems": True, "description": "m"}
    # a nested enum is inlined (no $ref) and keeps pydantic's title and docstring
    assert props["n"] == {
        "items": {"description": "A colour.", "enum": ["red", "green"], "title": "Color", "type": "string"},
        "type": "array",
        "description": "n",
    }
    assert props["o"] == {
        "anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}],
        "description": "o",
    }
    assert props["p"] == {"description": "p"}


@pytest.mark.parametrize(
    "tp",
    [
        str,
        int,
        float,
        bool,
        type(None),
        list[int],
        list[list[str]],
        dict[str, int],
        dict[str, Any],
        dict[str, list[float]],
        tuple,
        tuple[int, str],
        tuple[float, ...],
        set[int],
        frozenset[str],
        Optional[int],
        Union[int, str],
        Literal["a"],
        Literal["a", "b"],
        Literal[1, 2],
        Literal[True],
        Literal["a", 1],
        Literal["a", None],
        Literal[Color.RED],
        Literal[1.5, 2.5],
        list[Color],
        list[Level],
        dict[str, Color],
        Optional[list[Color]],
        Annotated[int, "described"],
        list[Optional[int]],
    ],
)
def test_our_own_rendering_matches_pydantic_for_common_types(tp: Any) -> None:
    """The fast path must give what pydantic's TypeAdapter gives (after inlining $defs), so pydantic can stay unloaded."""
    ours = _Context().type_schema(tp, top=False)
    reference = _Context().inline(TypeAdapter(tp).json_schema())
    assert ours == reference
    assert json.dumps(ours) == json.dumps(reference)  # same key order too


def test_a_pydantic_model_parameter_gets_a_self_contained_schema() -> None:
    def place(order: Annotated[Order, "The order to place"], rush: bool = False) -> str:
        return "ok"

    params = function_schema(place, description="Place an order")["function"]["parameters"]
    assert params["required"] == ["order"]
    assert params["properties"]["order"] == {
        "properties": {
            "item": {"title": "Item", "type": "string"},
            "inner": {
                "properties": {"x": {"title": "X", "type": "integer"}},
                "required": ["x"],
                "title": "Inner",
                "type": "object",
            },
            "tags": {"default": [], "items": {"type": "string"}, "title": "Tags", "type": "array"},
        },
        "required": ["item", "inner"],
        "type": "object",
        "description": "The order to place",
    }
    assert "$ref" not in json.dumps(params) and "$defs" not in params


def test_optional_model_and_model_default_and_dataclass() -> None:
    def f(order: Optional[Order] = None, inner: Inner = Inner(x=3), point: Point | None = None) -> None:
        pass

    props = function_schema(f, description="")["function"]["parameters"]["properties"]
    assert props["order"]["anyOf"][1] == {"type": "null"}
    assert props["order"]["anyOf"][0]["properties"]["inner"]["title"] == "Inner"
    assert props["order"]["default"] is None
    assert props["inner"]["default"] == {"x": 3}
    assert props["point"]["anyOf"][0]["properties"] == {
        "x": {"title": "X", "type": "number"},
        "y": {"title": "Y", "type": "number"},
    }
    assert "$ref" not in json.dumps(props)


def test_a_recursive_model_is_hoisted_to_parameters_defs_where_its_refs_resolve() -> None:
    def walk(tree: Node) -> int:
        return 0

    params = function_schema(walk, description="")["function"]["parameters"]
    assert set(params["$defs"]) == {"Node"}
    assert params["$defs"]["Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert params["properties"]["tree"] == {"$ref": "#/$defs/Node", "description": "tree"}


def test_a_pydantic_field_description_in_annotated_is_used() -> None:
    def f(n: Annotated[int, Field(description="How many", ge=1)]) -> None:
        pass

    assert function_schema(f, description="")["function"]["parameters"]["properties"]["n"] == {
        "minimum": 1,
        "type": "integer",
        "description": "How many",
    }


def test_unannotated_required_parameter_is_refused_with_its_name() -> None:
    def f(a: int, b, c):  # type: ignore[no-untyped-def]
        return a

    with pytest.raises(ToolSignatureError) as err:
        function_schema(f, description="")
    assert isinstance(err.value, ToolError) and isinstance(err.value, TypeError)  # AG2 raises TypeError
    assert err.value.parameter == "b"
    assert str(err.value).startswith(
        "All parameters of the function 'f' without default values must be annotated. "
        "The annotations are missing for the following parameters: 'b', 'c'."
    )


def test_unannotated_parameter_with_default_is_left_out_like_ag2() -> None:
    def f(a: int, verbose=False) -> int:  # type: ignore[no-untyped-def]
        return a

    params = function_schema(f, description="")["function"]["parameters"]
    assert params == {"type": "object", "properties": {"a": {"type": "integer", "description": "a"}}, "required": ["a"]}


@pytest.mark.parametrize(
    ("source", "parameter", "fragment"),
    [
        ("def f(a: int, *args: int) -> None: ...", "args", "takes *args"),
        ("def f(a: int, **kwargs: int) -> None: ...", "kwargs", "takes **kwargs"),
        ("def f(a: int, /) -> None: ...", "a", "is positional-only"),
    ],
)
def test_star_args_and_positional_only_are_refused(source: str, parameter: str, fragment: str) -> None:
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    with pytest.raises(ToolSignatureError, match=re.escape(fragment)) as err:
        function_schema(namespace["f"], description="")
    assert err.value.parameter == parameter


def test_unresolvable_hints_and_unrenderable_types_are_refused() -> None:
    def f(a: NotDefinedAnywhere) -> None:  # type: ignore[name-defined]  # noqa: F821
        pass

    with pytest.raises(ToolSignatureError, match="Cannot read the type hints of the function 'f'"):
        function_schema(f, description="")

    class Opaque:
        pass

    def g(x: Any) -> None:
        pass

    g.__annotations__ = {"x": Opaque}
    with pytest.raises(ToolSignatureError, match="Parameter 'x' of the function 'g' has the type") as err:
        function_schema(g, description="")
    assert err.value.parameter == "x"


def test_name_defaults_to_the_function_name_and_is_validated() -> None:
    assert function_schema(add, description="d")["function"]["name"] == "add"
    assert function_schema(add, name="plus", description="d")["function"]["name"] == "plus"
    with pytest.raises(ValueError, match=r"^Invalid name: a\.b\. Only letters, numbers, '_' and '-' are allowed\.$"):
        function_schema(add, name="a.b", description="d")
    with pytest.raises(ValueError, match="Invalid name: <lambda>"):
        function_schema(lambda: None, description="d")


def test_return_annotation_is_ignored_and_no_parameters_give_an_empty_object() -> None:
    def now() -> Point:
        return Point(0, 0)

    assert function_schema(now, description="Time")["function"]["parameters"] == {
        "type": "object",
        "properties": {},
        "required": [],
    }


def test_schemas_are_cached_per_function_but_every_caller_gets_its_own_copy() -> None:
    first = parameters_schema(add)
    first["properties"]["a"]["description"] = "changed by a caller"
    second = parameters_schema(add)
    assert second["properties"]["a"]["description"] == "first"
    from studio.runtime.tools.schema import _PARAMS_CACHE

    assert add in _PARAMS_CACHE


def test_simple_schemas_never_import_pydantic() -> None:
    code = (
        "import sys\n"
        "from typing import Annotated, Literal, Optional\n"
        "import enum\n"
        "from studio.runtime.tools import function_schema\n"
        "class C(enum.Enum):\n    A = 'a'\n"
        "def f(a: Annotated[int, 'x'], b: Optional[list[str]] = None, c: Literal['p', 'q'] = 'p',\n"
        "      d: dict[str, float] | None = None, e: C = C.A, g: tuple[int, str] = (1, 'a')) -> str: ...\n"
        "function_schema(f, description='d')\n"
        "assert 'pydantic' not in sys.modules, 'pydantic was imported'\n"
        "print('clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"
