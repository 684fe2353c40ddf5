"""Playwright journeys through a real studio in Debian's Chromium: build a team from scratch in Build, import an
AutoGen Studio team in Gallery and export it, keep a secret in Settings; plus the network-surface checks against the
running server (T49: WebSocket handshakes with foreign origins and hosts are refused; T50: it listens on 127.0.0.1
only). Screenshots of Build, Gallery and Settings go to tests/artifacts/ for review."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from tests.browser.conftest import StudioServer, screenshot, settle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

AGS_ROUNDROBIN = (Path(__file__).resolve().parents[1] / "spec" / "data" / "ags_roundrobin_team.json").read_text()
SHOUT = '''def shout(text: str) -> str:
    """Return the text in capitals."""
    return text.upper()
'''
TIMEOUT = 20_000


# -- small verbs over Streamlit's DOM ------------------------------------------------------------------------------------


def visible(page: Any, text: str) -> None:
    page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=TIMEOUT)


def kind(page: Any, label: str) -> None:
    segment = page.locator('[data-testid="stButtonGroup"]').get_by_role("radio", name=label, exact=True)
    for attempt in range(3):  # on a loaded machine a rerun can re-render the bar under the click: try again
        try:
            segment.click(timeout=8_000)
        except Exception:  # noqa: BLE001 - retried, then re-raised
            if attempt == 2:
                raise
        settle(page)
        if segment.get_attribute("aria-checked") == "true":
            return
    raise AssertionError(f"The {label!r} segment did not become selected.")


def click(page: Any, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    settle(page)


def fill(page: Any, label: str, text: str) -> None:
    box = page.get_by_role("textbox", name=label, exact=True)
    box.fill(text)
    box.press("Enter" if box.evaluate("e => e.tagName") == "INPUT" else "Control+Enter")
    settle(page)


def choose(page: Any, label: str, option: str) -> None:
    for attempt in range(3):  # a rerun that lands while the list is open closes it: open it again
        page.get_by_role("combobox", name=label, exact=True).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - retried, then re-raised
            if attempt == 2:
                raise
            settle(page)
    settle(page)


def pick(page: Any, label: str, options: list[str]) -> None:
    box = page.get_by_role("combobox", name=label, exact=True)
    for option in options:
        box.click()
        box.fill(option)
        page.get_by_role("option", name=option, exact=True).click()
        settle(page)
    page.keyboard.press("Escape")
    settle(page)


def goto(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
    settle(page)


# -- journeys ------------------------------------------------------------------------------------------------------------


@pytest.mark.timeout(420)  # some forty clicks, each a rerun; a loaded machine makes it slow
def test_build_a_model_a_tool_two_agents_and_a_group_chat_and_see_its_graph(studio_server, page, artifacts_dir):
    goto(page, studio_server + "/build")

    kind(page, "Models")
    click(page, "New model")
    choose(page, "Preset", "Scripted (demo, no network)")
    fill(page, "Name", "journey_model")
    click(page, "Save")
    visible(page, "Saved model 'journey_model' as version 1.")

    kind(page, "Tools")
    click(page, "New tool")
    fill(page, "Name", "shout")
    fill(page, "Source", SHOUT)
    click(page, "Check")
    visible(page, "The source is valid")
    click(page, "Save")
    visible(page, "Saved tool 'shout' as version 1.")
    visible(page, "not approved")
    click(page, "Approve this source")
    visible(page, "Approved tool 'shout'")

    kind(page, "Agents")
    for name in ("writer", "critic"):
        click(page, "New agent")
        fill(page, "Name", name)
        choose(page, "Model", "journey_model")
        if name == "writer":
            pick(page, "Tools", ["shout"])
        click(page, "Save")
        visible(page, f"Saved agent '{name}' as version 1.")

    kind(page, "Teams")
    click(page, "New team")
    fill(page, "Name", "journey_team")
    pick(page, "Agents", ["writer", "critic"])
    click(page, "Save")
    visible(page, "Saved team 'journey_team' as version 1.")
    graph = page.frame_locator('iframe[title="streamlit_agraph.agraph"]').first
    graph.locator("canvas").first.wait_for(state="visible", timeout=TIMEOUT)
    page.wait_for_timeout(1500)  # let the physics layout settle before the screenshot
    screenshot(page, artifacts_dir / "build.png")


@pytest.mark.timeout(300)
def test_import_an_autogen_studio_team_with_the_tool_review_and_export_it(studio_server, page, artifacts_dir):
    goto(page, studio_server + "/gallery")
    page.wait_for_selector('iframe[title="streamlit_agraph.agraph"]', timeout=TIMEOUT)
    screenshot(page, artifacts_dir / "gallery.png")

    page.get_by_role("tab", name="Import").click()
    page.get_by_test_id("stRadioOption").filter(has_text="Paste text").click()
    settle(page)
    fill(page, "JSON or YAML", AGS_ROUNDROBIN)
    click(page, "Read")
    visible(page, "Read a AutoGen Studio team: RoundRobin_Team")
    visible(page, "Untrusted tools")
    assert page.get_by_text("def calculator(a: float, b: float, operator: str)").first.is_visible()
    page.get_by_text("Approve calculator").click()
    settle(page)
    click(page, "Save to studio")
    visible(page, "Saved team 'RoundRobin_Team'")
    screenshot(page, artifacts_dir / "gallery-import.png")

    page.get_by_role("tab", name="Export").click()
    choose(page, "Team", "RoundRobin_Team")
    exported: dict[str, str] = {}
    for label in ("Parley JSON", "Parley YAML", "AutoGen Studio JSON", "Python script"):
        with page.expect_download(timeout=TIMEOUT) as download:
            page.get_by_role("button", name=label).click()
        exported[label] = Path(download.value.path()).read_text()
        assert download.value.suggested_filename.startswith("RoundRobin_Team.")
    ours = json.loads(exported["Parley JSON"])
    assert ours["kind"] == "bundle" and ours["team"]["name"] == "RoundRobin_Team"
    assert yaml.safe_load(exported["Parley YAML"]) == ours
    ags = json.loads(exported["AutoGen Studio JSON"])
    assert ags["provider"] == "autogen_agentchat.teams.RoundRobinGroupChat"
    assert "from studio import" in exported["Python script"] and "def calculator" in exported["Python script"]
    assert "api_key" not in exported["AutoGen Studio JSON"]


def test_a_secret_is_kept_in_settings_and_shown_masked(studio_server, page, artifacts_dir):
    value = "sk-proj-BrowserSecret-0123456789-abcdefWXYZ"
    goto(page, studio_server + "/settings")
    page.get_by_role("textbox", name="Secret name", exact=True).fill("openai-prod")
    page.get_by_role("textbox", name="Value", exact=True).fill(value)
    click(page, "Store secret")
    visible(page, "Stored the secret 'openai-prod'")
    visible(page, "••••WXYZ")
    screenshot(page, artifacts_dir / "settings.png")
    assert value not in page.content()
    assert page.get_by_role("textbox", name="Value", exact=True).input_value() == ""


# -- network surface (SECURITY.md T49, T50) --------------------------------------------------------------------------


def handshake(port: int, host: str, origin: str | None) -> str:
    """The status line the server answers to a WebSocket upgrade of /_stcore/stream with these headers."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        reply = b""
        while b"\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply.split(b"\r\n", 1)[0].decode(errors="replace")


def test_t49_websocket_handshakes_from_foreign_origins_and_hosts_are_refused(studio_server_info: StudioServer):
    port = studio_server_info.port
    own = f"127.0.0.1:{port}"
    assert " 101 " in handshake(port, own, f"http://{own}") + " "  # the page's own origin connects
    assert " 403 " in handshake(port, own, "http://evil.example") + " "  # cross-site page
    rebinding = f"evil.example:{port}"
    assert " 403 " in handshake(port, rebinding, f"http://{rebinding}") + " "  # DNS rebinding shape


def _listening(pid: int) -> list[Any]:
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    found = []
    for proc in procs:
        found += [c for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    return found


def test_t50_the_studio_listens_on_loopback_only(studio_server_info: StudioServer):
    assert studio_server_info.process is not None
    sockets = _listening(studio_server_info.process.pid)
    assert sockets, "the studio process listens on nothing?"
    assert {c.laddr.ip for c in sockets} == {"127.0.0.1"}
    assert studio_server_info.port in {c.laddr.port for c in sockets}
    ss = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
    ours = [line.split()[3] for line in ss.splitlines() if line.split()[3].endswith(f":{studio_server_info.port}")]
    assert ours == [f"127.0.0.1:{studio_server_info.port}"], ours
