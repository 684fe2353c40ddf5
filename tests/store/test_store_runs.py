"""Runs: the exact snapshot, the status state machine, totals and listings — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading

import pytest

from studio.errors import NotFoundError, StoreError
from studio.events import Message, ModelCall, RunFinished
from studio.store import (
    INTERRUPTED_NOTE,
    Store,
    append_event,
    create_run,
    create_session,
    delete_run,
    finish_run,
    get_run,
    get_session,
    list_runs,
    list_sessions,
    load_events,
    mark_interrupted_on_startup,
    save_spec,
    search_sessions,
    set_run_status,
    set_run_totals,
    start_run,
)

TEAM = {"name": "duo", "agents": ["writer", "critic"], "termination": {"max_messages": 6}}


def new_run(store: Store, task: str = "Write a haiku", **kw: object) -> str:
    team_id, version = save_spec("team", "duo", TEAM, store=store)
    return create_run(team_id, task, snapshot=TEAM, team_version=version, team_name="duo", store=store, **kw).id  # type: ignore[arg-type]


def test_a_run_keeps_the_exact_spec_it_ran_even_after_the_team_changes(store: Store) -> None:
    run_id = new_run(store)
    save_spec("team", "duo", {**TEAM, "agents": ["writer"]}, store=store)
    run = get_run(run_id, store=store)
    assert run.snapshot == TEAM and run.team_version == 1 and run.status == "queued"


def test_a_snapshot_given_as_text_is_kept_byte_for_byte(store: Store) -> None:
    text = '{"b": 1,   "a": [1, 2], "name": "spaced"}'
    run = create_run(None, "t", snapshot=text, store=store)
    with store.read() as session:
        stored = (
            session.connection()
            .exec_driver_sql(store.sql("SELECT spec_snapshot FROM runs WHERE id = ?"), (run.id,))
            .scalar()
        )
    assert stored == text
    assert get_run(run.id, store=store).snapshot == json.loads(text)


@pytest.mark.parametrize("final", ["completed", "failed", "cancelled", "interrupted"])
def test_queued_running_then_final(store: Store, final: str) -> None:
    run_id = new_run(store)
    running = start_run(run_id, store=store)
    assert running.status == "running" and running.started_at is not None
    done = finish_run(run_id, final, stop_reason="max_messages", error="boom" if final == "failed" else "", store=store)
    assert done.status == final and done.stop_reason == "max_messages"
    assert done.finished_at is not None and done.duration is not None and done.duration >= 0
    with pytest.raises(StoreError, match=f"is {final}; it cannot become running"):
        start_run(run_id, store=store)


@pytest.mark.parametrize("final", ["failed", "cancelled", "interrupted"])
def test_a_queued_run_may_end_without_starting(store: Store, final: str) -> None:
    run_id = new_run(store)
    run = set_run_status(run_id, final, store=store)
    assert run.status == final and run.started_at is None and run.duration is None


def test_illegal_transitions_are_refused_and_change_nothing(store: Store) -> None:
    run_id = new_run(store)
    with pytest.raises(StoreError, match="is queued; it cannot become completed"):
        finish_run(run_id, "completed", store=store)
    with pytest.raises(StoreError, match="not a final run status"):
        finish_run(run_id, "running", store=store)
    with pytest.raises(StoreError, match="Unknown run status 'paused'"):
        set_run_status(run_id, "paused", store=store)
    start_run(run_id, store=store)
    with pytest.raises(StoreError, match="is running; it cannot become running"):
        start_run(run_id, store=store)
    assert get_run(run_id, store=store).status == "running"
    with pytest.raises(NotFoundError):
        start_run("no-such-run", store=store)


def test_two_threads_racing_to_finish_a_run_cannot_both_win(store: Store) -> None:
    run_id = new_run(store)
    start_run(run_id, store=store)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def finish(status: str) -> None:
        barrier.wait()
        try:
            finish_run(run_id, status, store=store)
            outcomes.append(status)
        except StoreError:
            outcomes.append("refused")

    threads = [threading.Thread(target=finish, args=(s,)) for s in ("completed", "cancelled")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes).count("refused") == 1
    winner = next(o for o in outcomes if o != "refused")
    assert get_run(run_id, store=store).status == winner


def test_totals_accumulate_from_model_call_events_in_the_same_commit(store: Store) -> None:
    run_id = new_run(store)
    start_run(run_id, store=store)
    append_event(
        run_id, ModelCall(seq=1, source="writer", prompt_tokens=100, completion_tokens=20, cost=0.5), store=store
    )
    append_event(run_id, Message(seq=2, source="writer", content="hi"), store=store)
    append_event(
        run_id,
        ModelCall(seq=3, source="critic", prompt_tokens=7, completion_tokens=3, total_tokens=10, cost=0.25),
        store=store,
    )
    run = get_run(run_id, store=store)
    assert (run.prompt_tokens, run.completion_tokens, run.total_tokens) == (107, 23, 130)
    assert run.cost == pytest.approx(0.75)
    assert (run.event_count, run.last_seq) == (3, 3)

    run = set_run_totals(run_id, cost=2.0, duration=12.5, store=store)
    assert (run.cost, run.duration, run.total_tokens) == (2.0, 12.5, 130)


def test_error_text_is_stored_without_key_shaped_strings(store: Store) -> None:
    run_id = new_run(store)
    start_run(run_id, store=store)
    error = "401 from https://api.example/v1/models?key=AIzaSyA-not-a-real-key-123456789 Bearer abcdefghijklmnop"
    run = finish_run(run_id, "failed", error=error, store=store)
    assert "AIzaSyA" not in run.error and "abcdefghijklmnop" not in run.error
    assert "401 from https://api.example/v1/models?key=[REDACTED]" in run.error


def test_list_runs_filters_and_orders_newest_first(store: Store) -> None:
    session = create_session("chat", store=store)
    first = new_run(store, "one", session_id=session.id)
    second = new_run(store, "two", session_id=session.id)
    lone = new_run(store, "three")
    start_run(lone, store=store)

    assert [r.id for r in list_runs(session_id=session.id, store=store)] == [second, first]
    assert [r.id for r in list_runs(status="running", store=store)] == [lone]
    assert {r.id for r in list_runs(status=["queued", "running"], store=store)} == {first, second, lone}
    assert [r.id for r in list_runs(limit=1, store=store)] == [lone]
    assert all(r.snapshot is None for r in list_runs(store=store))  # listings stay light
    with pytest.raises(NotFoundError, match="create it first"):
        new_run(store, "orphan", session_id="missing")


def test_startup_recovery_interrupts_queued_and_running_runs_with_a_note_and_an_event(store: Store) -> None:
    running, queued, done = new_run(store, "a"), new_run(store, "b"), new_run(store, "c")
    start_run(running, store=store)
    append_event(running, Message(seq=1, source="writer", content="half-way"), store=store)
    start_run(done, store=store)
    finish_run(done, "completed", store=store)

    assert sorted(mark_interrupted_on_startup(store=store)) == sorted([running, queued])
    for run_id in (running, queued):
        run = get_run(run_id, store=store)
        assert run.status == "interrupted" and run.stop_reason == INTERRUPTED_NOTE
        last = load_events(run_id, store=store)[-1]
        assert isinstance(last, RunFinished) and last.status == "interrupted" and last.seq == run.last_seq
    assert [type(e).__name__ for e in load_events(running, store=store)] == ["Message", "RunFinished"]
    assert get_run(done, store=store).status == "completed"
    assert mark_interrupted_on_startup(store=store) == []


def test_deleting_a_run_removes_its_events_but_never_an_active_run(store: Store) -> None:
    run_id = new_run(store)
    start_run(run_id, store=store)
    append_event(run_id, Message(seq=1, source="writer", content="x"), store=store)
    with pytest.raises(StoreError, match="still running"):
        delete_run(run_id, store=store)
    finish_run(run_id, "completed", store=store)
    delete_run(run_id, store=store)
    with pytest.raises(NotFoundError):
        load_events(run_id, store=store)
    with store.read() as session:
        left = session.connection().exec_driver_sql("SELECT COUNT(*) FROM events").scalar()
    assert left == 0


def test_runs_and_sessions_are_scoped_by_owner(store: Store) -> None:
    alice = create_session("alice's chat", owner="alice", store=store)
    bob = create_session("bob's chat", owner="bob", store=store)
    mine = new_run(store, "alice's task", session_id=alice.id, owner="alice")
    new_run(store, "bob's task", session_id=bob.id, owner="bob")

    assert [r.id for r in list_runs(owner="alice", store=store)] == [mine]
    assert [s.id for s in list_sessions(owner="alice", store=store)] == [alice.id]
    assert search_sessions("task", owner="alice", store=store) == [get_session(alice.id, store=store)]
