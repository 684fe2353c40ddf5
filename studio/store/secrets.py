"""Secrets: values encrypted at rest with Fernet, the key kept outside the database, listings masked.

The key is `STUDIO_SECRET_KEY` (a Fernet key; set it when several machines share one PostgreSQL database) or the file
`$STUDIO_HOME/secret.key`, created 0600 on first use with an atomic link so two processes never write two keys. The
plaintext that is encrypted is `name + "\\0" + value`, so a ciphertext copied onto another secret's row fails to
decrypt instead of handing out the wrong key.

Only `get_secret` returns a value (for the model client); it also registers the value with the store's redactor, as
does every secret this process stores or loads, so the value is scrubbed from event payloads and logs.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlmodel import col, select

from studio.errors import NotFoundError, StoreError
from studio.store.db import Store
from studio.store.records import SecretRecord
from studio.store.redact import redact

KEY_ENV = "STUDIO_SECRET_KEY"
KEY_FILENAME = "secret.key"
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
MASK = "••••"
SHOW_LAST4_FROM = 16  # shorter values show no characters at all


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """What may be shown of a secret: its name and a mask with at most its last 4 characters."""

    name: str
    masked: str
    created_at: float
    updated_at: float


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise StoreError(
            f"The secret name {name!r} is not valid; use 1 to 100 letters, digits, '_', '.' or '-' (e.g. OPENAI_API_KEY)."
        )


def _fernet(store: Store, *, create: bool = False) -> Fernet:
    """The store's cipher. Only storing a secret may create the key: a missing key must not be replaced silently."""
    cached = store._cache.get("fernet")
    if cached is None:
        with store._lock:
            cached = store._cache.get("fernet") or Fernet(_load_key(store, create=create))
            store._cache["fernet"] = cached
    return cached


def key_path(store: Store) -> str:
    return str(store.home / KEY_FILENAME)


def _load_key(store: Store, *, create: bool) -> bytes:
    env = os.environ.get(KEY_ENV)
    if env:
        try:
            Fernet(env.encode())
        except ValueError:
            # Never quote the value: it is the key.
            raise StoreError(
                f"{KEY_ENV} is set but is not a Fernet key (32 url-safe base64-encoded bytes). Generate one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
            ) from None
        return env.encode()
    path = store.home / KEY_FILENAME
    if not path.exists() and not create:
        raise StoreError(
            f"The secret key file {path} is missing (and {KEY_ENV} is not set), so stored secrets cannot be "
            "decrypted. Restore the file from a backup, or delete the secrets and enter them again."
        )
    if not path.exists():
        if not store.home.exists():
            store.home.mkdir(parents=True, exist_ok=True)
            os.chmod(store.home, 0o700)
        tmp = path.with_name(f".{KEY_FILENAME}.{os.getpid()}.{time.monotonic_ns()}")
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            os.write(fd, Fernet.generate_key())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic and refuses to replace: the first process's key wins
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    mode = path.stat().st_mode
    if mode & 0o077:
        os.chmod(path, 0o600)
    key = path.read_bytes().strip()
    try:
        Fernet(key)
    except ValueError:
        raise StoreError(
            f"The secret key file {path} is damaged (not a Fernet key). Restore it from a backup; without it the "
            "stored secrets cannot be decrypted (delete them and enter them again)."
        ) from None
    return key


def _decrypt(store: Store, record: SecretRecord) -> str:
    try:
        plain = _fernet(store).decrypt(record.ciphertext.encode()).decode()
    except InvalidToken:
        raise StoreError(
            f"The secret '{record.name}' cannot be decrypted with the key in {KEY_ENV} or {key_path(store)}: the "
            "key changed or the row was tampered with. Enter the secret again."
        ) from None
    name, sep, value = plain.partition("\0")
    if not sep or name != record.name:
        raise StoreError(f"The stored secret '{record.name}' belongs to another name; enter it again.")
    return value


def _mask(last4: str) -> str:
    return MASK + last4


def set_secret(name: str, value: str | SecretStr, *, store: Store) -> SecretInfo:
    """Store (or replace) a secret. Returns its masked description."""
    _check_name(name)
    plain = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(plain, str) or not plain:
        raise StoreError(f"The secret '{name}' needs a non-empty text value.")
    token = _fernet(store, create=True).encrypt(f"{name}\0{plain}".encode()).decode()
    last4 = plain[-4:] if len(plain) >= SHOW_LAST4_FROM else ""
    now = time.time()
    with store.write(f"store the secret '{name}'") as session:
        record = session.get(SecretRecord, name, with_for_update=True)
        if record is None:
            record = SecretRecord(name=name, ciphertext=token, last4=last4, created_at=now, updated_at=now)
        else:
            record.ciphertext, record.last4, record.updated_at = token, last4, now
        session.add(record)
        info = SecretInfo(name, _mask(last4), record.created_at, now)
    store.redactor.add(plain)
    return info


def get_secret(name: str, *, store: Store) -> str:
    """The value of a secret, for the model client only. Never log it, never put it in a spec or an event."""
    _check_name(name)
    with store.read(f"load the secret '{name}'") as session:
        record = session.get(SecretRecord, name)
    if record is None:
        raise NotFoundError(f"No secret named '{name}' is stored. Add it on the Secrets page (or `studio secret set`).")
    value = _decrypt(store, record)
    store.redactor.add(value)
    return value


def list_secrets(*, store: Store) -> list[SecretInfo]:
    """Every secret, masked (at most the last 4 characters), by name. Nothing is decrypted."""
    with store.read("list the secrets") as session:
        rows = session.exec(select(SecretRecord).order_by(col(SecretRecord.name)))
        return [SecretInfo(r.name, _mask(r.last4), r.created_at, r.updated_at) for r in rows]


def delete_secret(name: str, *, store: Store) -> None:
    _check_name(name)
    with store.write(f"delete the secret '{name}'") as session:
        record = session.get(SecretRecord, name)
        if record is None:
            raise NotFoundError(f"No secret named '{name}' is stored.")
        session.delete(record)
    # The value stays in the redactor: it was a secret, and may still sit in some log line being written.


def load_secret_values(*, store: Store) -> None:
    """Teach the store's redactor every stored secret it can decrypt (undecryptable ones cannot be used, nor leak)."""
    with store.read("load the secrets for redaction") as session:
        rows = list(session.exec(select(SecretRecord)))
    if rows:
        for record in rows:
            try:
                store.redactor.add(_decrypt(store, record))
            except StoreError:
                continue
    store._secret_values_loaded = True


def scrub(text: str, *, store: Store, patterns: bool = True) -> str:
    """`text` without any stored secret value (nor, with `patterns`, anything shaped like a key)."""
    if not store._secret_values_loaded:
        load_secret_values(store=store)
    return redact(store.redactor.redact(text, patterns=False), patterns=patterns)


def refuse_secret_values(text: str, *, what: str, store: Store) -> None:
    """Fail closed when `text` (a spec, a snapshot, a setting) contains a stored secret's value."""
    if not store._secret_values_loaded:
        load_secret_values(store=store)
    if store.redactor.contains_secret(text):
        raise StoreError(
            f"{what[0].upper()}{what[1:]} contains the value of a stored secret. Specs and settings hold only "
            "secret names (e.g. api_key_secret: OPENAI_API_KEY); remove the value and reference the secret instead."
        )


__all__ = [
    "KEY_ENV",
    "KEY_FILENAME",
    "SecretInfo",
    "delete_secret",
    "get_secret",
    "list_secrets",
    "load_secret_values",
    "refuse_secret_values",
    "scrub",
    "set_secret",
]
