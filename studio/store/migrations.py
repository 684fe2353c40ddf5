"""Versioned schema migrations: ordered, named, each in one transaction, recorded in `schema_migrations`.

The simonw/llm pattern: a list of `Migration(version, name, apply)`; `upgrade` applies the ones a database lacks, in
order, each inside its own write transaction together with the row that records it, so a migration is either wholly
applied and recorded or not at all (SQLite and PostgreSQL both have transactional DDL). A failure raises
`MigrationError` and leaves the database at the previous version with its data intact (T44). Before a SQLite file
that already holds data is upgraded, a copy is written next to it (`studio.db.v<N>.bak`, 0600).

The SQL is plain and portable (TEXT, INTEGER, DOUBLE PRECISION, partial indexes) so one migration serves SQLite and
PostgreSQL. A database that has tables but no `schema_migrations`, or one from a newer version, is refused untouched.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from studio.store.errors import MigrationError, SchemaError
from studio.store.records import RECORDS

if TYPE_CHECKING:
    from studio.store.db import Store


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _run(conn: Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.exec_driver_sql(statement)


def m001_initial(conn: Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE specs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            current_version INTEGER NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            deleted_at DOUBLE PRECISION
        );
        CREATE UNIQUE INDEX ux_specs_live_name ON specs (kind, name) WHERE deleted_at IS NULL;
        CREATE INDEX ix_specs_kind ON specs (kind, updated_at);
        CREATE TABLE spec_versions (
            spec_id TEXT NOT NULL REFERENCES specs (id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            data TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (spec_id, version)
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            team_id TEXT,
            owner TEXT NOT NULL DEFAULT '',
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX ix_sessions_updated_at ON sessions (updated_at);
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            session_id TEXT REFERENCES sessions (id) ON DELETE CASCADE,
            team_id TEXT,
            team_version INTEGER,
            team_name TEXT NOT NULL DEFAULT '',
            spec_snapshot TEXT,
            task TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN
                ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
            stop_reason TEXT NOT NULL DEFAULT '',
            error TEXT NOT NULL DEFAULT '',
            owner TEXT NOT NULL DEFAULT '',
            created_at DOUBLE PRECISION NOT NULL,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION,
            event_count INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX ix_runs_session ON runs (session_id, created_at);
        CREATE INDEX ix_runs_team ON runs (team_id, created_at);
        CREATE INDEX ix_runs_status ON runs (status);
        CREATE INDEX ix_runs_created_at ON runs (created_at);
        CREATE TABLE events (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            type TEXT NOT NULL,
            ts DOUBLE PRECISION NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        )
        """,
    )


def m002_settings_and_secrets(conn: Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL
        );
        CREATE TABLE secrets (
            name TEXT PRIMARY KEY,
            ciphertext TEXT NOT NULL,
            last4 TEXT NOT NULL DEFAULT '',
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL
        )
        """,
    )


def m003_run_totals(conn: Connection) -> None:
    """Token/cost/duration totals and `last_seq` on runs, back-filled from the events already stored."""
    _run(
        conn,
        """
        ALTER TABLE runs ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN total_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN cost DOUBLE PRECISION NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN duration DOUBLE PRECISION;
        ALTER TABLE runs ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
        UPDATE runs SET
            last_seq = COALESCE((SELECT MAX(seq) FROM events WHERE events.run_id = runs.id), 0),
            event_count = (SELECT COUNT(*) FROM events WHERE events.run_id = runs.id);
        UPDATE runs SET duration = finished_at - started_at
            WHERE finished_at IS NOT NULL AND started_at IS NOT NULL
        """,
    )
    # The totals live inside JSON payloads; summing them in Python keeps the SQL portable.
    totals: dict[str, list[float]] = {}
    rows = conn.execute(text("SELECT run_id, payload FROM events WHERE type = 'model_call'"))
    for run_id, payload in rows:
        data = json.loads(payload)
        t = totals.setdefault(run_id, [0, 0, 0, 0.0])
        prompt, completion = int(data.get("prompt_tokens") or 0), int(data.get("completion_tokens") or 0)
        t[0] += prompt
        t[1] += completion
        t[2] += int(data.get("total_tokens") or 0) or prompt + completion
        t[3] += float(data.get("cost") or 0.0)
    if totals:
        conn.execute(
            text(
                "UPDATE runs SET prompt_tokens = :p, completion_tokens = :c, total_tokens = :t, cost = :x WHERE id = :id"
            ),
            [{"id": k, "p": v[0], "c": v[1], "t": v[2], "x": v[3]} for k, v in totals.items()],
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial", m001_initial),
    Migration(2, "settings_and_secrets", m002_settings_and_secrets),
    Migration(3, "run_totals", m003_run_totals),
)
LATEST = MIGRATIONS[-1].version
_ADVISORY_LOCK = 0x5EA1_5709  # serialises concurrent upgrades on PostgreSQL


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})


def _applied(conn: Connection) -> dict[int, str]:
    return {int(v): str(n) for v, n in conn.execute(text("SELECT version, name FROM schema_migrations"))}


def schema_version(store: Store) -> int:
    """The highest migration recorded in the database (0 for an empty one)."""
    with store.read("read the schema version") as session:
        conn = session.connection()
        if "schema_migrations" not in inspect(conn).get_table_names():
            return 0
        return max(_applied(conn), default=0)


def upgrade(store: Store, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the migrations the database lacks, in order, one transaction each. Returns the versions applied."""
    known = max((m.version for m in migrations), default=0)
    with store.write("prepare the schema_migrations table") as session:
        conn = session.connection()
        _lock(conn)
        tables = set(inspect(conn).get_table_names())
        if tables and "schema_migrations" not in tables:
            raise SchemaError(
                f"{store.where.capitalize()} holds tables ({', '.join(sorted(tables))}) but no schema_migrations "
                "table, so it was not created by Parley Studio. Nothing was changed; point STUDIO_HOME (or "
                "STUDIO_DATABASE_URL) at another database."
            )
        if not tables:
            conn.exec_driver_sql(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "applied_at DOUBLE PRECISION NOT NULL)"
            )
        applied = _applied(conn)
    newest = max(applied, default=0)
    if newest > known:
        raise SchemaError(
            f"{store.where.capitalize()} has schema version {newest}, newer than this Parley Studio knows "
            f"(up to {known}). Nothing was changed; upgrade Parley Studio to open it."
        )
    pending = [m for m in sorted(migrations, key=lambda m: m.version) if m.version not in applied]
    if pending and applied:
        _backup(store, newest)
    done: list[int] = []
    for migration in pending:
        current = max([*applied, *done], default=0)
        try:
            with store.write(f"apply migration {migration.version} ({migration.name})") as session:
                conn = session.connection()
                _lock(conn)
                if migration.version in _applied(conn):  # another process got there first
                    continue
                migration.apply(conn)
                conn.execute(
                    text("INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)"),
                    {"v": migration.version, "n": migration.name, "t": time.time()},
                )
        except Exception as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise MigrationError(
                f"Migration {migration.version} ({migration.name}) of {store.where} failed: {reason}. It was rolled "
                f"back: the database is still at schema version {current} with all its data. Report this "
                "message; the studio cannot start on this database until the migration succeeds."
            ) from e
        done.append(migration.version)
    return done


def _backup(store: Store, version: int) -> None:
    """Copy a SQLite database before changing its schema (the online backup API: consistent even while in use)."""
    if not store.is_sqlite or store.path is None:
        return
    target = store.path.with_name(f"{store.path.name}.v{version}.bak")
    if target.exists():
        return  # the first copy at this version is the one worth keeping
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    source = sqlite3.connect(store.path)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()


def verify_schema(store: Store) -> None:
    """Raise SchemaError unless the database is at the latest version and has every table and column."""
    with store.read("verify the schema") as session:
        conn = session.connection()
        insp = inspect(conn)
        tables = set(insp.get_table_names())
        version = max(_applied(conn), default=0) if "schema_migrations" in tables else 0
        if version < LATEST:
            raise SchemaError(
                f"{store.where.capitalize()} is at schema version {version}; this Parley Studio needs {LATEST}. "
                "Open it with migrations enabled (the default) to upgrade it."
            )
        missing: list[str] = []
        for record in RECORDS:
            table = record.__table__  # type: ignore[attr-defined]
            if table.name not in tables:
                missing.append(table.name)
                continue
            have = {c["name"] for c in insp.get_columns(table.name)}
            missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in have]
    if missing:
        raise SchemaError(
            f"{store.where.capitalize()} is missing {', '.join(missing)}, although its schema_migrations table "
            f"says version {version}: it was damaged or edited by hand. Nothing was changed; restore it from a "
            "backup (a copy is kept as studio.db.v<N>.bak before each upgrade)."
        )


__all__ = ["LATEST", "MIGRATIONS", "Migration", "schema_version", "upgrade", "verify_schema"]
