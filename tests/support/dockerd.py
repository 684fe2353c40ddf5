"""A private Docker daemon for tests: own socket, data and exec roots under a temp dir, no host networking changes.

SECURITY.md c.2 recipe: ``dockerd --bridge=none --iptables=false --ip-masq=false`` with ``--data-root``,
``--exec-root``, ``--pidfile`` and ``-H unix://<root>/docker.sock``; an empty ``--config-file`` so the host's
``/etc/docker/daemon.json`` cannot change the daemon. It is stopped by its PID (SIGTERM, then SIGKILL), never by name,
and whatever the daemon started (its managed containerd, shims) is reaped by PID as well.

`start_dockerd` raises `DockerdUnavailable` with the reason (binary missing, not root, daemon log tail) so a fixture
can skip visibly.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


class DockerdUnavailable(RuntimeError):
    """The private daemon could not be started here; the message says why."""


@dataclass
class PrivateDockerd:
    root: Path
    proc: subprocess.Popen[bytes]
    socket_path: Path
    log_path: Path
    stopped: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def host(self) -> str:
        return f"unix://{self.socket_path}"

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the daemon (it stops its containers and containerd), wait, SIGKILL what is left — by PID only."""
        if self.stopped:
            return
        self.stopped = True
        spawned = _descendants(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        for pid in spawned:  # managed containerd / shims the daemon started, if they outlived it
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _ping(socket_path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(str(socket_path))
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            status_line = s.recv(64).split(b"\r\n", 1)[0]
            return status_line.startswith(b"HTTP/1.") and b" 200" in status_line
    except OSError:
        return False


def start_dockerd(root: Path, *, timeout: float = 60) -> PrivateDockerd:
    """Start a private dockerd under `root` (created) and wait until its socket answers ``/_ping``."""
    exe = shutil.which("dockerd")
    if exe is None:
        raise DockerdUnavailable("dockerd is not installed (Debian: apt-get install docker.io).")
    if os.geteuid() != 0:
        raise DockerdUnavailable("starting a private dockerd needs root.")
    root.mkdir(parents=True, exist_ok=True)
    socket_path = root / "docker.sock"
    if len(str(socket_path)) > 100:
        raise DockerdUnavailable(f"socket path too long for AF_UNIX: {socket_path}")
    config = root / "daemon.json"
    config.write_text(json.dumps({}))
    log_path = root / "dockerd.log"
    argv = [
        exe,
        "--config-file", str(config),
        "--data-root", str(root / "data"),
        "--exec-root", str(root / "exec"),
        "--pidfile", str(root / "docker.pid"),
        "-H", f"unix://{socket_path}",
        "--bridge=none", "--iptables=false", "--ip-masq=false", "--ip-forward=false", "--userland-proxy=false",
        "--log-level=warn",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    daemon = PrivateDockerd(root=root, proc=proc, socket_path=socket_path, log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DockerdUnavailable(f"dockerd exited with status {proc.returncode}:\n{daemon.log_tail()}")
        if socket_path.exists() and _ping(socket_path):
            return daemon
        time.sleep(0.1)
    daemon.stop()
    raise DockerdUnavailable(f"dockerd did not answer within {timeout:g} s:\n{daemon.log_tail()}")
