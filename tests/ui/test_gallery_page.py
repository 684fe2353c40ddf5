"""The Gallery page with AppTest: gallery cards with graphs, importing an AutoGen Studio team with the untrusted-tool
review, and exporting a stored team four ways."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from gallery import GALLERY
from studio.catalog import assemble_bundle
from studio.store import list_specs
from tests.ui.conftest import PAGE_TIMEOUT, page_text, walk

AGS_ROUNDROBIN = (Path(__file__).resolve().parents[1] / "spec" / "data" / "ags_roundrobin_team.json").read_text()
APP = Path(__file__).resolve().parents[2] / "components" / "app.py"


def _graph_keys(at: AppTest) -> list[str]:
    return [n.key for n in walk(at._tree) if (getattr(n, "key", None) or "").startswith("gallery_graph:")]


def _paste_and_read(open_page, text: str) -> AppTest:
    at = open_page("gallery", gallery_tab="Import")
    at.radio(key="import_how").set_value("Paste text").run()
    at.text_area(key="import_text").set_value(text).run()
    at.button(key="import_read").click().run()
    assert not at.exception, at.exception
    return at


def test_every_gallery_team_has_a_card_with_its_graph_and_description(open_page, studio):
    at = open_page("gallery")
    assert not at.exception
    titles = [s.value for s in at.subheader]
    assert titles == [team.title for team in GALLERY]
    assert sorted(_graph_keys(at)) == sorted(f"gallery_graph:{t.team_name('scripted')}" for t in GALLERY)
    assert any("Offline demo" in t.value for t in at.text)  # the scripted teams' descriptions
    assert len([b for b in at.button if (b.key or "").startswith("open:")]) == len(GALLERY)

    at.radio(key="gallery_variant").set_value("openai").run()
    assert not at.exception and not at.error
    assert sorted(_graph_keys(at)) == sorted(f"gallery_graph:{t.team_name('openai')}" for t in GALLERY)


def test_open_in_playground_hands_the_team_over_and_switches_page(studio):
    at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT)
    at.run()
    at.switch_page("views/gallery.py").run()
    at.button(key="open:debate-demo").click().run()
    assert not at.exception
    assert "Gallery" not in [t.value for t in at.title]  # we left the gallery for the playground ...
    assert at.session_state["pg_team"] == "debate-demo"  # ... which took the team we handed over


def test_pasting_an_autogen_studio_team_shows_the_tool_for_review_and_saves_it_unapproved(open_page, studio):
    teams_before = {s.name for s in list_specs("team", store=studio.store)}
    at = _paste_and_read(open_page, AGS_ROUNDROBIN)
    assert any("AutoGen Studio team" in s.value and "RoundRobin_Team" in s.value for s in at.success)
    assert any("def calculator(a: float, b: float, operator: str)" in c.value for c in at.code)
    assert any("untrusted" in m.value for m in at.markdown)
    approve = [c for c in at.checkbox if (c.key or "").startswith("import_ok:")]
    assert len(approve) == 1 and approve[0].value is False

    [save] = [b for b in at.button if (b.key or "").startswith("import_save:")]
    save.click().run()
    assert not at.exception
    assert any("Saved team 'RoundRobin_Team'" in s.value and "1 tool(s) left unapproved" in s.value for s in at.success)
    new_teams = {s.name for s in list_specs("team", store=studio.store)} - teams_before
    assert new_teams == {"RoundRobin_Team"}
    bundle = assemble_bundle("RoundRobin_Team", store=studio.store)
    [tool] = bundle.tools
    assert tool.kind == "python" and not tool.is_approved
    assert "def calculator" in tool.source


def test_a_tool_approved_in_the_review_is_saved_approved(open_page, studio):
    # Renamed so it does not clash with the gallery's built-in `calculator` (a clash saves a renamed copy, whose
    # changed source needs a fresh review).
    at = _paste_and_read(open_page, AGS_ROUNDROBIN.replace("calculator", "arith"))
    [approve] = [c for c in at.checkbox if (c.key or "").startswith("import_ok:")]
    approve.check().run()
    [save] = [b for b in at.button if (b.key or "").startswith("import_save:")]
    save.click().run()
    [tool] = assemble_bundle("RoundRobin_Team", store=studio.store).tools
    assert tool.is_approved


def test_an_unreadable_import_says_why_and_saves_nothing(open_page, studio):
    before = len(list_specs(store=studio.store))
    at = _paste_and_read(open_page, '{"provider": "evil.module.Team", "component_type": "team", "config": {}}')
    assert at.error and "cannot be read" in at.error[0].value
    assert not [b for b in at.button if (b.key or "").startswith("import_save:")]
    assert len(list_specs(store=studio.store)) == before


def test_a_stored_team_exports_four_ways_without_secret_values(open_page, studio):
    from studio.store import save_spec, set_secret

    secret = "sk-live-GalleryExportSecret0123456789abcdef"
    set_secret("prod-key", secret, store=studio.store)
    model = {"name": "hosted", "provider": "openai", "model": "gpt-4o-mini", "api_key": {"secret": "prod-key"}}
    save_spec("model", "hosted", model, store=studio.store)
    for name in ("ann", "ben"):
        save_spec("agent", name, {"name": name, "kind": "assistant", "model": "hosted"}, store=studio.store)
    team_id, _ = save_spec(
        "team", "duo", {"name": "duo", "kind": "two_agent", "agents": ["ann", "ben"]}, store=studio.store
    )
    at = open_page("gallery", gallery_tab="Export")
    at.selectbox(key="export_team").set_value(team_id).run()
    assert not at.exception and not at.error
    labels = [b.label for b in at.download_button]
    assert labels == ["Parley JSON", "Parley YAML", "AutoGen Studio JSON", "Python script"]
    preview = next(c.value for c in at.code if "kind: bundle" in c.value)
    assert "prod-key" in preview  # the reference travels ...
    assert secret not in page_text(at)  # ... never the value


def test_a_variant_the_studio_did_not_load_is_added_from_its_card(open_page, studio):
    at = open_page("gallery")
    at.radio(key="gallery_variant").set_value("local").run()
    assert not at.exception and not at.error
    assert sorted(_graph_keys(at)) == sorted(f"gallery_graph:{t.team_name('local')}" for t in GALLERY)
    assert not [b for b in at.button if (b.key or "").startswith("open:")]  # nothing of it is stored yet
    at.button(key="add:debate-local").click().run()
    assert not at.exception and not at.error
    stored = {t.name: t for t in list_specs("team", store=studio.store)}
    assert "debate-local" in stored
    assert {m.provider for m in assemble_bundle(stored["debate-local"].id, store=studio.store).models} == {"local"}
    assert [b.key for b in at.button if (b.key or "").startswith("open:")] == ["open:debate-local"]
    at.button(key="open:debate-local").click().run()
    assert at.session_state["playground_task"] == next(t.task for t in GALLERY if t.id == "debate")
