"""Transcripts of a run, as pure functions of the run row and its events (no Streamlit, no store).

* `transcript_json` — the faithful export: the run's summary and every event's `to_dict()`, one JSON document.
* `transcript_markdown` — the readable export. Message text goes through `safe_markdown` (uncapped), so the file is
  as inert in any Markdown viewer as it is in the studio: no remote images, no live links, no raw HTML.
* `speaker_transitions`, `model_call_rows`, `model_call_totals` — the replay page's graph and cost table.

Events are already scrubbed of stored secrets when the store writes them; `redact` (the page passes the store's
`scrub`) is applied once more to every string that leaves, so an export never carries a secret's value.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from components.widgets.render import code_block, safe_label, safe_markdown

Redact = Callable[[str], str]

SUMMARY_FIELDS = (
    "id",
    "session_id",
    "team_id",
    "team_name",
    "team_version",
    "task",
    "status",
    "stop_reason",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "duration",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cost",
    "event_count",
)


def _redacted(value: Any, redact: Redact | None) -> Any:
    if redact is None:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, redact) for v in value]
    return value


def run_summary(run: Any) -> dict[str, Any]:
    """The run row's public fields (never the spec snapshot)."""
    return {name: getattr(run, name, None) for name in SUMMARY_FIELDS}


def transcript_json(run: Any, events: Iterable[Any], *, redact: Redact | None = None) -> str:
    """The run and all its events as one JSON document (`{"run": {...}, "events": [...]}`)."""
    doc = {
        "format": "parley-studio.transcript",
        "version": 1,
        "run": run_summary(run),
        "events": [ev.to_dict() for ev in events],
    }
    return json.dumps(_redacted(doc, redact), ensure_ascii=False, indent=1, default=str)


def _when(ts: Any) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(ts))) if ts else "—"


def _event_markdown(ev: Any) -> str:
    kind = ev.type
    if kind in ("message", "human_input"):
        if not ev.content and (getattr(ev, "tool_calls", None) or getattr(ev, "tool_responses", None)):
            return ""
        target = f" → {safe_label(ev.target)}" if getattr(ev, "target", "") else ""
        who = f"### {safe_label(ev.source)}{target}" + (" (human)" if kind == "human_input" else "")
        return f"{who}\n\n{safe_markdown(ev.content or '', max_chars=None, max_lines=None)}"
    if kind == "tool_call":
        parts = [f"**🔧 {safe_label(ev.source)} calls {safe_label(c.get('name', '?'))}**\n\n"
                 f"{code_block(str(c.get('arguments', '')), 'json')}" for c in ev.calls]  # fmt: skip
        return "\n\n".join(parts)
    if kind == "tool_result":
        parts = [f"**📦 result of {safe_label(r.get('name', '?'))}**{' (error)' if r.get('is_error') else ''}\n\n"
                 f"{code_block(str(r.get('content', '')))}" for r in ev.results]  # fmt: skip
        return "\n\n".join(parts)
    if kind == "code_execution":
        blocks = "\n\n".join(code_block(str(b.get("code", "")), str(b.get("language", ""))) for b in ev.blocks)
        return f"**🖥️ {safe_label(ev.source)} ran code (exit {ev.exit_code})**\n\n{blocks}\n\n{code_block(ev.output)}"
    if kind == "human_input_requested":
        return f"*✋ {safe_label(ev.source)} asked: {safe_label(ev.prompt, 500)}*"
    if kind == "error":
        return f"> **Error** {safe_label(ev.error_type)}: {safe_label(ev.message, 2000)}"
    if kind == "run_finished":
        return f"---\n\n**Run {safe_label(ev.status)}**: {safe_label(ev.stop_reason, 500)}"
    return ""  # run_started, speaker_selected, model_call and stream chunks are in the JSON export


def transcript_markdown(run: Any, events: Sequence[Any], *, redact: Redact | None = None) -> str:
    """A readable, inert Markdown transcript: header table, then the conversation."""
    s = run_summary(run)
    header = [
        f"# {safe_label(s['team_name'] or 'Run')} — {safe_label(s['status'] or '')}",
        "",
        f"**Task:** {safe_label(s['task'] or '', 2000)}",
        "",
        "| | |",
        "|---|---|",
        f"| Run | `{s['id']}` |",
        f"| Started | {_when(s['started_at'] or s['created_at'])} |",
        f"| Stop reason | {safe_label(s['stop_reason'] or '—', 300)} |",
        f"| Tokens | {s['total_tokens'] or 0} |",
        f"| Cost | ${float(s['cost'] or 0):.4f} |",
        f"| Events | {s['event_count'] or len(events)} |",
        "",
    ]
    body = [text for ev in events if (text := _event_markdown(ev))]
    doc = "\n".join(header) + "\n" + "\n\n".join(body) + "\n"
    return redact(doc) if redact is not None else doc


def speaker_transitions(events: Iterable[Any]) -> dict[tuple[str, str], int]:
    """Who spoke after whom, with counts, from the message events (tool-only messages do not count as turns)."""
    counts: dict[tuple[str, str], int] = {}
    previous: str | None = None
    for ev in events:
        if ev.type != "message" or (not ev.content and (ev.tool_calls or ev.tool_responses)):
            continue
        if previous is not None:
            pair = (previous, ev.source)
            counts[pair] = counts.get(pair, 0) + 1
        previous = ev.source
    return counts


def model_call_rows(events: Iterable[Any]) -> list[dict[str, Any]]:
    """One row per model call: step, agent, model, purpose, tokens, cost, latency."""
    return [
        {
            "seq": ev.seq,
            "agent": ev.source,
            "model": ev.model,
            "purpose": ev.purpose,
            "prompt_tokens": ev.prompt_tokens,
            "completion_tokens": ev.completion_tokens,
            "total_tokens": ev.total_tokens or ev.prompt_tokens + ev.completion_tokens,
            "cost": ev.cost if ev.cost_known else None,
            "latency_ms": round(ev.latency_ms, 1),
        }
        for ev in events
        if ev.type == "model_call"
    ]


def model_call_totals(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Totals over `model_call_rows`: calls, tokens, cost (None when some call's price is unknown), latency."""
    latencies = [r["latency_ms"] for r in rows]
    return {
        "calls": len(rows),
        "prompt_tokens": sum(r["prompt_tokens"] for r in rows),
        "completion_tokens": sum(r["completion_tokens"] for r in rows),
        "total_tokens": sum(r["total_tokens"] for r in rows),
        "cost": None if any(r["cost"] is None for r in rows) else round(sum(r["cost"] for r in rows), 6),
        "latency_ms": round(sum(latencies), 1),
        "mean_latency_ms": round(sum(latencies) / len(latencies), 1) if latencies else 0.0,
    }


__all__ = [
    "model_call_rows",
    "model_call_totals",
    "run_summary",
    "speaker_transitions",
    "transcript_json",
    "transcript_markdown",
]
