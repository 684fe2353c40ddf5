"""The append-only event log of runs: one row per event, keyed by (run_id, seq), one commit per append.

`append_event` is the hot path (every message of every run): it goes straight to the DBAPI cursor in one
`BEGIN IMMEDIATE` transaction of two statements — the INSERT, and one UPDATE of the run row that keeps `event_count`,
`last_seq` and the token/cost totals (from `model_call` events) in the same commit, so a crash can never leave the
totals disagreeing with the events. When the commit returns, the event is durable against a crash of the process.

An event keeps the `seq` its `EventBus` gave it (so stream chunks left unstored leave harmless gaps); an event with
`seq` 0 gets `last_seq + 1`. Storing the same seq twice is refused. The payload is the event's `to_dict()` as JSON
(minus `run_id`, which the row's key already holds), with the value of every stored secret replaced by `[REDACTED]`
(error events are also scrubbed of key-shaped text).

`load_events` reads the payloads with one SELECT on the DBAPI cursor, parses them with a single `json.loads` and
builds the dataclasses directly (10,000 events in about 100 ms).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from studio.errors import NotFoundError, StoreError
from studio.events import EVENT_TYPES, BaseEvent, ModelCall, event_from_dict
from studio.store.db import Store
from studio.store.records import EventRecord, RunRecord
from studio.store.secrets import load_secret_values, scrub

_E = EventRecord.__table__  # type: ignore[attr-defined]
_R = RunRecord.__table__  # type: ignore[attr-defined]

_INSERT = "INSERT INTO events (run_id, seq, type, ts, payload) VALUES (?, ?, ?, ?, ?)"
_UPDATE = (
    "UPDATE runs SET event_count = event_count + ?, "
    "last_seq = CASE WHEN last_seq < ? THEN ? ELSE last_seq END, "
    "prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ?, "
    "total_tokens = total_tokens + ?, cost = cost + ? WHERE id = ?"
)
_LAST_SEQ = "SELECT last_seq FROM runs WHERE id = ?"


def _payload(event: BaseEvent, run_id: str, seq: int, store: Store) -> str:
    data = event.to_dict()
    del data["run_id"]  # the row's key says it; 40 bytes less to write and to parse per event
    data["seq"] = seq
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    if event.type == "error" or (store.redactor and store.redactor.contains_secret(text)):
        # Scrub the strings, then encode again: replacing inside the JSON text could cut through an escape.
        text = json.dumps(_scrub(data, store), ensure_ascii=False, separators=(",", ":"), default=str)
    return text


def _scrub(value: Any, store: Store) -> Any:
    if isinstance(value, str):
        return scrub(value, store=store)
    if isinstance(value, dict):
        return {k: _scrub(v, store) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, store) for v in value]
    return value


def _rows(
    run_id: str, events: Sequence[BaseEvent], last_seq: int | None, store: Store
) -> tuple[list[tuple[Any, ...]], tuple[Any, ...]]:
    """The INSERT rows and the UPDATE parameters for `events`; `last_seq` is needed only when a seq is 0."""
    rows: list[tuple[Any, ...]] = []
    top = last_seq or 0
    prompt = completion = total = 0
    cost = 0.0
    for event in events:
        if event.run_id and event.run_id != run_id:
            raise StoreError(f"The {event.type} event belongs to run '{event.run_id}', not to run '{run_id}'.")
        seq = event.seq if event.seq > 0 else top + 1
        top = max(top, seq)
        rows.append((run_id, seq, event.type, float(event.ts), _payload(event, run_id, seq, store)))
        if isinstance(event, ModelCall):
            prompt += event.prompt_tokens
            completion += event.completion_tokens
            total += event.total_tokens or event.prompt_tokens + event.completion_tokens
            cost += event.cost
    return rows, (len(rows), top, top, prompt, completion, total, cost, run_id)


def _prepare(store: Store) -> None:
    if not store._secret_values_loaded:
        load_secret_values(store=store)


def append_events(run_id: str, events: Iterable[BaseEvent], *, store: Store) -> list[int]:
    """Store `events` in one transaction (all or none). Returns their seqs."""
    batch = list(events)
    if not batch:
        return []
    for event in batch:
        if not isinstance(event, BaseEvent):
            raise StoreError(f"Only run events (studio.events) can be stored, not {type(event).__name__}.")
    _prepare(store)
    with store.raw_write(f"store {len(batch)} event(s) of run '{run_id}'") as cur:
        last_seq = None
        if any(e.seq <= 0 for e in batch):
            lock = " FOR UPDATE" if store.dialect == "postgresql" else ""
            cur.execute(store.sql(_LAST_SEQ + lock), (run_id,))
            found = cur.fetchone()
            if found is None:
                raise NotFoundError(f"No run with id '{run_id}' exists; its events cannot be stored.")
            last_seq = int(found[0])
        rows, update = _rows(run_id, batch, last_seq, store)
        cur.execute(store.sql(_UPDATE), update)  # first: on PostgreSQL it locks the run row for this transaction
        if cur.rowcount == 0:
            raise NotFoundError(f"No run with id '{run_id}' exists; its events cannot be stored.")
        try:
            if len(rows) == 1:
                cur.execute(store.sql(_INSERT), rows[0])
            else:
                cur.executemany(store.sql(_INSERT), rows)
        except Exception as e:
            if "unique" in str(e).lower() or "primary key" in str(e).lower():
                seqs = ", ".join(str(r[1]) for r in rows[:10])
                raise StoreError(
                    f"Run '{run_id}' already has an event with seq {seqs if len(rows) == 1 else 'among ' + seqs}; "
                    "events are append-only and each seq is stored once. Nothing was stored."
                ) from e
            raise
    return [r[1] for r in rows]


def append_event(run_id: str, event: BaseEvent, *, store: Store) -> int:
    """Store one event and commit. Returns its seq. When this returns, the event survives a crash."""
    return append_events(run_id, (event,), store=store)[0]


def insert_events_in(conn: Connection, run_id: str, events: Sequence[BaseEvent], *, store: Store) -> None:
    """Append events inside a caller's Core write transaction (used by start-up recovery)."""
    _prepare(store)
    last = conn.execute(select(_R.c.last_seq).where(_R.c.id == run_id)).scalar()
    if last is None:
        raise NotFoundError(f"No run with id '{run_id}' exists; its events cannot be stored.")
    rows, update = _rows(run_id, events, int(last), store)
    conn.exec_driver_sql(store.sql(_UPDATE), update)
    conn.exec_driver_sql(store.sql(_INSERT), rows if len(rows) > 1 else rows[0])


def load_events(
    run_id: str,
    *,
    store: Store,
    after_seq: int = 0,
    limit: int | None = None,
    types: Iterable[str] | None = None,
) -> list[BaseEvent]:
    """The events of a run with `seq > after_seq`, in seq order (at most `limit`; only `types` if given)."""
    sql = "SELECT payload FROM events WHERE run_id = ? AND seq > ?"
    params: list[Any] = [run_id, after_seq]
    if types is not None:
        wanted = list(types)
        sql += f" AND type IN ({', '.join('?' * len(wanted))})" if wanted else " AND 1 = 0"
        params += wanted
    sql += " ORDER BY seq"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    with store.read(f"load the events of run '{run_id}'") as session:
        conn = session.connection()
        # The DBAPI cursor of this read transaction: a replay fetches thousands of rows, and Core's row
        # processing would cost more than the SELECT itself.
        cursor = conn.connection.cursor()
        try:
            cursor.execute(store.sql(sql), params)
            payloads = [row[0] for row in cursor.fetchall()]
        finally:
            cursor.close()
        if not payloads and conn.execute(select(_R.c.id).where(_R.c.id == run_id)).first() is None:
            raise NotFoundError(f"No run with id '{run_id}' exists.")
    return _decode(run_id, payloads)


def _decode(run_id: str, payloads: Sequence[str]) -> list[BaseEvent]:
    # One json.loads over the joined payloads costs about half of one call per payload. Payloads are our own
    # `to_dict()` output, so the keys are the dataclass fields: construct directly, and go through the tolerant
    # `event_from_dict` only for a row that does not fit (written by another version).
    datas = json.loads("[" + ",".join(payloads) + "]")
    events: list[BaseEvent] = []
    append = events.append
    for data in datas:
        data["run_id"] = run_id
        cls = EVENT_TYPES.get(data.pop("type", None))
        try:
            append(cls(**data))  # type: ignore[misc]
        except TypeError:
            try:
                append(event_from_dict({"type": getattr(cls, "type", None), **data}))
            except (TypeError, ValueError) as e:
                raise StoreError(
                    f"Event {data.get('seq')} of run '{run_id}' cannot be read ({e}); "
                    "it may have been written by a newer version of Parley Studio."
                ) from e
    return events


def event_count(run_id: str, *, store: Store) -> int:
    """How many events of the run are stored."""
    with store.read(f"count the events of run '{run_id}'") as session:
        stmt = select(func.count()).select_from(_E).where(_E.c.run_id == run_id)
        return int(session.connection().execute(stmt).scalar_one())


__all__ = ["append_event", "append_events", "event_count", "insert_events_in", "load_events"]
