"""The Replay page (AppTest) over a real store: picking runs, stepping, filters, inspector, costs, speakers, export,
and paging a 10,000-event run.
"""

from __future__ import annotations

import json

import pytest

from components.widgets.transcript import (
    model_call_rows,
    model_call_totals,
    speaker_transitions,
    transcript_json,
    transcript_markdown,
)
from studio.events import Message, ModelCall, RunFinished, RunStarted
from studio.store import append_events, create_run, finish_run, get_run, load_events, scrub, set_secret, start_run

DEBATE = "debate-demo"


def run_team(studio, team: str, task: str) -> str:
    run = studio.runs.start_run(team, task)
    assert studio.runs.wait(run.id, timeout=30).status == "completed"
    return run.id


@pytest.fixture
def debate(studio) -> str:
    return run_team(studio, DEBATE, "Should we buy NovaCell?")


def step_caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Step ") and " of " in c.value)


def test_the_controls_and_the_slider_move_the_step(open_page, studio, debate):
    at = open_page("replay")
    total = get_run(debate, store=studio.store).event_count
    assert at.selectbox(key="rp_run").value == debate
    assert step_caption(at) == f"Step 1 of {total}"
    at.button(key="rp_next").click().run()
    at.button(key="rp_next").click().run()
    assert at.slider(key="rp_step").value == 3
    at.button(key="rp_prev").click().run()
    assert at.slider(key="rp_step").value == 2
    at.button(key="rp_last").click().run()
    assert step_caption(at) == f"Step {total} of {total}"
    assert any("run completed" in s.value for s in at.success)
    at.button(key="rp_next").click().run()  # past the end stays at the end
    assert at.slider(key="rp_step").value == total
    at.slider(key="rp_step").set_value(6).run()
    assert step_caption(at) == f"Step 6 of {total}"
    at.button(key="rp_first").click().run()
    assert at.slider(key="rp_step").value == 1
    at.button(key="rp_prev").click().run()  # before the start stays at the start
    assert step_caption(at) == f"Step 1 of {total}"


def test_the_inspector_shows_the_raw_event_json_of_the_step(open_page, studio, debate):
    at = open_page("replay")
    at.slider(key="rp_step").set_value(4).run()
    events = load_events(debate, store=studio.store)
    shown = json.loads(at.json[0].value)
    assert shown == events[3].to_dict()


def test_filters_reduce_the_events_to_an_agent_and_a_type(open_page, studio, debate):
    at = open_page("replay")
    events = load_events(debate, store=studio.store)
    at.multiselect(key="rp_types").set_value(["message"]).run()
    messages = [e for e in events if e.type == "message"]
    assert step_caption(at) == f"Step 1 of {len(messages)}"
    at.multiselect(key="rp_agents").set_value(["bear"]).run()
    bears = [e for e in messages if e.source == "bear"]
    assert step_caption(at) == f"Step 1 of {len(bears)}"
    at.button(key="rp_last").click().run()
    assert [m.name for m in at.chat_message] == ["bear"] * len(bears)
    assert json.loads(at.json[0].value)["seq"] == bears[-1].seq


def test_model_calls_totals_and_speaker_transitions(open_page, studio, debate):
    at = open_page("replay")
    assert not at.dataframe  # the timeline view does not read the run's model calls
    events = load_events(debate, store=studio.store)
    calls = [e for e in events if e.type == "model_call"]
    at.radio(key="rp_view").set_value("Model calls").run()
    table = at.dataframe[0].value
    assert len(table) == len(calls)
    assert list(table["total_tokens"]) == [c.total_tokens for c in calls]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Model calls"] == str(len(calls))
    assert metrics["Prompt tokens"] == f"{sum(c.prompt_tokens for c in calls):,}"
    at.radio(key="rp_view").set_value("Speakers").run()
    speakers = at.dataframe[0].value
    counts = speaker_transitions(events)
    assert {(r["from"], r["to"]): r["times"] for r in speakers.to_dict("records")} == counts
    assert counts[("bull", "bear")] == 2 and counts[("bear", "synthesis")] == 2
    at.radio(key="rp_view").set_value("Export").run()
    assert [b.label for b in at.get("download_button")] == ["Export JSON", "Export Markdown"]


def test_the_run_list_filters_by_team_and_status(open_page, studio, debate):
    other = run_team(studio, "research-tools-demo", "Find facts")
    at = open_page("replay")
    picker = at.selectbox(key="rp_run")
    assert len(picker.options) == 2 and picker.value == other  # newest first
    assert any("debate-demo · completed · Should we buy NovaCell?" in o for o in picker.options)
    at.selectbox(key="rp_team").set_value("research-tools-demo").run()
    picker = at.selectbox(key="rp_run")
    assert len(picker.options) == 1 and picker.value == other
    at.selectbox(key="rp_team").set_value("All teams").run()
    at.multiselect(key="rp_status").set_value(["failed"]).run()
    assert any("No run matches" in i.value for i in at.info)


def test_exports_carry_the_messages_and_no_secret(studio):
    value = "sk-canary-5f1d2e3a4b5c6d7e8f90"
    set_secret("DEMO_KEY", value, store=studio.store)
    run_id = run_team(studio, DEBATE, f"My key is {value}; should we buy?")
    run = get_run(run_id, store=studio.store)
    events = load_events(run_id, store=studio.store)

    def redact(t: str) -> str:
        return scrub(t, store=studio.store)

    as_json = transcript_json(run, events, redact=redact)
    as_md = transcript_markdown(run, events, redact=redact)
    for text in (as_json, as_md):
        assert value not in text
        assert "Bear case: solid-state yields" in text and "Verdict: invest in stages" in text
    doc = json.loads(as_json)
    assert [e["seq"] for e in doc["events"]] == [e.seq for e in events]
    assert "[REDACTED]" in doc["run"]["task"] and "snapshot" not in doc["run"]
    assert as_md.startswith("# debate-demo — completed")
    assert "### bull" in as_md and "![" not in as_md


def test_model_call_totals_mark_an_unknown_price():
    rows = model_call_rows([ModelCall(source="a", total_tokens=3, cost=0.5), ModelCall(source="b", cost_known=False)])
    assert model_call_totals(rows)["cost"] is None
    assert model_call_totals(rows[:1]) | {"latency_ms": 0} == {
        "calls": 1, "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 3, "cost": 0.5, "latency_ms": 0,
        "mean_latency_ms": 0.0,
    }  # fmt: skip


def big_run(store, n: int = 10_000) -> str:
    """A finished run with `n` events (a long round-robin chat between three agents), written in batches."""
    run = create_run(None, "A very long chat", store=store, snapshot=None, team_name="long")
    start_run(run.id, store=store)
    names = ("ada", "bob", "cy")
    events = [RunStarted(task="A very long chat", team="long")]
    events += [Message(source=names[i % 3], content=f"message {i}") for i in range(n - 2)]
    events.append(RunFinished(status="completed", stop_reason="done"))
    for i, ev in enumerate(events, 1):
        ev.seq = i
    for k in range(0, n, 2000):
        append_events(run.id, events[k : k + 2000], store=store)
    finish_run(run.id, "completed", stop_reason="done", store=store)
    return run.id


def test_a_ten_thousand_event_run_loads_one_page_and_renders_one_window(open_page, studio):
    run_id = big_run(studio.store)
    at = open_page("replay")
    pages = at.session_state["rp_pages"][run_id]
    assert len(pages["events"]) == 1000 and pages["complete"] is False
    assert at.slider(key="rp_step").max == 10_000
    assert step_caption(at) == "Step 1 of 10,000"
    at.slider(key="rp_step").set_value(5_001).run()
    pages = at.session_state["rp_pages"][run_id]
    assert len(pages["events"]) == 6000  # only as far as the step needs
    assert len(at.chat_message) <= 20
    assert any(m.value.endswith("\n\nmessage 4999") for m in at.markdown)  # event index 5000 is message 4999
    at.button(key="rp_last").click().run()
    assert len(at.session_state["rp_pages"][run_id]["events"]) == 10_000
    assert step_caption(at) == "Step 10,000 of 10,000"
