"""The run journey in a real browser: start a gallery team, watch the timeline fill, answer a human, stop a long run,
leave a run behind (T45), then replay it step by step and export it.

The studio under test is a real `streamlit run` on 127.0.0.1 with its own STUDIO_HOME (the gallery is loaded at
boot: every gallery team runs on its scripted model). The long-running team is saved into that store by the test: a
coder whose scripted reply is a sandboxed `time.sleep(60)` block.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from studio.catalog import save_bundle
from studio.spec import bundle_from_data
from studio.store import list_runs, load_events, open_store
from tests.browser.conftest import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DEBATE = "debate-demo"
ANALYST = "human-analyst-demo"


def code_team(name: str, code: str) -> dict:
    reply = f"```python\n{code}\n```"
    return {
        "schema_version": 2,
        "kind": "bundle",
        "team": {"name": name, "kind": "two_agent", "agents": ["runner", "coder"], "max_turns": 2},
        "agents": [
            {"name": "runner", "kind": "code_executor", "code_execution": {"mode": "sandbox", "timeout": 120}},
            {"name": "coder", "kind": "assistant", "model": f"{name}-model"},
        ],
        "models": [
            {"name": f"{name}-model", "provider": "scripted", "model": "scripted", "replies": [reply], "loop": True}
        ],
    }


@pytest.fixture(scope="module")
def studio(studio_server_info):
    """The running studio and a store handle on its data directory (the same SQLite file)."""
    store = open_store(home=studio_server_info.home)
    for data in (
        code_team("journey-sleeper", "import time\nprint('sleeping', flush=True)\ntime.sleep(60)"),
        code_team("journey-background", "import time\ntime.sleep(3)\nprint('woke up')"),
    ):
        bundle, _ = bundle_from_data(data)
        save_bundle(bundle, store=store)
    yield studio_server_info.url, store
    store.engine.dispose()


def new_run(page, url: str, team: str, task: str) -> None:
    page.goto(url + "/")
    wait_for_app(page)
    page.get_by_role("button", name="New session").click()
    page.get_by_role("heading", name="New conversation").wait_for()
    wait_for_app(page)
    page.get_by_role("combobox", name="Team").click()
    page.get_by_role("option", name=team, exact=True).click()
    expect(page.get_by_role("combobox", name="Team")).to_have_value(team)
    wait_for_app(page)
    form = page.locator('[data-testid="stForm"]').first
    form.get_by_label("Task").fill(task)
    form.get_by_role("button", name="Run", exact=True).click()


def stop_button(page):
    # Streamlit's own header has a "Stop" (script run) button too: ours is in the main area.
    return page.locator('[data-testid="stMain"]').get_by_role("button", name="Stop", exact=True)


def latest_run(store, team: str):
    return next(r for r in list_runs(store=store, limit=50) if r.team_name == team)


def speakers(page) -> list[str]:
    return [m.inner_text().split("\n")[2].split(" → ")[0] for m in page.locator('[data-testid="stChatMessage"]').all()]


def test_a_gallery_team_runs_and_its_timeline_fills(page, studio, artifacts_dir: Path):
    url, store = studio
    new_run(page, url, DEBATE, "Should we invest in NovaCell?")
    page.get_by_text("run completed").first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert speakers(page) == ["moderator", "bull", "bear", "synthesis", "bull", "bear", "synthesis"]
    assert page.get_by_text("Verdict: invest in stages").count() == 1
    page.get_by_role("button", name="Continue").wait_for()  # the follow-up box appears once the run is over
    page.screenshot(path=str(artifacts_dir / "playground.png"), full_page=True)


def test_the_human_answers_and_the_timeline_follows_without_a_reload(page, studio):
    url, store = studio
    new_run(page, url, ANALYST, "Analyse our Q3 sales.")
    answer = page.get_by_label("Your answer")
    answer.wait_for(timeout=30_000)  # the run asked: the fragment polled the request in
    question = page.get_by_text("should I focus on the revenue growth or on the rise in returns?")
    question.first.wait_for(timeout=30_000)  # the bubble and the answer box may arrive on different ticks
    assert question.count() == 1
    answer.fill("Focus on the returns")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("run completed").first.wait_for(timeout=30_000)  # new events arrived by polling alone
    assert page.get_by_text("Recommendation: pause the headphones promotion", exact=False).count() == 1
    run = latest_run(store, ANALYST)
    said = [e.content for e in load_events(run.id, store=store) if e.type == "human_input"]
    assert said[0] == "Focus on the returns"


def test_stop_cancels_a_long_sandboxed_run(page, studio):
    url, store = studio
    new_run(page, url, "journey-sleeper", "Take a nap")
    stop = stop_button(page)
    stop.wait_for(timeout=30_000)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the sandbox is really sleeping
        run = latest_run(store, "journey-sleeper")
        if run.status == "running":
            break
        time.sleep(0.1)
    time.sleep(1.0)
    started = time.monotonic()
    stop.click()
    page.get_by_text("run cancelled").first.wait_for(timeout=15_000)
    assert time.monotonic() - started < 10
    run = latest_run(store, "journey-sleeper")
    assert run.status == "cancelled" and run.stop_reason == "Stopped by the user"


def test_t45_leaving_the_page_and_closing_the_tab_do_not_stop_a_run(page, studio, browser):
    url, store = studio
    new_run(page, url, "journey-background", "Sleep three seconds")
    stop_button(page).wait_for(timeout=30_000)
    page.get_by_role("link", name="Build").click()  # click elsewhere …
    page.get_by_role("heading", name="Build").wait_for()
    page.close()  # … and close the tab
    deadline = time.monotonic() + 60
    while (run := latest_run(store, "journey-background")).status not in ("completed", "failed", "cancelled"):
        assert time.monotonic() < deadline, run.status
        time.sleep(0.2)
    assert run.status == "completed"
    outputs = [e.output for e in load_events(run.id, store=store) if e.type == "code_execution"]
    assert any("woke up" in out for out in outputs)
    # coming back: a new tab opens the latest session where it is
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    again = context.new_page()
    again.goto(url + "/")
    wait_for_app(again)
    again.get_by_role("heading", name="Sleep three seconds").wait_for()
    assert again.get_by_text("run completed").count() == 1
    context.close()


def test_replay_steps_through_a_run_and_exports_it(page, studio, artifacts_dir: Path):
    url, store = studio
    if not any(
        r.team_name == DEBATE for r in list_runs(store=store, limit=50)
    ):  # this test alone, or on another worker
        new_run(page, url, DEBATE, "Should we invest in NovaCell?")
        page.get_by_text("run completed").first.wait_for(timeout=60_000)
    run = latest_run(store, DEBATE)
    events = load_events(run.id, store=store)
    page.goto(f"{url}/replay?run={run.id}")
    wait_for_app(page)
    page.get_by_text(f"Step 1 of {len(events)}", exact=True).wait_for()
    for _ in range(2):
        page.get_by_role("button", name="Next").click()
        wait_for_app(page)
    page.get_by_text(f"Step 3 of {len(events)}", exact=True).wait_for()
    page.get_by_role("button", name="Last").click()
    page.get_by_text(f"Step {len(events)} of {len(events)}", exact=True).wait_for()
    # the window around the last step is drawn after the step label: wait for it rather than count at once
    page.get_by_text("run completed").first.wait_for(timeout=30_000)
    assert page.get_by_text("run completed").count() >= 1
    inspector = page.locator('[data-testid="stJson"]').first
    expect(inspector).to_contain_text("run_finished")
    page.get_by_role("button", name="Previous").click()
    wait_for_app(page)
    page.get_by_text(f"Step {len(events) - 1} of {len(events)}", exact=True).wait_for()
    page.screenshot(path=str(artifacts_dir / "replay.png"), full_page=True)
    page.locator('[data-testid="stRadio"]').get_by_text("Export", exact=True).click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Export JSON").click()
    doc = json.loads(Path(info.value.path()).read_text())
    assert [e["seq"] for e in doc["events"]] == [e.seq for e in events]
    contents = [e.get("content") for e in doc["events"] if e["type"] == "message"]
    assert "Should we invest in NovaCell?" in contents
    with page.expect_download() as info:
        page.get_by_role("button", name="Export Markdown").click()
    markdown = Path(info.value.path()).read_text()
    assert markdown.startswith("# debate-demo — completed") and "### bear" in markdown
