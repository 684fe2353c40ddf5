"""The run timeline: `studio.events` events rendered as a conversation.

Messages become `st.chat_message` bubbles headed by the agent's name, in a colour that is stable per agent (a CRC of
the name picks from a fixed palette, so it is the same in every process and on every page); tool calls, tool results
and code runs are expandable cards; speaker selections, model calls and human-input requests are one-line captions;
errors are error boxes. Stream chunks of a message still being generated are joined into one "typing" bubble at the
end; once the agent's model call or message lands, its chunks are dropped (the message says it all).

Everything that came from a model, a tool or a human goes through the safe renderer (`render.py`): bubble bodies as
safe Markdown, code and tool output in `st.code`, labels through `safe_label` (labels render Markdown images too).

Big runs are paged by the caller: `window()` picks the slice around a step, and `render_events()` renders only the
events it is given, so a 10,000-event run costs what its window costs.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import streamlit as st

from components.widgets.render import render_code, render_text, safe_label, visible

# (Streamlit Markdown colour, avatar emoji of the same colour)
PALETTE: tuple[tuple[str, str], ...] = (
    ("blue", "🔵"),
    ("green", "🟢"),
    ("orange", "🟠"),
    ("violet", "🟣"),
    ("red", "🔴"),
    ("yellow", "🟡"),
    ("gray", "⚫"),
)
HUMAN_AVATAR = "user"
CARD_TYPES = ("tool_call", "tool_result", "code_execution")
COMPACT_TYPES = ("speaker_selected", "model_call", "human_input_requested", "run_started", "run_finished", "error")


def agent_colour(name: str) -> tuple[str, str]:
    """The (colour, emoji) of an agent: stable across reruns, pages and processes."""
    return PALETTE[zlib.crc32(name.encode("utf-8")) % len(PALETTE)]


def window(total: int, current: int, size: int) -> tuple[int, int]:
    """The [start, stop) slice of `size` items that keeps `current` in view (current near the end of the window)."""
    if total <= size:
        return 0, total
    current = max(0, min(current, total - 1))
    start = max(0, min(current - size + 1 + size // 4, total - size))
    return start, start + size


def in_flight(events: Sequence[Any]) -> dict[str, tuple[str, str]]:
    """Streamed text of messages still being generated: {message_id: (source, text so far)}.

    A stream belongs to a finished message once the same agent's model call (emitted when the reply is complete) or
    message follows its last chunk.
    """
    open_streams: dict[str, tuple[str, list[str]]] = {}
    latest_by_source: dict[str, str] = {}
    for ev in events:
        kind = ev.type
        if kind == "stream_chunk":
            src, parts = open_streams.setdefault(ev.message_id, (ev.source, []))
            parts.append(ev.content)
            latest_by_source[ev.source] = ev.message_id
        elif kind in ("model_call", "message") and getattr(ev, "source", None) in latest_by_source:
            open_streams.pop(latest_by_source.pop(ev.source), None)
        elif kind == "run_finished":
            open_streams.clear()
    return {mid: (src, "".join(parts)) for mid, (src, parts) in open_streams.items()}


def _name(source: str) -> str:
    colour, _ = agent_colour(source)
    return f":{colour}[**{safe_label(source, 60)}**]"


def _message(ev: Any, key: str, humans: set[str], speakers: set[str] | None) -> None:
    if not ev.content and (ev.tool_calls or ev.tool_responses):
        return  # shown by the tool_call / tool_result cards
    if ev.tool_responses and not ev.tool_calls:
        return
    avatar = HUMAN_AVATAR if ev.source in humans else agent_colour(ev.source)[1]
    with st.chat_message(ev.source or "agent", avatar=avatar):
        # In a group chat every message goes to the manager: name the target only when it is a speaker itself.
        shown = ev.target and (speakers is None or ev.target in speakers)
        target = f" → {safe_label(ev.target, 60)}" if shown else ""
        render_text(ev.content or "", key=key, prefix=f"{_name(ev.source)}{target}")


def _tool_call(ev: Any) -> None:
    names = ", ".join(str(c.get("name", "?")) for c in ev.calls)
    with st.expander(safe_label(f"🔧 {ev.source} calls {names}")):
        for call in ev.calls:
            st.caption(safe_label(f"{call.get('name', '?')} (id {call.get('id', '')})"))
            render_code(_pretty_json(call.get("arguments", "")), language="json")


def _tool_result(ev: Any) -> None:
    bad = any(r.get("is_error") for r in ev.results)
    names = ", ".join(str(r.get("name", "?")) for r in ev.results)
    with st.expander(safe_label(f"{'⚠️' if bad else '📦'} {ev.source}: result of {names}")):
        for result in ev.results:
            st.caption(safe_label(f"{result.get('name', '?')}{' — error' if result.get('is_error') else ''}"))
            render_code(str(result.get("content", "")))


def _code_execution(ev: Any) -> None:
    status = "✅" if ev.exit_code == 0 else f"❌ exit {ev.exit_code}"
    with st.expander(safe_label(f"🖥️ {ev.source} ran {len(ev.blocks)} code block(s) — {status} ({ev.executor})")):
        for block in ev.blocks:
            render_code(str(block.get("code", "")), language=str(block.get("language", "")) or None)
        st.caption("Output")
        render_code(ev.output or "(no output)")


def _compact(ev: Any, key: str) -> None:
    kind = ev.type
    if kind == "speaker_selected":
        st.caption(safe_label(f"🎙️ next speaker: {ev.speaker} ({ev.method or 'selection'}, round {ev.round})"))
    elif kind == "model_call":
        st.caption(
            safe_label(
                f"🧮 {ev.source} called {ev.model or 'the model'} ({ev.purpose}): {ev.total_tokens} tokens,"
                f" {ev.latency_ms:.0f} ms" + (f", ${ev.cost:.4f}" if ev.cost_known else "")
            )
        )
    elif kind == "human_input_requested":
        st.caption(safe_label(f"✋ {ev.source} asks for human input: {ev.prompt}"))
    elif kind == "run_started":
        st.caption(safe_label(f"▶️ run started: team {ev.team}"))
    elif kind == "run_finished":
        text = safe_label(f"run {ev.status}" + (f": {ev.stop_reason}" if ev.stop_reason else ""), 300)
        (st.success if ev.status == "completed" else st.warning)(text, icon="🏁")
    elif kind == "error":
        st.error(safe_label(f"{ev.error_type or 'Error'}: {ev.message}", 500), icon="🚨")


def render_event(ev: Any, *, key: str, humans: set[str] | None = None, speakers: set[str] | None = None) -> None:
    """Render one event. `humans` get the user avatar; a message's target is named only if it is in `speakers`."""
    kind = ev.type
    humans = humans or set()
    if kind == "message":
        _message(ev, key, humans, speakers)
    elif kind == "human_input":
        with st.chat_message(ev.source or "human", avatar=HUMAN_AVATAR):
            render_text(ev.content or "(empty: skipped)", key=key, prefix=f"{_name(ev.source)} *(human)*")
    elif kind == "tool_call":
        _tool_call(ev)
    elif kind == "tool_result":
        _tool_result(ev)
    elif kind == "code_execution":
        _code_execution(ev)
    elif kind == "stream_chunk":
        st.caption(safe_label(f"… {ev.source} streamed: {ev.content}"))
    else:
        _compact(ev, key)


def human_sources(events: Iterable[Any]) -> set[str]:
    """Agents that speak for the human (they asked for or gave human input)."""
    return {ev.source for ev in events if ev.type in ("human_input_requested", "human_input")}


def render_events(
    events: Sequence[Any],
    *,
    key: str,
    humans: set[str] | None = None,
    speakers: set[str] | None = None,
    show_streams: bool = True,
    chunks_as_events: bool = False,
) -> None:
    """Render `events` in order; stream chunks are folded into a live bubble per in-flight message.

    `chunks_as_events` renders every chunk as its own line instead (replay, when the filter asks for chunks).
    """
    humans = human_sources(events) if humans is None else humans
    speakers = {ev.source for ev in events if ev.type == "message"} if speakers is None else speakers
    for ev in events:
        if ev.type == "stream_chunk" and not chunks_as_events:
            continue
        render_event(ev, key=f"{key}-{ev.run_id[:12]}-{ev.seq}", humans=humans, speakers=speakers)
    if show_streams and not chunks_as_events:
        for mid, (source, text) in in_flight(events).items():
            with st.chat_message(source or "agent", avatar=agent_colour(source)[1]):
                render_text(text + " ▌", key=f"{key}-stream-{mid}", prefix=f"{_name(source)} *typing…*")


def event_summary(ev: Any, width: int = 90) -> str:
    """A one-line plain summary of an event (slider captions, lists)."""
    kind = ev.type
    if kind in ("message", "human_input"):
        text = ev.content or ("(tool call)" if getattr(ev, "tool_calls", None) else "")
        body = f"{ev.source}: {text}"
    elif kind == "tool_call":
        body = f"{ev.source} calls " + ", ".join(str(c.get("name")) for c in ev.calls)
    elif kind == "tool_result":
        body = f"{ev.source}: result of " + ", ".join(str(r.get("name")) for r in ev.results)
    elif kind == "code_execution":
        body = f"{ev.source} ran code (exit {ev.exit_code})"
    elif kind == "speaker_selected":
        body = f"next speaker: {ev.speaker}"
    elif kind == "model_call":
        body = f"{ev.source} model call: {ev.total_tokens} tokens"
    elif kind == "run_finished":
        body = f"run {ev.status}: {ev.stop_reason}"
    elif kind == "error":
        body = f"error: {ev.message}"
    else:
        body = f"{getattr(ev, 'source', '')} {kind}".strip()
    line = " ".join(visible(body).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _pretty_json(raw: Any) -> str:
    if not isinstance(raw, str):
        return json.dumps(raw, indent=2, ensure_ascii=False, default=str)
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return raw


__all__ = [
    "PALETTE",
    "agent_colour",
    "event_summary",
    "human_sources",
    "in_flight",
    "render_event",
    "render_events",
    "window",
]
