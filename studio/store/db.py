"""`Store`: one SQLAlchemy engine, configured the way SQLite is reliable, and the transactions everything else uses.

SQLite (the default, `$STUDIO_HOME/studio.db`, home `~/.parley`) is used as SECURITY.md §c.7 measured it to be safe:
WAL (survives `kill -9`), `busy_timeout` 10 s (writers wait instead of failing), `foreign_keys=ON`,
`synchronous=NORMAL`, and every write transaction opened with `BEGIN IMMEDIATE`: a deferred transaction that reads
and then writes fails with "database is locked" at once, whatever the timeout, when another connection committed in
between (T41). pysqlite's own BEGIN handling is switched off (`isolation_level=None`) and the engine's `begin` hook
emits `BEGIN IMMEDIATE` for `write()` and `BEGIN` for `read()`. Read transactions also run with
`PRAGMA query_only=ON`, so a write that slipped into a read transaction fails loudly instead of risking the deferred
upgrade. The file is created 0600 (SQLite gives its -wal/-shm files the same mode) in a 0700 home.

Any other SQLAlchemy URL (`STUDIO_DATABASE_URL`, e.g. `postgresql+psycopg://user@host/db`) works the same way;
there a write transaction is a plain transaction with a 10 s `lock_timeout`.

Opening never repairs: a read-only, corrupt or foreign file raises a specific `StoreError` and is left as it was.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from studio.errors import StoreError
from studio.store._checkpoint import Checkpointer
from studio.store.errors import CorruptDatabaseError, ReadOnlyDatabaseError, classify, translate
from studio.store.migrations import MIGRATIONS, Migration, upgrade, verify_schema
from studio.store.redact import Redactor

DEFAULT_HOME = "~/.parley"
DB_FILENAME = "studio.db"
BUSY_TIMEOUT_MS = 10_000
_WRITE = "studio_write"

Check = Literal["integrity", "quick", "none"]


def resolve_home(home: Path | str | None = None) -> Path:
    """The studio's home directory: `home`, else `$STUDIO_HOME`, else `~/.parley`."""
    raw = home if home is not None else os.environ.get("STUDIO_HOME") or DEFAULT_HOME
    return Path(raw).expanduser().absolute()


def resolve_url(url: str | None = None, *, home: Path | str | None = None) -> str:
    """The database URL: `url`, else `$STUDIO_DATABASE_URL`, else the SQLite file in the home directory."""
    chosen = url or os.environ.get("STUDIO_DATABASE_URL")
    if chosen:
        return chosen
    return f"sqlite:///{resolve_home(home) / DB_FILENAME}"


class Store:
    """The database of one studio. Thread-safe: share one instance per process (the engine pools connections).

    `write(action)` and `read(action)` open a SQLModel `Session` inside one transaction; `action` is a verb phrase
    ("save the team 'x'") that names the operation in any error. Repository functions take the store as `store=`.

    Opening checks the file (`check`: "integrity" runs `PRAGMA integrity_check`, "quick" `quick_check`), applies the
    pending `migrations` (unless `migrate=False`) and verifies every table and column; each failure is a specific
    StoreError and leaves the database as it was. `busy_timeout_ms` is how long a writer waits for another one.
    On SQLite, WAL checkpoints run in a background thread (`background_checkpoint`), off the commit path.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        home: Path | str | None = None,
        migrate: bool = True,
        migrations: Sequence[Migration] | None = None,
        check: Check = "integrity",
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        background_checkpoint: bool = True,
    ) -> None:
        self.home = resolve_home(home)
        self.url = resolve_url(url, home=self.home)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self.busy_timeout_ms = busy_timeout_ms
        self.path: Path | None = None
        self.redactor = Redactor()
        self._secret_values_loaded = False
        self._lock = threading.Lock()
        self._cache: dict[Any, Any] = {}  # per-store memo (the Fernet key, ...), see secrets.py
        self._checkpointer: Checkpointer | None = None
        self._autocheckpoint = not background_checkpoint
        if self.is_sqlite:
            self.path = _sqlite_path(parsed.database)
            self.where = f"the database {self.path}"
            _prepare_sqlite_file(self.path)
        else:
            self.where = f"the database {parsed.render_as_string(hide_password=True)}"
        self.engine = self._create_engine()
        self._write_engine = self.engine.execution_options(**{_WRITE: True})
        try:
            self._connect_once()
            if self.is_sqlite and check != "none":
                self.check_integrity(quick=check == "quick")
            if migrate:
                upgrade(self, MIGRATIONS if migrations is None else migrations)
            verify_schema(self)
        except BaseException:
            self.engine.dispose()
            raise
        if self.is_sqlite and self.path is not None and background_checkpoint:
            self._checkpointer = Checkpointer(self, self.path, busy_timeout_ms=busy_timeout_ms)

    # -- engine ---------------------------------------------------------------------------------------------------

    def _connect_once(self) -> None:
        """Open one connection, so that an unreachable server or a file that is not a database is reported as such."""
        try:
            self.engine.connect().close()
        except (DBAPIError, sqlite3.Error) as e:
            if self.is_sqlite:
                raise translate(e, action="open the database", where=self.where) from e
            reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
            raise StoreError(
                f"Could not connect to {self.where}: {reason}. Check STUDIO_DATABASE_URL and that the server is "
                "running and accepts this user."
            ) from e

    def _create_engine(self) -> Engine:
        if self.is_sqlite:
            engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": self.busy_timeout_ms / 1000},
                pool_size=8,
                max_overflow=24,
            )
            event.listen(engine, "connect", self._on_sqlite_connect)
            event.listen(engine, "begin", _on_sqlite_begin)
        else:
            engine = create_engine(self.url, pool_pre_ping=True)
            if self.dialect == "postgresql":
                event.listen(engine, "connect", self._on_postgres_connect)
        return engine

    def _on_sqlite_connect(self, dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_sqlite_begin)
        # busy_timeout first: switching to WAL needs a lock another process may briefly hold.
        dbapi_conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        # Switching to WAL rewrites the header, so only for a database that is ours (or empty): another
        # application's file must come out of a refused open byte for byte as it went in. Reading the schema is
        # also where a file that is not a database fails, before anything is written.
        tables = {row[0] for row in dbapi_conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables or "schema_migrations" in tables:
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            if not self._autocheckpoint:
                dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer thread does it instead
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")
        record.info["query_only"] = False

    def _on_postgres_connect(self, dbapi_conn: Any, record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {int(self.busy_timeout_ms)}")
        dbapi_conn.commit()

    # -- transactions ---------------------------------------------------------------------------------------------

    @contextmanager
    def write(self, action: str = "write") -> Iterator[Session]:
        """A write transaction (SQLite: `BEGIN IMMEDIATE`), committed when the block ends, rolled back on error."""
        with self._session(self._write_engine, action) as session:
            yield session

    @contextmanager
    def read(self, action: str = "read") -> Iterator[Session]:
        """A read transaction: one consistent snapshot (SQLite: `BEGIN` with `query_only`, never upgraded)."""
        with self._session(self.engine, action) as session:
            yield session

    @contextmanager
    def _session(self, bind: Engine, action: str) -> Iterator[Session]:
        try:
            with Session(bind, expire_on_commit=False) as session, session.begin():
                yield session
        except (DBAPIError, sqlite3.Error) as e:
            if bind is self.engine and self.is_sqlite and classify(e) is ReadOnlyDatabaseError:
                raise StoreError(
                    f"Could not {action}: it tried to write inside a read transaction (store.read()). Writes must "
                    "use store.write(), which starts with BEGIN IMMEDIATE; this is a bug in the caller."
                ) from e
            raise translate(e, action=action, where=self.where) from e
        except SQLAlchemyError as e:
            # First line only: a StatementError's text goes on with the statement's parameters.
            reason = str(e).strip().splitlines()[0] if str(e).strip() else ""
            raise StoreError(f"Could not {action} ({self.where}): {type(e).__name__}: {reason}") from e

    @contextmanager
    def raw_write(self, action: str) -> Iterator[Any]:
        """A DBAPI cursor inside one write transaction: the hot path (event appends) skips the ORM and Core.

        SQL is written with `?` placeholders; `sql()` rewrites them for drivers that use `%s`.
        """
        raw = self.engine.raw_connection()
        try:
            if self.is_sqlite:
                dbapi: Any = raw.driver_connection
                _set_query_only(dbapi, raw.info, False)
                dbapi.execute("BEGIN IMMEDIATE")
            cursor = raw.cursor()
            try:
                yield cursor
                raw.commit()
            except BaseException:
                try:
                    raw.rollback()
                except Exception:  # the connection is broken; the pool discards it, the first error matters
                    raw.invalidate()
                raise
            finally:
                cursor.close()
        except (DBAPIError, sqlite3.Error) as e:
            raise translate(e, action=action, where=self.where) from e
        except Exception as e:
            if _is_dbapi_error(e):
                raise translate(e, action=action, where=self.where) from e
            raise
        finally:
            raw.close()

    def sql(self, statement: str) -> str:
        """`statement` with `?` placeholders rewritten for this driver's paramstyle."""
        cached = self._cache.get(("sql", statement))
        if cached is None:
            style = self.engine.dialect.paramstyle
            cached = statement.replace("?", "%s") if style in ("format", "pyformat") else statement
            self._cache[("sql", statement)] = cached
        return str(cached)

    # -- health ---------------------------------------------------------------------------------------------------

    def check_integrity(self, *, quick: bool = False) -> None:
        """Run `PRAGMA integrity_check` (or `quick_check`); raise CorruptDatabaseError unless it reports `ok`."""
        if not self.is_sqlite:
            return
        pragma = "quick_check" if quick else "integrity_check"
        with self.read(f"check the integrity of {self.where}") as session:
            rows = [str(r[0]) for r in session.connection().exec_driver_sql(f"PRAGMA {pragma}").fetchall()]
        if rows != ["ok"]:
            shown = "; ".join(rows[:5]) + (f" (and {len(rows) - 5} more)" if len(rows) > 5 else "")
            raise CorruptDatabaseError(
                f"PRAGMA {pragma} found damage in {self.where}: {shown}. Nothing was changed. "
                "Restore the file from a backup, or move it aside to start afresh."
            )

    def close(self) -> None:
        """Stop the checkpointer (after a last checkpoint) and close every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.where.removeprefix('the database ')!r})"


def open_store(
    url: str | None = None,
    *,
    home: Path | str | None = None,
    migrate: bool = True,
    migrations: Sequence[Migration] | None = None,
    check: Check = "integrity",
) -> Store:
    """Open (creating and migrating if needed) the studio's database. See `Store`."""
    return Store(url, home=home, migrate=migrate, migrations=migrations, check=check)


# -- SQLite plumbing ------------------------------------------------------------------------------------------------


def _on_sqlite_begin(conn: Connection) -> None:
    write = bool(conn.get_execution_options().get(_WRITE, False))
    dbapi: Any = conn.connection.driver_connection
    _set_query_only(dbapi, conn.info, not write)
    # Straight to the driver: the same statement `conn.exec_driver_sql` would send, without its bookkeeping (it
    # is a third of the cost of a short read transaction).
    dbapi.execute("BEGIN IMMEDIATE" if write else "BEGIN")


def _set_query_only(dbapi: Any, info: dict[Any, Any], on: bool) -> None:
    # Only emitted when the state changes: most transactions on a connection are of the same kind as the last.
    if info.get("query_only") != on:
        dbapi.execute(f"PRAGMA query_only={'ON' if on else 'OFF'}")
        info["query_only"] = on


def _sqlite_path(database: str | None) -> Path:
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise StoreError(
            "An in-memory SQLite database cannot be shared by the run workers' threads and connections; "
            "use a file instead (for a test, a path under tmp_path: sqlite:////path/to/studio.db)."
        )
    return Path(database).expanduser().absolute()


def _prepare_sqlite_file(path: Path) -> None:
    """Create the directory (0700) and the file (0600) before SQLite does (it would use 0644); never truncate."""
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, exist_ok=True)
        os.chmod(parent, 0o700)
    if not path.exists():
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        except FileExistsError:
            pass  # another process created it first: fine, it is a database or about to be
        except OSError as e:
            raise ReadOnlyDatabaseError(
                f"Could not create the database {path}: {e.strerror}. Make {parent} writable, "
                "or point STUDIO_HOME elsewhere."
            ) from e
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(f"The database path {path} is not a regular file; point STUDIO_HOME elsewhere.")
    if not os.access(path, os.R_OK | os.W_OK):
        raise ReadOnlyDatabaseError(
            f"The database {path} is read-only (its permissions, or a read-only file system). Nothing was "
            "changed. Make it writable for this user or point STUDIO_HOME elsewhere."
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ReadOnlyDatabaseError(
            f"The directory {parent} is read-only, so SQLite cannot create the write-ahead log next to "
            f"{path.name}. Nothing was changed. Make the directory writable or point STUDIO_HOME elsewhere."
        )
    # Tighten a file someone created with broader permissions (ours are created 0600 already).
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = candidate.stat().st_mode
            if mode & 0o077 and candidate.stat().st_uid == os.geteuid():
                os.chmod(candidate, stat.S_IMODE(mode) & 0o700)
        except FileNotFoundError:
            continue


def _is_dbapi_error(e: BaseException) -> bool:
    """Whether `e` comes from a PEP 249 driver (psycopg, ...): its package has a `paramstyle`, as the PEP requires.

    The raw hot path sees the driver's own exceptions, unwrapped by SQLAlchemy; importing every driver to name
    their classes is not an option.
    """
    package = sys.modules.get(type(e).__module__.split(".")[0])
    return package is not None and hasattr(package, "paramstyle") and hasattr(package, "Error")


__all__ = ["BUSY_TIMEOUT_MS", "DB_FILENAME", "DEFAULT_HOME", "Store", "open_store", "resolve_home", "resolve_url"]
