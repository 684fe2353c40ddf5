"""A background WAL checkpointer, so no event append ever pays for a checkpoint.

By default SQLite checkpoints inside the commit that pushes the write-ahead log past 1,000 pages: that commit copies
the log into the database and fsyncs both, and takes milliseconds instead of about a hundred microseconds (it was
the whole p99 of `append_event`). The store's connections therefore run with `wal_autocheckpoint=0`, and this
thread runs a PASSIVE checkpoint every `interval` seconds on a connection of its own — the arrangement sqlite.org
suggests for latency-sensitive writers. PASSIVE never waits for readers or writers, and writers keep appending to
the log while it copies. Crash safety does not depend on it: an un-checkpointed log is replayed at the next open.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from pathlib import Path
from typing import Any

INTERVAL_SECONDS = 0.5


class Checkpointer:
    def __init__(self, owner: Any, path: Path, *, busy_timeout_ms: int, interval: float = INTERVAL_SECONDS) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._interval = interval
        self._stop = threading.Event()
        # The thread holds no reference to the store: a store dropped without close() still stops it.
        self._finalizer = weakref.finalize(owner, self._stop.set)
        self._thread = threading.Thread(target=self._run, name=f"studio-wal-checkpoint-{path.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=True)
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            while not self._stop.wait(self._interval):
                self._checkpoint(conn)
            self._checkpoint(conn)  # leave the log short for whoever opens the file next
        except sqlite3.Error:
            return  # the file went away or is unusable; the store's own operations report that
        finally:
            if conn is not None:
                conn.close()

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.OperationalError:
            pass  # busy: the next round will do it

    def stop(self) -> None:
        self._stop.set()
        self._finalizer.detach()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
