"""Settings: small JSON values by key (UI preferences, defaults for new runs, approved MCP commands...).

A value that contains a stored secret is refused: secrets live in the secret store and settings name them.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlmodel import col, select

from studio.errors import NotFoundError, StoreError
from studio.store.db import Store
from studio.store.records import SettingRecord
from studio.store.secrets import refuse_secret_values

_MISSING: Any = object()


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise StoreError(f"The setting key {key!r} is not valid; use a short non-empty name such as 'ui.theme'.")


def set_setting(key: str, value: Any, *, store: Store) -> None:
    _check_key(key)
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise StoreError(f"The value of setting '{key}' is not JSON data: {e}.") from e
    refuse_secret_values(text, what=f"the setting '{key}'", store=store)
    with store.write(f"save the setting '{key}'") as session:
        record = session.get(SettingRecord, key, with_for_update=True)
        if record is None:
            record = SettingRecord(key=key, value=text, updated_at=time.time())
        else:
            record.value, record.updated_at = text, time.time()
        session.add(record)


def get_setting(key: str, default: Any = _MISSING, *, store: Store) -> Any:
    """The setting's value; `default` when it is not set (NotFoundError if no default is given)."""
    _check_key(key)
    with store.read(f"load the setting '{key}'") as session:
        record = session.get(SettingRecord, key)
    if record is None:
        if default is _MISSING:
            raise NotFoundError(f"The setting '{key}' is not set.")
        return default
    return json.loads(record.value)


def delete_setting(key: str, *, store: Store) -> bool:
    """Remove a setting; returns whether it existed."""
    _check_key(key)
    with store.write(f"delete the setting '{key}'") as session:
        record = session.get(SettingRecord, key)
        if record is None:
            return False
        session.delete(record)
        return True


def list_settings(*, store: Store, prefix: str = "") -> dict[str, Any]:
    stmt = select(SettingRecord).order_by(col(SettingRecord.key))
    if prefix:
        stmt = stmt.where(col(SettingRecord.key).startswith(prefix))
    with store.read("list the settings") as session:
        return {r.key: json.loads(r.value) for r in session.exec(stmt)}


__all__ = ["delete_setting", "get_setting", "list_settings", "set_setting"]
