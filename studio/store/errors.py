"""Specific store errors, and the one function that turns a database driver's exception into one of them.

Every failure the store can foresee gets its own `StoreError` subclass, so a page can say *why* the studio cannot
start (read-only file, corrupt file, a schema from a newer version) rather than "database error". `translate` reads
the driver's error code (SQLite's `sqlite_errorname`, PostgreSQL's SQLSTATE) and falls back on the message text.

Messages quote the driver's first line only: SQLAlchemy's own `str(exc)` embeds the statement's parameters, which
may be event payloads or ciphertext, and have no place in a message a person reads.
"""

from __future__ import annotations

from studio.errors import StoreError


class DatabaseLockedError(StoreError):
    """Another writer held the database for longer than the busy timeout; nothing was written, retrying is safe."""


class ReadOnlyDatabaseError(StoreError):
    """The database file (or its directory) cannot be written."""


class DiskFullError(StoreError):
    """The disk (or the database's size limit) is full; the transaction was rolled back."""


class CorruptDatabaseError(StoreError):
    """The file is not a SQLite database, or `PRAGMA integrity_check` found damage. Nothing was changed."""


class SchemaError(StoreError):
    """The database's tables are not the ones this version expects (missing, foreign, or from a newer version)."""


class MigrationError(StoreError):
    """A schema migration failed; its transaction was rolled back and the database is at the previous version."""


_SQLITE_CODES: dict[str, type[StoreError]] = {
    "SQLITE_BUSY": DatabaseLockedError,
    "SQLITE_LOCKED": DatabaseLockedError,
    "SQLITE_READONLY": ReadOnlyDatabaseError,
    "SQLITE_FULL": DiskFullError,
    "SQLITE_NOTADB": CorruptDatabaseError,
    "SQLITE_CORRUPT": CorruptDatabaseError,
}

# PostgreSQL SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_PG_CODES: dict[str, type[StoreError]] = {
    "55P03": DatabaseLockedError,  # lock_not_available (lock_timeout expired)
    "40P01": DatabaseLockedError,  # deadlock_detected
    "25006": ReadOnlyDatabaseError,  # read_only_sql_transaction
    "53100": DiskFullError,  # disk_full
    "42P01": SchemaError,  # undefined_table
    "42703": SchemaError,  # undefined_column
}

_ADVICE: dict[type[StoreError], str] = {
    DatabaseLockedError: "Another process kept the database busy past the timeout; nothing was written. Try again.",
    ReadOnlyDatabaseError: "Make the file and its directory writable, or point STUDIO_HOME elsewhere.",
    DiskFullError: "Free some disk space; nothing from this change was written.",
    CorruptDatabaseError: "Nothing was changed. Restore the file from a backup, or move it aside to start afresh.",
    SchemaError: "The database does not have the tables this version expects; nothing was changed.",
    StoreError: "Nothing from this change was written.",
}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def classify(exc: BaseException) -> type[StoreError]:
    """The StoreError subclass for a driver exception (or a SQLAlchemy wrapper around one)."""
    orig = getattr(exc, "orig", None) or exc
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        # Extended codes (SQLITE_READONLY_DBMOVED, SQLITE_BUSY_SNAPSHOT...) share their primary code's meaning.
        primary = "_".join(name.split("_")[:2])
        if primary in _SQLITE_CODES:
            return _SQLITE_CODES[primary]
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate in _PG_CODES:
        return _PG_CODES[sqlstate]
    text = _first_line(orig).lower()
    for needle, cls in (
        ("database is locked", DatabaseLockedError),
        ("readonly", ReadOnlyDatabaseError),
        ("read-only", ReadOnlyDatabaseError),
        ("disk is full", DiskFullError),
        ("not a database", CorruptDatabaseError),
        ("malformed", CorruptDatabaseError),
        ("no such table", SchemaError),
        ("no such column", SchemaError),
    ):
        if needle in text:
            return cls
    return StoreError


def translate(exc: BaseException, *, action: str, where: str) -> StoreError:
    """Build the StoreError for `exc`, raised while trying to `action` (a verb phrase) on `where` (the database)."""
    cls = classify(exc)
    orig = getattr(exc, "orig", None) or exc
    return cls(f"Could not {action}: {where} reported '{_first_line(orig)}'. {_ADVICE[cls]}")


__all__ = [
    "CorruptDatabaseError",
    "DatabaseLockedError",
    "DiskFullError",
    "MigrationError",
    "ReadOnlyDatabaseError",
    "SchemaError",
    "classify",
    "translate",
]
