"""UI benchmark: studio start-up, a 1,000-message run in the Playground, the first screen of a 10,000-event replay.

    python -m bench.bench_ui [--trials 3] [--no-browser] [--json]

Figures (targets from the issue):
* launch → first page served ≤ 3 s: `streamlit run components/app.py` until `/_stcore/health` answers and `GET /`
  returns the page, plus — in Chromium — until the Playground has rendered (which includes the studio's boot:
  opening the store, loading the gallery);
* a 1,000-message run renders in the Playground ≤ 1 s: server-side (AppTest: one script run of the page with the
  session open, default window and all 1,000 bubbles) and in Chromium (navigation to `?session=…` until the last
  bubble is visible);
* a 10,000-event replay shows its first screen ≤ 1 s: AppTest script run of the Replay page, and Chromium navigation to
  `/replay?run=…` until "Step 1 of 10,000" is shown and the script run is over.

The browser figures include Streamlit's own page shell (loading its JS bundle, opening the WebSocket), reported as
`browser_page_shell_s` (navigation until a page's title shows); `*_over_shell_s` is what our content adds to it.

Runs are written straight into a fresh store (the same `append_events` the RunManager uses) so the figures measure
the UI, not a chat. Each figure is the median of `--trials`; the machines this runs on are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.events import Message, ModelCall, RunFinished, RunStarted, SpeakerSelected  # noqa: E402
from studio.store import append_events, create_run, create_session, finish_run, open_store, start_run  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-proxy-server",
]  # fmt: skip
CONTENT = "The quick brown fox jumps over the **lazy** dog. " * 6  # ~300 characters, a typical chat message
AGENTS = ("planner", "critic", "writer")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as resp:
            resp.read()
            return int(resp.status)
    except OSError:
        return 0


class Studio:
    """A studio server child on a free port with its own STUDIO_HOME; `launch()` returns (health s, GET / s)."""

    def __init__(self, home: Path) -> None:
        self.home, self.port = home, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def launch(self) -> tuple[float, float]:
        env = {k: v for k, v in os.environ.items() if "KEY" not in k.upper() and "TOKEN" not in k.upper()}
        env.update(STUDIO_HOME=str(self.home), PYTHONPATH=str(ROOT), NO_PROXY="127.0.0.1,localhost")
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT / "components", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while _get(self.url + "/_stcore/health") != 200:
            if self.proc.poll() is not None or time.perf_counter() - started > 60:
                raise RuntimeError("the studio did not start")
            time.sleep(0.02)
        health = time.perf_counter() - started
        if _get(self.url + "/") != 200:
            raise RuntimeError("GET / failed")
        return health, time.perf_counter() - started

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def write_run(store: Any, *, messages: int, events: int, session: bool) -> tuple[str, str | None]:
    """A finished run in `store`: `messages` messages among three agents, padded to `events` with model calls and
    speaker selections (what a group chat writes between messages)."""
    session_id = create_session("Benchmark: a long conversation", store=store).id if session else None
    run = create_run(None, "A long conversation", store=store, snapshot=None, session_id=session_id, team_name="bench")
    start_run(run.id, store=store)
    batch: list[Any] = [RunStarted(task="A long conversation", team="bench")]
    extra = max(0, events - messages - 2)
    per_message = extra // max(messages, 1)
    for i in range(messages):
        agent = AGENTS[i % len(AGENTS)]
        for k in range(per_message):
            batch.append(SpeakerSelected(speaker=agent, method="round_robin", round=i) if k % 2 else
                         ModelCall(source=agent, model="scripted", prompt_tokens=120, completion_tokens=60,
                                   total_tokens=180, latency_ms=3.0))  # fmt: skip
        batch.append(Message(source=agent, content=f"{CONTENT} (message {i})"))
    while len(batch) < events - 1:
        batch.append(ModelCall(source=AGENTS[0], model="scripted", total_tokens=1))
    batch.append(RunFinished(status="completed", stop_reason="benchmark"))
    for seq, ev in enumerate(batch, 1):
        ev.seq = seq
    for k in range(0, len(batch), 2000):
        append_events(run.id, batch[k : k + 2000], store=store)
    finish_run(run.id, "completed", stop_reason="benchmark", store=store)
    return run.id, session_id


def median(fn: Callable[[], float], trials: int) -> float:
    return statistics.median(fn() for _ in range(trials))


# -- AppTest (server side) -----------------------------------------------------------------------------------------


def _timed_page(path: str) -> None:
    """An AppTest script that runs a page file and records how long the page's own code took (script thread)."""
    import time as _time
    from pathlib import Path as _Path

    import streamlit as _st

    code = compile(_Path(path).read_text(), path, "exec")
    started = _time.perf_counter()
    exec(code, {"__name__": "__page__"})  # our own page file, run as Streamlit runs it
    _st.session_state["_bench_seconds"] = _time.perf_counter() - started


def apptest_figures(home: Path, session_id: str, big_run: str, trials: int) -> dict[str, float]:
    """Server side: the page script's own run time (AppTest's per-instance set-up is not counted)."""
    os.environ["STUDIO_HOME"] = str(home)
    from streamlit.testing.v1 import AppTest

    from components.services import services

    services.clear()
    services()  # boot once, outside the timings (the browser figures include it)
    views = ROOT / "components" / "views"

    def page(name: str, **state: Any) -> float:
        at = AppTest.from_function(_timed_page, args=(str(views / f"{name}.py"),), default_timeout=120)
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        assert not at.exception, at.exception
        return float(at.session_state["_bench_seconds"])

    page("playground", session_id=session_id, pg_opened=True)  # warm-up: the page's imports
    page("replay", replay_run_id=big_run)
    out = {
        "playground_1000_default_window_s": median(
            lambda: page("playground", session_id=session_id, pg_opened=True), trials
        ),
        "playground_1000_all_bubbles_s": median(
            lambda: page("playground", session_id=session_id, pg_opened=True, pg_limit=1000), trials
        ),
        "replay_10000_first_screen_s": median(lambda: page("replay", replay_run_id=big_run), trials),
    }
    services().runs.shutdown()
    services.clear()
    return out


# -- Chromium (end to end) -----------------------------------------------------------------------------------------


def _idle(page: Any) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=120_000,
    )


def browser_figures(url: str, session_id: str, big_run: str, trials: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

        def visit(path: str, ready: Callable[[Any], None]) -> float:
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            started = time.perf_counter()
            page.goto(url + path)
            ready(page)
            elapsed = time.perf_counter() - started
            context.close()
            return elapsed

        def playground_ready(page: Any) -> None:
            page.locator('[data-testid="stChatMessage"]').last.get_by_text("(message 999)").wait_for(timeout=120_000)

        def replay_ready(page: Any) -> None:
            page.get_by_text("Step 1 of 10,000", exact=True).wait_for(timeout=120_000)
            _idle(page)

        def title(page: Any) -> None:
            page.get_by_role("heading", name="Replay").wait_for(timeout=120_000)

        # The studio's first page after launch includes its boot (store, gallery); later pages do not.
        out["first_rendered_page_s"] = visit("/replay", title)
        # What any Streamlit page costs the browser before our content: the Replay page's title.
        out["browser_page_shell_s"] = median(lambda: visit("/replay", title), trials)
        out["playground_1000_browser_s"] = median(lambda: visit(f"/?session={session_id}", playground_ready), trials)
        out["replay_10000_browser_s"] = median(lambda: visit(f"/replay?run={big_run}", replay_ready), trials)
        # What our content adds to a page the browser has to set up anyway (on a loaded machine the shell dominates).
        out["playground_1000_browser_over_shell_s"] = out["playground_1000_browser_s"] - out["browser_page_shell_s"]
        out["replay_10000_browser_over_shell_s"] = out["replay_10000_browser_s"] - out["browser_page_shell_s"]
        chromium.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figures")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    figures: dict[str, float] = {}
    try:
        launches = []
        for i in range(args.trials):
            studio = Studio(base / f"launch{i}")
            (base / f"launch{i}").mkdir()
            try:
                launches.append(studio.launch())
            finally:
                studio.stop()
        figures["launch_to_health_s"] = statistics.median(h for h, _ in launches)
        figures["launch_to_first_page_served_s"] = statistics.median(g for _, g in launches)

        home = base / "home"
        home.mkdir()
        store = open_store(home=home)
        _, session_id = write_run(store, messages=1000, events=3000, session=True)
        big_run, _ = write_run(store, messages=3300, events=10_000, session=False)
        store.engine.dispose()
        assert session_id is not None
        figures.update(apptest_figures(home, session_id, big_run, args.trials))

        if not args.no_browser and Path(CHROMIUM).exists():
            studio = Studio(home)
            studio.launch()
            try:
                figures.update(browser_figures(studio.url, session_id, big_run, args.trials))
            finally:
                studio.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    targets = {
        "launch_to_first_page_served_s": 3.0,
        "first_rendered_page_s": 3.0,
        "playground_1000_default_window_s": 1.0,
        "playground_1000_all_bubbles_s": 1.0,
        "playground_1000_browser_s": 1.0,
        "replay_10000_first_screen_s": 1.0,
        "replay_10000_browser_s": 1.0,
    }
    print(f"{'figure':40} {'seconds':>9} {'target':>8}")
    for name, value in figures.items():
        target = targets.get(name)
        mark = "" if target is None else ("  ok" if value <= target else "  OVER")
        print(f"{name:40} {value:9.3f} {'' if target is None else f'≤ {target:g}':>8}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
