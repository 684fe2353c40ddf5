"""A separate studio process for the crash and concurrency tests (run as a script, never imported by pytest).

store_worker.py append URL HOME RUN_ID COUNT [FIRST_SEQ]  -> appends, printing each seq once its commit returned
store_worker.py hold URL SECONDS                          -> holds a SQLite write lock, prints "locked" when it has it
store_worker.py open URL HOME                             -> opens the store, prints "ok" or the error's class and text
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def append(url: str, home: str, run_id: str, count: int, first_seq: int) -> None:
    from studio.events import Message
    from studio.store import append_event, open_store

    store = open_store(url, home=home, check="none")
    for seq in range(first_seq, first_seq + count):
        append_event(run_id, Message(seq=seq, source="worker", content=f"message {seq} " + "x" * 200), store=store)
        print(seq, flush=True)  # acknowledged: the commit returned
    store.close()


def hold(path: str, seconds: float) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def try_open(url: str, home: str) -> None:
    from studio.store import open_store

    try:
        open_store(url, home=home).close()
    except Exception as e:
        print(f"{type(e).__name__}: {e}", flush=True)
        return
    print("ok", flush=True)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "append":
        append(args[0], args[1], args[2], int(args[3]), int(args[4]) if len(args) > 4 else 1)
    elif command == "hold":
        hold(args[0], float(args[1]))
    elif command == "open":
        try_open(args[0], args[1])
    else:
        raise SystemExit(f"unknown command {command!r}")
