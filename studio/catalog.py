"""The catalog: bundles ↔ the store's separate, versioned specs (kinds "model", "tool", "agent", "team").

`save_bundle` splits a bundle into one stored spec per model, tool, agent and team, in dependency order. A name that
is free is taken; a name whose stored spec has the same content is reused (importing twice changes nothing); a name
taken by *different* content is never overwritten (T18): with `on_conflict="copy"` the spec is saved as a copy —
`name-2`, `name-3`, ... (`name_2` for Python tools, whose name is their function's, so the `def` is renamed too) — and
every reference to it in the bundle is rewritten (a copied agent keeps its old name as `chat_name`, what it is called
in conversations); with `on_conflict="error"` nothing is saved and the error lists the
clashes. Tool approvals follow content: a stored tool approved for exactly this source stays approved.

`assemble_bundle` goes the other way, from the *current* versions of a team and what it references; a team whose
agent, model or tool was deleted is reported as broken (T09), naming each missing piece, never a crash.
`delete_spec_checked` refuses to delete what a live spec still uses. `load_gallery` imports the shipped teams (of a
variant) once; `import_gallery_file` imports one shipped file (the Gallery page's "Add to the studio"). Variants share
agent names, so a second variant's assistants are stored as copies (`bull-2`: same role, other model); a copied
agent keeps its original name as `chat_name`, so it is still `bull` in the conversation.
"""

from __future__ import annotations

import ast
import hashlib
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from studio.errors import BuildError, NotFoundError, SpecError, StoreError
from studio.spec import (
    CURRENT_SCHEMA_VERSION,
    Bundle,
    ImportResult,
    bundle_from_data,
    import_bundle,
    load_bundle,
    spec_from_data,
    spec_to_data,
)
from studio.store import SpecReference, delete_spec, get_setting, get_spec, list_specs, save_spec, set_setting

Action = Literal["created", "updated", "unchanged", "copied"]
GALLERY_SETTING = "gallery.imported"
_MAX_COPIES = 1000


@dataclass(frozen=True, slots=True)
class SavedSpec:
    """One spec `save_bundle` wrote (or found already there)."""

    kind: str
    name: str
    id: str
    version: int
    action: Action
    original: str

    def line(self) -> str:
        if self.action == "copied":
            return f"{self.kind} {self.name} (copy: a different {self.kind} named {self.original!r} exists) v{self.version}"
        return f"{self.kind} {self.name} {self.action} v{self.version}"


@dataclass
class SaveReport:
    """What `save_bundle` did: the team's id and every spec saved, with the names that had to change."""

    team_id: str
    team_name: str
    saved: list[SavedSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def renamed(self) -> dict[tuple[str, str], str]:
        """(kind, name in the bundle) → name in the store, for every copy."""
        return {(s.kind, s.original): s.name for s in self.saved if s.name != s.original}

    def lines(self) -> list[str]:
        return [s.line() for s in self.saved] + self.notes


@dataclass
class _Plan:
    kind: str
    original: str
    name: str
    data: dict[str, Any]
    action: Action
    existing_id: str | None = None


# -- saving ----------------------------------------------------------------------------------------------------------


def save_bundle(
    bundle: Bundle, *, store: Any, on_conflict: Literal["copy", "error"] = "copy", note: str = ""
) -> SaveReport:
    """Save the bundle's models, tools, agents and team as separate specs; the report holds the team's id."""
    if on_conflict not in ("copy", "error"):
        raise SpecError(f"on_conflict must be 'copy' or 'error', not {on_conflict!r}.", choices=("copy", "error"))
    renames: dict[tuple[str, str], str] = {}
    plans: list[_Plan] = []
    clashes: list[str] = []
    for kind, specs in (("model", bundle.models), ("tool", bundle.tools)):
        plans += _plan_all(kind, specs, renames, store, on_conflict, clashes)
    # An agent's tool_executor names another agent, whose copy name is known only once that agent is planned: plan
    # the agents again until their names stop changing (renames only ever grow, so this ends).
    for _ in range(len(bundle.agents) + 1):
        before = dict(renames)
        agent_clashes: list[str] = []
        agent_plans = _plan_all("agent", bundle.agents, renames, store, on_conflict, agent_clashes)
        if renames == before:
            break
    plans += agent_plans
    clashes += agent_clashes
    team_data = spec_to_data(bundle.team)
    team_plan = _plan(
        "team", bundle.team.name, lambda name: _rewrite("team", team_data, name, renames), store, on_conflict
    )
    if team_plan is None or clashes:
        clashes += [f"team {bundle.team.name!r}"] if team_plan is None else []
        raise StoreError(
            f"Nothing was saved: the store already has different specs named {', '.join(clashes)}. Rename them in the "
            "file, or import with copies (on_conflict='copy')."
        )
    plans.append(team_plan)
    _check_bundle(bundle, plans)
    report = SaveReport(team_id="", team_name=team_plan.name)
    for plan in plans:
        report.saved.append(_write(plan, store, note))
        if plan.kind == "tool" and plan.name != plan.original and plan.data.get("kind") == "python":
            report.notes.append(
                f"The Python tool {plan.original!r} was saved as {plan.name!r}: its function was renamed, so it needs "
                "review and approval again."
            )
    report.team_id = report.saved[-1].id
    return report


def _plan_all(
    kind: str,
    specs: Iterable[Any],
    renames: dict[tuple[str, str], str],
    store: Any,
    on_conflict: str,
    clashes: list[str],
) -> list[_Plan]:
    plans = []
    for spec in specs:
        base = spec_to_data(spec)
        plan = _plan(kind, spec.name, lambda name, b=base: _rewrite(kind, b, name, renames), store, on_conflict)
        if plan is None:
            clashes.append(f"{kind} {spec.name!r}")
            continue
        renames[(kind, spec.name)] = plan.name
        plans.append(plan)
    return plans


def _plan(
    kind: str, name: str, data_for: Callable[[str], dict[str, Any]], store: Any, on_conflict: str
) -> _Plan | None:
    """Where `name` goes: free → created; same content → unchanged/updated; else a copy (or None: a clash)."""
    candidate = name
    for n in range(2, _MAX_COPIES + 2):
        data = data_for(candidate)
        existing = _current(kind, candidate, store)
        if existing is None:
            return _Plan(kind, name, candidate, data, "created" if candidate == name else "copied")
        same, upgrade = _compare(kind, existing.data, data)
        if same:
            action: Action = "updated" if upgrade else ("unchanged" if candidate == name else "copied")
            return _Plan(kind, name, candidate, data, action, existing.id)
        if on_conflict == "error":
            return None
        candidate = _copy_name(kind, data_for(name), name, n)
    raise StoreError(f"Too many copies of the {kind} {name!r}; rename it before importing it again.")


def _copy_name(kind: str, data: dict[str, Any], name: str, n: int) -> str:
    # Python tool names are Python identifiers (no '-'): their copies are name_2, name_3, ...
    suffix = f"_{n}" if kind == "tool" and data.get("kind") == "python" else f"-{n}"
    return name[: 64 - len(suffix)] + suffix


def _current(kind: str, name: str, store: Any) -> Any:
    try:
        return get_spec(name, kind=kind, store=store)
    except NotFoundError:
        return None


def _normal(kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    try:
        normal = spec_to_data(spec_from_data(kind, data, keep_approvals=True))  # type: ignore[arg-type]
    except SpecError:
        return None
    normal.pop("approved_hash", None)
    return normal


def _compare(kind: str, stored: dict[str, Any], ours: dict[str, Any]) -> tuple[bool, bool]:
    """(same content ignoring approval, ours would add an approval the stored one lacks)."""
    a, b = _normal(kind, stored), _normal(kind, ours)
    if a is None or a != b:
        return False, False
    upgrade = bool(ours.get("approved_hash")) and stored.get("approved_hash") != ours.get("approved_hash")
    return True, upgrade


def _rewrite(kind: str, data: dict[str, Any], name: str, renames: dict[tuple[str, str], str]) -> dict[str, Any]:
    """`data` saved as `name`, with its references to renamed specs rewritten."""
    out = dict(data)
    old = out["name"]
    out["name"] = name

    def agent(n: Any) -> Any:
        return renames.get(("agent", n), n) if isinstance(n, str) else n

    if kind == "tool" and out.get("kind") == "python" and name != old:
        out["source"] = rename_function(out["source"], old, name)
        out["approved_hash"] = None
    elif kind == "agent":
        if name != old and not out.get("chat_name"):
            out["chat_name"] = old  # the copy keeps its name in conversations: it is still "bull" when it speaks
        if out.get("model"):
            out["model"] = renames.get(("model", out["model"]), out["model"])
        out["tools"] = [renames.get(("tool", t), t) for t in out.get("tools", [])]
        out["tool_executor"] = agent(out.get("tool_executor"))
    elif kind == "team":
        out["agents"] = [agent(a) for a in out["agents"]]
        out["initiator"] = agent(out.get("initiator"))
        if out.get("selector_model"):
            out["selector_model"] = renames.get(("model", out["selector_model"]), out["selector_model"])
        out["allowed_transitions"] = {
            agent(src): [agent(t) for t in targets] for src, targets in (out.get("allowed_transitions") or {}).items()
        }
        if out.get("termination"):
            out["termination"] = _rewrite_sources(out["termination"], agent)
    return out


def _rewrite_sources(node: dict[str, Any], agent: Callable[[Any], Any]) -> dict[str, Any]:
    node = dict(node)
    if "conditions" in node:
        node["conditions"] = [_rewrite_sources(c, agent) for c in node["conditions"]]
    if isinstance(node.get("sources"), list):
        node["sources"] = [agent(s) for s in node["sources"]]
    if isinstance(node.get("source"), str):
        node["source"] = agent(node["source"])
    return node


def rename_function(source: str, old: str, new: str) -> str:
    """`source` with its top-level `def old` renamed to `new` (only the definition's name; read, never run)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == old:
            i = node.lineno - 1
            head = re.compile(r"((?:async\s+)?def\s+)" + re.escape(old) + r"\b")
            lines[i] = lines[i][: node.col_offset] + head.sub(r"\g<1>" + new, lines[i][node.col_offset :], count=1)
            return "".join(lines)
    raise SpecError(f"The tool source defines no top-level function {old!r} to rename.")


def _check_bundle(bundle: Bundle, plans: list[_Plan]) -> None:
    """The renamed bundle must still be a valid bundle (a guard against a rewrite that missed a reference)."""
    by_kind: dict[str, list[dict[str, Any]]] = {"model": [], "tool": [], "agent": []}
    team: dict[str, Any] = {}
    for plan in plans:
        if plan.kind == "team":
            team = plan.data
        else:
            by_kind[plan.kind].append(plan.data)
    Bundle.model_validate(
        {
            "schema_version": bundle.schema_version,
            "team": team,
            "agents": by_kind["agent"],
            "models": by_kind["model"],
            "tools": by_kind["tool"],
        }
    )


def _write(plan: _Plan, store: Any, note: str) -> SavedSpec:
    if plan.action == "unchanged":
        stored = get_spec(plan.existing_id or plan.name, kind=plan.kind, store=store)
        return SavedSpec(plan.kind, plan.name, stored.id, stored.version, "unchanged", plan.original)
    spec_id, version = save_spec(plan.kind, plan.name, plan.data, store=store, note=note)
    return SavedSpec(plan.kind, plan.name, spec_id, version, plan.action, plan.original)


def import_text(
    text: str | bytes, *, store: Any, on_conflict: Literal["copy", "error"] = "copy"
) -> tuple[ImportResult, SaveReport]:
    """Import a file's text (our bundle or AutoGen Studio JSON) into the store; tools stay unapproved."""
    result = import_bundle(text)
    report = save_bundle(result.bundle, store=store, on_conflict=on_conflict, note=f"imported ({result.source_format})")
    report.notes[:0] = result.warnings
    return result, report


# -- assembling ------------------------------------------------------------------------------------------------------


def assemble_bundle(team: str, *, store: Any) -> Bundle:
    """The bundle of a stored team (id or name) from the current versions of everything it references."""
    stored = get_spec(team, kind="team", store=store)
    name = stored.name
    try:
        team_spec = spec_from_data("team", stored.data, keep_approvals=True)
    except SpecError as e:
        raise BuildError(f"The team {name!r} is broken: its stored spec is invalid: {e}", path="team") from None
    missing: list[tuple[str, str]] = []
    agents = _fetch("agent", _agent_names(team_spec), "team.agents", missing, store)
    model_names = [a.model for a in agents if a.model] + (
        [team_spec.selector_model] if team_spec.selector_model else []
    )
    models = _fetch("model", _unique(model_names), "model", missing, store)
    tools = _fetch("tool", _unique(t for a in agents for t in a.tools), "tool", missing, store)
    if missing:
        details = "; ".join(message for _, message in missing)
        raise BuildError(f"The team {name!r} is broken: {details}.", path=missing[0][0])
    data = {
        "schema_version": CURRENT_SCHEMA_VERSION,
        "kind": "bundle",
        "team": spec_to_data(team_spec),
        "agents": [spec_to_data(a) for a in agents],
        "models": [spec_to_data(m) for m in models],
        "tools": [spec_to_data(t) for t in tools],
    }
    try:
        return bundle_from_data(data, keep_approvals=True)[0]
    except SpecError as e:  # a reference that no longer fits, e.g. a tool executor that left the team
        raise BuildError(f"The team {name!r} is broken: {e}", path=e.path or "team") from None


def _agent_names(team: Any) -> list[str]:
    names = list(team.agents)
    if team.effective_initiator not in names:
        names.append(team.effective_initiator)
    return names


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _fetch(kind: str, names: list[str], where: str, missing: list[tuple[str, str]], store: Any) -> list[Any]:
    out = []
    for i, name in enumerate(names):
        path = f"{where}[{i}]" if where == "team.agents" else f"{kind}s.{name}"
        try:
            stored = get_spec(name, kind=kind, store=store)
        except NotFoundError:
            missing.append((path, f"the {kind} {name!r} does not exist (deleted or renamed)"))
            continue
        try:
            out.append(spec_from_data(kind, stored.data, keep_approvals=True))  # type: ignore[arg-type]
        except SpecError as e:
            missing.append((path, f"the stored {kind} {name!r} is invalid ({_first_line(e)})"))
    return out


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def check_team(team: str, *, store: Any) -> str | None:
    """Why the stored team cannot be assembled (None when it can): for lists that mark broken teams."""
    try:
        assemble_bundle(team, store=store)
    except (BuildError, SpecError, NotFoundError) as e:
        return str(e)
    return None


# -- deleting --------------------------------------------------------------------------------------------------------


def spec_users(kind: str, name: str, *, store: Any) -> list[SpecReference]:
    """Live specs that use the spec `kind`/`name` (where a deletion would break them)."""
    found: list[SpecReference] = []
    for spec in list_specs(store=store):
        for path in _uses(kind, name, spec.kind, spec.data):
            found.append(SpecReference(spec.id, spec.kind, spec.name, path))
    return found


def _uses(kind: str, name: str, user_kind: str, data: dict[str, Any]) -> Iterable[str]:
    if kind == "model" and user_kind == "agent" and data.get("model") == name:
        yield "model"
    if kind == "model" and user_kind == "team" and data.get("selector_model") == name:
        yield "selector_model"
    if kind == "tool" and user_kind == "agent":
        yield from (f"tools[{i}]" for i, t in enumerate(data.get("tools") or []) if t == name)
    if kind == "agent" and user_kind == "agent" and data.get("tool_executor") == name and data.get("name") != name:
        yield "tool_executor"
    if kind == "agent" and user_kind == "team":
        yield from (f"agents[{i}]" for i, a in enumerate(data.get("agents") or []) if a == name)
        if data.get("initiator") == name:
            yield "initiator"


def delete_spec_checked(kind: str, name: str, *, store: Any) -> None:
    """Delete a spec by name or id unless a live spec uses it (the error names every user)."""
    stored = get_spec(name, kind=kind, store=store)
    users = spec_users(kind, stored.name, store=store)
    if users:
        listed = ", ".join(f"{u.kind} {u.name!r} ({u.path})" for u in users)
        raise StoreError(
            f"The {kind} {stored.name!r} is still used by {listed}; change or delete those first, then delete it."
        )
    delete_spec(stored.id, store=store)


# -- gallery ---------------------------------------------------------------------------------------------------------


def gallery_module() -> Any:
    """The `gallery` package (shipped next to `studio`)."""
    try:
        import gallery
    except ModuleNotFoundError:
        # An editable install whose package list predates `gallery`: it still sits next to `studio` in the checkout.
        root = Path(__file__).resolve().parents[1]
        if not (root / "gallery" / "__init__.py").is_file():
            raise
        sys.path.append(str(root))
        import gallery
    return gallery


def load_gallery(
    *, store: Any, variant: Literal["scripted", "openai", "local", "all"] = "scripted"
) -> list[SaveReport]:
    """Import every gallery team (of `variant`) not imported before; returns the reports of the new imports.

    Idempotent: the setting `gallery.imported` records each file's id (and hash), so a team imported once is never
    imported again — not even after a person deleted it. The gallery is the studio's own, so its approvals are kept.
    """
    files = gallery_module().gallery_files(None if variant == "all" else variant)
    imported = get_setting(GALLERY_SETTING, default={}, store=store) or {}
    return [import_gallery_file(path, store=store) for path in files if path.name.removesuffix(".yaml") not in imported]


def import_gallery_file(path: Path, *, store: Any) -> SaveReport:
    """Save one shipped gallery file (approvals kept: it is the studio's own) and record it as imported."""
    if not gallery_module().is_gallery_file(path):
        raise NotFoundError(f"{str(path)!r} is not one of the gallery's files; import other files with import_text.")
    key = path.name.removesuffix(".yaml")
    text = path.read_bytes()
    report = save_bundle(load_bundle(text, keep_approvals=True), store=store, note=f"gallery {key}")
    imported: dict[str, str] = dict(get_setting(GALLERY_SETTING, default={}, store=store) or {})
    imported[key] = hashlib.sha256(text).hexdigest()
    set_setting(GALLERY_SETTING, imported, store=store)
    return report


__all__ = [
    "GALLERY_SETTING",
    "SaveReport",
    "SavedSpec",
    "assemble_bundle",
    "check_team",
    "delete_spec_checked",
    "gallery_module",
    "import_gallery_file",
    "import_text",
    "load_gallery",
    "rename_function",
    "save_bundle",
    "spec_users",
]
