"""SECURITY.md catalogue E: crashes (T39), lock holders (T40), deferred upgrades (T41), concurrent writers (T42).

The writers are real processes (`store_worker.py`); the crash is a real SIGKILL.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from studio.events import Message
from studio.store import (
    DatabaseLockedError,
    Store,
    append_event,
    create_run,
    event_count,
    get_run,
    load_events,
    mark_interrupted_on_startup,
    open_store,
    start_run,
)

WORKER = str(Path(__file__).with_name("store_worker.py"))


def worker(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, WORKER, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def running_run(store: Store) -> str:
    run = create_run(None, "crash me", snapshot={"name": "t"}, store=store)
    start_run(run.id, store=store)
    return run.id


def test_T39_kill_9_mid_run_loses_no_acknowledged_event_and_the_run_becomes_interrupted(tmp_path: Path) -> None:
    """12 trials in 2 waves: 6 writer processes append to their own runs at once; each is SIGKILLed at its own
    random moment (0.3-0.8 s after its first commit), so some die mid-commit and some while others commit."""
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'studio.db'}"
    rng = random.Random(39)
    for wave in range(2):
        with open_store(url, home=home) as store:
            runs = [running_run(store) for _ in range(6)]
        procs = [worker("append", url, home, run_id, 1_000_000) for run_id in runs]
        acked: dict[str, list[int]] = {}
        for proc in procs:
            assert proc.stdout is not None
            first = proc.stdout.readline()  # the worker is up and has committed once
            assert first.strip() == "1", proc.stderr.read() if proc.stderr else ""
        time.sleep(0.3)
        for proc in procs:
            time.sleep(rng.uniform(0.0, 0.1))  # staggered: each dies 0.3-0.9 s after the last worker's first commit
            os.kill(proc.pid, signal.SIGKILL)
        for run_id, proc in zip(runs, procs, strict=True):
            assert proc.stdout is not None
            rest = proc.stdout.read()  # through the same buffered reader as readline(), up to EOF
            proc.wait(timeout=10)
            assert proc.returncode == -signal.SIGKILL
            acked[run_id] = [1] + [int(line) for line in rest.split()]

        with open_store(url, home=home) as store:  # runs PRAGMA integrity_check and raises unless it says "ok"
            for run_id in runs:
                stored = [e.seq for e in load_events(run_id, store=store)]
                assert stored[: len(acked[run_id])] == acked[run_id], f"wave {wave}: an acknowledged event was lost"
                assert len(stored) - len(acked[run_id]) <= 1  # at most the commit whose acknowledgement was cut off
                assert get_run(run_id, store=store).event_count == event_count(run_id, store=store) == len(stored)
            assert sorted(mark_interrupted_on_startup(store=store)) == sorted(runs)
            for run_id in runs:
                run = get_run(run_id, store=store)
                assert run.status == "interrupted" and "marked interrupted" in run.stop_reason
        with sqlite3.connect(home / "studio.db") as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_T40_a_writer_waits_for_another_process_holding_the_write_lock(sqlite_store: Store) -> None:
    run_id = running_run(sqlite_store)
    holder = worker("hold", sqlite_store.path, 3)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    assert append_event(run_id, Message(seq=1, source="a", content="waited"), store=sqlite_store) == 1
    waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert waited >= 2.0, f"the append should have waited for the lock, it took {waited:.2f}s"
    assert [e.seq for e in load_events(run_id, store=sqlite_store)] == [1]


def test_T40_a_lock_held_past_the_timeout_is_a_clear_error_and_a_retry_works(tmp_path: Path) -> None:
    store = Store(home=tmp_path / "home", busy_timeout_ms=500)
    try:
        run_id = running_run(store)
        append_event(run_id, Message(seq=1, source="a"), store=store)
        holder = worker("hold", store.path, 3)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(DatabaseLockedError, match="Try again"):
            append_event(run_id, Message(seq=2, source="a"), store=store)
        # Nothing half-written: the run row and the events agree.
        run = get_run(run_id, store=store)
        assert (run.event_count, run.last_seq, event_count(run_id, store=store)) == (1, 1, 1)
        holder.wait(timeout=10)
        assert append_event(run_id, Message(seq=2, source="a"), store=store) == 2
    finally:
        store.close()


def test_T41_a_deferred_read_then_write_fails_at_once_the_failure_we_avoid(tmp_path: Path) -> None:
    path = tmp_path / "raw.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.close()
    a = sqlite3.connect(path, timeout=5, isolation_level=None)
    b = sqlite3.connect(path, timeout=5, isolation_level=None)
    a.execute("BEGIN")  # deferred, as pysqlite's default and a plain SQLAlchemy session would do
    a.execute("SELECT COUNT(*) FROM t").fetchone()
    b.execute("INSERT INTO t VALUES (1)")  # another connection commits in between
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        a.execute("INSERT INTO t VALUES (2)")
    assert time.monotonic() - started < 1.0  # despite timeout=5: the busy handler cannot help a stale snapshot
    a.close()
    b.close()


def test_T41_the_same_interleaving_through_the_store_succeeds(sqlite_store: Store) -> None:
    run_id = running_run(sqlite_store)
    assert sqlite_store.path is not None
    other_committed = threading.Event()

    def other_writer() -> None:
        conn = sqlite3.connect(sqlite_store.path, timeout=5, isolation_level=None)
        conn.execute("UPDATE runs SET team_name = 'touched' WHERE id = ?", (run_id,))  # waits for our lock
        conn.close()
        other_committed.set()

    with sqlite_store.write("read then write") as session:
        conn = session.connection()
        conn.exec_driver_sql("SELECT COUNT(*) FROM events").scalar()  # read...
        thread = threading.Thread(target=other_writer)
        thread.start()
        time.sleep(0.3)
        assert not other_committed.is_set()  # BEGIN IMMEDIATE: the other writer queues behind us
        conn.exec_driver_sql("UPDATE runs SET task = 'written' WHERE id = ?", (run_id,))  # ...then write
    thread.join(timeout=10)
    assert other_committed.is_set()
    run = get_run(run_id, store=sqlite_store)
    assert (run.task, run.team_name) == ("written", "touched")


def test_T41_every_write_transaction_of_the_repository_starts_with_begin_immediate(tmp_path: Path) -> None:
    """Trace every statement SQLite runs for a full workload; each write must sit in a BEGIN IMMEDIATE transaction."""
    from sqlalchemy import event

    store = open_store(home=tmp_path / "home")
    statements: list[tuple[int, str]] = []

    def trace(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.set_trace_callback(lambda sql: statements.append((id(dbapi_conn), sql)))

    event.listen(store.engine, "connect", trace)
    store.engine.dispose()  # every connection from now on is traced
    try:
        from studio.store import (
            create_session,
            finish_run,
            save_spec,
            set_secret,
            set_setting,
        )
        from tests.store.test_store_runs import TEAM

        team_id, version = save_spec("team", "duo", TEAM, store=store)
        session = create_session("s", store=store)
        run = create_run(team_id, "t", snapshot=TEAM, session_id=session.id, store=store)
        start_run(run.id, store=store)
        for seq in range(1, 4):
            append_event(run.id, Message(seq=seq, source="a"), store=store)
        finish_run(run.id, "completed", store=store)
        set_setting("k", 1, store=store)
        set_secret("S", "sk-" + "x" * 30, store=store)
        mark_interrupted_on_startup(store=store)
    finally:
        store.close()

    state: dict[int, str] = {}
    writes = 0
    for conn, sql in statements:
        head = sql.lstrip().split(None, 2)
        verb = head[0].upper() if head else ""
        if verb == "BEGIN":
            state[conn] = " ".join(head[:2]).upper()
        elif verb in ("COMMIT", "ROLLBACK", "END"):
            state.pop(conn, None)
        elif verb in ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "ALTER", "DROP"):
            writes += 1
            assert state.get(conn) == "BEGIN IMMEDIATE", f"{sql!r} ran in {state.get(conn) or 'no transaction'}"
    assert writes >= 10


def test_a_write_inside_a_read_transaction_is_refused_loudly(sqlite_store: Store) -> None:
    from studio.errors import StoreError

    with (
        pytest.raises(StoreError, match="tried to write inside a read transaction"),
        sqlite_store.read("sneak a write") as session,
    ):
        session.connection().exec_driver_sql("UPDATE runs SET task = 'x'")


def test_T42_four_processes_append_200_events_each_without_losing_one(db_url: str, home: Path) -> None:
    with open_store(db_url, home=home) as store:
        runs = [running_run(store) for _ in range(4)]
    procs = [worker("append", db_url, home, run_id, 200) for run_id in runs]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err[-2000:] for _, err in outputs]
    with open_store(db_url, home=home) as store:
        total = 0
        for run_id, (out, _) in zip(runs, outputs, strict=True):
            seqs = [e.seq for e in load_events(run_id, store=store)]
            assert seqs == list(range(1, 201)) == [int(x) for x in out.split()]
            assert get_run(run_id, store=store).event_count == 200
            total += len(seqs)
    assert total == 800
