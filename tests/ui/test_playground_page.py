"""The Playground page (AppTest) over a real store and RunManager: the gallery's scripted teams run in the worker.

Each test drives the page the way a person does — pick a team, type a task, Run, answer, Stop, follow up — and
checks what the page shows and what the store holds.
"""

from __future__ import annotations

import time

from studio.store import get_run, list_runs, list_sessions, load_events

DEBATE = "debate-demo"
ANALYST = "human-analyst-demo"


def submit(at, form: str, label: str):
    return at.button(key=f"FormSubmitter:{form}-{label}").click().run()


def start(at, team: str, task: str):
    at.selectbox(key="pg_team").set_value(team)
    at.text_area(key="pg_task").input(task)
    submit(at, "pg_start_form", "Run")
    assert not at.exception, at.exception
    return at.session_state["run_id"]


def wait_for_prompt(studio, run_id: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        prompt = studio.runs.pending_input(run_id)
        if prompt is not None:
            return prompt
        time.sleep(0.02)
    raise AssertionError("the run never asked for human input")


def bubbles(at) -> list[str]:
    return [m.name for m in at.chat_message]


def said(at) -> list[str]:
    """What each bubble says (its Markdown after the agent's name line)."""
    return [m.markdown[0].value.split("\n\n", 1)[-1] for m in at.chat_message]


def test_a_new_visitor_picks_a_team_types_a_task_and_sees_the_run_in_bubbles(open_page, studio):
    at = open_page("playground")
    assert "New conversation" in [h.value for h in at.subheader]
    assert DEBATE in at.selectbox(key="pg_team").options
    run_id = start(at, DEBATE, "Should we invest in NovaCell?")
    assert studio.runs.wait(run_id, timeout=30).status == "completed"
    at.run()
    assert bubbles(at) == ["moderator", "bull", "bear", "synthesis", "bull", "bear", "synthesis"]
    assert said(at)[0] == "Should we invest in NovaCell?"
    assert any("run completed" in s.value for s in at.success)
    # the sidebar lists the new session, named after the task, as the current one
    current = [b for b in at.sidebar.button if b.key == f"pg_s_{at.session_state['session_id']}"]
    assert current and current[0].label.startswith("Should we invest")


def test_the_timeline_fetches_only_new_events_while_the_run_is_live(open_page, studio):
    at = open_page("playground")
    run_id = start(at, ANALYST, "Analyse our Q3 sales.")
    wait_for_prompt(studio, run_id)
    at.run()
    cache = at.session_state["pg_events"][run_id]
    held = list(cache["events"])
    assert cache["final"] is False and held and held[-1].type == "human_input_requested"
    studio.runs.answer(run_id, "returns")
    studio.runs.wait(run_id, timeout=30)
    at.run()
    cache = at.session_state["pg_events"][run_id]
    # the earlier events are the very objects fetched before: appended to, never reloaded
    assert all(a is b for a, b in zip(held, cache["events"], strict=False))
    seqs = [ev.seq for ev in cache["events"]]
    assert seqs == sorted(set(seqs)) and cache["final"] is True
    assert seqs == [ev.seq for ev in load_events(run_id, store=studio.store)]


def test_the_human_answers_in_the_input_box_when_asked(open_page, studio):
    at = open_page("playground")
    run_id = start(at, ANALYST, "Analyse our Q3 sales.")
    prompt = wait_for_prompt(studio, run_id)
    at.run()
    assert any(prompt.strip()[:30] in i.value for i in at.info)
    at.text_input(key=f"pg_answer_text_{run_id}").input("Focus on the returns")
    submit(at, f"pg_answer_{run_id}", "Send")
    assert not at.exception, at.exception
    done = studio.runs.wait(run_id, timeout=30)
    assert done.status == "completed"
    at.run()
    texts = said(at)
    assert "Focus on the returns" in texts
    assert any("Recommendation: pause the headphones promotion" in t for t in texts)
    inputs = [e for e in load_events(run_id, store=studio.store) if e.type == "human_input"]
    assert [e.content for e in inputs][0] == "Focus on the returns"


def test_stop_ends_a_run_waiting_for_a_human(open_page, studio):
    at = open_page("playground")
    run_id = start(at, ANALYST, "Analyse our Q3 sales.")
    wait_for_prompt(studio, run_id)
    at.run()
    at.button(key=f"pg_stop_{run_id}").click().run()
    assert not at.exception, at.exception
    run = get_run(run_id, store=studio.store, with_snapshot=False)
    assert run.status == "cancelled" and run.stop_reason == "Stopped by the user"
    at.run()
    assert any("run cancelled" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == f"pg_stop_{run_id}"]


def test_a_follow_up_task_continues_the_session(open_page, studio):
    at = open_page("playground")
    first = start(at, DEBATE, "Round one")
    studio.runs.wait(first, timeout=30)
    at.run()
    session_id = at.session_state["session_id"]
    at.text_area(key="pg_follow").input("Round two, please")
    submit(at, "pg_follow_form", "Continue")
    assert not at.exception, at.exception
    second = at.session_state["run_id"]
    assert second != first
    studio.runs.wait(second, timeout=30)
    at.run()
    runs = list_runs(session_id=session_id, store=studio.store, limit=None)
    assert {r.id for r in runs} == {first, second}
    texts = said(at)
    assert "Round one" in texts and "Round two, please" in texts  # both runs, one conversation
    spoken = [
        e for r in (first, second) for e in load_events(r, store=studio.store) if e.type == "message" and e.content
    ]
    assert bubbles(at) == [e.source for e in spoken]


def test_coming_back_in_a_new_browser_session_shows_the_latest_session(open_page, studio):
    at = open_page("playground")
    run_id = start(at, DEBATE, "Left running while I closed the tab")
    # A new visitor (fresh session_state): the run carried on in the worker and is shown where it is.
    studio.runs.wait(run_id, timeout=30)
    again = open_page("playground")
    assert again.session_state["session_id"] == at.session_state["session_id"]
    assert said(again)[0] == "Left running while I closed the tab"
    assert len(bubbles(again)) == 7
    # and the address names the session, so a reload finds it too
    assert again.query_params["session"] in (at.session_state["session_id"], [at.session_state["session_id"]])


def test_sessions_can_be_searched_renamed_and_deleted(open_page, studio):
    at = open_page("playground")
    for task in ("Alpha plan", "Beta plan"):
        at.button(key="pg_new").click().run()
        studio.runs.wait(start(at, DEBATE, task), timeout=30)
    at.run()
    names = {b.label for b in at.sidebar.button if b.key.startswith("pg_s_")}
    assert {"Alpha plan", "Beta plan"} <= names
    at.sidebar.text_input(key="pg_search").input("alpha").run()
    assert {b.label for b in at.sidebar.button if b.key.startswith("pg_s_")} == {"Alpha plan"}

    session_id = at.session_state["session_id"]  # Beta plan is open
    at.sidebar.text_input(key=f"pg_rename_{session_id}").input("Beta, renamed")
    at.sidebar.button(key="pg_rename_btn").click().run()
    assert {s.name for s in list_sessions(store=studio.store)} == {"Alpha plan", "Beta, renamed"}

    at.sidebar.button(key="pg_delete_btn").click().run()
    at.sidebar.button(key="pg_delete_yes").click().run()
    assert not at.exception, at.exception
    assert {s.name for s in list_sessions(store=studio.store)} == {"Alpha plan"}
    assert at.session_state["session_id"] is None


def test_deleting_a_session_with_a_run_in_progress_is_refused_with_the_reason(open_page, studio):
    at = open_page("playground")
    run_id = start(at, ANALYST, "Analyse our Q3 sales.")
    wait_for_prompt(studio, run_id)
    at.run()
    at.sidebar.button(key="pg_delete_btn").click().run()
    at.sidebar.button(key="pg_delete_yes").click().run()
    assert any("still in progress" in e.value for e in at.error)
    assert len(list_sessions(store=studio.store)) == 1
    studio.runs.stop(run_id)


def test_an_empty_task_is_refused_on_the_page(open_page, studio):
    at = open_page("playground")
    at.text_area(key="pg_task").input("   ")
    submit(at, "pg_start_form", "Run")
    assert any("task is empty" in e.value for e in at.error)
    assert list_runs(store=studio.store) == []


def test_the_gallery_hand_off_preselects_the_team(open_page, studio):
    at = open_page("playground", playground_team=ANALYST)
    assert at.selectbox(key="pg_team").value == ANALYST


def stored_run(store, name: str, task: str, events: list, status: str = "completed") -> str:
    """A finished run written straight into the store (as the RunManager would): its session's id."""
    from studio.events import RunFinished, RunStarted
    from studio.store import append_events, create_run, create_session, finish_run, start_run

    session = create_session(name, store=store)
    run = create_run(None, task, store=store, snapshot=None, session_id=session.id, team_name=name)
    start_run(run.id, store=store)
    events = [RunStarted(task=task), *events, RunFinished(status=status, stop_reason="done")]
    for seq, ev in enumerate(events, 1):
        ev.seq = seq
    append_events(run.id, events, store=store)
    finish_run(run.id, status, stop_reason="done", store=store)
    return session.id


def test_a_long_conversation_shows_its_last_page_and_earlier_ones_on_demand(open_page, studio):
    from studio.events import Message

    messages = [Message(source=f"agent{i % 3}", content=f"line {i}") for i in range(120)]
    session_id = stored_run(studio.store, "A long chat", "Talk a lot", messages)

    at = open_page("playground")
    assert at.session_state["session_id"] == session_id
    assert said(at)[-1] == "line 119" and len(bubbles(at)) == 49  # 50 items: the last 49 messages and the end
    more = at.button(key="pg_more")
    assert more.label == "Show 50 earlier of 72 hidden"
    more.click().run()
    assert len(bubbles(at)) == 99
    at.button(key="pg_more").click().run()
    assert said(at)[0] == "line 0" and len(bubbles(at)) == 120
    assert not [b for b in at.button if b.key == "pg_more"]


def test_streamed_replies_do_not_push_earlier_messages_off_the_page(open_page, studio):
    from studio.events import Message, StreamChunk

    events: list = [Message(source="user", content="Stream", role="user")]
    for i in range(3):  # three replies of 200 tokens each: 600 chunks, far more than a page
        events += [StreamChunk(source=f"agent{i}", content="word ", message_id=f"m{i}") for _ in range(200)]
        events.append(Message(source=f"agent{i}", content="word " * 200))
    events.append(StreamChunk(source="agent3", content="still writing", message_id="m3"))  # cut off mid-reply
    stored_run(studio.store, "A streamed chat", "Stream", events, status="cancelled")

    at = open_page("playground")
    assert bubbles(at) == ["user", "agent0", "agent1", "agent2"]  # every reply once; no typing bubble after the end
    assert not [b for b in at.button if b.key == "pg_more"]
