"""Secrets (SECURITY.md catalogue G): encrypted at rest, key outside the database, shown masked, never copied."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from studio.errors import NotFoundError, StoreError
from studio.store import (
    Store,
    create_run,
    delete_secret,
    get_secret,
    list_secrets,
    open_store,
    save_spec,
    set_secret,
    set_setting,
)


def canary() -> str:
    return f"sk-canary-{uuid.uuid4()}"


def all_stored_text(store: Store) -> str:
    """Every value of every table, as text: what someone holding the database file would see."""
    chunks: list[str] = []
    with store.read() as session:
        conn = session.connection()
        for table in ("specs", "spec_versions", "sessions", "runs", "events", "settings", "secrets"):
            for row in conn.exec_driver_sql(f"SELECT * FROM {table}"):
                chunks.extend(str(v) for v in row)
    return "\n".join(chunks)


def test_set_get_replace_and_delete_a_secret(store: Store) -> None:
    key = canary()
    info = set_secret("OPENAI_API_KEY", SecretStr(key), store=store)
    assert info.name == "OPENAI_API_KEY" and info.masked == "••••" + key[-4:]
    assert get_secret("OPENAI_API_KEY", store=store) == key

    replacement = canary()
    set_secret("OPENAI_API_KEY", replacement, store=store)
    assert get_secret("OPENAI_API_KEY", store=store) == replacement
    delete_secret("OPENAI_API_KEY", store=store)
    with pytest.raises(NotFoundError, match="No secret named 'OPENAI_API_KEY'"):
        get_secret("OPENAI_API_KEY", store=store)
    with pytest.raises(StoreError, match="not valid"):
        set_secret("bad name!", "x" * 20, store=store)


def test_T54_listing_shows_at_most_the_last_four_characters(store: Store) -> None:
    long_key, short_key = canary(), "short-pw"
    set_secret("LONG", long_key, store=store)
    set_secret("SHORT", short_key, store=store)
    listed = {s.name: s.masked for s in list_secrets(store=store)}
    assert listed == {"LONG": "••••" + long_key[-4:], "SHORT": "••••"}  # short values show nothing at all
    for info in list_secrets(store=store):
        assert long_key[:-4] not in repr(info) and short_key not in repr(info)


def test_T55_ciphertext_holds_no_plaintext_and_the_key_lives_outside_the_database(store: Store, home: Path) -> None:
    key = canary()
    set_secret("OPENAI_API_KEY", key, store=store)
    dump = all_stored_text(store)
    assert key not in dump and key[-20:] not in dump

    key_file = home / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    fernet_key = key_file.read_bytes().strip()
    assert fernet_key.decode() not in dump  # the key is not in any table
    if store.path is not None:
        raw = b"".join(p.read_bytes() for p in store.path.parent.glob(store.path.name + "*"))
        assert key.encode() not in raw and fernet_key not in raw


def test_T55_database_file_is_0600_in_a_0700_home(sqlite_store: Store) -> None:
    set_secret("K", canary(), store=sqlite_store)
    assert sqlite_store.path is not None
    assert stat.S_IMODE(sqlite_store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(sqlite_store.home.stat().st_mode) == 0o700
    for companion in ("-wal", "-shm"):
        path = sqlite_store.path.with_name(sqlite_store.path.name + companion)
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_specs_settings_and_snapshots_holding_a_secret_value_are_refused(store: Store) -> None:
    key = canary()
    set_secret("OPENAI_API_KEY", key, store=store)
    with pytest.raises(StoreError, match="contains the value of a stored secret") as info:
        save_spec("model", "gpt", {"name": "gpt", "api_key": key}, store=store)
    assert key not in str(info.value)
    with pytest.raises(StoreError, match="contains the value of a stored secret"):
        set_setting("leak", {"token": key}, store=store)
    with pytest.raises(StoreError, match="contains the value of a stored secret"):
        create_run(None, "t", snapshot={"model": {"api_key": key}}, store=store)
    # A reference by name is what specs are for.
    save_spec("model", "gpt", {"name": "gpt", "api_key_secret": "OPENAI_API_KEY"}, store=store)


def test_a_second_store_on_the_same_database_reads_and_guards_the_secret(db_url: str, home: Path) -> None:
    key = canary()
    with open_store(db_url, home=home) as first:
        set_secret("SHARED", key, store=first)
    with open_store(db_url, home=home) as second:
        assert get_secret("SHARED", store=second) == key
        # And it refuses to copy it into a spec although it never called get_secret before.
        with pytest.raises(StoreError, match="stored secret"):
            save_spec("model", "m", {"name": "m", "key": key}, store=second)


def test_key_from_the_environment_is_used_and_never_written_to_disk(
    db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_key = Fernet.generate_key().decode()
    monkeypatch.setenv("STUDIO_SECRET_KEY", env_key)
    key = canary()
    with open_store(db_url, home=home) as store:
        set_secret("K", key, store=store)
        assert get_secret("K", store=store) == key
        assert not (home / "secret.key").exists()
        with store.read() as session:
            token = session.connection().exec_driver_sql("SELECT ciphertext FROM secrets").scalar()
    assert Fernet(env_key.encode()).decrypt(token.encode()).decode().endswith(key)

    monkeypatch.setenv("STUDIO_SECRET_KEY", "not-a-key")
    with open_store(db_url, home=home) as store, pytest.raises(StoreError, match="not a Fernet key") as info:
        get_secret("K", store=store)
    assert "not-a-key" not in str(info.value)


def test_a_lost_key_is_reported_and_never_silently_replaced(db_url: str, home: Path) -> None:
    with open_store(db_url, home=home) as store:
        set_secret("K", canary(), store=store)
    os.remove(home / "secret.key")
    with open_store(db_url, home=home) as store:
        with pytest.raises(StoreError, match="secret key file .* is missing"):
            get_secret("K", store=store)
        assert not (home / "secret.key").exists()


def test_a_ciphertext_moved_to_another_name_does_not_decrypt(store: Store) -> None:
    set_secret("A", canary(), store=store)
    set_secret("B", canary(), store=store)
    with store.write() as session:
        conn = session.connection()
        token = conn.exec_driver_sql(store.sql("SELECT ciphertext FROM secrets WHERE name = ?"), ("A",)).scalar()
        conn.exec_driver_sql(store.sql("UPDATE secrets SET ciphertext = ? WHERE name = ?"), (token, "B"))
    with pytest.raises(StoreError, match="belongs to another name"):
        get_secret("B", store=store)
