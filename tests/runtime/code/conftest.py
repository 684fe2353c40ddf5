"""Fixtures for the code-execution tests: process probes, a canary HTTP server and a private Docker daemon.

The Docker fixture is session-scoped: it starts `dockerd` on a private socket with private data/exec roots under a
temp dir (no bridge, no iptables), imports a tiny image (no registry is reachable) and stops the daemon by PID at the
end. If the daemon cannot start here, every Docker test is skipped with the reason. Docker tests carry
``@pytest.mark.xdist_group("docker")`` so that, under ``pytest -n 2 --dist loadgroup``, they share one worker and one
daemon.
"""

from __future__ import annotations

import http.server
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # so `tests.support` imports however pytest was started
    sys.path.insert(0, str(ROOT))

from tests.support.docker_image import HOST_PYTHON_BINDS, build_test_image  # noqa: E402
from tests.support.dockerd import DockerdUnavailable, PrivateDockerd, start_dockerd  # noqa: E402


@pytest.fixture
def marker() -> str:
    """A unique sleep duration, e.g. ``313.4821937``: used as `sleep <marker>` so leftovers can be found by cmdline."""
    return f"313.{uuid.uuid4().int % 10**7:07d}"


@dataclass
class CanaryServer:
    port: int
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/canary"


@pytest.fixture
def canary_server() -> Iterator[CanaryServer]:
    """An HTTP server on 127.0.0.1:<free port> that records every request it receives."""
    server_box: dict[str, Any] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server_box["canary"].requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"canary-reached")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    canary = CanaryServer(port=httpd.server_address[1])
    server_box["canary"] = canary
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield canary
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class DockerEnv:
    daemon: PrivateDockerd
    client: Any
    image: str
    volumes: dict[str, str]

    @property
    def host(self) -> str:
        return self.daemon.host


@pytest.fixture(scope="session")
def docker_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerEnv]:
    """A private dockerd plus a locally imported Python image (the host /usr is bound read-only for Python)."""
    root = Path(tmp_path_factory.mktemp("dockerd", numbered=True))
    try:
        daemon = start_dockerd(root)
    except DockerdUnavailable as exc:
        pytest.skip(f"private dockerd unavailable: {exc}")
    try:
        import docker

        client = docker.DockerClient(base_url=daemon.host, version="auto")
        image = build_test_image(client)
        yield DockerEnv(daemon=daemon, client=client, image=image, volumes=dict(HOST_PYTHON_BINDS))
        client.close()
    finally:
        daemon.stop()
