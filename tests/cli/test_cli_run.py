"""`studio run`: a gallery file or a stored team on a task, as a live timeline or JSON lines; exit status 0 / 1 / 130."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from studio.store import list_runs, list_specs, load_events, open_store
from tests.cli.conftest import GALLERY, cli_env

DEBATE = str(GALLERY / "debate.scripted.yaml")
TASK = "Should we invest in NovaCell, a solid-state battery startup?"


def test_a_debate_runs_with_one_json_event_per_line_ending_with_run_finished(studio, home):
    result = studio("run", DEBATE, "--task", TASK, "--jsonl")
    assert result.returncode == 0, result.stderr
    events = result.events
    assert events[-1]["type"] == "run_finished"
    assert events[-1]["status"] == "completed" and events[-1]["stop_reason"] == "Text 'TERMINATE' mentioned"
    messages = [e for e in events if e["type"] == "message"]
    assert [m["source"] for m in messages] == ["moderator", "bull", "bear", "synthesis", "bull", "bear", "synthesis"]
    assert messages[0]["content"] == TASK
    assert messages[-1]["content"].endswith("TERMINATE")
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert "Saved team 'debate-demo'" in result.stderr
    with open_store(home=home) as store:
        (run,) = list_runs(store=store)
        assert (run.status, run.team_name, run.task) == ("completed", "debate-demo", TASK)
        assert len(load_events(run.id, store=store)) == len(events)
        assert {e["run_id"] for e in events} == {run.id}


def test_the_text_timeline_shows_one_line_per_message_and_indents_tools(studio):
    result = studio("run", str(GALLERY / "research-tools.scripted.yaml"), "--task", "Market growth?")
    assert result.returncode == 0, result.stderr
    lines = result.lines
    assert lines[0].startswith("── run ") and lines[0].endswith("team research-tools-demo ──")
    assert lines[1] == "user: Market growth?"
    assert lines[2] == '    → describe_numbers({"values": [12.1, 13.4, 15.0, 16.2, 18.9]})'
    assert lines[3] == "    ← describe_numbers: n=5, mean=15.12, median=15.00, stdev=2.62"
    assert lines[4].startswith("    → calculator(") and lines[5].startswith("    ← calculator: 1.56")
    assert lines[6].startswith("researcher: Over the five years") and lines[6].endswith("TERMINATE")
    assert lines[-1] == "■ completed: Text 'TERMINATE' mentioned"
    assert len(lines) == 8


def test_code_runs_are_indented_and_multi_line_messages_stay_on_one_line(studio):
    result = studio("run", str(GALLERY / "coding-assistant.scripted.yaml"), "--task", "Fibonacci, please.")
    assert result.returncode == 0, result.stderr
    coder = [line for line in result.lines if line.startswith("coder: ")]
    assert len(coder) == 2 and " ↵ ```python ↵ # filename: fib.py ↵ " in coder[0]
    (code,) = [line for line in result.lines if line.startswith("    ⚙ ")]
    assert code.startswith("    ⚙ executor ran python (sandbox): exit 0 · First ten Fibonacci numbers")


def test_a_human_is_asked_on_the_terminal(studio):
    result = studio("run", str(GALLERY / "human-analyst.scripted.yaml"), "--task", "Analyse Q3.", input="Returns.\n")
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("? human asks: Replying as human.") for line in result.lines)
    assert "human: Returns." in result.lines
    assert result.lines[-1] == "■ completed: Text 'TERMINATE' mentioned"


def test_a_human_answer_in_jsonl_mode(studio):
    result = studio(
        "run", str(GALLERY / "human-analyst.scripted.yaml"), "--task", "Analyse Q3.", "--jsonl", input="Returns.\n"
    )
    assert result.returncode == 0, result.stderr
    kinds = [e["type"] for e in result.events]
    assert kinds.count("human_input_requested") == 1
    (answer,) = [e for e in result.events if e["type"] == "human_input"]
    assert answer["content"] == "Returns." and answer["source"] == "human"


def test_no_human_at_the_other_end_ends_the_conversation(studio):
    result = studio("run", str(GALLERY / "human-analyst.scripted.yaml"), "--task", "Analyse Q3.", "--jsonl")
    assert result.returncode == 0
    assert [e["content"] for e in result.events if e["type"] == "human_input"] == ["exit"]
    assert result.events[-1]["status"] == "completed"


def test_a_stored_team_runs_by_name_and_is_not_saved_twice(studio, home):
    assert studio("run", DEBATE, "--task", TASK).returncode == 0
    again = studio("run", "debate-demo", "--task", TASK, "--jsonl")
    assert again.returncode == 0 and again.events[-1]["status"] == "completed"
    assert studio("run", DEBATE, "--task", TASK).returncode == 0
    with open_store(home=home) as store:
        assert [s.name for s in list_specs("team", store=store)] == ["debate-demo"]
        assert len(list_runs(store=store)) == 3


def test_a_failing_run_exits_1_and_says_why(studio, tmp_path):
    bundle = {
        "schema_version": 2,
        "team": {"name": "short", "kind": "two_agent", "agents": ["user", "bot"]},
        "agents": [
            {"name": "user", "kind": "user_proxy", "human_input_mode": "NEVER", "termination_text": None},
            {"name": "bot", "kind": "assistant", "model": "m", "termination_text": None},
        ],
        "models": [{"name": "m", "provider": "scripted", "replies": ["only one reply"]}],
    }
    path = tmp_path / "short.json"
    path.write_text(json.dumps(bundle))
    result = studio("run", str(path), "--task", "go", "--jsonl")
    assert result.returncode == 1
    last = result.events[-1]
    assert last["type"] == "run_finished" and last["status"] == "failed"
    assert "ran out of script" in last["stop_reason"]


def test_an_unknown_team_is_an_error_message_not_a_traceback(studio):
    result = studio("run", "no-such-team", "--task", "go")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "neither a file nor a stored team" in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_cancels_the_run_and_exits_130(home, tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio.cli",
            "run",
            str(GALLERY / "human-analyst.scripted.yaml"),
            "--task",
            "Q3?",
            "--jsonl",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=cli_env(home),
    )
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line, "the run ended before asking the human"
        lines.append(json.loads(line))
        if lines[-1]["type"] == "human_input_requested":
            break
    time.sleep(0.2)  # the worker is now waiting for the answer
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    lines += [json.loads(line) for line in out.splitlines()]
    assert proc.returncode == 130, err
    assert lines[-1]["type"] == "run_finished" and lines[-1]["status"] == "cancelled"
    with open_store(home=home) as store:
        (run,) = list_runs(store=store)
        assert run.status == "cancelled"
