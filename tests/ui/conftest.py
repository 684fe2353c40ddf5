"""AppTest fixtures: every test gets its own STUDIO_HOME (a fresh SQLite store, gallery loaded) and page runner.

`services()` is an `st.cache_resource` singleton, which lives for the whole process: the fixture clears it, points
STUDIO_HOME at the test's temp directory, boots the services itself (so the test holds the same store the page uses)
and shuts them down afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components.services import Services, services

VIEWS = Path(__file__).resolve().parents[2] / "components" / "views"
PAGE_TIMEOUT = 60.0


@pytest.fixture
def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """The studio's services on a fresh home directory (the same instance the pages get from `services()`)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("STUDIO_HOME", str(home))
    monkeypatch.delenv("STUDIO_DATABASE_URL", raising=False)
    services.clear()
    svc = services()
    try:
        yield svc
    finally:
        services.clear()
        svc.runs.shutdown()
        svc.store.engine.dispose()


@pytest.fixture
def open_page(studio: Services) -> Callable[..., AppTest]:
    """`open_page("build", **session_state)` → an AppTest of that page, already run once."""

    def make(name: str, **session: Any) -> AppTest:
        at = AppTest.from_file(str(VIEWS / f"{name}.py"), default_timeout=PAGE_TIMEOUT)
        for key, value in session.items():
            at.session_state[key] = value
        at.run()
        return at

    return make


# -- helpers for reading an AppTest's page ---------------------------------------------------------------------------


def walk(node: Any) -> Iterator[Any]:
    """Every element and block under `node`, in page order (depth first)."""
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for index in sorted(children):
            yield from walk(children[index])


def widget(at: AppTest, kind: str, suffix: str, *, prefix: str = "") -> Any:
    """The one widget of `kind` (e.g. "text_input") whose key ends with `:suffix` (and starts with `prefix`); form
    widget keys carry an editor revision in the middle, which tests should not depend on."""
    matches = [
        w for w in getattr(at, kind) if (w.key or "").endswith(f":{suffix}") and (w.key or "").startswith(prefix)
    ]
    assert len(matches) == 1, f"{len(matches)} {kind} widgets end with ':{suffix}': {[w.key for w in matches]}"
    return matches[0]


def page_text(at: AppTest) -> str:
    """Everything the page sent to the browser (element protos, widget values), as one string to search."""
    parts: list[str] = []
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        try:
            parts.append(repr(node.value))
        except Exception:  # noqa: BLE001 - blocks and some elements have no value
            pass
    return "\n".join(parts)


def following(at: AppTest, element: Any) -> list[Any]:
    """The elements after `element` in page order (to check that an error sits right under its field)."""
    nodes = [n for n in walk(at._tree) if getattr(n, "type", None) not in (None,)]
    for i, node in enumerate(nodes):
        if node is element or (
            getattr(node, "key", None) and getattr(node, "key", None) == getattr(element, "key", None)
        ):
            return nodes[i + 1 :]
    raise AssertionError(f"{element!r} is not on the page")
