"""Playground: sessions, starting a team on a task, the live timeline, human input, Stop and follow-up tasks.

The run never lives in this script: `services().runs` (the RunManager) executes it in a worker thread and commits
every event to the store, so a click elsewhere or a closed tab does not stop it (SECURITY lesson 8, T45). This page
only reads: the timeline is a fragment that, while the run is active, reruns every 0.5 s and fetches the events after
the last `seq` it has (`load_events(after_seq=...)`), appending them to what `st.session_state` already holds. Coming
back — another page, a reload, a new tab with `?session=<id>` — reloads the session's runs from the store and shows
the latest one where it is.

A session is the conversation: its runs' events are shown as one timeline (only the last `PAGE` items, "Show earlier"
for more). When a run waits for a human (`runs.pending_input`), the prompt and an answer box appear; Stop calls
`runs.stop`; once the run is over, a follow-up task continues the session (`runs.continue_session`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import state
from components.services import local_model_requested, services
from components.widgets.gallery_import import default_team
from components.widgets.render import safe_label, safe_markdown
from components.widgets.timeline import human_sources, in_flight, render_events
from studio.errors import NotFoundError, StudioError
from studio.store import (
    delete_session,
    get_run,
    get_session,
    list_runs,
    list_sessions,
    list_specs,
    load_events,
    rename_session,
    search_sessions,
)

PAGE = 50
LIVE_INTERVAL = 0.5
TEAM_HANDOFF_KEY = "playground_team"  # set by the Gallery's "Open in playground"
TASK_HANDOFF_KEY = "playground_task"  # ... with the gallery team's suggested task
DETAIL_TYPES = ("model_call", "speaker_selected")

svc = services()
store, runs = svc.store, svc.runs
state.init()
st.session_state.setdefault("pg_events", {})  # run_id -> {"events": [...], "last": seq, "final": bool}
st.session_state.setdefault("pg_limit", PAGE)


def _error(exc: BaseException) -> None:
    st.error(safe_markdown(str(exc), max_chars=2000))


def _select(session_id: str | None) -> None:
    state.put("session_id", session_id)
    state.put("run_id", None)
    st.session_state["pg_limit"] = PAGE
    st.session_state["pg_confirm_delete"] = None
    if session_id:
        st.query_params["session"] = session_id
    elif "session" in st.query_params:
        del st.query_params["session"]


def _open_from_url_or_latest() -> None:
    """First visit in this browser session: the session named in the URL, else the most recent one."""
    if st.session_state.get("pg_opened"):
        return
    st.session_state["pg_opened"] = True
    if st.session_state.get(TEAM_HANDOFF_KEY):
        return  # the Gallery asked for a new conversation with a team
    wanted = st.query_params.get("session")
    if wanted:
        try:
            _select(get_session(wanted, store=store).id)
            return
        except NotFoundError:
            st.warning("The session in the address no longer exists.")
    if state.get("session_id") is None:
        latest = list_sessions(store=store, limit=1)
        if latest:
            _select(latest[0].id)


def _events_of(run_id: str) -> list[Any]:
    """The run's events, fetching only those after the last seq already held (all of them the first time)."""
    cache = st.session_state["pg_events"]
    entry = cache.get(run_id)
    if entry is None:
        entry = cache[run_id] = {"events": [], "last": 0, "final": False}
    if not entry["final"]:
        final = get_run(run_id, store=store, with_snapshot=False).is_final  # read before: then nothing is missed
        new = load_events(run_id, store=store, after_seq=entry["last"])
        if new:
            entry["events"].extend(new)
            entry["last"] = new[-1].seq
        entry["final"] = final
    return entry["events"]


# -- sidebar: sessions --------------------------------------------------------------------------------------------


def _sidebar() -> None:
    with st.sidebar:
        st.subheader("Sessions")
        if st.button("New session", key="pg_new", icon="➕", width="stretch"):
            _select(None)
            st.rerun()
        query = st.text_input("Search sessions", key="pg_search", placeholder="name or task")
        found = search_sessions(query, store=store) if query.strip() else list_sessions(store=store, limit=50)
        if not found:
            st.caption("No sessions yet." if not query.strip() else "No session matches.")
        current = state.get("session_id")
        for s in found:
            kind = "primary" if s.id == current else "secondary"
            if st.button(safe_label(s.name, 48), key=f"pg_s_{s.id}", type=kind, width="stretch"):
                _select(s.id)
                st.rerun()
        if current:
            _manage(current)


def _manage(session_id: str) -> None:
    try:
        session = get_session(session_id, store=store)
    except NotFoundError:
        return
    with st.expander("Rename or delete this session"):
        name = st.text_input("Name", value=session.name, key=f"pg_rename_{session_id}")
        if st.button("Rename", key="pg_rename_btn"):
            try:
                rename_session(session_id, name, store=store)
                st.rerun()
            except StudioError as exc:
                _error(exc)
        if st.session_state.get("pg_confirm_delete") != session_id:
            if st.button("Delete session…", key="pg_delete_btn"):
                st.session_state["pg_confirm_delete"] = session_id
                st.rerun()
        else:
            st.warning("Delete this session with all its runs and events?")
            if st.button("Yes, delete", key="pg_delete_yes", type="primary"):
                try:
                    delete_session(session_id, store=store)
                    st.session_state["pg_events"].clear()
                    _select(None)
                    st.rerun()
                except StudioError as exc:
                    _error(exc)
            if st.button("Cancel", key="pg_delete_no"):
                st.session_state["pg_confirm_delete"] = None
                st.rerun()


# -- starting runs -------------------------------------------------------------------------------------------------


def _new_conversation(session_id: str | None = None) -> None:
    teams = list_specs("team", store=store)
    if not teams:
        st.info("No team is stored yet: design one in Build, or import one in Gallery.")
        return
    names = [t.name for t in teams]
    wanted = st.session_state.pop(TEAM_HANDOFF_KEY, None)
    if wanted in names:
        st.session_state["pg_team"] = wanted
        if task := st.session_state.pop(TASK_HANDOFF_KEY, None):
            st.session_state["pg_task"] = task
    if st.session_state.get("pg_team") not in names:
        st.session_state["pg_team"] = default_team(names, prefer_local=local_model_requested())
    team_name = st.selectbox("Team", names, key="pg_team")
    team = next(t for t in teams if t.name == team_name)
    if description := (team.data.get("description") or ""):
        st.caption(safe_label(description, 400))
    with st.form("pg_start_form", clear_on_submit=False):
        task = st.text_area("Task", key="pg_task", placeholder="What should the team do?")
        go = st.form_submit_button("Run", icon="▶️", type="primary")
    if go:
        try:
            run = runs.start_run(team.id, task, session_id=session_id)
        except StudioError as exc:
            _error(exc)
            return
        _select(run.session_id)
        state.put("run_id", run.id)
        st.rerun()


def _follow_up(session_id: str) -> None:
    with st.form("pg_follow_form", clear_on_submit=True):
        task = st.text_area("Follow-up task", key="pg_follow", placeholder="Continue the conversation…")
        go = st.form_submit_button("Continue", icon="↩️", type="primary")
    if go:
        try:
            run = runs.continue_session(session_id, task)
        except StudioError as exc:
            _error(exc)
            return
        state.put("run_id", run.id)
        st.rerun()


# -- the live timeline ---------------------------------------------------------------------------------------------


def _shown(ev: Any, details: bool) -> bool:
    return details or ev.type not in DETAIL_TYPES


def _answer_box(run_id: str, prompt: str) -> None:
    st.info(safe_label(prompt, 500), icon="✋")
    with st.form(f"pg_answer_{run_id}", clear_on_submit=True):
        text = st.text_input("Your answer", key=f"pg_answer_text_{run_id}", placeholder="Empty = skip; exit = end")
        sent = st.form_submit_button("Send", icon="📨", type="primary")
    if sent:
        try:
            runs.answer(run_id, text)
            st.session_state["pg_answered"] = run_id
        except StudioError as exc:
            _error(exc)


def _show_more() -> None:
    st.session_state["pg_limit"] = int(st.session_state["pg_limit"]) + PAGE


def _timeline(run_id: str, earlier: list[Any], was_active: bool) -> None:
    events = [*earlier, *_events_of(run_id)]
    final = st.session_state["pg_events"][run_id]["final"]
    details = bool(st.session_state.get("pg_details"))
    # Stream chunks are not timeline items: a finished reply's chunks are its bubble, so they must not push earlier
    # messages off the page; only the chunks of replies still being written are passed on, as live bubbles.
    items = [ev for ev in events if ev.type != "stream_chunk" and _shown(ev, details)]
    limit = int(st.session_state["pg_limit"])
    if len(items) > limit:
        hidden = len(items) - limit
        st.button(f"Show {min(PAGE, hidden)} earlier of {hidden} hidden", key="pg_more", on_click=_show_more)
        items = items[-limit:]
    writing = in_flight(events)
    live = [ev for ev in events if ev.type == "stream_chunk" and ev.message_id in writing]
    render_events([*items, *live], key=f"pg-{run_id}", humans=human_sources(events))
    if not final:
        answered = st.session_state.pop("pg_answered", None) == run_id
        prompt = None if answered else runs.pending_input(run_id)
        if prompt is not None:
            _answer_box(run_id, prompt)
        left, right = st.columns([1, 4])
        if left.button("Stop", key=f"pg_stop_{run_id}", icon="⏹️"):
            runs.stop(run_id)
            st.rerun()
        right.caption("⏳ running — the run continues in the background if you leave this page")
    elif was_active:
        st.rerun()  # the run just ended: the whole page redraws with the follow-up box and without polling


def _conversation(session_id: str) -> None:
    try:
        session = get_session(session_id, store=store)
    except NotFoundError:
        _select(None)
        st.rerun()
        return
    history = sorted(list_runs(session_id=session_id, store=store, limit=None), key=lambda r: r.created_at)
    st.subheader(safe_label(session.name, 100))
    if not history:
        _new_conversation(session_id)
        return
    current = history[-1]
    latest = current.status if current.is_final else "in progress"
    st.caption(safe_label(f"Team {current.team_name} · {len(history)} run(s) · latest: {latest}"))
    st.toggle("Show model calls and speaker selections", key="pg_details")
    earlier: list[Any] = []
    for run in history[:-1]:
        earlier.extend(_events_of(run.id))
    active = not current.is_final
    fragment = st.fragment(run_every=LIVE_INTERVAL if active else None)(_timeline)
    fragment(current.id, earlier, active)
    if current.is_final:
        _follow_up(session_id)
        if st.button("Replay this run", key="pg_replay", icon="⏪"):
            state.put("replay_run_id", current.id)
            st.switch_page("views/replay.py")


st.title("Playground")
_open_from_url_or_latest()
_sidebar()
selected = state.get("session_id")
if selected is None:
    st.subheader("New conversation")
    _new_conversation()
else:
    _conversation(selected)
