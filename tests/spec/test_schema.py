"""The specs describe themselves: every field's docstring is its JSON-schema description (and form help text)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from pydantic import BaseModel

import studio.spec as spec
from studio.spec import Bundle, TeamSpec
from studio.spec._base import SpecModel

SPEC_DIR = Path(spec.__file__).parent


def _spec_models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    stack = list(SpecModel.__subclasses__())
    while stack:
        cls = stack.pop()
        found[cls.__qualname__] = cls
        stack.extend(cls.__subclasses__())
    return sorted(found.values(), key=lambda c: c.__name__)


def test_team_schema_carries_docstrings():
    schema = TeamSpec.model_json_schema()
    props = schema["properties"]
    assert props["speaker_selection"]["description"].startswith("Group chat: `round_robin` (in order)")
    assert props["speaker_selection"]["enum"] == ["round_robin", "auto", "random", "manual", "graph"]
    assert props["max_round"]["minimum"] == 1 and props["max_round"]["default"] == 10
    assert schema["description"].startswith("A team:")
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("model", _spec_models(), ids=lambda m: m.__name__)
def test_every_field_is_documented(model: type[BaseModel]):
    assert model.__doc__ and model.__doc__.strip(), f"{model.__name__} needs a class docstring"
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name} needs a docstring (it is the form's help text)"


def test_the_bundle_schema_is_complete():
    schema = Bundle.model_json_schema()
    defs = schema["$defs"]
    assert {"AgentSpec", "ModelSpec", "TeamSpec", "PythonToolSpec", "McpToolSpec", "AndTermination"} <= set(defs)
    assert defs["ModelSpec"]["properties"]["provider"]["enum"] == [
        "openai",
        "azure",
        "openai_compatible",
        "local",
        "scripted",
    ]
    name = defs["AgentSpec"]["properties"]["name"]
    assert name["pattern"] == "^[A-Za-z][A-Za-z0-9_-]*$" and name["maxLength"] == 64


FORBIDDEN = (
    "studio.runtime",
    "studio.store",
    "studio.builder",
    "studio.runs",
    "streamlit",
    "sqlmodel",
    "sqlalchemy",
    "openai",
    "docker",
    "mcp",
)


@pytest.mark.parametrize("path", sorted(SPEC_DIR.glob("*.py")), ids=lambda p: p.name)
def test_specs_do_not_import_the_runtime_the_store_or_the_ui(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"


def test_public_api_is_explicit():
    assert sorted(spec.__all__) == spec.__all__ or set(spec.__all__) == {n for n in spec.__all__}
    for name in spec.__all__:
        assert hasattr(spec, name), name
    assert inspect.signature(spec.load_bundle).parameters["format"].default == "auto"
