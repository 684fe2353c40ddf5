"""The studio's entry script: a router (`st.navigation`) over the pages in `components/views/`.

Run with `studio ui` (or `streamlit run components/app.py`). Pages are thin: they read widgets, call one `studio`
function and render what it returns. Non-loopback serving requires the access-token gate (`components/auth.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run components/app.py` puts components/ on sys.path, not the project root.
_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from components.auth import require_access  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="Parley Studio", page_icon="💬", layout="wide")
require_access()

pages = {
    "Studio": [
        st.Page(VIEWS / "playground.py", title="Playground", icon="▶️", url_path="playground", default=True),
        st.Page(VIEWS / "build.py", title="Build", icon="🛠️", url_path="build"),
        st.Page(VIEWS / "replay.py", title="Replay", icon="⏪", url_path="replay"),
        st.Page(VIEWS / "gallery.py", title="Gallery", icon="🖼️", url_path="gallery"),
        st.Page(VIEWS / "settings.py", title="Settings", icon="⚙️", url_path="settings"),
    ]
}
st.navigation(pages).run()
