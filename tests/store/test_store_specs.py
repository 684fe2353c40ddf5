"""Specs keep every version: saving never loses the previous one, identical content adds nothing."""

from __future__ import annotations

import pytest

from studio.errors import NotFoundError, SpecError, StoreError
from studio.store import (
    Store,
    delete_spec,
    duplicate_spec,
    get_spec,
    list_specs,
    references,
    restore_version,
    save_spec,
    spec_history,
)

TEAM = {"name": "research", "type": "round_robin", "agents": ["writer", "critic"], "max_turns": 4}


def test_saving_a_changed_spec_adds_a_version_and_keeps_the_old_one(store: Store) -> None:
    team_id, v1 = save_spec("team", "research", TEAM, store=store)
    changed = {**TEAM, "max_turns": 8}
    same_id, v2 = save_spec("team", "research", changed, store=store)

    assert (same_id, v1, v2) == (team_id, 1, 2)
    assert get_spec(team_id, store=store).data == changed
    assert get_spec(team_id, version=1, store=store).data == TEAM
    history = spec_history(team_id, store=store)
    assert [h.version for h in history] == [1, 2]
    assert [h.data["max_turns"] for h in history] == [4, 8]


def test_saving_identical_content_creates_no_version_even_with_keys_reordered(store: Store) -> None:
    team_id, v1 = save_spec("team", "research", TEAM, store=store)
    reordered = dict(reversed(list(TEAM.items())))
    assert save_spec("team", "research", reordered, store=store) == (team_id, v1)
    assert len(spec_history(team_id, store=store)) == 1


def test_text_is_kept_as_written_key_order_included(store: Store) -> None:
    data = {"zeta": 1, "alpha": {"b": 2, "a": 1}, "name": "ordered"}
    spec_id, _ = save_spec("agent", "ordered", data, store=store)
    assert list(get_spec(spec_id, store=store).data) == ["zeta", "alpha", "name"]
    assert list(get_spec(spec_id, store=store).data["alpha"]) == ["b", "a"]


def test_lookup_by_id_or_by_name_and_kind(store: Store) -> None:
    agent_id, _ = save_spec("agent", "helper", {"name": "helper"}, store=store)
    tool_id, _ = save_spec("tool", "helper", {"name": "helper", "source": "def helper(): ..."}, store=store)

    assert get_spec(agent_id, store=store).kind == "agent"
    assert get_spec("helper", kind="tool", store=store).id == tool_id
    with pytest.raises(StoreError, match="Several specs are named 'helper'"):
        get_spec("helper", store=store)
    with pytest.raises(NotFoundError, match="'nobody'"):
        get_spec("nobody", store=store)
    with pytest.raises(NotFoundError, match="no version 7"):
        get_spec(agent_id, version=7, store=store)


def test_unknown_kind_is_a_spec_error_with_the_choices(store: Store) -> None:
    with pytest.raises(SpecError) as info:
        save_spec("teem", "x", {}, store=store)
    assert info.value.path == "kind"
    assert "Did you mean 'team'?" in str(info.value)


def test_non_json_data_is_refused_before_anything_is_written(store: Store) -> None:
    with pytest.raises(SpecError, match="not valid JSON"):
        save_spec("team", "bad", {"when": object()}, store=store)
    with pytest.raises(SpecError, match="not valid JSON"):
        save_spec("team", "bad", {"x": float("nan")}, store=store)
    assert list_specs(store=store) == []


def test_renaming_through_spec_id_keeps_the_history(store: Store) -> None:
    team_id, _ = save_spec("team", "draft", {"name": "draft"}, store=store)
    assert save_spec("team", "final", {"name": "final"}, spec_id=team_id, store=store) == (team_id, 2)
    assert get_spec("final", kind="team", store=store).id == team_id
    with pytest.raises(NotFoundError):
        get_spec("draft", kind="team", store=store)

    other_id, _ = save_spec("team", "other", {"name": "other"}, store=store)
    with pytest.raises(StoreError, match="already exists"):
        save_spec("team", "final", {"name": "final", "x": 1}, spec_id=other_id, store=store)


def test_restoring_an_old_version_appends_it_as_the_newest(store: Store) -> None:
    team_id, _ = save_spec("team", "research", TEAM, store=store)
    save_spec("team", "research", {**TEAM, "max_turns": 9}, store=store)
    assert restore_version(team_id, 1, store=store) == (team_id, 3)
    current = get_spec(team_id, store=store)
    assert current.data == TEAM and current.note == "restored from version 1"
    assert [h.version for h in spec_history(team_id, store=store)] == [1, 2, 3]
    # Restoring what is already current adds nothing.
    assert restore_version(team_id, 3, store=store) == (team_id, 3)


def test_duplicate_copies_content_under_a_new_name(store: Store) -> None:
    team_id, _ = save_spec("team", "research", TEAM, store=store)
    copy_id, version = duplicate_spec(team_id, "research copy", store=store)
    copy = get_spec(copy_id, store=store)
    assert copy_id != team_id and version == 1
    assert copy.name == "research copy" and copy.data == {**TEAM, "name": "research copy"}
    with pytest.raises(StoreError, match="already exists"):
        duplicate_spec(team_id, "research copy", store=store)


def test_delete_is_soft_frees_the_name_and_keeps_the_history_by_id(store: Store) -> None:
    team_id, _ = save_spec("team", "research", TEAM, store=store)
    delete_spec(team_id, store=store)

    assert list_specs("team", store=store) == []
    assert [s.id for s in list_specs("team", include_deleted=True, store=store)] == [team_id]
    assert get_spec(team_id, store=store).deleted_at is not None  # runs still refer to it
    new_id, version = save_spec("team", "research", {**TEAM, "max_turns": 1}, store=store)
    assert new_id != team_id and version == 1
    with pytest.raises(NotFoundError):
        delete_spec(team_id, store=store)


def test_list_specs_filters_by_kind_and_sorts_by_name(store: Store) -> None:
    for name in ("b-agent", "a-agent"):
        save_spec("agent", name, {"name": name}, store=store)
    save_spec("model", "gpt", {"name": "gpt"}, store=store)
    assert [s.name for s in list_specs("agent", store=store)] == ["a-agent", "b-agent"]
    assert [s.kind for s in list_specs(store=store)] == ["agent", "agent", "model"]


def test_references_find_specs_that_use_a_name_with_the_json_path(store: Store) -> None:
    save_spec("model", "gpt-4o", {"name": "gpt-4o", "model": "gpt-4o"}, store=store)
    save_spec(
        "agent", "writer", {"name": "writer", "model": "gpt-4o", "system_message": "uses gpt-4o a lot"}, store=store
    )
    save_spec("agent", "critic", {"name": "critic", "model": "other"}, store=store)
    team = {"name": "duo", "agents": [{"ref": "critic"}, {"ref": "writer"}], "selector": {"model": "gpt-4o"}}
    save_spec("team", "duo", team, store=store)

    found = {(r.kind, r.name, r.path) for r in references("model", "gpt-4o", store=store)}
    assert found == {("agent", "writer", "model"), ("team", "duo", "selector.model")}
    assert {(r.name, r.path) for r in references("agent", "writer", store=store)} == {("duo", "agents[1].ref")}
    assert references("agent", "nobody", store=store) == []
