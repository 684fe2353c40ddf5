"""Store fixtures: every repository test runs against a real SQLite file and a real PostgreSQL server.

PostgreSQL is the CI machines' server on 127.0.0.1:5432 (trust auth, database `test`). Each test gets a fresh schema
(`search_path` in the URL), dropped afterwards, so parallel xdist workers never see each other's tables. Where no
server answers, the PostgreSQL variants skip with the reason.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.store import Store, open_store

PG_SERVER = os.environ.get("STUDIO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@functools.cache
def postgres_unavailable() -> str | None:
    """None when the test PostgreSQL server answers, else why not."""
    try:
        import psycopg
    except ImportError as e:  # pragma: no cover - psycopg is a dev dependency
        return f"psycopg is not installed ({e})"
    try:
        with psycopg.connect(PG_SERVER, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as e:
        return f"PostgreSQL is not reachable at {PG_SERVER}: {str(e).strip().splitlines()[0]}"
    return None


class PostgresSchema:
    """A schema of its own on the test server, and the SQLAlchemy URL that puts it first on the search_path."""

    def __init__(self) -> None:
        import psycopg

        self.name = f"t_{uuid.uuid4().hex[:16]}"
        self._psycopg = psycopg
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.name}")
        base = PG_SERVER.replace("postgresql://", "postgresql+psycopg://", 1)
        self.url = f"{base}?options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self._psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self.name} CASCADE")


@pytest.fixture
def pg_schema() -> Iterator[PostgresSchema]:
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    schema = PostgresSchema()
    try:
        yield schema
    finally:
        schema.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file under tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'studio.db'}"
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    schema = PostgresSchema()
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(db_url: str, home: Path) -> Iterator[Store]:
    """An open, migrated store on each backend."""
    s = open_store(db_url, home=home)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store in the default layout: `$STUDIO_HOME/studio.db`."""
    s = open_store(home=tmp_path / "home")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own database, home or key must never leak into (or be touched by) a test."""
    for name in ("STUDIO_DATABASE_URL", "STUDIO_HOME", "STUDIO_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
