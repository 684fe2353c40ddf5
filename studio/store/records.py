"""The tables, as SQLModel classes (`XRecord`, `table=True`).

These classes describe the schema that `migrations.py` builds; they are never used to create tables
(`SQLModel.metadata.create_all` would bypass the migration history). A test migrates an empty database and checks
that every table and column here exists there, so the two cannot drift apart.

Design choices that hold across tables:
* Timestamps are UTC seconds since the epoch (floats), like `BaseEvent.ts`: one representation for SQLite and
  PostgreSQL, no time-zone conversions, cheap to compare.
* JSON is stored as text, exactly as written: a run's snapshot must be byte-for-byte the spec it ran (JSONB would
  reorder keys), and the store stays generic over spec kinds.
* Ids are uuid4 hex strings, so several studio processes sharing a PostgreSQL database never collide.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel


class SpecRecord(SQLModel, table=True):
    """A designed thing (model, tool, agent, team, bundle). Its content lives in `SpecVersionRecord` rows."""

    __tablename__ = "specs"
    __table_args__ = (
        # Names are unique among live specs of a kind; a deleted spec frees its name but keeps its history.
        Index(
            "ux_specs_live_name",
            "kind",
            "name",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: str = Field(primary_key=True)
    kind: str
    name: str
    current_version: int
    created_at: float
    updated_at: float
    deleted_at: float | None = None


class SpecVersionRecord(SQLModel, table=True):
    """One saved version of a spec. Rows are only ever inserted: saving never loses the previous version."""

    __tablename__ = "spec_versions"

    spec_id: str = Field(primary_key=True, foreign_key="specs.id", ondelete="CASCADE")
    version: int = Field(primary_key=True)
    data: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str
    note: str = ""
    created_at: float


class SessionRecord(SQLModel, table=True):
    """A conversation: the runs that continue one another."""

    __tablename__ = "sessions"

    id: str = Field(primary_key=True)
    name: str
    team_id: str | None = None
    owner: str = ""
    created_at: float
    updated_at: float = Field(index=True)


class RunRecord(SQLModel, table=True):
    """One execution of a team on a task, with the exact spec it ran and its totals."""

    __tablename__ = "runs"

    id: str = Field(primary_key=True)
    session_id: str | None = Field(default=None, foreign_key="sessions.id", ondelete="CASCADE")
    # Not a foreign key: a run outlives its team (the snapshot is what it ran).
    team_id: str | None = None
    team_version: int | None = None
    team_name: str = ""
    spec_snapshot: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    task: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: str
    stop_reason: str = ""
    error: str = Field(default="", sa_column=Column(Text, nullable=False))
    owner: str = ""
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    event_count: int = 0
    # Added by migration 3.
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: float = 0.0
    duration: float | None = None
    last_seq: int = 0


class EventRecord(SQLModel, table=True):
    """One run event, append-only, keyed by (run_id, seq). `payload` is the event's `to_dict()` as JSON."""

    __tablename__ = "events"

    run_id: str = Field(primary_key=True, foreign_key="runs.id", ondelete="CASCADE")
    seq: int = Field(primary_key=True)
    type: str
    ts: float
    payload: str = Field(sa_column=Column(Text, nullable=False))


class SettingRecord(SQLModel, table=True):
    __tablename__ = "settings"

    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    updated_at: float


class SecretRecord(SQLModel, table=True):
    """An encrypted secret (Fernet). The key is outside the database; `last4` is empty for short values."""

    __tablename__ = "secrets"

    name: str = Field(primary_key=True)
    ciphertext: str = Field(sa_column=Column(Text, nullable=False))
    last4: str = ""
    created_at: float
    updated_at: float


class SchemaMigrationRecord(SQLModel, table=True):
    __tablename__ = "schema_migrations"

    version: int = Field(primary_key=True)
    name: str
    applied_at: float


RECORDS: tuple[type[SQLModel], ...] = (
    SpecRecord,
    SpecVersionRecord,
    SessionRecord,
    RunRecord,
    EventRecord,
    SettingRecord,
    SecretRecord,
    SchemaMigrationRecord,
)

__all__ = [
    "EventRecord",
    "RECORDS",
    "RunRecord",
    "SchemaMigrationRecord",
    "SecretRecord",
    "SessionRecord",
    "SettingRecord",
    "SpecRecord",
    "SpecVersionRecord",
]
