"""CLI fixtures: `studio` runs as a real subprocess (`python -m studio.cli`) with its own STUDIO_HOME per test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
GALLERY = ROOT / "gallery"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "STUDIO_"))}
    env.update(STUDIO_HOME=str(home), PYTHONUNBUFFERED="1", **extra)
    return env


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def studio(home: Path, tmp_path: Path) -> Callable[..., Result]:
    """Run `studio ARGS...`; `input` feeds stdin; `cwd` defaults to a scratch directory (never the repository)."""
    scratch = tmp_path / "cwd"
    scratch.mkdir()

    def run(*args: str, input: str | None = None, timeout: float = 90, env: dict[str, str] | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "studio.cli", *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=scratch,
            env={**cli_env(home), **(env or {})},
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def studio_here(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run `studio ARGS...` in this process (`studio.cli.main`): for the repeated variants of a check whose first
    case already ran as a real subprocess — a subprocess costs a second or more of imports."""
    from studio.cli import main

    monkeypatch.setenv("STUDIO_HOME", str(home))

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run
