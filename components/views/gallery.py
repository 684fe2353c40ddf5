"""Gallery: the built-in teams (graph, description, a task to try), import, and export.

Browse shows each gallery team — the stored copy when the studio has it (boot loads the gallery), else the shipped
file — with its graph; "Open in playground" hands the team to the Playground page. Import reads a file or pasted
text, ours or AutoGen Studio's (detected), shows the importer's warnings and the untrusted-tool review (every tool's
source or command, approved one by one), and saves through `studio.catalog.save_bundle`. Export offers a stored team
as our JSON or YAML, AutoGen Studio JSON or a Python script; exports carry key references, never values.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components.services import services
from components.widgets import gallery_import, spec_actions, spec_editor
from components.widgets.forms import alert
from components.widgets.team_graph import team_graph
from studio.errors import StudioError

st.title("Gallery")
spec_editor.show_flash()
store = services().store


def _browse() -> None:
    variant = st.radio(
        "Variant",
        list(gallery_import.VARIANT_LABELS),
        key="gallery_variant",
        horizontal=True,
        format_func=gallery_import.VARIANT_LABELS.__getitem__,
    )
    if variant == "local":
        st.caption(spec_actions.local_model_note())
    for card in gallery_import.gallery_cards(variant, store=store):
        with st.container(border=True):
            st.subheader(card.title)
            st.caption(card.summary)
            if card.description:
                st.text(card.description)
            st.markdown(f"**Try:** {card.task}" if card.task else "")
            if card.error:
                alert(card.error)
            else:
                team_graph(card.bundle, key=f"gallery_graph:{card.team_name}", height=280)
            if card.stored_id is None:
                st.caption("Not in the studio's store yet.")
                if st.button("Add to the studio", key=f"add:{card.team_name}", icon="➕"):
                    try:
                        gallery_import.add_to_studio(card, variant, store=store)
                    except StudioError as exc:
                        alert(str(exc))
                    else:
                        st.rerun()
            elif st.button("Open in playground", key=f"open:{card.team_name}", icon="▶️"):
                gallery_import.open_in_playground(card)
                st.switch_page("views/playground.py")


def _import() -> None:
    st.markdown("Import a Parley bundle or an AutoGen Studio team (JSON or YAML). Nothing in it runs on import.")
    how = st.radio("Source", ["Upload a file", "Paste text"], key="import_how", horizontal=True)
    text: str | bytes | None = None
    if how == "Upload a file":
        upload = st.file_uploader("File", type=["json", "yaml", "yml"], key="import_file")
        if upload is not None:
            text = upload.getvalue()
    else:
        pasted = st.text_area("JSON or YAML", key="import_text", height=220)
        text = pasted or None
    if st.button("Read", key="import_read", disabled=text is None, icon="📥"):
        gallery_import.read_into_state(text or "")
    pending: Any = gallery_import.pending_import()
    if pending is not None:
        if pending.error:
            alert(pending.error)
        else:
            gallery_import.review(pending, store=store)


def _export() -> None:
    teams = gallery_import.stored_teams(store=store)
    if not teams:
        st.info("No team is stored yet.")
    else:
        chosen = st.selectbox("Team", list(teams), key="export_team", format_func=lambda i: teams[i])
        try:
            bundle = gallery_import.stored_bundle(chosen, store=store)
        except StudioError as e:
            alert(f"The team cannot be exported: {e}")
        else:
            cols = st.columns(len(spec_actions.EXPORT_FORMATS))
            for col, label in zip(cols, spec_actions.EXPORT_FORMATS, strict=True):
                try:
                    name, mime, body = spec_actions.export_text(bundle, label, store=store)
                except StudioError as e:
                    with col:
                        alert(f"{label}: {e}")
                    continue
                # No rerun on click: a rerun would replace the file the browser is fetching.
                col.download_button(
                    label, body, file_name=name, mime=mime, key=f"export:{label}", icon="⬇️", on_click="ignore"
                )
            with st.expander("Preview (Parley YAML)"):
                st.code(spec_actions.export_text(bundle, "Parley YAML")[2], language="yaml")


# Stateful tabs: the chosen tab survives reruns (a save, a selection) and only the open tab's content runs.
browse, importing, exporting = st.tabs(["Browse", "Import", "Export"], key="gallery_tab", on_change="rerun")
for tab, draw in ((browse, _browse), (importing, _import), (exporting, _export)):
    if tab.open:
        with tab:
            draw()
