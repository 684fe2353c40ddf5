"""The gallery's files: shipped with the package, valid, stable through dump → load and AutoGen Studio export →
import, and the OpenAI variant of each team is the scripted demo with real models swapped in."""

from __future__ import annotations

from pathlib import Path

import pytest

import gallery
from studio.builder import validate_bundle
from studio.errors import SpecError
from studio.spec import (
    Bundle,
    dump_bundle,
    export_autogen_studio,
    export_python,
    import_autogen_studio,
    load_bundle,
    spec_to_data,
)

FILES = gallery.gallery_files()
IDS = [t.id for t in gallery.GALLERY]


def _load(path: Path) -> Bundle:
    return load_bundle(path.read_bytes(), keep_approvals=True)


def test_every_team_has_both_variants_and_nothing_else_is_shipped():
    assert len(IDS) >= 6 and len(set(IDS)) == len(IDS)
    assert len(FILES) == 2 * len(IDS) and all(f.is_file() for f in FILES)
    shipped = {p.name for p in Path(gallery.__file__).parent.glob("*.yaml")}
    assert shipped == {f.name for f in FILES}
    assert all(gallery.is_gallery_file(f) for f in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_file_is_a_valid_bundle_that_builds_under_the_default_policy(path: Path):
    bundle = _load(path)
    team = gallery.gallery_team(path.name.split(".")[0])
    variant = path.name.split(".")[1]
    assert bundle.team.name == team.team_name(variant)  # type: ignore[arg-type]
    assert validate_bundle(bundle) == []
    assert all(tool.is_approved for tool in bundle.tools)  # the gallery ships reviewed tools only


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_file_round_trips_through_json_and_yaml(path: Path):
    bundle = _load(path)
    for fmt in ("json", "yaml"):
        text = dump_bundle(bundle, fmt)
        again = load_bundle(text, keep_approvals=True)
        assert again == bundle
        assert dump_bundle(again, fmt) == text  # a re-export is byte-identical (T17)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_representable_file_round_trips_through_autogen_studio(path: Path):
    bundle = _load(path)
    if bundle.team.speaker_selection == "graph" and bundle.team.kind == "group_chat":
        with pytest.raises(SpecError, match="no team for speaker selection 'graph'"):
            export_autogen_studio(bundle)
        return
    exported = export_autogen_studio(bundle)
    imported = import_autogen_studio(exported).bundle
    assert export_autogen_studio(imported) == exported
    for name in bundle.team.agents:
        original, back = bundle.agent(name), imported.agent(name)
        assert back.system_message == original.system_message
        assert back.tools == original.tools
    assert not any(t.is_approved for t in imported.tools if hasattr(t, "approved_hash"))  # imports are untrusted


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_file_exports_as_a_python_script_that_compiles(path: Path):
    compile(export_python(_load(path)), path.name, "exec")


@pytest.mark.parametrize("team_id", IDS)
def test_the_openai_variant_is_the_demo_with_real_models(team_id: str):
    team = gallery.gallery_team(team_id)
    demo, real = _load(team.file("scripted")), _load(team.file("openai"))
    assert [m.provider for m in demo.models] == ["scripted"] * len(demo.models)
    assert [(m.provider, m.model, m.api_key.env if m.api_key else None) for m in real.models] == [
        ("openai", "gpt-4o-mini", "OPENAI_API_KEY")
    ]

    def without_models(b: Bundle) -> dict:
        data = spec_to_data(b)
        data["models"] = []
        data["team"].pop("name")
        data["team"]["description"] = data["team"]["description"].removeprefix("Offline demo with scripted replies. ")
        if data["team"]["selector_model"]:
            data["team"]["selector_model"] = "MODEL"
        for agent in data["agents"]:
            if agent["model"]:
                agent["model"] = "MODEL"
        return data

    assert without_models(demo) == without_models(real)
    assert team.task in demo.team.description and team.task in real.team.description
