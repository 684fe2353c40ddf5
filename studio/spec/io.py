"""Read and write specs as text: JSON or YAML in, validated specs out; specs out as stable text.

Reading is parse (`_parse`: limits, no duplicate keys, no NaN, no YAML aliases) → migrate (`migrations`) → validate
(pydantic) → errors translated into a `SpecValidationError` whose issues name JSON paths. A bundle read from text
has its tool approvals cleared unless the caller says the text is the studio's own (`keep_approvals=True`, for the
store): approval is something a person does here, not something a file can claim.

Writing is deterministic — every field, keys sorted, lists in their meaningful order, a final newline — so a
re-export of an unchanged spec is byte-identical (T17). YAML writes multi-line text (tool sources, system messages)
as literal blocks, which keeps exported tools readable and diffable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from studio.errors import SpecError
from studio.spec._ags_tables import is_autogen_studio
from studio.spec._errors import translate
from studio.spec._parse import Format, parse_text
from studio.spec.agent import AgentSpec
from studio.spec.bundle import CURRENT_SCHEMA_VERSION, Bundle
from studio.spec.migrations import migrate_bundle, migrate_spec
from studio.spec.model import ModelSpec
from studio.spec.team import TeamSpec
from studio.spec.termination import TerminationSpec
from studio.spec.tool import ToolSpec

SpecKind = Literal["model", "tool", "agent", "team", "termination"]
DumpFormat = Literal["json", "yaml"]

_SPEC_TYPES: dict[str, Any] = {
    "model": ModelSpec,
    "tool": ToolSpec,
    "agent": AgentSpec,
    "team": TeamSpec,
    "termination": TerminationSpec,
}
_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


@dataclass(slots=True)
class ImportResult:
    """An imported bundle and the notes a person should read (dropped settings, replaced keys, migrations)."""

    bundle: Bundle
    warnings: list[str] = field(default_factory=list)
    source_format: Literal["studio", "autogen_studio"] = "studio"


def _adapter(kind: str) -> TypeAdapter[Any]:
    if kind not in _SPEC_TYPES:
        raise SpecError(f"unknown spec kind {kind!r}.", choices=_SPEC_TYPES, value=kind)
    if kind not in _ADAPTERS:
        _ADAPTERS[kind] = TypeAdapter(_SPEC_TYPES[kind])
    return _ADAPTERS[kind]


def bundle_from_data(data: Any, *, keep_approvals: bool = False) -> tuple[Bundle, list[str]]:
    """Migrate and validate parsed data as a bundle. Returns the bundle and the migration notes."""
    if not isinstance(data, dict):
        raise SpecError(f"A bundle is a JSON object (a mapping); this file holds a {type(data).__name__}.")
    _refuse_autogen_studio(data)
    migrated, notes = migrate_bundle(data)
    try:
        bundle = Bundle.model_validate(migrated)
    except ValidationError as e:
        raise translate(e, migrated, Bundle) from None
    return (bundle if keep_approvals else bundle.clear_approvals()), notes


def _refuse_autogen_studio(data: dict[str, Any]) -> None:
    if is_autogen_studio(data):
        raise SpecError(
            "This is an AutoGen Studio file, not a Parley bundle; import it with import_bundle() "
            "(or `studio import`), which converts it."
        )


def load_bundle_with_notes(
    text: str | bytes, *, format: Format = "auto", keep_approvals: bool = False
) -> tuple[Bundle, list[str]]:
    """Parse, migrate and validate a bundle; also return the migration notes."""
    return bundle_from_data(parse_text(text, format=format), keep_approvals=keep_approvals)


def load_bundle(text: str | bytes, *, format: Format = "auto", keep_approvals: bool = False) -> Bundle:
    """Parse, migrate and validate a bundle (JSON or YAML). Tool approvals are cleared unless `keep_approvals`."""
    return load_bundle_with_notes(text, format=format, keep_approvals=keep_approvals)[0]


def import_bundle(text: str | bytes, *, format: Format = "auto") -> ImportResult:
    """Import a file from outside: a Parley bundle or an AutoGen Studio team (or gallery). Never trusted."""
    from studio.spec.autogen_studio import import_autogen_studio  # built on this module, hence imported late

    data = parse_text(text, format=format)
    if isinstance(data, dict) and is_autogen_studio(data):
        return import_autogen_studio(data)
    bundle, notes = bundle_from_data(data, keep_approvals=False)
    return ImportResult(bundle, notes, "studio")


def spec_from_data(
    kind: SpecKind, data: Any, *, schema_version: int = CURRENT_SCHEMA_VERSION, keep_approvals: bool = False
) -> Any:
    """Migrate (from `schema_version`) and validate one spec of `kind` given as parsed data."""
    adapter = _adapter(kind)
    if isinstance(data, dict) and schema_version != CURRENT_SCHEMA_VERSION:
        data, _ = migrate_spec(kind, data, schema_version)
    try:
        spec = adapter.validate_python(data)
    except ValidationError as e:
        raise translate(e, data, _SPEC_TYPES[kind]) from None
    if not keep_approvals and getattr(spec, "approved_hash", None) is not None:
        spec = spec.model_copy(update={"approved_hash": None})
    return spec


def load_spec(
    text: str | bytes,
    kind: SpecKind,
    *,
    format: Format = "auto",
    schema_version: int = CURRENT_SCHEMA_VERSION,
    keep_approvals: bool = False,
) -> Any:
    """Parse, migrate and validate a single spec: a model, tool, agent, team or termination condition."""
    return spec_from_data(
        kind, parse_text(text, format=format), schema_version=schema_version, keep_approvals=keep_approvals
    )


def spec_to_data(spec: BaseModel) -> dict[str, Any]:
    """The JSON-ready data of a spec (every field, so nothing depends on defaults that may change)."""
    return spec.model_dump(mode="json")


def dump_bundle(bundle: Bundle, format: DumpFormat = "json") -> str:
    """Stable text of a bundle: JSON (indented, keys sorted) or YAML. Re-dumping an equal bundle gives equal bytes."""
    return _dump(spec_to_data(bundle), format)


def dump_spec(spec: BaseModel, format: DumpFormat = "json") -> str:
    """Stable text of a single spec."""
    return _dump(spec_to_data(spec), format)


def _dump(data: Any, format: DumpFormat) -> str:
    if format == "json":
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    if format == "yaml":
        return yaml.dump(data, Dumper=_Dumper, sort_keys=True, allow_unicode=True, default_flow_style=False, width=120)
    raise SpecError(f"unknown format {format!r}.", choices=("json", "yaml"), value=format)


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line text as literal blocks."""


_ODD_BREAKS = ("\r", "\x85", "\u2028", "\u2029")


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # YAML folds the rarer line breaks (CR, NEL, LS, PS) in plain, quoted and block styles alike; only the
    # double-quoted style escapes them, so a value holding one keeps its exact bytes through a round trip.
    if any(b in value for b in _ODD_BREAKS):
        style: str | None = '"'
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
