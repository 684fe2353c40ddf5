"""Sessions: named conversations that group the runs continuing one another.

Deleting a session deletes its runs and their events (foreign keys cascade), but never while one of them is still
queued or running: a worker would be writing into rows that no longer exist.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import col, select

from studio.errors import NotFoundError, StoreError
from studio.store.db import Store
from studio.store.records import RunRecord, SessionRecord

ACTIVE_STATUSES = ("queued", "running")


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    name: str
    team_id: str | None
    owner: str
    created_at: float
    updated_at: float


def _info(r: SessionRecord) -> SessionInfo:
    return SessionInfo(r.id, r.name, r.team_id, r.owner, r.created_at, r.updated_at)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise StoreError("A session needs a non-empty name.")
    return name.strip()[:200]


def create_session(name: str, *, store: Store, team_id: str | None = None, owner: str = "") -> SessionInfo:
    now = time.time()
    record = SessionRecord(
        id=uuid.uuid4().hex, name=_check_name(name), team_id=team_id, owner=owner, created_at=now, updated_at=now
    )
    with store.write(f"create the session '{record.name}'") as session:
        session.add(record)
    return _info(record)


def get_session(session_id: str, *, store: Store) -> SessionInfo:
    with store.read(f"load the session '{session_id}'") as session:
        record = session.get(SessionRecord, session_id)
    if record is None:
        raise NotFoundError(f"No session with id '{session_id}' exists.")
    return _info(record)


def rename_session(session_id: str, name: str, *, store: Store) -> SessionInfo:
    with store.write(f"rename the session '{session_id}'") as session:
        record = session.get(SessionRecord, session_id)
        if record is None:
            raise NotFoundError(f"No session with id '{session_id}' exists.")
        record.name, record.updated_at = _check_name(name), time.time()
        session.add(record)
        return _info(record)


def touch_session(session_id: str, *, store: Store) -> None:
    """Move a session to the top of the recent list (called when a run is added to it)."""
    with store.write(f"update the session '{session_id}'") as session:
        record = session.get(SessionRecord, session_id)
        if record is not None:
            record.updated_at = time.time()
            session.add(record)


def delete_session(session_id: str, *, store: Store) -> None:
    """Delete a session with its runs and their events. Refused while one of its runs is queued or running."""
    with store.write(f"delete the session '{session_id}'") as session:
        record = session.get(SessionRecord, session_id)
        if record is None:
            raise NotFoundError(f"No session with id '{session_id}' exists.")
        active = session.exec(
            select(RunRecord.id).where(RunRecord.session_id == session_id, col(RunRecord.status).in_(ACTIVE_STATUSES))
        ).all()
        if active:
            raise StoreError(
                f"The session '{record.name}' has {len(active)} run(s) still in progress ({', '.join(active)}); "
                "stop them before deleting the session."
            )
        session.delete(record)


def list_sessions(
    *, store: Store, team_id: str | None = None, owner: str | None = None, limit: int = 100, offset: int = 0
) -> list[SessionInfo]:
    """Sessions, most recently used first."""
    stmt = select(SessionRecord)
    if team_id is not None:
        stmt = stmt.where(SessionRecord.team_id == team_id)
    if owner is not None:
        stmt = stmt.where(SessionRecord.owner == owner)
    stmt = stmt.order_by(col(SessionRecord.updated_at).desc()).offset(offset).limit(limit)
    with store.read("list the sessions") as session:
        return [_info(r) for r in session.exec(stmt)]


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_sessions(text: str, *, store: Store, owner: str | None = None, limit: int = 50) -> list[SessionInfo]:
    """Sessions whose name, or the task of one of their runs, contains `text` (case-insensitive)."""
    pattern = _like(text)
    in_tasks = select(RunRecord.session_id).where(func.lower(RunRecord.task).like(pattern, escape="\\"))
    stmt = select(SessionRecord).where(
        or_(func.lower(SessionRecord.name).like(pattern, escape="\\"), col(SessionRecord.id).in_(in_tasks))
    )
    if owner is not None:
        stmt = stmt.where(SessionRecord.owner == owner)
    stmt = stmt.order_by(col(SessionRecord.updated_at).desc()).limit(limit)
    with store.read("search the sessions") as session:
        return [_info(r) for r in session.exec(stmt)]


__all__ = [
    "SessionInfo",
    "create_session",
    "delete_session",
    "get_session",
    "list_sessions",
    "rename_session",
    "search_sessions",
    "touch_session",
]
