"""Sessions group runs; settings hold small JSON values."""

from __future__ import annotations

import pytest

from studio.errors import NotFoundError, StoreError
from studio.events import Message
from studio.store import (
    Store,
    append_event,
    create_run,
    create_session,
    delete_session,
    delete_setting,
    finish_run,
    get_run,
    get_session,
    get_setting,
    list_sessions,
    list_settings,
    rename_session,
    search_sessions,
    set_setting,
    start_run,
)


def test_create_rename_and_list_sessions_most_recent_first(store: Store) -> None:
    first = create_session("Haiku practice", team_id="team-1", store=store)
    second = create_session("Code review", store=store)
    assert [s.id for s in list_sessions(store=store)] == [second.id, first.id]

    renamed = rename_session(first.id, "  Haiku drills ", store=store)
    assert renamed.name == "Haiku drills" and get_session(first.id, store=store).name == "Haiku drills"
    assert [s.id for s in list_sessions(store=store)] == [first.id, second.id]  # renaming counts as use
    assert [s.id for s in list_sessions(team_id="team-1", store=store)] == [first.id]
    with pytest.raises(StoreError, match="non-empty name"):
        rename_session(first.id, "   ", store=store)
    with pytest.raises(NotFoundError):
        get_session("missing", store=store)


def test_a_new_run_moves_its_session_to_the_top(store: Store) -> None:
    older = create_session("older", store=store)
    create_session("newer", store=store)
    create_run(None, "continue", snapshot=None, session_id=older.id, store=store)
    assert list_sessions(store=store)[0].id == older.id


def test_search_matches_names_and_run_tasks_case_insensitively_and_literally(store: Store) -> None:
    poems = create_session("Poems", store=store)
    code = create_session("Work", store=store)
    create_run(None, "Refactor the PARSER module", snapshot=None, session_id=code.id, store=store)
    create_session("100% done_", store=store)

    assert [s.id for s in search_sessions("poem", store=store)] == [poems.id]
    assert [s.id for s in search_sessions("parser", store=store)] == [code.id]
    assert [s.name for s in search_sessions("%", store=store)] == ["100% done_"]  # % is not a wildcard
    assert [s.name for s in search_sessions("_", store=store)] == ["100% done_"]
    assert search_sessions("nothing like it", store=store) == []


def test_deleting_a_session_deletes_its_runs_but_not_while_one_is_running(store: Store) -> None:
    session = create_session("chat", store=store)
    run = create_run(None, "t", snapshot=None, session_id=session.id, store=store)
    start_run(run.id, store=store)
    append_event(run.id, Message(seq=1, source="a"), store=store)
    with pytest.raises(StoreError, match="still in progress"):
        delete_session(session.id, store=store)

    finish_run(run.id, "completed", store=store)
    delete_session(session.id, store=store)
    with pytest.raises(NotFoundError):
        get_run(run.id, store=store)
    with pytest.raises(NotFoundError):
        delete_session(session.id, store=store)


def test_settings_hold_json_values(store: Store) -> None:
    set_setting("ui.theme", "dark", store=store)
    set_setting("runs.limits", {"max_messages": 40, "wall_seconds": 600.5, "tags": ["a", None]}, store=store)
    set_setting("ui.theme", "light", store=store)

    assert get_setting("ui.theme", store=store) == "light"
    assert get_setting("runs.limits", store=store) == {"max_messages": 40, "wall_seconds": 600.5, "tags": ["a", None]}
    assert get_setting("missing", default=3, store=store) == 3
    with pytest.raises(NotFoundError):
        get_setting("missing", store=store)
    assert list_settings(prefix="ui.", store=store) == {"ui.theme": "light"}
    assert delete_setting("ui.theme", store=store) is True
    assert delete_setting("ui.theme", store=store) is False
    with pytest.raises(StoreError, match="not JSON data"):
        set_setting("bad", {1, 2}, store=store)
