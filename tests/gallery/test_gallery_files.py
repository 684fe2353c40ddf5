"""The gallery's files: shipped with the package, valid, stable through dump → load and AutoGen Studio export →
import, and the OpenAI and local variants of each team are the scripted demo with real models swapped in."""

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


def test_every_team_has_every_variant_and_nothing_else_is_shipped():
    assert len(IDS) >= 6 and len(set(IDS)) == len(IDS)
    assert len(FILES) == len(gallery.VARIANTS) * len(IDS) and all(f.is_file() for f in FILES)
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

    assert _without_models(demo) == _without_models(real)
    assert team.task in demo.team.description and team.task in real.team.description


@pytest.mark.parametrize("team_id", IDS)
def test_the_local_variant_is_the_openai_team_on_the_bundled_model_with_a_message_bound(team_id: str):
    team = gallery.gallery_team(team_id)
    real, local = _load(team.file("openai")), _load(team.file("local"))
    assert local.team.name == f"{team_id}-local"
    assert {(m.provider, m.model, m.model_path, m.api_key, m.base_url) for m in local.models} == {
        ("local", "smollm2-135m-instruct", None, None, None)  # the bundled file; no key, no endpoint
    }
    chat = next(m for m in local.models if m.name == "smollm2")
    assert chat.params.stream and chat.params.max_tokens and chat.n_ctx and chat.n_ctx >= 4096
    if local.team.selector_model:
        selector = local.model(local.team.selector_model)
        assert selector.params.max_tokens <= 16 and selector.params.temperature == 0.0
    a, b = _without_models(real), _without_models(local)
    if real.team.kind == "two_agent" and "max_messages" not in str(spec_to_data(real.team.termination)):
        # A 135M model seldom says TERMINATE: the two-agent teams also stop after a few messages.
        term = b["team"]["termination"]
        assert term["kind"] == "or" and term["conditions"][0] == a["team"]["termination"]
        assert term["conditions"][1]["kind"] == "max_messages" and term["conditions"][1]["max_messages"] == 8
        b["team"]["termination"] = a["team"]["termination"]
    assert a == b


def _without_models(b: Bundle) -> dict:
    data = spec_to_data(b)
    data["models"] = []
    data["team"].pop("name")
    description = data["team"]["description"].removeprefix("Offline demo with scripted replies. ")
    data["team"]["description"] = description.removeprefix(
        "Runs on the bundled local model (SmolLM2-135M on this CPU; no key, no network). "
    )
    if data["team"]["selector_model"]:
        data["team"]["selector_model"] = "MODEL"
    for agent in data["agents"]:
        if agent["model"]:
            agent["model"] = "MODEL"
    return data
