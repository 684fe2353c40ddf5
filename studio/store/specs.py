"""Specs with version history: every save that changes a spec adds a version; nothing is ever overwritten.

The store is generic over spec kinds: it keeps JSON text, a kind and a name, and never imports `studio.spec`.
Identical content is detected by the SHA-256 of the canonical JSON (sorted keys), so saving an unchanged form
creates no new version. The text itself is kept as given (key order preserved).

Deleting is soft (`deleted_at`): the name becomes free for a new spec, the old one keeps its history and its id stays
readable (runs refer to it). Whether a deletion is allowed is the caller's decision; `references(kind, name)` tells it
which live specs mention the name.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlmodel import Session, col, select

from studio.errors import NotFoundError, SpecError, StoreError
from studio.store.db import Store
from studio.store.records import SpecRecord, SpecVersionRecord
from studio.store.secrets import refuse_secret_values

SPEC_KINDS: tuple[str, ...] = ("model", "tool", "agent", "team", "bundle")
# Which kinds may mention a spec of a given kind (a model is used by agents and by a team's manager/selector).
REFERRING_KINDS: dict[str, tuple[str, ...]] = {
    "model": ("agent", "team", "bundle"),
    "tool": ("agent", "team", "bundle"),
    "agent": ("team", "bundle"),
    "team": ("bundle",),
    "bundle": (),
}
MAX_NAME_LENGTH = 200


class SpecRef(NamedTuple):
    id: str
    version: int


@dataclass(frozen=True, slots=True)
class StoredSpec:
    """One version of a spec (the current one unless asked otherwise). Timestamps are UTC epoch seconds."""

    id: str
    kind: str
    name: str
    version: int
    current_version: int
    data: dict[str, Any]
    sha256: str
    note: str
    created_at: float  # of the spec
    updated_at: float  # of the spec's latest version
    version_created_at: float
    deleted_at: float | None = None

    @property
    def is_current(self) -> bool:
        return self.version == self.current_version


@dataclass(frozen=True, slots=True)
class SpecReference:
    """`spec` (a live spec) mentions the name at JSON path `path`, e.g. `agents[1].model`."""

    spec_id: str
    kind: str
    name: str
    path: str


def _check_kind(kind: str) -> None:
    if kind not in SPEC_KINDS:
        raise SpecError(f"Unknown spec kind {kind!r}.", path="kind", choices=SPEC_KINDS, value=kind)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise SpecError("A spec needs a non-empty name.", path="name", value=name)
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise SpecError(f"The name {name[:40]!r}… is longer than {MAX_NAME_LENGTH} characters.", path="name")
    return name


def _encode(data: dict[str, Any]) -> tuple[str, str]:
    if not isinstance(data, dict):
        raise SpecError(f"A spec must be a JSON object, not {type(data).__name__}.", path="")
    try:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        canonical = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise SpecError(f"The spec is not valid JSON data: {e}.", path="") from e
    return body, hashlib.sha256(canonical.encode()).hexdigest()


def _live(session: Session, kind: str, name: str) -> SpecRecord | None:
    stmt = select(SpecRecord).where(
        SpecRecord.kind == kind, SpecRecord.name == name, col(SpecRecord.deleted_at).is_(None)
    )
    return session.exec(stmt.with_for_update()).first()


def _version(session: Session, spec_id: str, version: int) -> SpecVersionRecord | None:
    return session.get(SpecVersionRecord, (spec_id, version))


def _stored(spec: SpecRecord, ver: SpecVersionRecord) -> StoredSpec:
    return StoredSpec(
        id=spec.id,
        kind=spec.kind,
        name=spec.name,
        version=ver.version,
        current_version=spec.current_version,
        data=json.loads(ver.data),
        sha256=ver.sha256,
        note=ver.note,
        created_at=spec.created_at,
        updated_at=spec.updated_at,
        version_created_at=ver.created_at,
        deleted_at=spec.deleted_at,
    )


def _add_version(session: Session, spec: SpecRecord, body: str, sha: str, note: str, now: float) -> SpecRef:
    current = _version(session, spec.id, spec.current_version)
    if current is not None and current.sha256 == sha:
        return SpecRef(spec.id, spec.current_version)  # identical content: no new version
    spec.current_version += 1
    spec.updated_at = now
    session.add(spec)
    session.add(
        SpecVersionRecord(
            spec_id=spec.id, version=spec.current_version, data=body, sha256=sha, note=note, created_at=now
        )
    )
    return SpecRef(spec.id, spec.current_version)


def save_spec(
    kind: str, name: str, data: dict[str, Any], *, store: Store, spec_id: str | None = None, note: str = ""
) -> SpecRef:
    """Save `data` as the newest version of the spec `kind`/`name` (created if new). Returns `(id, version)`.

    With `spec_id`, saves a new version of that spec, renaming it to `name` (for a form whose name field changed).
    Content identical to the current version creates no version. Data holding a stored secret's value is refused.
    """
    _check_kind(kind)
    name = _check_name(name)
    body, sha = _encode(data)
    refuse_secret_values(body, what=f"the {kind} '{name}'", store=store)
    now = time.time()
    with store.write(f"save the {kind} '{name}'") as session:
        clash = _live(session, kind, name)
        if spec_id is None:
            spec = clash
        else:
            spec = _get_live_by_id(session, spec_id, kind)
            if clash is not None and clash.id != spec.id:
                raise StoreError(f"A {kind} named '{name}' already exists (id {clash.id}); choose another name.")
            spec.name = name
        if spec is None:
            spec = SpecRecord(
                id=uuid.uuid4().hex, kind=kind, name=name, current_version=0, created_at=now, updated_at=now
            )
        return _add_version(session, spec, body, sha, note, now)


def _get_live_by_id(session: Session, spec_id: str, kind: str | None = None) -> SpecRecord:
    spec = session.get(SpecRecord, spec_id, with_for_update=True)
    if spec is None or spec.deleted_at is not None or (kind is not None and spec.kind != kind):
        what = kind or "spec"
        raise NotFoundError(f"No {what} with id '{spec_id}' exists (it may have been deleted).")
    return spec


def _resolve(session: Session, ref: str, kind: str | None) -> SpecRecord:
    spec = session.get(SpecRecord, ref)
    if spec is not None and (kind is None or spec.kind == kind):
        return spec
    stmt = select(SpecRecord).where(SpecRecord.name == ref, col(SpecRecord.deleted_at).is_(None))
    if kind is not None:
        stmt = stmt.where(SpecRecord.kind == kind)
    matches = list(session.exec(stmt))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        kinds = ", ".join(sorted(m.kind for m in matches))
        raise StoreError(f"Several specs are named '{ref}' (kinds: {kinds}); say which kind you mean.")
    what = f"{kind} " if kind else "spec "
    raise NotFoundError(f"No {what}with id or name '{ref}' exists. List them with `studio list`.")


def get_spec(ref: str, *, store: Store, kind: str | None = None, version: int | None = None) -> StoredSpec:
    """A spec by id, or by name (a live spec; give `kind` when names repeat across kinds). Current version default."""
    if kind is not None:
        _check_kind(kind)
    with store.read(f"load the spec '{ref}'") as session:
        spec = _resolve(session, ref, kind)
        wanted = spec.current_version if version is None else version
        ver = _version(session, spec.id, wanted)
        if ver is None:
            raise NotFoundError(
                f"The {spec.kind} '{spec.name}' has no version {wanted}; its versions are 1 to {spec.current_version}."
            )
        return _stored(spec, ver)


def list_specs(kind: str | None = None, *, store: Store, include_deleted: bool = False) -> list[StoredSpec]:
    """The current version of every spec (of `kind`), by kind then name."""
    if kind is not None:
        _check_kind(kind)
    stmt = select(SpecRecord, SpecVersionRecord).join(
        SpecVersionRecord,
        (col(SpecVersionRecord.spec_id) == col(SpecRecord.id))
        & (col(SpecVersionRecord.version) == col(SpecRecord.current_version)),
    )
    if kind is not None:
        stmt = stmt.where(SpecRecord.kind == kind)
    if not include_deleted:
        stmt = stmt.where(col(SpecRecord.deleted_at).is_(None))
    stmt = stmt.order_by(col(SpecRecord.kind), col(SpecRecord.name), col(SpecRecord.created_at))
    with store.read("list the specs") as session:
        return [_stored(spec, ver) for spec, ver in session.exec(stmt)]


def spec_history(spec_id: str, *, store: Store) -> list[StoredSpec]:
    """Every version of a spec, oldest first."""
    with store.read(f"load the history of spec '{spec_id}'") as session:
        spec = session.get(SpecRecord, spec_id)
        if spec is None:
            raise NotFoundError(f"No spec with id '{spec_id}' exists.")
        stmt = select(SpecVersionRecord).where(SpecVersionRecord.spec_id == spec_id)
        versions = session.exec(stmt.order_by(col(SpecVersionRecord.version)))
        return [_stored(spec, ver) for ver in versions]


def restore_version(spec_id: str, version: int, *, store: Store) -> SpecRef:
    """Make an old version current again, as a new version (history is never rewritten)."""
    now = time.time()
    with store.write(f"restore version {version} of spec '{spec_id}'") as session:
        spec = _get_live_by_id(session, spec_id)
        old = _version(session, spec_id, version)
        if old is None:
            raise NotFoundError(
                f"The {spec.kind} '{spec.name}' has no version {version}; its versions are 1 to {spec.current_version}."
            )
        return _add_version(session, spec, old.data, old.sha256, f"restored from version {version}", now)


def duplicate_spec(spec_id: str, new_name: str, *, store: Store) -> SpecRef:
    """A new spec with the current content of `spec_id` under `new_name` (a top-level `name` field is renamed too)."""
    source = get_spec(spec_id, store=store)
    data = dict(source.data)
    if "name" in data:
        data["name"] = _check_name(new_name)
    with store.read("check the new name") as session:
        if _live(session, source.kind, _check_name(new_name)) is not None:
            raise StoreError(f"A {source.kind} named '{new_name}' already exists; choose another name.")
    return save_spec(source.kind, new_name, data, store=store, note=f"duplicated from '{source.name}'")


def delete_spec(spec_id: str, *, store: Store) -> None:
    """Soft-delete a spec: it leaves listings and frees its name; its versions stay readable by id."""
    with store.write(f"delete spec '{spec_id}'") as session:
        spec = _get_live_by_id(session, spec_id)
        spec.deleted_at = time.time()
        session.add(spec)


def references(kind: str, name: str, *, store: Store, in_kinds: Iterable[str] | None = None) -> list[SpecReference]:
    """Live specs whose current JSON mentions `name` as a whole string value (their own top-level name aside).

    Only the kinds that can use a `kind` are scanned (`REFERRING_KINDS`), unless `in_kinds` says otherwise.
    """
    _check_kind(kind)
    scanned = tuple(REFERRING_KINDS[kind] if in_kinds is None else in_kinds)
    found: list[SpecReference] = []
    for spec in list_specs(store=store):
        if spec.kind not in scanned or (spec.kind == kind and spec.name == name):
            continue
        for path in _mentions(spec.data, name, ""):
            found.append(SpecReference(spec.id, spec.kind, spec.name, path))
    return found


def _mentions(value: Any, name: str, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if value == name:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if path == "" and key == "name":
                continue
            yield from _mentions(item, name, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _mentions(item, name, f"{path}[{i}]")


__all__ = [
    "REFERRING_KINDS",
    "SPEC_KINDS",
    "SpecRef",
    "SpecReference",
    "StoredSpec",
    "delete_spec",
    "duplicate_spec",
    "get_spec",
    "list_specs",
    "references",
    "restore_version",
    "save_spec",
    "spec_history",
]
