"""The spec editor: a Form tab and a YAML/JSON tab over one draft, kept in step.

State per editor (`editor_id`) lives in `st.session_state`: the draft (plain data), a revision number that is part of
every widget key (bumping it re-creates the form's widgets from the draft), the validation issues of the last save,
and the text last written into the YAML/JSON box. Each run the form is drawn first; its data is then written into the
text box *unless the person edited the text*, in which case the text is kept, marked as ahead of the form, and
"Apply to form" makes it the draft. Whatever the person edited last is what `EditorResult.data` holds, so Save saves
it. Nothing here validates; the page does, and hands the issues back through `set_issues`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import streamlit as st
import yaml

from components.widgets.forms import FormResult, alert

TextFormat = Literal["YAML", "JSON"]
FormRenderer = Callable[[dict[str, Any], str, list[tuple[str, str]]], FormResult]
"""`(draft, widget key prefix, issues) -> FormResult`: the page's form for this kind of spec."""


@dataclass(slots=True)
class EditorResult:
    """What the editor holds this run: the data to save, where it came from, and problems found before validation."""

    data: dict[str, Any]
    source: Literal["form", "text"] = "form"
    problems: list[tuple[str, str]] = field(default_factory=list)


# -- state ------------------------------------------------------------------------------------------------------------


def _k(editor_id: str, what: str) -> str:
    return f"editor:{editor_id}:{what}"


def open_draft(editor_id: str, data: Mapping[str, Any] | None) -> None:
    """Load `data` into the editor (a spec opened, restored, applied from text): widgets are re-created from it."""
    st.session_state[_k(editor_id, "draft")] = dict(data or {})
    st.session_state[_k(editor_id, "rev")] = st.session_state.get(_k(editor_id, "rev"), 0) + 1
    st.session_state[_k(editor_id, "issues")] = []
    st.session_state.pop(_k(editor_id, "synced"), None)


def has_draft(editor_id: str) -> bool:
    return _k(editor_id, "draft") in st.session_state


def draft(editor_id: str) -> dict[str, Any]:
    return dict(st.session_state.get(_k(editor_id, "draft"), {}))


def revision(editor_id: str) -> int:
    return int(st.session_state.get(_k(editor_id, "rev"), 0))


def form_key(editor_id: str) -> str:
    """The widget-key prefix of the editor's current revision."""
    return f"{editor_id}:r{revision(editor_id)}"


def set_issues(editor_id: str, issues: list[tuple[str, str]]) -> None:
    st.session_state[_k(editor_id, "issues")] = list(issues)


def issues(editor_id: str) -> list[tuple[str, str]]:
    return list(st.session_state.get(_k(editor_id, "issues"), []))


def flash(message: str, kind: Literal["success", "info", "warning", "error"] = "success") -> None:
    """A message shown once, at the top of the next run (after a save and rerun)."""
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop("_flash", []):
        getattr(st, kind)(message)


# -- text (pure) ------------------------------------------------------------------------------------------------------


def to_text(data: Any, fmt: TextFormat) -> str:
    """The draft as YAML or JSON text (field order kept, so it reads like the form)."""
    if fmt == "JSON":
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def from_text(text: str, fmt: TextFormat) -> dict[str, Any]:
    """Parse the box's text (limits checked, no YAML aliases, no duplicate keys); SpecError when it does not parse."""
    from studio.errors import SpecError
    from studio.spec._parse import parse_text

    data = parse_text(text, format="json" if fmt == "JSON" else "yaml")
    if not isinstance(data, dict):
        raise SpecError(f"A spec is a mapping of fields; this text holds a {type(data).__name__}.")
    return data


def text_state(current: str | None, synced: str | None, expected: str) -> tuple[str, bool]:
    """(text to show, edited?) — follow the form unless the person changed the text since it was last synced."""
    if current is None or synced is None or current == synced:
        return expected, False
    return current, True


# -- rendering --------------------------------------------------------------------------------------------------------


def spec_editor(editor_id: str, render: FormRenderer, *, height: int = 420) -> EditorResult:
    """Draw the Form and YAML/JSON tabs over the editor's draft; return what the person edited last."""
    key = form_key(editor_id)
    # A stateful tab bar (keyed per editor, not per revision) keeps the open tab across saves; both tabs still run.
    form_tab, text_tab = st.tabs(["Form", "YAML / JSON"], key=_k(editor_id, "tab"), on_change="rerun")
    with form_tab:
        form = render(draft(editor_id), key, issues(editor_id))
    with text_tab:
        fmt: TextFormat = st.radio("Format", ["YAML", "JSON"], key=f"{key}:fmt", horizontal=True)
        text_key = f"{key}:text:{fmt}"
        synced_key = _k(editor_id, f"synced:{fmt}")
        shown, edited = text_state(
            st.session_state.get(text_key), st.session_state.get(synced_key), to_text(form.data, fmt)
        )
        if not edited:
            st.session_state[text_key] = shown
            st.session_state[synced_key] = shown
        st.text_area(f"The spec as {fmt}", key=text_key, height=height)
        if edited:
            st.info("This text differs from the form. Save saves this text; Apply to form loads it into the form.")
            if st.button("Apply to form", key=f"{key}:apply"):
                try:
                    parsed = from_text(st.session_state[text_key], fmt)
                except Exception as e:  # noqa: BLE001 - a SpecError in words; shown, nothing applied
                    alert(f"The text cannot be applied: {e}")
                else:
                    open_draft(editor_id, parsed)
                    st.rerun()
    if not edited:
        return EditorResult(form.data, "form", list(form.problems))
    try:
        return EditorResult(from_text(st.session_state[text_key], fmt), "text")
    except Exception as e:  # noqa: BLE001 - reported as a problem of the whole spec
        return EditorResult(form.data, "text", [("", f"The {fmt} text does not parse: {e}")])
