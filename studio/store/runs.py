"""Runs: the exact spec each one ran, its status state machine, and its totals.

    queued → running → completed | failed | cancelled | interrupted
    queued → failed | cancelled | interrupted        (it never started: build error, stop, crash)

A transition is one conditional UPDATE (`WHERE status IN <allowed predecessors>`), so two processes racing to
finish the same run cannot both succeed; an illegal transition raises StoreError naming both states. Token and cost
totals accumulate from `model_call` events in the same commit as the event (see eventlog.py); `set_run_totals`
overwrites them for a caller that knows better. Duration is set when the run reaches a final state.

`mark_interrupted_on_startup` turns every queued/running run into `interrupted` with a visible note and appends
the `run_finished` event its timeline lacks. On a PostgreSQL database shared by several studio processes, call it
only when no other process is executing runs.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, select, update

from studio.errors import NotFoundError, StoreError
from studio.events import RunFinished
from studio.store.db import Store
from studio.store.records import RunRecord, SessionRecord
from studio.store.secrets import refuse_secret_values, scrub

RUN_STATUSES = ("queued", "running", "completed", "failed", "cancelled", "interrupted")
FINAL_STATUSES = frozenset({"completed", "failed", "cancelled", "interrupted"})
ACTIVE_STATUSES = frozenset({"queued", "running"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"running", "failed", "cancelled", "interrupted"}),
    "running": FINAL_STATUSES,
}
INTERRUPTED_NOTE = (
    "The studio stopped (crash or restart) while this run was in progress; it was marked interrupted at start-up. "
    "Every event committed before the stop is kept."
)

_T = RunRecord.__table__  # type: ignore[attr-defined]
_SUMMARY_COLUMNS = [c for c in _T.columns if c.name != "spec_snapshot"]


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A run row. `snapshot` (the spec it ran) is loaded by `get_run` only; listings leave it None."""

    id: str
    session_id: str | None
    team_id: str | None
    team_version: int | None
    team_name: str
    task: str
    status: str
    stop_reason: str
    error: str
    owner: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: float
    duration: float | None
    event_count: int
    last_seq: int
    snapshot: dict[str, Any] | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def _info(row: Row[Any], *, with_snapshot: bool = False) -> RunInfo:
    m = row._mapping
    snapshot = m["spec_snapshot"] if with_snapshot else None
    return RunInfo(
        id=m["id"],
        session_id=m["session_id"],
        team_id=m["team_id"],
        team_version=m["team_version"],
        team_name=m["team_name"],
        task=m["task"],
        status=m["status"],
        stop_reason=m["stop_reason"],
        error=m["error"],
        owner=m["owner"],
        created_at=m["created_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        prompt_tokens=m["prompt_tokens"],
        completion_tokens=m["completion_tokens"],
        total_tokens=m["total_tokens"],
        cost=m["cost"],
        duration=m["duration"],
        event_count=m["event_count"],
        last_seq=m["last_seq"],
        snapshot=json.loads(snapshot) if snapshot else None,
    )


# Built once: constructing a select costs more than SQLAlchemy's cached compilation of it.
_GET_FULL = select(*_T.columns).where(_T.c.id == bindparam("run_id"))
_GET_SUMMARY = select(*_SUMMARY_COLUMNS).where(_T.c.id == bindparam("run_id"))


def create_run(
    team_id: str | None,
    task: str,
    *,
    store: Store,
    snapshot: dict[str, Any] | str | None,
    session_id: str | None = None,
    team_version: int | None = None,
    team_name: str = "",
    owner: str = "",
) -> RunInfo:
    """A new `queued` run holding `snapshot`, the exact spec it will run (a dict, or JSON text kept byte for byte)."""
    text = snapshot if isinstance(snapshot, str) or snapshot is None else json.dumps(snapshot, ensure_ascii=False)
    if text is not None:
        refuse_secret_values(text, what=f"the snapshot of team '{team_name or team_id}'", store=store)
    now = time.time()
    record = RunRecord(
        id=uuid.uuid4().hex,
        session_id=session_id,
        team_id=team_id,
        team_version=team_version,
        team_name=team_name,
        spec_snapshot=text,
        task=task,
        status="queued",
        owner=owner,
        created_at=now,
    )
    with store.write("create a run") as session:
        if session_id is not None:
            parent = session.get(SessionRecord, session_id)
            if parent is None:
                raise NotFoundError(f"No session with id '{session_id}' exists; create it first.")
            parent.updated_at = now
            session.add(parent)
        session.add(record)
    return get_run(record.id, store=store)


def get_run(run_id: str, *, store: Store, with_snapshot: bool = True) -> RunInfo:
    stmt = _GET_FULL if with_snapshot else _GET_SUMMARY
    with store.read(f"load the run '{run_id}'") as session:
        row = session.connection().execute(stmt, {"run_id": run_id}).first()
    if row is None:
        raise NotFoundError(f"No run with id '{run_id}' exists.")
    return _info(row, with_snapshot=with_snapshot)


def list_runs(
    *,
    store: Store,
    session_id: str | None = None,
    team_id: str | None = None,
    status: str | Iterable[str] | None = None,
    owner: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[RunInfo]:
    """Runs, newest first, without their snapshots."""
    stmt = select(*_SUMMARY_COLUMNS)
    if session_id is not None:
        stmt = stmt.where(_T.c.session_id == session_id)
    if team_id is not None:
        stmt = stmt.where(_T.c.team_id == team_id)
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        for s in statuses:
            _check_status(s)
        stmt = stmt.where(_T.c.status.in_(statuses))
    if owner is not None:
        stmt = stmt.where(_T.c.owner == owner)
    stmt = stmt.order_by(_T.c.created_at.desc(), _T.c.id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.read("list the runs") as session:
        return [_info(r) for r in session.connection().execute(stmt)]


def _check_status(status: str) -> None:
    if status not in RUN_STATUSES:
        raise StoreError(f"Unknown run status {status!r}; the statuses are {', '.join(RUN_STATUSES)}.")


def set_run_status(
    run_id: str, status: str, *, store: Store, stop_reason: str | None = None, error: str | None = None
) -> RunInfo:
    """Move a run to `status` if the state machine allows it from its current status; otherwise StoreError."""
    _check_status(status)
    allowed_from = [s for s, targets in TRANSITIONS.items() if status in targets]
    now = time.time()
    values: dict[str, Any] = {"status": status}
    if status == "running":
        values["started_at"] = now
    if status in FINAL_STATUSES:
        values["finished_at"] = now
        values["duration"] = now - _T.c.started_at  # NULL when it never started
    if stop_reason is not None:
        values["stop_reason"] = scrub(stop_reason, store=store)
    if error is not None:
        values["error"] = scrub(error, store=store)
    with store.write(f"mark the run '{run_id}' {status}") as session:
        conn = session.connection()
        result = conn.execute(update(_T).where(_T.c.id == run_id, _T.c.status.in_(allowed_from)).values(**values))
        if result.rowcount == 0:
            current = conn.execute(select(_T.c.status).where(_T.c.id == run_id)).scalar()
            if current is None:
                raise NotFoundError(f"No run with id '{run_id}' exists.")
            targets = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none (it has finished)"
            raise StoreError(
                f"The run '{run_id}' is {current}; it cannot become {status}. From {current} it can become: {targets}."
            )
    return get_run(run_id, store=store, with_snapshot=False)


def start_run(run_id: str, *, store: Store) -> RunInfo:
    """queued → running."""
    return set_run_status(run_id, "running", store=store)


def finish_run(run_id: str, status: str, *, store: Store, stop_reason: str = "", error: str = "") -> RunInfo:
    """→ completed | failed | cancelled | interrupted, with the reason (and error text, secrets redacted)."""
    if status not in FINAL_STATUSES:
        raise StoreError(f"{status!r} is not a final run status; use one of {', '.join(sorted(FINAL_STATUSES))}.")
    return set_run_status(run_id, status, store=store, stop_reason=stop_reason, error=error)


def set_run_totals(
    run_id: str,
    *,
    store: Store,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    total_tokens: int | None = None,
    cost: float | None = None,
    duration: float | None = None,
) -> RunInfo:
    """Overwrite a run's totals (those not given are kept)."""
    given = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": total_tokens,
        "cost": cost,
        "duration": duration,
    }
    values = {k: v for k, v in given.items() if v is not None}
    if values:
        with store.write(f"update the totals of run '{run_id}'") as session:
            result = session.connection().execute(update(_T).where(_T.c.id == run_id).values(**values))
            if result.rowcount == 0:
                raise NotFoundError(f"No run with id '{run_id}' exists.")
    return get_run(run_id, store=store, with_snapshot=False)


def delete_run(run_id: str, *, store: Store) -> None:
    """Delete a finished run and its events."""
    with store.write(f"delete the run '{run_id}'") as session:
        record = session.get(RunRecord, run_id)
        if record is None:
            raise NotFoundError(f"No run with id '{run_id}' exists.")
        if record.status in ACTIVE_STATUSES:
            raise StoreError(f"The run '{run_id}' is still {record.status}; stop it before deleting it.")
        session.delete(record)


def mark_interrupted_on_startup(*, store: Store, note: str = INTERRUPTED_NOTE) -> list[str]:
    """Every queued/running run becomes `interrupted` (with `note` as stop reason and a `run_finished` event)."""
    from studio.store.eventlog import insert_events_in

    now = time.time()
    with store.write("mark interrupted runs") as session:
        conn = session.connection()
        rows = conn.execute(
            select(_T.c.id, _T.c.last_seq).where(_T.c.status.in_(ACTIVE_STATUSES)).with_for_update()
        ).all()
        for run_id, last_seq in rows:
            conn.execute(
                update(_T)
                .where(_T.c.id == run_id)
                .values(
                    status="interrupted",
                    stop_reason=note,
                    finished_at=now,
                    duration=now - _T.c.started_at,
                )
            )
            event = RunFinished(run_id=run_id, seq=last_seq + 1, ts=now, status="interrupted", stop_reason=note)
            insert_events_in(conn, run_id, [event], store=store)
    return [r[0] for r in rows]


__all__ = [
    "ACTIVE_STATUSES",
    "FINAL_STATUSES",
    "INTERRUPTED_NOTE",
    "RUN_STATUSES",
    "TRANSITIONS",
    "RunInfo",
    "create_run",
    "delete_run",
    "finish_run",
    "get_run",
    "list_runs",
    "mark_interrupted_on_startup",
    "set_run_status",
    "set_run_totals",
    "start_run",
]
