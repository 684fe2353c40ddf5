"""The studio as `make run-local` starts it (`STUDIO_LOCAL_MODEL=1`), with AppTest over a real store: the gallery's
local-model teams are loaded and the Playground opens on one, the Build page offers the local model as a preset
(and "Test connection" answers from it), and a gallery team talks through the real bundled SmolLM2 in the Playground.
"""

from __future__ import annotations

import pytest

import gallery
from components.services import LOCAL_MODEL_ENV
from components.widgets.spec_actions import LOCAL_PRESET
from studio.catalog import assemble_bundle
from studio.runtime.models.local import INSTALL_HINT, bundled_model_path, local_model_available
from studio.store import get_spec, list_specs, load_events, save_spec
from tests.ui.conftest import page_text, widget

pytestmark = [
    pytest.mark.skipif(not local_model_available(), reason=f"the local model extra is missing: {INSTALL_HINT}"),
    pytest.mark.xdist_group("local-model"),
]
LOCAL_TEAMS = sorted(t.team_name("local") for t in gallery.GALLERY)


@pytest.fixture(autouse=True)
def run_local(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `make run-local` (`studio ui --local-model`) sets before the studio boots."""
    monkeypatch.setenv(LOCAL_MODEL_ENV, "1")


def test_the_local_gallery_teams_are_loaded_and_the_playground_opens_on_one(open_page, studio):
    names = {t.name for t in list_specs("team", store=studio.store)}
    assert set(LOCAL_TEAMS) <= names and {t.team_name("scripted") for t in gallery.GALLERY} <= names
    at = open_page("playground")
    assert not at.exception
    assert at.selectbox(key="pg_team").value in LOCAL_TEAMS


def test_the_gallery_shows_the_local_variant_and_hands_its_task_to_the_playground(open_page, studio):
    at = open_page("gallery")
    at.radio(key="gallery_variant").set_value("local").run()
    assert not at.exception and not at.error
    assert "no key, no network" in page_text(at) and str(bundled_model_path()) in page_text(at)
    opens = sorted((b.key or "").removeprefix("open:") for b in at.button if (b.key or "").startswith("open:"))
    assert opens == LOCAL_TEAMS
    at.button(key="open:debate-local").click().run()
    assert at.session_state["playground_team"] == "debate-local"
    assert at.session_state["playground_task"] == gallery.gallery_team("debate").task


def test_the_build_page_offers_the_local_model_and_tests_its_connection(open_page, studio):
    at = open_page("build", build_kind="model")
    at.button(key="new:model").click().run()
    preset = widget(at, "selectbox", "preset_label")
    assert LOCAL_PRESET in preset.options
    preset.set_value(LOCAL_PRESET).run()
    assert not at.exception
    assert widget(at, "text_input", "model").value == "smollm2-135m-instruct"
    keys = [w.key or "" for w in at.text_input] + [w.key or "" for w in at.number_input]
    assert any(k.endswith(":model_path") for k in keys) and any(k.endswith(":n_ctx") for k in keys)
    assert not any(k.endswith(":base_url") for k in keys)  # no endpoint, no key for a model in this process
    widget(at, "text_input", "name").set_value("tiny").run()
    at.button(key="save:model").click().run()
    assert not at.exception and any("version 1" in s.value for s in at.success)
    stored = get_spec("tiny", kind="model", store=studio.store)
    assert (stored.data["provider"], stored.data["api_key"], stored.data["base_url"]) == ("local", None, None)

    at.button(key="build-model:test").click().run()
    assert not at.error, [e.value for e in at.error]
    assert at.code and at.code[0].value.strip()  # the bundled model's reply


def test_a_gallery_team_talks_through_the_real_model_in_the_playground(open_page, studio):
    team = get_spec("debate-local", kind="team", store=studio.store)
    save_spec("team", "debate-local", {**team.data, "max_round": 3}, store=studio.store)  # moderator + two replies
    at = open_page("playground", playground_team="debate-local", playground_task="Should we buy more GPUs?")
    assert at.selectbox(key="pg_team").value == "debate-local"
    assert at.text_area(key="pg_task").value == "Should we buy more GPUs?"
    at.button(key="FormSubmitter:pg_start_form-Run").click().run()
    assert not at.exception, at.exception
    run_id = at.session_state["run_id"]
    info = studio.runs.wait(run_id, timeout=180)
    assert info.status == "completed", info
    at.run()
    assert [m.name for m in at.chat_message] == ["moderator", "bull", "bear"]  # copies of the demo's agents, same names
    said = [m.markdown[0].value.split("\n\n", 1)[-1] for m in at.chat_message]
    assert said[0] == "Should we buy more GPUs?" and all(s.strip() for s in said[1:])
    events = load_events(run_id, store=studio.store)
    assert [e.source for e in events if e.type == "model_call" and e.completion_tokens > 0] == ["bull", "bear"]
    assert assemble_bundle(info.team_id, store=studio.store).model("smollm2").provider == "local"
