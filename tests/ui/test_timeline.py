"""The timeline widget: bubbles per agent with stable colours, cards for tools and code, compact lines, live streams.

Events are the real `studio.events` dataclasses (the same objects the store returns); pages and a real run are
covered in test_playground_page.py and test_replay_page.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from components.widgets.timeline import PALETTE, agent_colour, event_summary, in_flight, window
from studio.events import (
    CodeExecution,
    Error,
    HumanInput,
    HumanInputRequested,
    Message,
    ModelCall,
    RunFinished,
    RunStarted,
    SpeakerSelected,
    StreamChunk,
    ToolCall,
    ToolResult,
)

ROOT = Path(__file__).resolve().parents[2]


def numbered(events):
    for i, ev in enumerate(events, 1):
        ev.seq, ev.run_id = i, "run-1"
    return events


def conversation():
    return numbered(
        [
            RunStarted(task="Plan a trip", team="planners"),
            Message(source="user", target="planner", content="Plan a trip to Lisbon", role="user"),
            SpeakerSelected(speaker="planner", method="round_robin", round=1),
            ModelCall(
                source="planner", model="gpt-x", prompt_tokens=10, completion_tokens=5, total_tokens=15, cost=0.01
            ),
            ToolCall(source="planner", calls=[{"id": "c1", "name": "weather", "arguments": '{"city": "Lisbon"}'}]),
            Message(source="planner", target="user", content=None, tool_calls=[{"id": "c1"}]),
            ToolResult(
                source="user", results=[{"call_id": "c1", "name": "weather", "content": "sunny", "is_error": False}]
            ),
            Message(
                source="user", target="planner", content="sunny", role="tool", tool_responses=[{"tool_call_id": "c1"}]
            ),
            CodeExecution(
                source="runner", blocks=[{"language": "python", "code": "print(1)"}], exit_code=0, output="1"
            ),
            HumanInputRequested(source="user", prompt="Anything else?"),
            HumanInput(source="user", content="No, thanks"),
            Message(source="planner", target="user", content="Go in **May**. ![x](http://127.0.0.1:1/leak)"),
            Error(source="planner", error_type="ModelError", message="<b>rate limited</b>"),
            RunFinished(status="completed", stop_reason="Text 'TERMINATE' mentioned"),
        ]
    )


def timeline_script(events, chunks_as_events=False):
    from components.widgets.timeline import render_events

    render_events(events, key="t", chunks_as_events=chunks_as_events)


def run_timeline(events, **kwargs) -> AppTest:
    at = AppTest.from_function(timeline_script, args=(events,), kwargs=kwargs, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def test_messages_are_bubbles_with_a_stable_colour_per_agent_and_humans_as_users():
    at = run_timeline(conversation())
    bubbles = [(m.name, m.avatar) for m in at.chat_message]
    # the tool-call-only message and the tool-response message are shown by their cards, not as bubbles
    assert bubbles == [("user", "user"), ("user", "user"), ("planner", agent_colour("planner")[1])]
    texts = [m.value for m in at.markdown]
    colour = agent_colour("planner")[0]
    # one Markdown element per bubble: the coloured name line, then the safe body
    assert f":{colour}[**planner**] → user\n\nGo in **May**. \\[image removed: `127.0.0.1:1`\\]" in texts


def test_tools_and_code_are_expandable_cards():
    at = run_timeline(conversation())
    labels = [e.label for e in at.expander]
    assert labels == [
        "🔧 planner calls weather",
        "📦 user: result of weather",
        "🖥️ runner ran 1 code block(s) — ✅ ()",
    ]
    codes = [c.value for c in at.code]
    assert '{\n  "city": "Lisbon"\n}' in codes and "sunny" in codes and "print(1)" in codes and "1" in codes


def test_selections_model_calls_input_requests_and_errors_are_compact():
    at = run_timeline(conversation())
    captions = [c.value for c in at.caption]
    assert "🎙️ next speaker: planner (round_robin, round 1)" in captions
    assert any(c.startswith("🧮 planner called gpt-x (reply): 15 tokens") for c in captions)
    assert "✋ user asks for human input: Anything else?" in captions
    assert [e.value for e in at.error] == ["ModelError: \\<b>rate limited\\</b>"]
    assert [s.value for s in at.success] == ["run completed: Text 'TERMINATE' mentioned"]


def test_streamed_chunks_show_as_one_typing_bubble_until_the_message_lands():
    chunks = numbered(
        [
            Message(source="user", content="Write a haiku"),
            StreamChunk(source="poet", content="Autumn ", message_id="m1"),
            StreamChunk(source="poet", content="moonlight", message_id="m1"),
        ]
    )
    assert in_flight(chunks) == {"m1": ("poet", "Autumn moonlight")}
    at = run_timeline(chunks)
    assert [m.name for m in at.chat_message] == ["user", "poet"]
    assert any(m.value.endswith("\n\nAutumn moonlight ▌") for m in at.markdown)

    landed = numbered([*chunks, ModelCall(source="poet"), Message(source="poet", content="Autumn moonlight—")])
    assert in_flight(landed) == {}
    at = run_timeline(landed)
    assert [m.name for m in at.chat_message] == ["user", "poet"]
    assert not any("▌" in m.value for m in at.markdown)
    # replay can show every chunk as its own line
    at = run_timeline(landed, chunks_as_events=True)
    assert sum("streamed" in c.value for c in at.caption) == 2


def test_colours_are_the_same_in_another_process():
    names = ["planner", "critic", "user_proxy", "🤖 bot"]
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from components.widgets.timeline import agent_colour;"
        f"print([agent_colour(n) for n in {names!r}])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str([agent_colour(n) for n in names])
    assert len({agent_colour(f"agent{i}") for i in range(50)}) == len(PALETTE)


def test_window_keeps_the_current_step_in_view():
    assert window(10, 3, 20) == (0, 10)
    start, stop = window(10_000, 5_000, 20)
    assert stop - start == 20 and start <= 5_000 < stop
    assert window(10_000, 0, 20) == (0, 20)
    assert window(10_000, 9_999, 20) == (9_980, 10_000)


def test_event_summaries_are_one_plain_line():
    ev = Message(source="a", content="line one\nline two \u202e" + "x" * 200)
    summary = event_summary(ev, width=40)
    assert "\n" not in summary and len(summary) == 40 and summary.startswith("a: line one line two ⟨RLO⟩")
