"""The Gallery page's parts: gallery cards, the import review (untrusted tools approved one by one), stored teams.

`gallery_cards` prefers the stored copy of each gallery team (the studio loads the gallery at boot) and falls back to
the shipped file, read with its approvals kept because it is the studio's own. An import is read once into session
state (`read_into_state`) and reviewed there: the detected format, the importer's warnings, what the bundle holds,
which names already exist in the store, and every tool that is not approved — its full source (or command/URL) shown,
with one Approve switch per tool. Only the tools a person switched on are approved when the bundle is saved.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from components import state
from components.widgets import spec_actions, spec_editor
from components.widgets.forms import alert
from components.widgets.team_graph import team_graph
from gallery import SUFFIXES
from studio.errors import NotFoundError, StudioError

PENDING_KEY = "gallery_pending_import"
PLAYGROUND_TEAM_KEY = "playground_team"
"""session_state key the Playground reads: the name of the team to open (set by "Open in playground")."""
PLAYGROUND_TASK_KEY = "playground_task"
"""... and the gallery team's suggested task, which the Playground puts in its task box."""


@dataclass(slots=True)
class GalleryCard:
    title: str
    summary: str
    task: str
    team_name: str
    team_id: str = ""
    description: str = ""
    bundle: Any = None
    stored_id: str | None = None
    error: str | None = None


VARIANT_LABELS = {
    "scripted": "Offline demo (scripted, no key)",
    "local": "Local model (SmolLM2 on this CPU, no key)",
    "openai": "OpenAI (needs OPENAI_API_KEY)",
}
"""The gallery's variants as the Browse tab offers them."""


def gallery_cards(variant: str, *, store: Any) -> list[GalleryCard]:
    """One card per gallery team of `variant`: the stored copy when there is one, else the shipped file."""
    from gallery import GALLERY
    from studio.catalog import assemble_bundle
    from studio.spec import load_bundle
    from studio.store import get_spec

    cards: list[GalleryCard] = []
    for team in GALLERY:
        name = team.team_name(variant)  # type: ignore[arg-type]
        card = GalleryCard(team.title, team.summary, team.task, name, team.id)
        try:
            try:
                stored = get_spec(name, kind="team", store=store)
                card.stored_id = stored.id
                card.bundle = assemble_bundle(stored.id, store=store)
            except NotFoundError:
                card.bundle = load_bundle(team.file(variant).read_text(encoding="utf-8"), keep_approvals=True)  # type: ignore[arg-type]
            card.description = card.bundle.team.description
        except (StudioError, OSError) as e:
            card.error = f"This gallery team cannot be shown: {e}"
        cards.append(card)
    return cards


def default_team(names: list[str], *, prefer_local: bool) -> str:
    """The team the Playground selects first: with `make run-local`, the first local-model gallery team."""
    if prefer_local:
        local = [n for n in names if n.endswith(SUFFIXES["local"])]
        if local:
            return local[0]
    return names[0]


def add_to_studio(card: GalleryCard, variant: str, *, store: Any) -> None:
    """Save the shipped file of this card's team (a variant boot did not load) in the store."""
    from gallery import gallery_team
    from studio.catalog import import_gallery_file

    import_gallery_file(gallery_team(card.team_id).file(variant), store=store)  # type: ignore[arg-type]


def open_in_playground(card: GalleryCard) -> None:
    """Hand the team (and its suggested task) to the Playground: it opens a new session on it."""
    st.session_state[PLAYGROUND_TEAM_KEY] = card.team_name
    st.session_state[PLAYGROUND_TASK_KEY] = card.task
    state.put("session_id", None)
    state.put("run_id", None)


# -- import -----------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PendingImport:
    """An import read and waiting for review: the bundle as data (approvals cleared), warnings, format, or an error."""

    digest: str
    data: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    source_format: str = "studio"
    error: str | None = None


def read_import_pending(text: str | bytes) -> PendingImport:
    """Read an import (pure: no Streamlit): the bundle's data or the error in words."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    digest = hashlib.sha256(raw).hexdigest()[:16]
    try:
        result = spec_actions.read_import(text)
    except StudioError as e:
        return PendingImport(digest, error=f"The import cannot be read: {e}")
    from studio.spec import spec_to_data

    return PendingImport(digest, spec_to_data(result.bundle), list(result.warnings), result.source_format)


def read_into_state(text: str | bytes) -> None:
    st.session_state[PENDING_KEY] = read_import_pending(text)


def pending_import() -> PendingImport | None:
    value = st.session_state.get(PENDING_KEY)
    return value if isinstance(value, PendingImport) else None


def existing_names(data: dict[str, Any], *, store: Any) -> list[str]:
    """ "kind 'name'" for every spec of the import whose name the store already has (saving adds a new version)."""
    from studio.store import list_specs

    taken = {(s.kind, s.name) for s in list_specs(store=store)}
    found: list[str] = []
    parts = [("team", [data.get("team") or {}]), ("agent", data.get("agents")), ("model", data.get("models")),
             ("tool", data.get("tools"))]  # fmt: skip
    for kind, items in parts:
        for item in items or []:
            if (kind, item.get("name")) in taken:
                found.append(f"{kind} '{item.get('name')}'")
    return found


def approved_bundle(data: dict[str, Any], approve: set[str]) -> Any:
    """The bundle with exactly the tools named in `approve` approved (everything else stays unapproved)."""
    from studio.spec import bundle_from_data

    bundle, _ = bundle_from_data(data, keep_approvals=False)
    tools = [spec_actions.approve_tool(t) if t.name in approve else t for t in bundle.tools]
    return bundle.model_copy(update={"tools": tools})


def _tool_review(tool: dict[str, Any], key: str) -> bool:
    kind = tool.get("kind", "python")
    with st.container(border=True):
        st.markdown(f"**{kind} tool `{tool.get('name')}`** — untrusted until you approve it")
        if tool.get("description"):
            st.text(tool["description"])
        if kind == "python":
            st.code(tool.get("source", ""), language="python", line_numbers=True)
        else:
            shown = {
                k: tool.get(k) for k in ("transport", "command", "args", "url", "network") if tool.get(k) is not None
            }
            shown["env"] = sorted((tool.get("env") or {}).keys())
            shown["headers"] = sorted((tool.get("headers") or {}).keys())
            st.code(json.dumps(shown, indent=2, ensure_ascii=False), language="json")
        return st.checkbox(f"Approve `{tool.get('name')}` (I reviewed what it runs)", key=key)


def review(pending: PendingImport, *, store: Any) -> None:
    """Show what the import holds and save it once reviewed."""
    data = pending.data
    team = data.get("team") or {}
    fmt = "AutoGen Studio" if pending.source_format == "autogen_studio" else "Parley"
    st.success(f"Read a {fmt} team: **{team.get('name')}** — {len(data.get('agents') or [])} agent(s), "
               f"{len(data.get('models') or [])} model(s), {len(data.get('tools') or [])} tool(s).")  # fmt: skip
    for warning in pending.warnings:
        alert(warning, "warning")
    team_graph(data, key=f"import_graph:{pending.digest}", height=260)
    clashes = existing_names(data, store=store)
    if clashes:
        st.info(
            "Names already in the studio: " + ", ".join(clashes) + ". Identical specs are reused; different ones are "
            "saved as copies (name-2, name_2 for Python tools), and a renamed Python tool needs approval again."
        )
    unapproved = [t for t in data.get("tools") or [] if t.get("kind") != "builtin"]
    approve: set[str] = set()
    if unapproved:
        st.markdown("#### Untrusted tools")
        st.caption("Imported tools never run until approved. Review each one; unapproved tools are saved unapproved.")
        for tool in unapproved:
            if _tool_review(tool, key=f"import_ok:{pending.digest}:{tool.get('name')}"):
                approve.add(str(tool.get("name")))
    if st.button("Save to studio", key=f"import_save:{pending.digest}", type="primary", icon="💾"):
        from studio.catalog import save_bundle

        try:
            report = save_bundle(
                approved_bundle(data, approve), store=store, note=f"imported ({pending.source_format})"
            )
        except StudioError as e:
            alert(f"Not saved: {e}")
            return
        left = len(unapproved) - len(approve)
        note = f" {left} tool(s) left unapproved." if left else ""
        spec_editor.flash(f"Saved team '{report.team_name}'.{note}")
        for line in report.lines():
            spec_editor.flash(line, "info")
        st.session_state.pop(PENDING_KEY, None)
        st.rerun()


# -- export -----------------------------------------------------------------------------------------------------------


def stored_teams(*, store: Any) -> dict[str, str]:
    """Stored team id → name."""
    from studio.store import list_specs

    return {s.id: s.name for s in list_specs("team", store=store)}


def stored_bundle(team_id: str, *, store: Any) -> Any:
    from studio.catalog import assemble_bundle

    return assemble_bundle(team_id, store=store)
