"""The RunManager against a real SQLite store: runs in workers, every event committed, human input, stop, sessions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from studio.catalog import save_bundle
from studio.errors import RunError
from studio.runs import STOPPED_REASON, RunManager
from studio.spec import bundle_from_data
from studio.store import get_run, list_runs, load_events, open_store, save_spec

ROOT = Path(__file__).resolve().parents[2]


def debate_bundle(name="debate", replies=("Bull: buy.", "Bear: sell.", "Synth: hold. DONE"), max_round=4):
    return {
        "schema_version": 2,
        "kind": "bundle",
        "team": {
            "name": name,
            "kind": "group_chat",
            "agents": ["bull", "bear", "synth"],
            "speaker_selection": "round_robin",
            "max_round": max_round,
            "termination": {"kind": "text_mention", "text": "DONE"},
        },
        "agents": [
            {"name": n, "kind": "assistant", "model": f"{n}-model", "system_message": f"You are the {n}."}
            for n in ("bull", "bear", "synth")
        ],
        "models": [
            {"name": f"{n}-model", "provider": "scripted", "model": "scripted", "replies": [r], "loop": True}
            for n, r in zip(("bull", "bear", "synth"), replies, strict=True)
        ],
    }


def asking_bundle(name="ask"):
    return {
        "schema_version": 2,
        "kind": "bundle",
        "team": {"name": name, "kind": "two_agent", "agents": ["human", "analyst"], "max_turns": 3},
        "agents": [
            {"name": "human", "kind": "user_proxy", "human_input_mode": "ALWAYS"},
            {"name": "analyst", "kind": "assistant", "model": "m"},
        ],
        "models": [
            {"name": "m", "provider": "scripted", "model": "scripted", "replies": ["What region?"], "loop": True}
        ],
    }


def sleeper_bundle(name="sleeper"):
    code = "```python\nimport time\nprint('sleeping', flush=True)\ntime.sleep(60)\n```"
    return {
        "schema_version": 2,
        "kind": "bundle",
        "team": {"name": name, "kind": "two_agent", "agents": ["runner", "coder"], "max_turns": 2},
        "agents": [
            {"name": "runner", "kind": "code_executor", "code_execution": {"mode": "sandbox", "timeout": 120}},
            {"name": "coder", "kind": "assistant", "model": "m"},
        ],
        "models": [{"name": "m", "provider": "scripted", "model": "scripted", "replies": [code], "loop": True}],
    }


@pytest.fixture
def store(tmp_path):
    return open_store(home=tmp_path / "home")


@pytest.fixture
def manager(store, tmp_path):
    m = RunManager(store, work_root=tmp_path / "work", human_input_timeout=5)
    yield m
    m.shutdown()


def save(store, data):
    bundle, _ = bundle_from_data(data)
    return save_bundle(bundle, store=store).team_id


def test_a_run_commits_every_event_in_order_and_finishes(store, manager):
    team_id = save(store, debate_bundle())
    run = manager.start_run(team_id, "Should we buy?")
    done = manager.wait(run.id, timeout=30)
    assert done.status == "completed"
    assert done.stop_reason == "Text 'DONE' mentioned"
    events = load_events(run.id, store=store)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "run_started" and events[-1].type == "run_finished"
    messages = [e for e in events if e.type == "message"]
    assert [(m.source, m.content) for m in messages] == [
        ("bull", "Should we buy?"),
        ("bear", "Bear: sell."),
        ("synth", "Synth: hold. DONE"),
    ]
    assert done.total_tokens > 0 and done.duration is not None


def test_runs_start_from_a_stored_team_only_and_snapshot_it(store, manager):
    team_id = save(store, debate_bundle())
    with pytest.raises(Exception, match="team"):
        manager.start_run({"team": "not an id"}, "x")  # type: ignore[arg-type]
    run = manager.start_run("debate", "first")
    manager.wait(run.id, timeout=30)
    snapshot = get_run(run.id, store=store).snapshot
    assert snapshot["team"]["name"] == "debate" and snapshot["team"]["max_round"] == 4
    edited = debate_bundle()["team"] | {"max_round": 2}
    save_spec("team", "debate", edited, store=store)
    assert get_run(run.id, store=store).snapshot["team"]["max_round"] == 4
    second = manager.start_run(team_id, "second")
    manager.wait(second.id, timeout=30)
    assert get_run(second.id, store=store).snapshot["team"]["max_round"] == 2


def test_empty_task_is_refused(store, manager):
    save(store, debate_bundle())
    with pytest.raises(RunError, match="task is empty"):
        manager.start_run("debate", "   ")


def test_human_input_waits_for_an_answer(store, manager):
    save(store, asking_bundle())
    run = manager.start_run("ask", "Analyse sales")
    deadline = time.monotonic() + 10
    while manager.pending_input(run.id) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    prompt = manager.pending_input(run.id)
    assert prompt is not None and prompt.startswith("Replying as human. Provide feedback to analyst.")
    manager.answer(run.id, "Europe")
    while manager.pending_input(run.id) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    manager.answer(run.id, "exit")
    done = manager.wait(run.id, timeout=10)
    assert done.status == "completed"
    events = load_events(run.id, store=store)
    assert [e.content for e in events if e.type == "human_input"] == ["Europe", "exit"]
    assert [e.type for e in events].count("human_input_requested") == 2
    assert any(e.type == "message" and e.content == "Europe" for e in events)


def test_unanswered_input_times_out_with_a_reason(store, tmp_path):
    save(store, asking_bundle())
    m = RunManager(store, work_root=tmp_path / "w", human_input_timeout=0.3)
    try:
        run = m.start_run("ask", "Analyse")
        done = m.wait(run.id, timeout=10)
    finally:
        m.shutdown()
    assert done.status == "completed"
    assert done.stop_reason == "No human input within 0.3 seconds"


def test_stop_cancels_running_code_within_two_seconds(store, manager):
    save(store, sleeper_bundle())
    run = manager.start_run("sleeper", "Run the slow job")
    deadline = time.monotonic() + 20
    while not any(e.type == "message" and e.source == "coder" for e in load_events(run.id, store=store)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    started = time.monotonic()
    stopped = manager.stop(run.id)
    assert time.monotonic() - started < 2.0
    assert stopped.status == "cancelled"
    assert stopped.stop_reason == STOPPED_REASON
    assert load_events(run.id, store=store)[-1].type == "run_finished"


def test_stop_while_waiting_for_a_human(store, manager):
    save(store, asking_bundle())
    run = manager.start_run("ask", "Analyse")
    deadline = time.monotonic() + 10
    while manager.pending_input(run.id) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    stopped = manager.stop(run.id)
    assert stopped.status == "cancelled"


def test_concurrent_runs_do_not_block_each_other(store, manager):
    save(store, asking_bundle())
    save(store, debate_bundle())
    waiting = manager.start_run("ask", "I will wait for a human")
    quick = manager.start_run("debate", "Quick one")
    assert manager.wait(quick.id, timeout=20).status == "completed"
    assert manager.is_active(waiting.id)
    manager.stop(waiting.id)


def test_a_follow_up_task_continues_the_conversation(store, manager):
    save(store, debate_bundle())
    first = manager.start_run("debate", "Round one")
    manager.wait(first.id, timeout=30)
    follow = manager.continue_session(first.session_id, "Round two")
    assert follow.session_id == first.session_id
    manager.wait(follow.id, timeout=30)
    assert get_run(follow.id, store=store).status == "completed"

    def first_prompt_tokens(run_id):
        return next(e.prompt_tokens for e in load_events(run_id, store=store) if e.type == "model_call")

    # the follow-up's first model call carries the earlier conversation, so its prompt is longer
    assert first_prompt_tokens(follow.id) > first_prompt_tokens(first.id) + 10
    # a fresh manager (a restart) continues the same session too
    again = RunManager(store, work_root=manager.work_root)
    try:
        third = again.continue_session(first.session_id, "Round three")
        again.wait(third.id, timeout=30)
    finally:
        again.shutdown()
    assert len(list_runs(session_id=first.session_id, store=store)) == 3
    assert get_run(third.id, store=store).status == "completed"


def test_runs_left_running_by_a_crash_become_interrupted(tmp_path):
    """T39: kill -9 of the process mid-run; every committed event survives and the run is marked interrupted."""
    home = tmp_path / "home"
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from tests.runs.test_run_manager import asking_bundle, save
        from studio.runs import RunManager
        from studio.store import open_store, load_events
        store = open_store(home={str(home)!r})
        save(store, asking_bundle())
        m = RunManager(store, human_input_timeout=600)
        run = m.start_run("ask", "Crash me")
        while m.pending_input(run.id) is None:
            time.sleep(0.02)
        print(run.id, len(load_events(run.id, store=store)), flush=True)
        time.sleep(600)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = child.stdout.readline().split()
    run_id, acknowledged = line[0], int(line[1])
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    store = open_store(home=home)
    assert get_run(run_id, store=store).status == "running"
    assert len(load_events(run_id, store=store)) >= acknowledged
    m = RunManager(store)
    try:
        assert m.recovered == [run_id]
        run = get_run(run_id, store=store)
        assert run.status == "interrupted"
    finally:
        m.shutdown()


def test_listeners_see_events_as_they_are_committed(store, manager):
    save(store, debate_bundle())
    seen = []
    lock = threading.Lock()

    def listener(event):
        with lock:
            stored = load_events(event.run_id, store=store, after_seq=event.seq - 1)
            seen.append((event.seq, bool(stored) and stored[0].seq == event.seq))

    run = manager.start_run("debate", "x", listener=listener)
    manager.wait(run.id, timeout=30)
    assert seen and all(ok for _, ok in seen)


def pair_bundle(system: str) -> dict:
    return {
        "schema_version": 2,
        "kind": "bundle",
        "team": {"name": "pair", "kind": "two_agent", "agents": ["user", "helper"], "max_turns": 1},
        "agents": [
            {"name": "user", "kind": "user_proxy", "human_input_mode": "NEVER"},
            {"name": "helper", "kind": "assistant", "model": "m", "system_message": system},
        ],
        "models": [{"name": "m", "provider": "scripted", "replies": ["A long and careful answer."], "loop": True}],
    }


def test_a_follow_up_of_a_team_of_copied_agents_carries_the_earlier_conversation(store, manager):
    save(store, pair_bundle("The first helper."))
    save(store, pair_bundle("Another helper."))  # stored as helper-2 (and pair-2), speaking as "helper"
    first = manager.start_run("pair-2", "Question one")
    assert manager.wait(first.id, timeout=30).status == "completed"
    assert [e.source for e in load_events(first.id, store=store, types=["message"])] == ["user", "helper"]
    follow = manager.continue_session(first.session_id, "Question two")
    assert manager.wait(follow.id, timeout=30).status == "completed"

    def prompt_tokens(run_id):
        return next(e.prompt_tokens for e in load_events(run_id, store=store) if e.type == "model_call")

    # the copy's earlier messages (recorded under its conversation name) were put back before the follow-up
    assert prompt_tokens(follow.id) > prompt_tokens(first.id) + 5
