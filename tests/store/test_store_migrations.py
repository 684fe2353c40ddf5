"""Migrations: an older database upgrades with its data intact (T44 included), on SQLite and PostgreSQL.

The version-1 database is built here with raw SQL, frozen as it was, so editing the migrations cannot quietly
change what "an old database" means.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import Connection

from studio.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    MigrationError,
    SchemaError,
    get_run,
    get_spec,
    list_runs,
    load_events,
    open_store,
    schema_version,
    set_setting,
    spec_history,
)
from studio.store.records import RECORDS

V1_SCHEMA = """
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL);
CREATE TABLE specs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, current_version INTEGER NOT NULL,
    created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL, deleted_at DOUBLE PRECISION);
CREATE UNIQUE INDEX ux_specs_live_name ON specs (kind, name) WHERE deleted_at IS NULL;
CREATE INDEX ix_specs_kind ON specs (kind, updated_at);
CREATE TABLE spec_versions (spec_id TEXT NOT NULL REFERENCES specs (id) ON DELETE CASCADE, version INTEGER NOT NULL,
    data TEXT NOT NULL, sha256 TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (spec_id, version));
CREATE TABLE sessions (id TEXT PRIMARY KEY, name TEXT NOT NULL, team_id TEXT, owner TEXT NOT NULL DEFAULT '',
    created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL);
CREATE INDEX ix_sessions_updated_at ON sessions (updated_at);
CREATE TABLE runs (id TEXT PRIMARY KEY, session_id TEXT REFERENCES sessions (id) ON DELETE CASCADE, team_id TEXT,
    team_version INTEGER, team_name TEXT NOT NULL DEFAULT '', spec_snapshot TEXT, task TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
    stop_reason TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '',
    created_at DOUBLE PRECISION NOT NULL, started_at DOUBLE PRECISION, finished_at DOUBLE PRECISION,
    event_count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE events (run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    type TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (run_id, seq));
INSERT INTO schema_migrations VALUES (1, 'initial', 1700000000.0)
"""

TEAM_V1 = {"name": "duo", "agents": ["writer", "critic"]}
TEAM_V2 = {"name": "duo", "agents": ["writer", "critic", "editor"]}


def event(run_id: str, seq: int, type_: str, **fields: object) -> dict[str, object]:
    return {"type": type_, "run_id": run_id, "seq": seq, "ts": 1700000100.0 + seq, **fields}


def populate_v1(conn: Connection) -> None:
    for statement in V1_SCHEMA.split(";"):
        conn.exec_driver_sql(statement)
    conn.execute(text("INSERT INTO specs VALUES ('team1', 'team', 'duo', 2, 1700000000, 1700000050, NULL)"))
    for version, data in ((1, TEAM_V1), (2, TEAM_V2)):
        conn.execute(
            text("INSERT INTO spec_versions VALUES ('team1', :v, :d, :s, '', :t)"),
            {"v": version, "d": json.dumps(data), "s": f"sha{version}", "t": 1700000000 + version},
        )
    conn.execute(text("INSERT INTO sessions VALUES ('sess1', 'Haiku practice', 'team1', '', 1700000000, 1700000000)"))
    conn.execute(
        text(
            "INSERT INTO runs (id, session_id, team_id, team_version, team_name, spec_snapshot, task, status, "
            "stop_reason, created_at, started_at, finished_at, event_count) VALUES "
            "('run1', 'sess1', 'team1', 1, 'duo', :snap, 'Write a haiku', 'completed', 'TERMINATE', "
            "1700000100, 1700000101, 1700000131, 4), "
            "('run2', 'sess1', 'team1', 2, 'duo', :snap2, 'Another', 'running', '', 1700000200, 1700000201, NULL, 1)"
        ),
        {"snap": json.dumps(TEAM_V1), "snap2": json.dumps(TEAM_V2)},
    )
    rows = [
        event("run1", 1, "run_started", task="Write a haiku", team="duo", session_id="sess1"),
        event("run1", 2, "model_call", source="writer", model="m", prompt_tokens=50, completion_tokens=10,
              total_tokens=60, cost=0.5, cost_known=True, latency_ms=3.0, purpose="reply"),
        event("run1", 3, "message", source="writer", target="critic", content="Autumn moon", role="assistant",
              tool_calls=None, tool_responses=None),
        event("run1", 4, "model_call", source="critic", model="m", prompt_tokens=5, completion_tokens=5,
              total_tokens=0, cost=0.25, cost_known=True, latency_ms=1.0, purpose="reply"),
        event("run2", 1, "run_started", task="Another", team="duo", session_id="sess1"),
    ]  # fmt: skip
    conn.execute(
        text("INSERT INTO events VALUES (:r, :s, :t, :ts, :p)"),
        [{"r": e["run_id"], "s": e["seq"], "t": e["type"], "ts": e["ts"], "p": json.dumps(e)} for e in rows],
    )


@pytest.fixture
def v1_database(db_url: str) -> Iterator[str]:
    """A populated version-1 database, written by hand; yields its URL."""
    if db_url.startswith("sqlite:///"):
        Path(db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine: Engine = create_engine(db_url)
    with engine.begin() as conn:
        populate_v1(conn)
    engine.dispose()
    yield db_url


def columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def scalar(url: str, sql: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def test_an_empty_database_gets_exactly_the_tables_and_columns_of_the_records(db_url: str, home: Path) -> None:
    with open_store(db_url, home=home) as store:
        assert schema_version(store) == SCHEMA_VERSION == MIGRATIONS[-1].version
    for record in RECORDS:
        table = record.__table__  # type: ignore[attr-defined]
        assert columns(db_url, table.name) == {c.name for c in table.columns}, table.name


def test_a_version_1_database_upgrades_with_every_row_intact(v1_database: str, home: Path) -> None:
    with open_store(v1_database, home=home) as store:
        assert schema_version(store) == SCHEMA_VERSION
        assert get_spec("team1", store=store).data == TEAM_V2
        assert [v.data for v in spec_history("team1", store=store)] == [TEAM_V1, TEAM_V2]

        done = get_run("run1", store=store)
        assert done.snapshot == TEAM_V1 and done.status == "completed" and done.stop_reason == "TERMINATE"
        # Migration 3 back-filled the totals from the model_call events and the duration from the timestamps.
        assert (done.prompt_tokens, done.completion_tokens, done.total_tokens) == (55, 15, 70)
        assert done.cost == pytest.approx(0.75) and done.duration == pytest.approx(30.0)
        assert (done.event_count, done.last_seq) == (4, 4)
        assert [e.type for e in load_events("run1", store=store)] == [
            "run_started", "model_call", "message", "model_call",
        ]  # fmt: skip
        assert [r.id for r in list_runs(session_id="sess1", store=store)] == ["run2", "run1"]
        set_setting("upgraded", True, store=store)  # migration 2's table works
    if store.path is not None:
        backup = store.path.with_name("studio.db.v1.bak")
        with sqlite3.connect(backup) as conn:  # the copy taken before the upgrade is the version-1 database
            assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == 1
            assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 5
        assert backup.stat().st_mode & 0o077 == 0


def broken_run_totals(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0")
    conn.exec_driver_sql("UPDATE runs SET task = 'clobbered'")
    conn.exec_driver_sql("DELETE FROM events")
    raise RuntimeError("injected failure half-way through the migration")


def test_T44_a_migration_failing_half_way_leaves_the_old_schema_and_data(v1_database: str, home: Path) -> None:
    broken = (*MIGRATIONS[:2], Migration(3, "run_totals", broken_run_totals))
    with pytest.raises(MigrationError) as info:
        open_store(v1_database, home=home, migrations=broken)
    message = str(info.value)
    assert "Migration 3 (run_totals)" in message and "injected failure" in message
    assert "still at schema version 2" in message

    assert scalar(v1_database, "SELECT MAX(version) FROM schema_migrations") == 2  # migration 2 did succeed
    assert "prompt_tokens" not in columns(v1_database, "runs")  # the ALTER TABLE was rolled back
    assert scalar(v1_database, "SELECT task FROM runs WHERE id = 'run1'") == "Write a haiku"
    assert scalar(v1_database, "SELECT COUNT(*) FROM events") == 5

    with open_store(v1_database, home=home) as store:  # the fixed migration then applies cleanly
        assert schema_version(store) == SCHEMA_VERSION
        assert get_run("run1", store=store).total_tokens == 70


def test_a_failing_statement_in_the_first_pending_migration_keeps_version_1(v1_database: str, home: Path) -> None:
    def bad_sql(conn: Connection) -> None:
        conn.exec_driver_sql("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.exec_driver_sql("CREATE TABLE settings (key TEXT)")  # already exists: the database refuses

    with pytest.raises(MigrationError, match="still at schema version 1"):
        open_store(v1_database, home=home, migrations=(MIGRATIONS[0], Migration(2, "bad", bad_sql)))
    assert "settings" not in set(inspect_tables(v1_database))


def inspect_tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_an_old_database_opened_without_migrating_is_refused(v1_database: str, home: Path) -> None:
    with pytest.raises(SchemaError, match="at schema version 1; this Parley Studio needs"):
        open_store(v1_database, home=home, migrate=False)
    assert scalar(v1_database, "SELECT MAX(version) FROM schema_migrations") == 1


def test_a_database_from_a_newer_version_is_refused_untouched(db_url: str, home: Path) -> None:
    open_store(db_url, home=home).close()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO schema_migrations VALUES (99, 'from_the_future', 1.0)"))
    engine.dispose()
    with pytest.raises(SchemaError, match="schema version 99, newer than this Parley Studio knows"):
        open_store(db_url, home=home)
    assert scalar(db_url, "SELECT COUNT(*) FROM schema_migrations") == SCHEMA_VERSION + 1


def test_several_processes_opening_a_new_database_at_once_migrate_it_once(db_url: str, home: Path) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def opener() -> None:
        barrier.wait()
        try:
            open_store(db_url, home=home).close()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert scalar(db_url, "SELECT COUNT(*) FROM schema_migrations") == SCHEMA_VERSION
