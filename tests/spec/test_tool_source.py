"""Reading a tool's source: schema derivation, rule errors with line/column, limits — and never running it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from studio.spec import (
    AgentSpec,
    Bundle,
    ModelSpec,
    PythonToolSpec,
    TeamSpec,
    analyze_tool_source,
    dump_bundle,
    export_autogen_studio,
    export_python,
    import_autogen_studio,
    load_bundle,
)
from studio.spec.tool_source import MAX_SOURCE_BYTES
from tests.spec.samples import roundrobin_team


def test_schema_matches_ag2_shape_for_annotated_ints():
    source = 'from typing import Annotated\n\ndef add(a: Annotated[int, "first"], b: int) -> int:\n    return a + b\n'
    info = analyze_tool_source(source, "add", description="Add two ints")
    assert info.ok
    assert info.schema == {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two ints",
            "parameters": {
                "type": "object",
                "properties": {
                    "a": {"type": "integer", "description": "first"},
                    "b": {"type": "integer", "description": "b"},
                },
                "required": ["a", "b"],
            },
        },
    }


def test_annotations_map_to_json_schema():
    source = (
        "import typing\nfrom typing import Annotated, Literal, Optional\n\n"
        "async def search(q: str, k: int = 5, ratio: float = 0.5, exact: bool = False,\n"
        "                 tags: list[str] | None = None, weights: dict[str, float] = {},\n"
        "                 mode: Literal['fast', 'slow'] = 'fast', when: Optional[int] = None,\n"
        "                 pair: tuple[int, str] = (1, 'a'), rest: typing.List[int] = [],\n"
        "                 quoted: 'list[bool]' = [], d: Annotated[str, Field(description='the d')] = '') -> str:\n"
        '    """Search the index.\n\n    Longer text that is not the description."""\n'
        "    return q\n"
    )
    info = analyze_tool_source(source, "search")
    assert info.ok and info.is_async and not info.warnings
    fn = info.schema["function"]
    props = fn["parameters"]["properties"]
    assert fn["description"] == "Search the index."
    assert fn["parameters"]["required"] == ["q"]
    assert props["k"] == {"type": "integer", "description": "k", "default": 5}
    assert props["ratio"]["type"] == "number" and props["exact"]["type"] == "boolean"
    assert props["tags"]["anyOf"] == [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]
    assert props["weights"]["additionalProperties"] == {"type": "number"}
    assert props["mode"]["enum"] == ["fast", "slow"] and props["mode"]["type"] == "string"
    assert props["when"]["anyOf"] == [{"type": "integer"}, {"type": "null"}]
    assert props["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert props["rest"]["items"] == {"type": "integer"}
    assert props["quoted"]["items"] == {"type": "boolean"}
    assert props["d"]["description"] == "the d"


def test_unknown_and_missing_annotations_fall_back_to_string_with_a_warning():  # T04
    info = analyze_tool_source("def f(x, when: datetime.date, n: int = compute()):\n    pass\n", "f")
    assert info.ok
    props = info.schema["function"]["parameters"]["properties"]
    assert props["x"]["type"] == "string" and props["when"]["type"] == "string"
    assert "default" not in props["n"]
    texts = [str(w) for w in info.warnings]
    assert any("'x' has no type annotation" in t for t in texts)
    assert any("datetime.date" in t and "documented fallback" in t for t in texts)
    assert any("default of 'n' is not a plain literal" in t for t in texts)


@pytest.mark.parametrize(
    ("source", "needle", "line"),
    [
        ("def f(*args):\n    pass\n", "*args", 1),
        ("def f(a, **kwargs):\n    pass\n", "**kwargs", 1),
        ("def f(:\n    pass\n", "Syntax error", 1),
        ("def f():\n    return (1,\n", "Syntax error", 2),
        ("def f(a, a):\n    pass\n", "duplicate argument", 1),
        ("def f():\n    await g()\n", "'await' outside async function", 2),
    ],
)
def test_errors_name_the_problem_and_the_line(source, needle, line):  # T01, T04
    info = analyze_tool_source(source, "f")
    assert not info.ok and info.schema is None
    assert needle in info.errors[0].message
    assert info.errors[0].line == line and info.errors[0].column is not None
    assert f"line {line}" in str(info.errors[0])


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("x = 1\n", "found none"),
        ("f = lambda x: x\n", "not a lambda"),
        ("def f():\n    pass\n\ndef helper():\n    pass\n", "found 2"),
        ("def g():\n    pass\n", "the function is named 'g'"),
        ("if True:\n    def f():\n        pass\n", "inside a module-level block"),
    ],
)
def test_exactly_one_top_level_def_named_like_the_tool(source, needle):  # T03
    info = analyze_tool_source(source, "f")
    assert not info.ok
    assert any(needle in e.message for e in info.errors)
    assert any("exactly one top-level `def`" in e.message or "lambda" in e.message for e in info.errors)


def test_tool_name_must_be_an_identifier():  # T03
    assert "not a Python identifier" in analyze_tool_source("def f(): pass", "bad-name").errors[0].message
    with pytest.raises(ValueError, match="must be a Python identifier"):
        PythonToolSpec(name="my-tool", source="def my_tool(): pass")


def test_module_level_imports_classes_and_statements_are_allowed():
    source = "import os\nfrom json import dumps\nLIMIT = 3\nclass Helper:\n    def m(self):\n        pass\n\ndef f() -> str:\n    return dumps(LIMIT)\n"
    assert analyze_tool_source(source, "f").ok


def test_size_limit_is_checked_before_parsing():  # T05
    huge = "x = 1\n" * (5 * 1024 * 1024 // 6)
    start = time.perf_counter()
    info = analyze_tool_source(huge, "f")
    assert time.perf_counter() - start < 0.5
    assert "limit is 262,144 bytes" in info.errors[0].message
    assert analyze_tool_source(huge.encode(), "f").errors[0].message == info.errors[0].message
    ok = "def f():\n    return 1\n" + "#" * (MAX_SOURCE_BYTES - 40) + "\n"
    assert analyze_tool_source(ok, "f").ok


@pytest.mark.parametrize(
    "source",
    [
        "(" * 100_000,
        "def f():\n    return " + "[" * 100_000 + "]" * 100_000 + "\n",
        "def f():\n    return " + "-" * 100_000 + "1\n",
        "def f():\n    return " + "not " * 60_000 + "x\n",
        "x = " + "1+" * 100_000 + "1\n",
    ],
    ids=["parens", "brackets", "unary", "not", "binop"],
)
def test_deep_nesting_returns_an_error_not_a_crash(source):  # T05
    info = analyze_tool_source(source, "f")
    assert not info.ok
    assert "Syntax error" in info.errors[0].message or "nested too deeply" in info.errors[0].message


def test_nul_bytes_and_invalid_text_are_rejected():  # T05
    nul = analyze_tool_source("def f():\n    return 1\x00\n", "f")
    assert "NUL byte" in nul.errors[0].message and nul.errors[0].line == 2
    assert "not valid UTF-8" in analyze_tool_source(b"def f():\n    return '\xff'\n", "f").errors[0].message
    assert "invalid text" in analyze_tool_source("def f():\n    return '\ud800'\n", "f").errors[0].message
    with pytest.raises(ValueError, match="NUL byte"):
        PythonToolSpec(name="f", source="def f():\n    return 1\x00\n")


def test_a_million_line_file_is_refused_by_size():  # T05
    assert "limit" in analyze_tool_source("\n" * 1_000_000, "f").errors[0].message


def _payloads(canary: Path) -> dict[str, str]:
    c = json.dumps(str(canary))
    create = f"open({c}, 'w')"
    return {
        "default_arg": f"def f(x=open({c}, 'w')):\n    return x\n",
        "decorator": f"@exec({create!r})\ndef f():\n    pass\n",
        "module_level": f"open({c}, 'w').write('x')\n\ndef f():\n    pass\n",
        "class_body": f"class C:\n    open({c}, 'w')\n\ndef f():\n    pass\n",
        "init_subclass": (
            f"class B:\n    def __init_subclass__(cls):\n        open({c}, 'w')\n\nclass D(B):\n    pass\n\n"
            "def f():\n    pass\n"
        ),
        "annotation": f"def f(x: open({c}, 'w')) -> __import__('os').system('touch ' + {c}):\n    pass\n",
        "import_side_effect": f"__import__('os').system('touch ' + {c})\n\ndef f():\n    pass\n",
    }


@pytest.mark.parametrize("kind", list(_payloads(Path("x"))))
def test_validating_and_serialising_never_runs_the_source(tmp_path, kind):  # T02, T13
    canary = tmp_path / "CANARY"
    source = _payloads(canary)[kind]
    info = analyze_tool_source(source, "f")
    assert info.ok, info.errors  # syntax is fine: validation reports it valid, and runs nothing
    tool = PythonToolSpec(name="f", source=source)
    bundle = Bundle(
        team=TeamSpec(name="t", kind="two_agent", agents=["u", "a"]),
        agents=[AgentSpec(name="u", kind="user_proxy"), AgentSpec(name="a", model="m", tools=["f"])],
        models=[ModelSpec(name="m")],
        tools=[tool],
    )
    tool.tool_schema()
    loaded = load_bundle(dump_bundle(bundle))
    load_bundle(dump_bundle(loaded, "yaml"))
    exported = export_autogen_studio(loaded)
    import_autogen_studio(exported)
    compile(export_python(loaded), "team.py", "exec")  # compiling the script runs nothing either
    assert not canary.exists()


def test_an_imported_ags_tool_with_module_level_side_effects_runs_nothing(tmp_path):  # T13
    canary = tmp_path / "CANARY"
    team = roundrobin_team()
    tool = team["config"]["participants"][0]["config"]["workbench"]["config"]["tools"][0]["config"]
    tool["source_code"] = f"open({str(canary)!r}, 'w').write('pwned')\n" + tool["source_code"]
    tool["global_imports"] = ["os", {"module": "json", "imports": ["dumps", {"name": "loads", "alias": "ld"}]}]
    result = import_autogen_studio(team)
    imported = result.bundle.tool("calculator")
    assert imported.source.startswith("import os\nfrom json import dumps, loads as ld\n\nopen(")
    assert not imported.is_approved and result.bundle.unapproved_tools() == [imported]
    dump_bundle(result.bundle)
    export_autogen_studio(result.bundle)
    assert not canary.exists()
