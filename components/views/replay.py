"""Replay: any past run as a timeline you step through, with filters, an inspector, costs, speakers and export.

Paging keeps a 10,000-event run as quick as a small one: events are fetched in pages of `PAGE_SIZE` with
`load_events(after_seq=..., limit=...)` only as far as the current step needs (the run row's `event_count` sizes the
slider), kept in `st.session_state`, and only the `WINDOW` events up to the current step are rendered. A filter by
agent or event type needs the whole run, so it loads the remaining pages once. The model-call table and the speaker
graph read just their event types (`load_events(types=...)`), cached per run and `last_seq`, and only when their view
is open.

The step is an event's position (1…n in the filtered list): First / Previous / Next / Last move it, the slider sets
it; the inspector shows that event's raw JSON (strings capped and control characters made visible — a 10 MB message
must not freeze the page; the download has it whole). Exports are built only when downloaded (deferred `st.download_button` data).
"""

from __future__ import annotations

import json
import time
from typing import Any

import streamlit as st

from components import state
from components.services import services
from components.widgets.render import safe_label, safe_markdown, visible
from components.widgets.timeline import event_summary, human_sources, render_event, render_events
from components.widgets.transcript import (
    model_call_rows,
    model_call_totals,
    speaker_transitions,
    transcript_json,
    transcript_markdown,
)
from studio.errors import NotFoundError
from studio.events import EVENT_TYPES
from studio.store import RUN_STATUSES, get_run, list_runs, list_specs, load_events, scrub

PAGE_SIZE = 1000
WINDOW = 20
INSPECT_CHARS = 5000
RUN_LIST_LIMIT = 500
VIEWS = ["Timeline", "Model calls", "Speakers", "Export"]
TIME_RANGES: dict[str, float | None] = {
    "Any time": None,
    "Last hour": 3600.0,
    "Last 24 hours": 86400.0,
    "Last 7 days": 7 * 86400.0,
    "Last 30 days": 30 * 86400.0,
}

store = services().store
state.init()
st.session_state.setdefault("rp_pages", {})  # run_id -> {"events": [...], "last": seq, "complete": bool}
st.session_state.setdefault("rp_by_type", {})  # (run_id, type, last_seq) -> events of that type


# -- data ----------------------------------------------------------------------------------------------------------


def _pages(run: Any) -> dict[str, Any]:
    entry = st.session_state["rp_pages"].get(run.id)
    if entry is None:
        entry = st.session_state["rp_pages"][run.id] = {"events": [], "last": 0, "complete": False}
    if entry["complete"] and run.last_seq > entry["last"]:
        entry["complete"] = False  # a live run grew since
    return entry


def _ensure(run: Any, upto: int | None) -> list[Any]:
    """Loaded events of `run`, at least the first `upto + 1` of them (all of them when `upto` is None)."""
    entry = _pages(run)
    events = entry["events"]
    while not entry["complete"] and (upto is None or len(events) <= upto):
        page = load_events(run.id, store=store, after_seq=entry["last"], limit=PAGE_SIZE)
        events.extend(page)
        if page:
            entry["last"] = page[-1].seq
        entry["complete"] = len(page) < PAGE_SIZE
    return events


def _of_type(run: Any, kind: str) -> list[Any]:
    key = (run.id, kind, run.last_seq)
    cache = st.session_state["rp_by_type"]
    if key not in cache:
        cache[key] = load_events(run.id, store=store, types=[kind])
    return cache[key]


def _run_label(run: Any) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created_at))
    task = " ".join(visible(run.task).split())
    return f"{when} · {run.team_name or '?'} · {run.status} · {task[:60]}{'…' if len(task) > 60 else ''}"


# -- picking a run -------------------------------------------------------------------------------------------------


def _pick_run() -> Any | None:
    teams = {t.name: t.id for t in list_specs("team", store=store)}
    c1, c2, c3 = st.columns(3)
    team = c1.selectbox("Team", ["All teams", *teams], key="rp_team")
    statuses = c2.multiselect("Status", list(RUN_STATUSES), key="rp_status", placeholder="Any status")
    since = TIME_RANGES[c3.selectbox("When", list(TIME_RANGES), key="rp_when")]
    found = list_runs(
        store=store,
        team_id=teams.get(team) if team != "All teams" else None,
        status=statuses or None,
        limit=RUN_LIST_LIMIT,
    )
    if since is not None:
        found = [r for r in found if r.created_at >= time.time() - since]
    wanted = state.get("replay_run_id") or st.query_params.get("run")
    unfiltered = team == "All teams" and not statuses and since is None
    if wanted and unfiltered and wanted not in {r.id for r in found}:  # e.g. older than the list's limit
        try:
            found.insert(0, get_run(wanted, store=store, with_snapshot=False))
        except NotFoundError:
            st.warning("The run asked for no longer exists.")
            wanted = None
    if not found:
        st.info("No run matches. Runs appear here once started in the Playground or with `studio run`.")
        return None
    by_id = {r.id: r for r in found}
    if st.session_state.get("rp_run") not in by_id:
        st.session_state["rp_run"] = wanted if wanted in by_id else found[0].id
    run_id = st.selectbox("Run", list(by_id), key="rp_run", format_func=lambda rid: _run_label(by_id[rid]))
    if state.get("replay_run_id") != run_id:
        state.put("replay_run_id", run_id)
        st.session_state["rp_step"] = 1
    st.query_params["run"] = run_id
    return get_run(run_id, store=store, with_snapshot=True)


def _header(run: Any) -> None:
    st.markdown(f"**Task:** {safe_label(run.task, 500)}")
    cols = st.columns(5)
    cols[0].metric("Status", run.status)
    cols[1].metric("Events", f"{run.event_count:,}")
    cols[2].metric("Tokens", f"{run.total_tokens:,}")
    cols[3].metric("Cost", f"${run.cost:.4f}")
    cols[4].metric("Duration", f"{run.duration:.1f} s" if run.duration is not None else "—")
    if run.stop_reason or run.error:
        st.caption(safe_label(f"Stop reason: {run.stop_reason or run.error}", 400))


# -- stepping ------------------------------------------------------------------------------------------------------


def _move(to: str, total: int) -> None:
    step = int(st.session_state.get("rp_step", 1))
    targets = {"first": 1, "prev": step - 1, "next": step + 1, "last": total}
    st.session_state["rp_step"] = max(1, min(targets[to], max(total, 1)))


def _controls(total: int) -> int:
    """First / Previous / Next / Last and a slider over steps 1…total; returns the 0-based event index."""
    step = max(1, min(int(st.session_state.get("rp_step", 1)), max(total, 1)))
    st.session_state["rp_step"] = step
    cols = st.columns([1.2, 1.4, 1.2, 1.2, 5])
    for col, (label, to) in zip(
        cols, [("First", "first"), ("Previous", "prev"), ("Next", "next"), ("Last", "last")], strict=False
    ):
        col.button(label, key=f"rp_{to}", on_click=_move, args=(to, total), width="stretch")
    if total > 1:
        cols[4].slider("Step", 1, total, key="rp_step", label_visibility="collapsed")
    cols[4].caption(f"Step {int(st.session_state['rp_step']):,} of {total:,}")
    return int(st.session_state["rp_step"]) - 1


def _filters(run: Any, loaded: list[Any]) -> tuple[list[str], list[str]]:
    snapshot = run.snapshot or {}
    agents = [str(a.get("name")) for a in snapshot.get("agents") or [] if isinstance(a, dict)]
    seen = {getattr(ev, "source", "") for ev in loaded} - {""}
    choices = sorted({*agents, *seen, *st.session_state.get("rp_agents", [])})
    c1, c2 = st.columns(2)
    chosen_agents = c1.multiselect("Agents", choices, key="rp_agents", placeholder="All agents")
    chosen_types = c2.multiselect("Event types", list(EVENT_TYPES), key="rp_types", placeholder="All event types")
    return chosen_agents, chosen_types


def _inspectable(value: Any) -> Any:
    if isinstance(value, str):
        shown = visible(value[:INSPECT_CHARS])
        return shown + (f" … [{len(value) - INSPECT_CHARS:,} more characters]" if len(value) > INSPECT_CHARS else "")
    if isinstance(value, dict):
        return {k: _inspectable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inspectable(v) for v in value]
    return value


def _timeline_tab(run: Any, events: list[Any], step: int, humans: set[str]) -> None:
    if not events:
        st.caption("No event matches the filters.")
        return
    current = events[step]
    left, right = st.columns([3, 2], gap="large")
    with left:
        start = max(0, step - WINDOW + 1)
        if start:
            st.caption(f"… {start:,} earlier event(s) — step back or use the slider")
        speakers = {ev.source for ev in events[start : step + 1] if ev.type == "message"}
        render_events(events[start:step], key="rp", humans=humans, speakers=speakers, chunks_as_events=True)
        with st.container(border=True):
            st.caption(f"Step {step + 1:,} · seq {current.seq} · {current.type}")
            render_event(current, key=f"rp-current-{current.seq}", humans=humans, speakers=speakers)
    with right:
        st.markdown("**Inspector**")
        st.caption(safe_label(event_summary(current)))
        st.json(_inspectable(current.to_dict()), expanded=2)
        st.download_button(
            "Download this event (JSON)", data=lambda ev=current: json.dumps(ev.to_dict(), ensure_ascii=False, indent=1),
            file_name=f"event-{run.id[:8]}-{current.seq}.json", mime="application/json", key="rp_event_dl",
            on_click="ignore",
        )  # fmt: skip


def _costs_tab(run: Any) -> None:
    rows = model_call_rows(_of_type(run, "model_call"))
    totals = model_call_totals(rows)
    cols = st.columns(5)
    cols[0].metric("Model calls", totals["calls"])
    cols[1].metric("Prompt tokens", f"{totals['prompt_tokens']:,}")
    cols[2].metric("Completion tokens", f"{totals['completion_tokens']:,}")
    cols[3].metric("Cost", "unknown" if totals["cost"] is None else f"${totals['cost']:.4f}")
    cols[4].metric("Latency", f"{totals['latency_ms']:,.0f} ms", help=f"mean {totals['mean_latency_ms']} ms per call")
    if rows:
        st.dataframe(
            [{k: (visible(v) if isinstance(v, str) else v) for k, v in r.items()} for r in rows],
            hide_index=True,
            width="stretch",
            column_config={"cost": st.column_config.NumberColumn(format="$%.5f")},
        )
    else:
        st.caption("This run made no model call.")


def _speakers_tab(run: Any) -> None:
    counts = speaker_transitions(_of_type(run, "message"))
    if not counts:
        st.caption("Fewer than two messages: no one spoke after anyone.")
        return
    try:
        from components.widgets.team_graph import transition_graph

        transition_graph(counts, key=f"rp_graph_{run.id}", height=320)
    except ImportError:  # the graph widget is optional; the table below says the same
        pass
    table = [{"from": visible(a), "to": visible(b), "times": n} for (a, b), n in sorted(counts.items())]
    st.dataframe(table, hide_index=True, width="stretch")


def _export_tab(run: Any) -> None:
    def redact(text: str) -> str:
        return scrub(text, store=store)

    def everything() -> list[Any]:
        # Called by the download handler, outside this script run: read the store, not session_state.
        return load_events(run.id, store=store)

    st.caption("The transcript with every event; Markdown is rendered inert (no remote images, no live links).")
    c1, c2 = st.columns(2)
    c1.download_button(
        "Export JSON", data=lambda: transcript_json(run, everything(), redact=redact),
        file_name=f"run-{run.id[:8]}.json", mime="application/json", key="rp_export_json", on_click="ignore",
        icon="⬇️",
    )  # fmt: skip
    c2.download_button(
        "Export Markdown", data=lambda: transcript_markdown(run, everything(), redact=redact),
        file_name=f"run-{run.id[:8]}.md", mime="text/markdown", key="rp_export_md", on_click="ignore", icon="⬇️",
    )  # fmt: skip


# -- the page ------------------------------------------------------------------------------------------------------

st.title("Replay")
run = _pick_run()
if run is not None:
    _header(run)
    loaded = _pages(run)["events"]
    agents, types = _filters(run, loaded)
    if agents or types:
        pool = _ensure(run, None)
        events = [
            ev
            for ev in pool
            if (not types or ev.type in types) and (not agents or getattr(ev, "source", None) in agents)
        ]
        total = len(events)
    else:
        total = run.event_count
        events = []
    step = _controls(total)
    if not (agents or types):
        events = _ensure(run, step)
        total = len(events) if _pages(run)["complete"] else max(total, len(events))
        step = min(step, max(len(events) - 1, 0))
    # One view at a time (not st.tabs, which would compute all four on every step): the costs and speakers views read
    # every model call / message of the run, which a step through the timeline does not need.
    view = st.radio("View", VIEWS, key="rp_view", horizontal=True, label_visibility="collapsed")
    if view == "Timeline":
        _timeline_tab(run, events, step, human_sources(_pages(run)["events"]))
    elif view == "Model calls":
        _costs_tab(run)
    elif view == "Speakers":
        _speakers_tab(run)
    else:
        _export_tab(run)
    if run.status in ("queued", "running"):
        st.info(safe_markdown("This run is still in progress: rerun the page to see new events."))
