"""`make run-local` in a real browser: the studio started by `studio ui --local-model` (what the Makefile runs), a
gallery team opened from the Gallery's local variant, its task handed over, and the conversation streamed live from
the real SmolLM2 bundled with `parley-studio[local]` — no key, no network.

The team is the shipped debate-local, shortened in the store to its first round (moderator, bull, bear, synthesis)
so the journey takes seconds, not minutes, on two cores. Assertions are on structure, never on the model's wording.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gallery import gallery_team
from studio.runtime.models.local import INSTALL_HINT, local_model_available
from studio.store import get_spec, list_runs, load_events, open_store, save_spec
from tests.browser.conftest import CHROMIUM, StudioServer, screenshot, wait_for_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.skipif(not local_model_available(), reason=f"the local model extra is missing: {INSTALL_HINT}"),
]
TEAM = "debate-local"
SPEAKERS = ["moderator", "bull", "bear", "synthesis"]  # stored as copies (bull-2, ...) of the demo's agents


@pytest.fixture(scope="module")
def local_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioServer]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make deb installs it).")
    base = tmp_path_factory.mktemp("studio-local")
    home = base / "home"
    home.mkdir()
    server = StudioServer(home, base / "studio.log", studio_ui_args=["--local-model"])
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _speakers(page) -> list[str]:
    return [m.inner_text().split("\n")[2].split(" → ")[0] for m in page.locator('[data-testid="stChatMessage"]').all()]


def test_a_gallery_team_streams_its_conversation_from_the_real_model(local_studio, page, artifacts_dir: Path):
    page.goto(local_studio.url + "/")
    wait_for_app(page)  # the first visit boots the studio: the local variants are loaded now
    store = open_store(home=local_studio.home)
    try:
        team = get_spec(TEAM, kind="team", store=store)
        save_spec("team", TEAM, {**team.data, "max_round": 4}, store=store)  # one round: three replies

        page.goto(local_studio.url + "/gallery")
        wait_for_app(page)
        page.get_by_text("Local model (SmolLM2 on this CPU, no key)").click()
        wait_for_app(page)
        page.get_by_text("no key, no network").first.wait_for()
        # Streamlit marks a widget's container with its key: `open:debate-local` → class st-key-open-debate-local.
        page.locator('[class*="st-key-open"][class*="debate-local"] button').click()
        page.get_by_role("heading", name="New conversation").wait_for(timeout=30_000)
        wait_for_app(page)
        form = page.locator('[data-testid="stForm"]').first
        assert form.get_by_label("Task").input_value() == gallery_team("debate").task  # handed over with the team
        form.get_by_role("button", name="Run", exact=True).click()

        page.get_by_text("typing…").first.wait_for(timeout=60_000)  # tokens arrive while the model writes
        page.get_by_text("run completed").first.wait_for(timeout=180_000)
        wait_for_app(page)
        assert _speakers(page) == SPEAKERS
        bubbles = page.locator('[data-testid="stChatMessage"]').all()
        assert all(len(b.inner_text().split("\n", 3)[-1].strip()) > 0 for b in bubbles)
        screenshot(page, artifacts_dir / "playground-local.png")

        run = next(r for r in list_runs(store=store, limit=5) if r.team_name == TEAM)
        assert run.status == "completed" and run.completion_tokens > 0 and run.cost == 0.0
        chunks = [e for e in load_events(run.id, store=store) if e.type == "stream_chunk"]
        assert {e.source for e in chunks} == set(SPEAKERS[1:]) and len(chunks) > 30
    finally:
        store.engine.dispose()
