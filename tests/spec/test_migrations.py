"""Schema migrations: ordered, tested, reported — and never a silent loss of a field."""

from __future__ import annotations

import json

import pytest

from studio.errors import SpecError
from studio.spec import CURRENT_SCHEMA_VERSION, MIGRATIONS, Bundle, load_bundle, migrate_bundle, spec_to_data
from studio.spec.migrations import OLDEST_SCHEMA_VERSION, check_version


def _v1(bundle: Bundle) -> dict:
    """The same bundle as a version-1 file would have written it."""
    data = spec_to_data(bundle)
    data["schema_version"] = 1
    data["team"]["type"] = data["team"].pop("kind")
    for agent in data["agents"]:
        agent["llm"] = agent.pop("model")
    return data


def test_migrations_are_ordered_and_reach_the_current_version():
    assert [m.from_version for m in MIGRATIONS] == list(range(OLDEST_SCHEMA_VERSION, CURRENT_SCHEMA_VERSION))
    assert all(m.description for m in MIGRATIONS)


def test_a_version_1_file_loads_as_the_same_bundle(bundle: Bundle):
    old = _v1(bundle)
    migrated, notes = migrate_bundle(old)
    assert migrated["schema_version"] == CURRENT_SCHEMA_VERSION
    assert old["schema_version"] == 1 and "llm" in old["agents"][0]  # the input is not modified
    assert notes == [
        "team: renamed 'type' to 'kind' (schema version 1 → 2).",
        "agents[0]: renamed 'llm' to 'model' (schema version 1 → 2).",
        "agents[1]: renamed 'llm' to 'model' (schema version 1 → 2).",
    ]
    assert load_bundle(json.dumps(old)) == bundle


def test_a_current_file_is_not_touched(bundle: Bundle):
    data = spec_to_data(bundle)
    assert migrate_bundle(data) == (data, [])


def test_unknown_fields_survive_migration_and_are_then_rejected(bundle: Bundle):  # T11: never dropped silently
    old = _v1(bundle)
    old["agents"][0]["temperature_v1"] = 0.3
    migrated, _ = migrate_bundle(old)
    assert migrated["agents"][0]["temperature_v1"] == 0.3
    with pytest.raises(SpecError, match="unknown field 'temperature_v1'"):
        load_bundle(json.dumps(old))


def test_old_and_new_name_together_is_an_error(bundle: Bundle):
    old = _v1(bundle)
    old["agents"][1]["model"] = "gpt"
    with pytest.raises(SpecError, match="keep only 'model'") as info:
        migrate_bundle(old)
    assert info.value.path == "agents[1].llm"


def test_version_checks():
    assert check_version({"schema_version": 1}) == 1
    for bad in ({}, {"schema_version": True}, {"schema_version": 99}, {"schema_version": -1}):
        with pytest.raises(SpecError):
            check_version(bad)
