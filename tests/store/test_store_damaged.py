"""T43: a read-only, full, corrupt, foreign or truncated-schema database gives a specific error and is never changed."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event

from studio.errors import StoreError
from studio.events import Message
from studio.store import (
    CorruptDatabaseError,
    DiskFullError,
    SchemaError,
    Store,
    append_event,
    create_run,
    event_count,
    get_run,
    load_events,
    open_store,
    save_spec,
    start_run,
)

WORKER = str(Path(__file__).with_name("store_worker.py"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def populated(home: Path) -> Path:
    """A closed, checkpointed database with a spec and a run with events; returns its path."""
    with open_store(home=home) as store:
        save_spec("team", "duo", {"name": "duo", "agents": ["a", "b"]}, store=store)
        run = create_run(None, "t", snapshot=None, store=store)
        start_run(run.id, store=store)
        for seq in range(1, 51):
            append_event(run.id, Message(seq=seq, source="a", content="y" * 500), store=store)
    path = home / "studio.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def test_a_file_that_is_not_a_database_is_reported_and_left_untouched(tmp_path: Path) -> None:
    path = populated(tmp_path / "home")
    data = bytearray(path.read_bytes())
    data[:16] = b"definitely not!\0"  # the header
    path.write_bytes(bytes(data))
    before = digest(path)
    with pytest.raises(CorruptDatabaseError, match="Nothing was changed") as info:
        open_store(home=tmp_path / "home")
    assert str(path) in str(info.value)
    assert digest(path) == before and path.stat().st_size == len(data)


def test_damaged_pages_fail_the_integrity_check_at_startup(tmp_path: Path) -> None:
    path = populated(tmp_path / "home")
    page_size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    assert len(data) > 8 * page_size
    for page in range(2, len(data) // page_size, 2):  # scribble over every other page after the schema
        offset = page * page_size + 100
        data[offset : offset + 200] = os.urandom(200)
    path.write_bytes(bytes(data))
    before = digest(path)
    with pytest.raises(CorruptDatabaseError, match="integrity_check|malformed|not a database"):
        open_store(home=tmp_path / "home")
    assert digest(path) == before


def test_a_missing_table_is_reported_not_recreated(tmp_path: Path) -> None:
    path = populated(tmp_path / "home")
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE events")
    before = digest(path)
    with pytest.raises(SchemaError, match="missing events") as info:
        open_store(home=tmp_path / "home")
    assert "restore it from a backup" in str(info.value)
    assert digest(path) == before
    with sqlite3.connect(path) as conn:
        assert "events" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_database_of_another_application_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    path = home / "studio.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    before = digest(path)
    with pytest.raises(SchemaError, match="not created by Parley Studio"):
        open_store(home=home)
    assert digest(path) == before


def test_a_read_only_database_file_gives_a_specific_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = populated(home)
    before = digest(path)
    command = [sys.executable, WORKER, "open", f"sqlite:///{path}", str(home)]
    if os.geteuid() == 0:
        # root may write any file whatever its mode: make the directory a read-only mount instead.
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            pytest.skip("running as root and bubblewrap (bwrap) is not installed to mount the database read-only")
        command = [bwrap, "--bind", "/", "/", "--ro-bind", str(home), str(home), "--dev", "/dev", "--proc", "/proc"]
        command += [sys.executable, WORKER, "open", f"sqlite:///{path}", str(home)]
    else:
        os.chmod(path, 0o444)
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("ReadOnlyDatabaseError: "), result.stdout + result.stderr
    assert "read-only" in result.stdout and "Nothing was changed" in result.stdout
    assert digest(path) == before


class _MaxPages:
    """Caps the database at its current size plus a few pages: SQLite then reports SQLITE_FULL, as on a full disk."""

    def __init__(self, store: Store, extra_pages: int) -> None:
        self.store, self.extra = store, extra_pages

    def __enter__(self) -> None:
        event.listen(self.store.engine, "connect", self._cap)
        self.store.engine.dispose()

    def _cap(self, dbapi_conn: sqlite3.Connection, _record: object) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + self.extra}")

    def __exit__(self, *exc: object) -> None:
        event.remove(self.store.engine, "connect", self._cap)
        self.store.engine.dispose()


def test_a_full_disk_fails_the_append_cleanly_and_a_retry_works_once_there_is_room(sqlite_store: Store) -> None:
    run = create_run(None, "t", snapshot=None, store=sqlite_store)
    start_run(run.id, store=sqlite_store)
    big = "z" * 20_000
    seq = 0
    with _MaxPages(sqlite_store, extra_pages=20), pytest.raises(DiskFullError, match="Free some disk space"):
        for seq in range(1, 1000):  # noqa: B007 - seq is read after the loop
            append_event(run.id, Message(seq=seq, source="a", content=big), store=sqlite_store)
    stored = event_count(run.id, store=sqlite_store)
    assert stored == seq - 1 and get_run(run.id, store=sqlite_store).event_count == stored  # nothing half-written
    append_event(run.id, Message(seq=seq, source="a", content=big), store=sqlite_store)
    assert [e.seq for e in load_events(run.id, store=sqlite_store)] == list(range(1, seq + 1))


def test_an_unreachable_server_is_a_store_error_naming_it_without_the_password() -> None:
    url = "postgresql+psycopg://studio:hunter2-password@127.0.0.1:1/none?connect_timeout=2"
    with pytest.raises(StoreError, match="Could not connect to the database") as info:
        open_store(url)
    assert "127.0.0.1:1" in str(info.value) and "hunter2-password" not in str(info.value)
