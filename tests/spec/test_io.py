"""Reading and writing spec text: JSON and YAML, limits before work, strictness, stable output."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from studio.errors import SpecError
from studio.spec import (
    Bundle,
    SpecValidationError,
    dump_bundle,
    dump_spec,
    import_bundle,
    load_bundle,
    load_bundle_with_notes,
    load_spec,
    spec_to_data,
)
from tests.spec.samples import roundrobin_team


def test_json_and_yaml_round_trip(bundle: Bundle):
    for fmt in ("json", "yaml"):
        text = dump_bundle(bundle, fmt)
        assert load_bundle(text, format=fmt) == bundle
        assert load_bundle(text) == bundle  # format detected
        assert dump_bundle(load_bundle(text), fmt) == text  # T17: byte-identical re-export


def test_dump_is_sorted_and_keeps_source_readable(bundle: Bundle):
    text = dump_bundle(bundle)
    data = json.loads(text)
    assert list(data) == sorted(data) and text.endswith("}\n")
    assert "source: |" in dump_bundle(bundle, "yaml")  # multi-line text as a literal block


def test_unknown_fields_are_rejected_with_a_suggestion(bundle: Bundle):  # T11
    data = spec_to_data(bundle)
    data["agents"][0]["sytem_message"] = "x"
    data["colour"] = "red"
    with pytest.raises(SpecValidationError) as info:
        load_bundle(json.dumps(data))
    issues = {i.path: str(i) for i in info.value.issues}
    assert "unknown field 'sytem_message'" in issues["agents[0].sytem_message"]
    assert "Did you mean 'system_message'?" in issues["agents[0].sytem_message"]
    assert "unknown field 'colour'" in issues["colour"]


@pytest.mark.parametrize(
    ("version", "needle"),
    [(None, "schema_version is missing"), (3, "newer studio"), (0, "does not exist"), ("2", "whole number")],
)
def test_wrong_or_missing_schema_version(bundle: Bundle, version, needle):  # T11
    data = spec_to_data(bundle)
    if version is None:
        del data["schema_version"]
    else:
        data["schema_version"] = version
    with pytest.raises(SpecError, match=needle) as info:
        load_bundle(json.dumps(data))
    assert info.value.path == "schema_version"


def test_wrong_document_kind(bundle: Bundle):  # T11
    data = spec_to_data(bundle)
    data["kind"] = "team"
    with pytest.raises(SpecValidationError) as info:
        load_bundle(json.dumps(data))
    assert info.value.path == "kind" and "Valid choices: bundle" in str(info.value)


def test_an_autogen_studio_file_is_pointed_to_the_importer():
    with pytest.raises(SpecError, match="AutoGen Studio file"):
        load_bundle(json.dumps(roundrobin_team()))
    assert import_bundle(json.dumps(roundrobin_team())).source_format == "autogen_studio"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"schema_version": 2,', "malformed"),
        ('{"a": 1, "a": 2}', "appears twice"),
        ('{"a": NaN}', "NaN"),
        ('{"a": Infinity}', "Infinity"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": ' + "[" * 70 + "]" * 70 + "}", "nested too deeply"),
        ("a: 1\na: 2\n", "appears twice"),
        ("a: .nan\n", "NaN"),
        ("a: &x [1, 2]\nb: *x\n", "anchors and aliases"),
        ("a: !!python/object/apply:os.system ['echo pwned']\n", "not allowed"),
        ("a: 2024-01-01\n", "timestamp"),
        ("a: 1\n---\nb: 2\n", "exactly one document"),
        ("".join("  " * i + "k:\n" for i in range(200)), "nested too deeply"),
        ("- [" * 50_000, "malformed"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        ('{"a": ' + "9" * 5000 + "}", "cannot be read"),
    ],
)
def test_malformed_or_hostile_text_fails_fast_with_a_spec_error(text, needle):  # T12
    start = time.perf_counter()
    with pytest.raises(SpecError, match=needle):
        load_bundle(text)
    assert time.perf_counter() - start < 2


def test_size_limit_comes_before_parsing():  # T12
    huge = '{"x": "' + "a" * (50 * 1024 * 1024) + '"}'
    start = time.perf_counter()
    with pytest.raises(SpecError, match="limit is 5,242,880 bytes"):
        load_bundle(huge)
    with pytest.raises(SpecError, match="limit is 5,242,880 bytes"):
        load_bundle(huge.encode())
    assert time.perf_counter() - start < 1


def test_expressions_in_strings_are_stored_verbatim(bundle: Bundle):  # T12: never evaluated
    payloads = ["${7*7}", "{{7*7}}", "__import__('os').system('id')", "<script>alert(1)</script>", "`id`", "{roles}"]
    data = spec_to_data(bundle)
    data["agents"][0]["system_message"] = "\n".join(payloads)
    data["team"]["description"] = payloads[0]
    for fmt in ("json", "yaml"):
        text = json.dumps(data) if fmt == "json" else yaml.safe_dump(data)
        loaded = load_bundle(text, format=fmt)
        assert loaded.agent("writer").system_message == "\n".join(payloads)
        assert loaded.team.description == "${7*7}"


def test_yaml_hand_written_bundle():
    text = """
schema_version: 2
team:
  name: pair
  kind: two_agent
  agents: [user, helper]
  max_turns: 3
agents:
  - name: user
    kind: user_proxy
    human_input_mode: NEVER
  - name: helper
    model: local
    system_message: |
      You help.
      Say TERMINATE when done.
models:
  - name: local
    provider: openai_compatible
    preset: ollama
    model: "llama3.1:8b"
    params: {temperature: 0.2}
"""
    bundle = load_bundle(text)
    assert bundle.model("local").base_url == "http://localhost:11434/v1"
    assert bundle.agent("helper").system_message == "You help.\nSay TERMINATE when done.\n"
    assert bundle.team.max_turns == 3


def test_migration_notes_are_returned(bundle: Bundle):
    data = spec_to_data(bundle)
    data["schema_version"] = 1
    data["team"]["type"] = data["team"].pop("kind")
    loaded, notes = load_bundle_with_notes(json.dumps(data))
    assert loaded == bundle
    assert notes == ["team: renamed 'type' to 'kind' (schema version 1 → 2)."]


def test_single_specs_by_kind(bundle: Bundle):
    for kind, spec in (
        ("agent", bundle.agents[0]),
        ("model", bundle.models[0]),
        ("tool", bundle.tools[0]),
        ("team", bundle.team),
        ("termination", bundle.team.termination),
    ):
        for fmt in ("json", "yaml"):
            text = dump_spec(spec, fmt)
            assert load_spec(text, kind, format=fmt) == spec
    old = {"name": "a", "llm": "gpt"}
    assert load_spec(json.dumps(old), "agent", schema_version=1).model == "gpt"
    with pytest.raises(SpecError, match="unknown spec kind"):
        load_spec("{}", "widget")  # type: ignore[arg-type]


def test_yaml_keeps_rare_line_breaks_exactly(bundle: Bundle):  # found by the T17 property test
    data = spec_to_data(bundle)
    data["team"]["description"] = "a\u2028b\x85c\rd\u2029e"
    data["agents"][0]["system_message"] = "line one\nline\x85two\r\n"
    loaded = load_bundle(json.dumps(data))
    text = dump_bundle(loaded, "yaml")
    assert load_bundle(text) == loaded and dump_bundle(load_bundle(text), "yaml") == text
