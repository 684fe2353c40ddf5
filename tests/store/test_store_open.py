"""Opening the store: where the database lives, and how every SQLite connection is configured."""

from __future__ import annotations

import sqlite3
import stat
import time
from pathlib import Path

import pytest

from studio.errors import StoreError
from studio.store import Store, open_store, resolve_url


def test_default_location_is_studio_home_then_parley_in_the_home_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert resolve_url() == f"sqlite:///{tmp_path / 'user' / '.parley' / 'studio.db'}"
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "elsewhere"))
    with open_store() as store:
        assert store.path == tmp_path / "elsewhere" / "studio.db" and store.path.exists()
    monkeypatch.setenv("STUDIO_DATABASE_URL", f"sqlite:///{tmp_path / 'by-url.db'}")
    with open_store() as store:
        assert store.path == tmp_path / "by-url.db"
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_an_existing_database_with_loose_permissions_is_tightened_to_0600(tmp_path: Path) -> None:
    home = tmp_path / "home"
    open_store(home=home).close()
    (home / "studio.db").chmod(0o644)
    with open_store(home=home) as store:
        assert store.path is not None and stat.S_IMODE(store.path.stat().st_mode) == 0o600


# synchronous 1 = NORMAL; wal_autocheckpoint 0: checkpoints run in the store's background thread, off the commit path.
PRAGMAS = {"journal_mode": "wal", "busy_timeout": 10_000, "foreign_keys": 1, "synchronous": 1, "wal_autocheckpoint": 0}


def test_every_connection_gets_the_reliability_pragmas(sqlite_store: Store) -> None:
    connections = [sqlite_store.engine.connect() for _ in range(3)]  # three distinct pooled connections
    try:
        for conn in connections:
            values = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in PRAGMAS}
            assert values == PRAGMAS
            conn.rollback()
    finally:
        for conn in connections:
            conn.close()


def test_a_write_transaction_holds_the_write_lock_from_its_first_statement(sqlite_store: Store) -> None:
    assert sqlite_store.path is not None
    other = sqlite3.connect(sqlite_store.path, timeout=0, isolation_level=None)
    try:
        with sqlite_store.write("hold the lock") as session:
            session.connection().exec_driver_sql("SELECT 1").scalar()  # nothing written yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.execute("ROLLBACK")
        with sqlite_store.read("read") as session:  # a read transaction takes no write lock
            session.connection().exec_driver_sql("SELECT COUNT(*) FROM runs").scalar()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_reader_is_not_blocked_by_an_open_write_and_sees_only_committed_rows(sqlite_store: Store) -> None:
    from studio.store import create_session, list_sessions

    with sqlite_store.write("slow write") as session:
        session.connection().exec_driver_sql(
            "INSERT INTO sessions (id, name, owner, created_at, updated_at) VALUES ('s', 'pending', '', 1, 1)"
        )
        started = time.monotonic()
        assert list_sessions(store=sqlite_store) == []
        assert time.monotonic() - started < 1.0
    assert [s.name for s in list_sessions(store=sqlite_store)] == ["pending"]
    create_session("second", store=sqlite_store)


def test_an_in_memory_database_is_refused_with_advice() -> None:
    with pytest.raises(StoreError, match="use a file instead"):
        open_store("sqlite://")


def test_the_store_names_its_database_without_a_password(pg_schema: object) -> None:
    url = pg_schema.url  # type: ignore[attr-defined]
    with open_store(url) as store:
        assert store.dialect == "postgresql" and store.path is None
        assert "test" in repr(store)
        with store.read() as session:
            assert session.connection().exec_driver_sql("SHOW lock_timeout").scalar() == "10s"
    secret_url = url.replace("postgres@", "postgres:pa55word-xyz@")
    with open_store(secret_url) as store:
        assert "pa55word-xyz" not in repr(store) and "pa55word-xyz" not in store.where


def test_the_write_ahead_log_is_checkpointed_in_the_background(sqlite_store: Store) -> None:
    from studio.events import Message
    from studio.store import append_events, create_run

    assert sqlite_store.path is not None
    run = create_run(None, "t", snapshot=None, store=sqlite_store)
    time.sleep(1.0)  # let the checkpointer catch up with the schema
    before = sqlite_store.path.stat().st_size
    events = [Message(seq=i, source="a", content="w" * 2000) for i in range(1, 301)]  # ~600 kB, below autocheckpoint
    append_events(run.id, events, store=sqlite_store)
    deadline = time.monotonic() + 10
    while sqlite_store.path.stat().st_size < before + 500_000 and time.monotonic() < deadline:
        time.sleep(0.1)
    # The pages reached the database file while the store stayed open and idle: someone other than a commit
    # copied them out of the log.
    assert sqlite_store.path.stat().st_size >= before + 500_000
