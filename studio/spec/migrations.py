"""Ordered schema migrations: a file written by an older studio is upgraded, step by step, before validation.

Each `Migration` upgrades one version to the next and is written per spec kind (agent, team, model, tool), so the
same step upgrades a bundle (applied to each of its parts) and a single stored spec. A migration renames or reshapes;
it never drops a field it does not know — unknown fields stay and are then rejected by validation (T11) — and each
change it makes is reported as a note the UI can show ("agents[1]: renamed 'llm' to 'model'").

History: version 1 called an agent's model `llm` and a team's kind `type`; version 2 (current) says `model` and `kind`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from studio.errors import SpecError
from studio.spec.bundle import CURRENT_SCHEMA_VERSION

SpecKind = str  # "agent" | "team" | "model" | "tool" | "termination"
Step = Callable[[dict[str, Any], str], list[str]]
"""Upgrade one spec document in place; `path` names it in notes; returns the notes."""

OLDEST_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Migration:
    """Upgrade from `from_version` to `from_version + 1`."""

    from_version: int
    description: str
    steps: dict[SpecKind, Step] = field(default_factory=dict)


def _rename(doc: dict[str, Any], old: str, new: str, path: str) -> list[str]:
    if old not in doc:
        return []
    if new in doc:
        raise SpecError(
            f"both {old!r} (the version-1 name) and {new!r} are set; keep only {new!r}.", path=f"{path}.{old}"
        )
    doc[new] = doc.pop(old)
    return [f"{path}: renamed {old!r} to {new!r} (schema version 1 → 2)."]


def _v1_agent(doc: dict[str, Any], path: str) -> list[str]:
    return _rename(doc, "llm", "model", path)


def _v1_team(doc: dict[str, Any], path: str) -> list[str]:
    return _rename(doc, "type", "kind", path)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "Agents: 'llm' is now 'model'. Teams: 'type' is now 'kind'.", {"agent": _v1_agent, "team": _v1_team}),
)
"""Every migration, oldest first; `MIGRATIONS[i].from_version == OLDEST_SCHEMA_VERSION + i`."""


def check_version(data: dict[str, Any], path: str = "schema_version") -> int:
    """The document's schema version, or a SpecError saying why it cannot be used."""
    if "schema_version" not in data:
        raise SpecError(
            f'the schema_version is missing; add "schema_version": {CURRENT_SCHEMA_VERSION} (the current version).',
            path=path,
        )
    version = data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise SpecError(f"the schema_version must be a whole number, not {version!r}.", path=path)
    if version > CURRENT_SCHEMA_VERSION:
        raise SpecError(
            f"schema_version {version} was written by a newer studio; this one reads versions "
            f"{OLDEST_SCHEMA_VERSION} to {CURRENT_SCHEMA_VERSION}. Upgrade the studio.",
            path=path,
        )
    if version < OLDEST_SCHEMA_VERSION:
        raise SpecError(
            f"schema_version {version} does not exist; the first version is {OLDEST_SCHEMA_VERSION}.", path=path
        )
    return version


def _pending(version: int) -> list[Migration]:
    return [m for m in MIGRATIONS if m.from_version >= version]


def migrate_spec(
    kind: SpecKind, data: dict[str, Any], version: int, *, path: str = ""
) -> tuple[dict[str, Any], list[str]]:
    """Upgrade one spec document of `kind` from `version` to the current version. Returns a copy and the notes."""
    doc = copy.deepcopy(data)
    notes: list[str] = []
    for migration in _pending(version):
        step = migration.steps.get(kind)
        if step is not None:
            notes += step(doc, path or kind)
    return doc, notes


def migrate_bundle(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Upgrade a bundle document to the current version. Returns a copy (with the new version) and the notes."""
    version = check_version(data)
    if version == CURRENT_SCHEMA_VERSION:
        return data, []
    doc = copy.deepcopy(data)
    notes: list[str] = []
    for migration in _pending(version):
        parts: list[tuple[SpecKind, Any, str]] = [("team", doc.get("team"), "team")]
        for plural, kind in (("agents", "agent"), ("models", "model"), ("tools", "tool")):
            items = doc.get(plural)
            if isinstance(items, list):
                parts += [(kind, item, f"{plural}[{i}]") for i, item in enumerate(items)]
        for kind, part, path in parts:
            step = migration.steps.get(kind)
            if step is not None and isinstance(part, dict):
                notes += step(part, path)
        doc["schema_version"] = migration.from_version + 1
    return doc, notes
