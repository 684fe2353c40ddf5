"""`studio list` and `studio replay`: what the store holds, and a stored run's timeline exactly as it was shown live."""

from __future__ import annotations

from studio.store import delete_spec, get_spec, open_store
from tests.cli.conftest import GALLERY

DEBATE = str(GALLERY / "debate.scripted.yaml")


def test_list_shows_each_kind_of_spec(studio, studio_here):
    assert studio_here("list").lines == ["No teams yet."]
    assert studio_here("import", DEBATE).returncode == 0
    teams = studio("list", "teams").lines
    assert teams[0].split() == ["NAME", "ID", "VERSION", "UPDATED", "KIND"]
    assert teams[1].startswith("debate-demo ") and teams[1].endswith("group_chat")
    agents = [line.split()[0] for line in studio_here("list", "agents").lines[1:]]
    assert agents == ["bear", "bull", "moderator", "synthesis"]
    models = [line.split()[0] for line in studio_here("list", "models").lines[1:]]
    assert models == ["debate-bear-script", "debate-bull-script", "debate-synthesis-script"]
    assert studio_here("list", "tools").lines == ["No tools yet."]


def test_a_team_with_a_deleted_agent_is_listed_as_broken(studio, home):
    # T09: shown broken, not a crash.
    assert studio("import", DEBATE).returncode == 0
    with open_store(home=home) as store:
        delete_spec(get_spec("bear", kind="agent", store=store).id, store=store)
    result = studio("list", "teams")
    assert result.returncode == 0
    assert "BROKEN" in result.lines[1] and "the agent 'bear' does not exist" in result.lines[1]
    run = studio("run", "debate-demo", "--task", "go", "--jsonl")
    assert run.returncode == 1 and "the agent 'bear' does not exist" in run.stderr


def test_runs_and_sessions_are_listed_and_a_run_replays_as_it_ran(studio):
    live = studio("run", DEBATE, "--task", "Invest?")
    live_json = studio("run", "debate-demo", "--task", "Invest again?", "--jsonl")
    assert live.returncode == 0 and live_json.returncode == 0
    runs = studio("list", "runs").lines
    assert runs[0].split()[:3] == ["ID", "STATUS", "TEAM"] and len(runs) == 3
    assert all(" completed " in line and "debate-demo" in line for line in runs[1:])
    newest, oldest = runs[1].split()[0], runs[2].split()[0]
    assert newest == live_json.events[0]["run_id"]

    replay = studio("replay", oldest)
    assert replay.returncode == 0 and replay.lines == live.lines
    replay_json = studio("replay", newest[:10], "--jsonl")
    assert replay_json.events == live_json.events

    sessions = studio("list", "sessions").lines
    assert len(sessions) == 3 and {line.split()[1] for line in sessions[1:]} == {"Invest?", "Invest"}


def test_replaying_an_unknown_run_is_an_error_message(studio):
    result = studio("replay", "nope")
    assert result.returncode == 1 and "No run with id 'nope'" in result.stderr
