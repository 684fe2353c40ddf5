"""The studio's database: SQLModel on SQLite by default (`$STUDIO_HOME/studio.db`), any SQLAlchemy URL otherwise.

    store = open_store()                      # or open_store("postgresql+psycopg://user@host/db")
    team_id, version = save_spec("team", "research", team_json, store=store)
    run = create_run(team_id, "Summarise the paper", snapshot=team_json, team_version=version, store=store)
    start_run(run.id, store=store)
    append_event(run.id, event, store=store)  # one commit each
    finish_run(run.id, "completed", stop_reason="TERMINATE", store=store)
    replay = load_events(run.id, store=store)

Only this package imports sqlmodel/sqlalchemy. Repository functions take the store as the keyword `store=`, return
frozen dataclasses (never live ORM rows), and raise `StoreError` subclasses whose messages say what to do.
"""

from studio.store.db import BUSY_TIMEOUT_MS, DB_FILENAME, DEFAULT_HOME, Store, open_store, resolve_home, resolve_url
from studio.store.errors import (
    CorruptDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    MigrationError,
    ReadOnlyDatabaseError,
    SchemaError,
)
from studio.store.eventlog import append_event, append_events, event_count, load_events
from studio.store.migrations import LATEST as SCHEMA_VERSION
from studio.store.migrations import MIGRATIONS, Migration, schema_version, upgrade
from studio.store.redact import RedactingFilter, Redactor, install_redaction, redact
from studio.store.runs import (
    FINAL_STATUSES,
    INTERRUPTED_NOTE,
    RUN_STATUSES,
    TRANSITIONS,
    RunInfo,
    create_run,
    delete_run,
    finish_run,
    get_run,
    list_runs,
    mark_interrupted_on_startup,
    set_run_status,
    set_run_totals,
    start_run,
)
from studio.store.secrets import (
    SecretInfo,
    delete_secret,
    get_secret,
    list_secrets,
    refuse_secret_values,
    scrub,
    set_secret,
)
from studio.store.sessions import (
    SessionInfo,
    create_session,
    delete_session,
    get_session,
    list_sessions,
    rename_session,
    search_sessions,
    touch_session,
)
from studio.store.settings import delete_setting, get_setting, list_settings, set_setting
from studio.store.specs import (
    SPEC_KINDS,
    SpecRef,
    SpecReference,
    StoredSpec,
    delete_spec,
    duplicate_spec,
    get_spec,
    list_specs,
    references,
    restore_version,
    save_spec,
    spec_history,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CorruptDatabaseError",
    "DB_FILENAME",
    "DEFAULT_HOME",
    "DatabaseLockedError",
    "DiskFullError",
    "FINAL_STATUSES",
    "INTERRUPTED_NOTE",
    "MIGRATIONS",
    "Migration",
    "MigrationError",
    "RUN_STATUSES",
    "ReadOnlyDatabaseError",
    "RedactingFilter",
    "Redactor",
    "RunInfo",
    "SCHEMA_VERSION",
    "SPEC_KINDS",
    "SchemaError",
    "SecretInfo",
    "SessionInfo",
    "SpecRef",
    "SpecReference",
    "Store",
    "StoredSpec",
    "TRANSITIONS",
    "append_event",
    "append_events",
    "create_run",
    "create_session",
    "delete_run",
    "delete_secret",
    "delete_session",
    "delete_setting",
    "delete_spec",
    "duplicate_spec",
    "event_count",
    "finish_run",
    "get_run",
    "get_secret",
    "get_session",
    "get_setting",
    "get_spec",
    "install_redaction",
    "list_runs",
    "list_secrets",
    "list_sessions",
    "list_settings",
    "list_specs",
    "load_events",
    "mark_interrupted_on_startup",
    "open_store",
    "redact",
    "references",
    "refuse_secret_values",
    "rename_session",
    "resolve_home",
    "resolve_url",
    "restore_version",
    "save_spec",
    "schema_version",
    "scrub",
    "search_sessions",
    "set_run_status",
    "set_run_totals",
    "set_secret",
    "set_setting",
    "spec_history",
    "start_run",
    "touch_session",
    "upgrade",
]
