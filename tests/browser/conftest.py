"""Browser-test fixtures: a real studio server on 127.0.0.1 and a Playwright page in Debian's Chromium.

`studio_server` starts `streamlit run app.py` from `components/` (so the shipped `.streamlit/config.toml` applies:
loopback bind, allowedHosts, CORS and XSRF on) on a free port with a fresh STUDIO_HOME, waits for
`/_stcore/health` and yields the base URL. It is module-scoped: each test file gets its own studio and data directory,
tests inside one file share it (use unique spec names). The child gets no API keys from our environment.

`page` is a fresh browser context per test on a session-wide Chromium (`/usr/bin/chromium`; never downloaded).
Mark browser tests `@pytest.mark.browser` and `@pytest.mark.xdist_group("browser")` (run with `--dist loadgroup`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ROOT / "components"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 60.0
# Variables a studio child must never inherit: keys for hosted models and our own secrets key.
_SECRET_ENV_MARKERS = ("API_KEY", "TOKEN", "SECRET", "PASSWORD")


def free_port() -> int:
    """A port the OS just handed out on 127.0.0.1 (closed again so the studio can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not any(m in k.upper() for m in _SECRET_ENV_MARKERS)}
    env.pop("STUDIO_DATABASE_URL", None)
    env["STUDIO_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def _healthy(url: str) -> bool:
    # An opener without proxies: a proxy in the environment must not intercept loopback health checks.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url + "/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


class StudioServer:
    """A running studio: `url`, `port`, `home` (its STUDIO_HOME), `process` and the log file path."""

    def __init__(self, home: Path, log_path: Path, *, studio_ui_args: list[str] | None = None) -> None:
        self.home = home
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.studio_ui_args = studio_ui_args  # None: `streamlit run` directly; else `studio ui <args>` (the CLI)

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ]
        if self.studio_ui_args is not None:
            cmd = [sys.executable, "-m", "studio.cli", "ui", "--port", str(self.port), *self.studio_ui_args]
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            cmd, cwd=COMPONENTS, env=_child_env(self.home), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The studio exited with {self.process.returncode} before serving:\n{self.log()}")
            if _healthy(self.url):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"The studio did not answer /_stcore/health within {START_TIMEOUT} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def studio_server_info(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioServer]:
    """The running `StudioServer` object (URL, port, home, process) for tests that need more than the URL."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make deb installs it).")
    base = tmp_path_factory.mktemp("studio")
    home = base / "home"
    home.mkdir()
    server = StudioServer(home, base / "studio.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def studio_server(studio_server_info: StudioServer) -> str:
    """Base URL (http://127.0.0.1:PORT) of a studio started for this test module with a temp STUDIO_HOME."""
    return studio_server_info.url


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(_playwright: Any) -> Iterator[Any]:
    """One headless Debian Chromium for the session (no browser download, no proxy for loopback)."""
    chromium = _playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + ["--no-proxy-server"]
    )
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh Playwright page (own context: no cookies or storage shared between tests), 1400x1000."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(20_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """tests/artifacts/ (git-ignored): screenshots for review."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def wait_for_app(pg: Any, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script: the app root's `data-test-script-state` is not `running`
    in two checks 150 ms apart (a button that calls `st.rerun()` runs the script twice, with a gap between)."""
    pg.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout)
    idle = '[data-test-script-state]:not([data-test-script-state="running"])'
    deadline = time.monotonic() + timeout / 1000
    calm = 0
    while calm < 2:
        pg.wait_for_timeout(150)
        if pg.locator(idle).count() > 0:
            calm += 1
        else:
            calm = 0
            if time.monotonic() > deadline:
                raise TimeoutError(f"The studio page was still running its script after {timeout / 1000:g} s.")


settle = wait_for_app
"""Alias: call after every interaction that reruns the script."""


def screenshot(pg: Any, path: Path | str, *, max_height: int = 8000) -> None:
    """A screenshot of the whole page. Streamlit scrolls inside its main container, not the document, so
    `full_page=True` alone captures only the viewport: the viewport is stretched to the content first."""
    size = pg.viewport_size or {"width": 1400, "height": 1000}
    height = pg.evaluate(
        '() => Math.max(...[...document.querySelectorAll(\'[data-testid="stMain"], [data-testid="stAppViewContainer"]\')]'
        ".map(e => e.scrollHeight), document.body.scrollHeight)"
    )
    pg.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 40, max_height))})
    pg.wait_for_timeout(500)  # components re-layout at the new size
    pg.screenshot(path=str(path), full_page=True)
    pg.set_viewport_size(size)
