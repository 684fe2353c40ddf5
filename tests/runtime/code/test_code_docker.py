"""`DockerCodeExecutor` against a real, private Docker daemon: SECURITY.md T29 and T30 (plus cancel/limits in Docker).

The daemon and the image come from the session fixture `docker_env` (conftest.py): private socket, no bridge, no
iptables, an image imported from a tiny root filesystem with the host's /usr bound read-only for Python.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from studio.runtime.code import (
    CodeBlock,
    CodeExecutionSettings,
    DockerCodeExecutor,
    DockerUnavailableError,
    cleanup_orphans,
)
from studio.runtime.code.docker_exec import LABEL

pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("docker")]


@pytest.fixture
def make_executor(docker_env, tmp_path: Path) -> Iterator[Callable[..., DockerCodeExecutor]]:
    made: list[DockerCodeExecutor] = []

    def make(**kwargs) -> DockerCodeExecutor:
        kwargs.setdefault("extra_volumes", docker_env.volumes)
        kwargs.setdefault("timeout", 10)
        executor = DockerCodeExecutor(docker_env.image, docker_host=docker_env.host, **kwargs)
        made.append(executor)
        return executor

    yield make
    for executor in made:
        executor.close()


def labelled(docker_env) -> list[str]:
    return [c.id for c in docker_env.client.containers.list(all=True, filters={"label": f"{LABEL}=1"})]


def run(executor: DockerCodeExecutor, code: str, lang: str = "python"):
    return executor.execute_code_blocks([CodeBlock(code, lang)])


def test_docker_runs_python_and_shell_with_ag2_output(make_executor) -> None:
    executor = make_executor()
    result = executor.execute_code_blocks(
        [
            CodeBlock("import sys\nprint('hi')\nprint('warn', file=sys.stderr)", "python"),
            CodeBlock("echo sh; exit 3", "sh"),
        ]
    )
    assert (result.exit_code, result.output) == (3, "warn\nhi\nsh\n")
    assert run(executor, "open('kept.txt', 'w').write('1'); print(open('kept.txt').read())").output == "1\n"
    assert (executor.work_dir / "kept.txt").exists()


def test_T29_daemon_unreachable_is_a_clear_error(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(DockerUnavailableError) as info:
        DockerCodeExecutor("anything:1", docker_host=f"unix://{tmp_path}/absent.sock")
    assert str(info.value).startswith("Docker executor unavailable: cannot reach the Docker daemon")
    assert time.monotonic() - start < 5


def test_T29_missing_image_is_a_clear_error_and_nothing_is_pulled(docker_env) -> None:
    images_before = sorted(i.id for i in docker_env.client.images.list())
    start = time.monotonic()
    with pytest.raises(DockerUnavailableError, match="image 'parley-absent:never' is not present") as info:
        DockerCodeExecutor("parley-absent:never", docker_host=docker_env.host)
    assert "not pulled" in str(info.value)
    assert time.monotonic() - start < 5
    assert sorted(i.id for i in docker_env.client.images.list()) == images_before


def test_T29_legacy_use_docker_with_missing_image_fails_at_construction(
    docker_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_env.host)
    monkeypatch.delenv("AUTOGEN_USE_DOCKER", raising=False)
    with pytest.raises(DockerUnavailableError, match="python:3-slim"):
        CodeExecutionSettings.from_config({"work_dir": str(tmp_path)}, agent_name="u")
    settings = CodeExecutionSettings.from_config(
        {"use_docker": docker_env.image, "work_dir": str(tmp_path)}, agent_name="u"
    )
    assert isinstance(settings.executor, DockerCodeExecutor) and settings.executor.timeout == 600
    settings.close()


def test_T29_daemon_dying_mid_run_is_a_clear_error(tmp_path_factory: pytest.TempPathFactory, docker_env) -> None:
    import docker

    from tests.support.docker_image import HOST_PYTHON_BINDS, build_test_image
    from tests.support.dockerd import start_dockerd

    daemon = start_dockerd(Path(tmp_path_factory.mktemp("dying-dockerd")))
    try:
        client = docker.DockerClient(base_url=daemon.host, version="auto")
        image = build_test_image(client)
        client.close()
        executor = DockerCodeExecutor(image, docker_host=daemon.host, extra_volumes=HOST_PYTHON_BINDS, timeout=60)
        threading.Timer(1.5, daemon.stop).start()
        with pytest.raises(DockerUnavailableError, match="Docker executor unavailable"):
            run(executor, "import time\nprint('started', flush=True)\ntime.sleep(60)")
        assert not (executor.work_dir / "ran-natively").exists()
        executor.close()
    finally:
        daemon.stop()


def test_T30_container_configuration_audit(make_executor, docker_env) -> None:
    executor = make_executor(run_id="run-42")
    probe = (
        "import os, socket\n"
        "status = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)\n"
        "print(os.getuid(), os.getgid(), status['CapEff'].strip(), status['NoNewPrivs'].strip())\n"
        "for path in ('/etc/probe', '/probe', '/tmp/probe', '/workspace/probe'):\n"
        "    try:\n"
        "        open(path, 'w').write('x'); print(path, 'writable')\n"
        "    except OSError as exc:\n"
        "        print(path, exc.strerror)\n"
        "try:\n"
        "    socket.create_connection(('169.254.169.254', 80), timeout=2); print('net open')\n"
        "except OSError as exc:\n"
        "    print('net blocked')\n"
    )
    result = run(executor, probe)
    assert result.output.splitlines() == [
        "65534 65534 0000000000000000 1",
        "/etc/probe Read-only file system",
        "/probe Read-only file system",
        "/tmp/probe writable",
        "/workspace/probe writable",
        "net blocked",
    ]
    info = docker_env.client.api.inspect_container(executor.container_id)
    host = info["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["Privileged"] is False
    assert host["PidsLimit"] == 64
    assert host["Memory"] == 512 * 2**20 and host["MemorySwap"] == host["Memory"]
    assert host["NanoCpus"] == 10**9
    assert info["Config"]["User"] == "65534:65534"
    assert info["Config"]["Labels"][LABEL] == "1" and info["Config"]["Labels"]["parley.studio.run"] == "run-42"
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    assert not any("docker.sock" in m["Source"] for m in info["Mounts"])
    assert mounts["/workspace"]["RW"] is True and mounts["/usr"]["RW"] is False


def test_T30_extra_volumes_are_read_only_and_docker_sock_is_refused(docker_env, tmp_path: Path) -> None:
    for sock in ("/var/run/docker.sock", str(docker_env.daemon.socket_path)):
        with pytest.raises(ValueError, match="refusing to mount the socket"):
            DockerCodeExecutor(
                docker_env.image, docker_host=docker_env.host, extra_volumes={sock: "/var/run/docker.sock"}
            )
    data = tmp_path / "data"
    data.mkdir()
    executor = DockerCodeExecutor(
        docker_env.image,
        docker_host=docker_env.host,
        extra_volumes={**docker_env.volumes, str(data): {"bind": "/data", "mode": "rw"}},
    )
    try:
        assert "Read-only file system" in run(executor, "open('/data/x', 'w')").output
    finally:
        executor.close()


def test_T30_no_orphans_after_close_timeout_cancel_and_cleanup(make_executor, docker_env) -> None:
    executor = make_executor(timeout=2)
    assert run(executor, "print(1)").output == "1\n"
    assert executor.container_id in labelled(docker_env)
    start = time.monotonic()
    result = run(executor, "while True: pass")
    assert time.monotonic() - start < 2 + 2.5  # the container is killed within 2 s of the deadline
    assert result.exit_code == 124 and result.output.endswith("\nTimeout")
    assert labelled(docker_env) == []  # the killed container is removed, the next block gets a fresh one
    assert run(executor, "print('fresh')").output == "fresh\n"
    executor.close()
    assert labelled(docker_env) == []
    # a crashed studio leaves containers behind; start-up cleanup removes them
    left = make_executor()
    run(left, "print(1)")
    assert left.container_id in labelled(docker_env)
    assert cleanup_orphans(docker_env.client) == [left.container_id]
    assert labelled(docker_env) == []


def test_T31_cancel_kills_the_container_within_2s(make_executor, docker_env) -> None:
    executor = make_executor(timeout=60)
    pressed: list[float] = []

    def press_stop() -> None:
        time.sleep(1.5)
        pressed.append(time.monotonic())
        executor.cancel()

    threading.Thread(target=press_stop).start()
    result = run(executor, "import time\nprint('partial', flush=True)\ntime.sleep(100)")
    assert time.monotonic() - pressed[0] < 2
    assert result.exit_code == 125 and result.output == "partial\n\nCancelled"
    assert labelled(docker_env) == []


def test_docker_leftover_processes_die_when_the_block_ends(make_executor) -> None:
    executor = make_executor()
    start = time.monotonic()
    assert run(executor, "sleep 300 & echo bg", "sh").output == "bg\n"
    assert time.monotonic() - start < 1.5
    live = run(executor, "ps -eo stat=,comm= | grep -v '^Z'", "sh").output  # zombies are reaped by PID 1 soon
    assert "sleep" not in live


def test_docker_pids_and_memory_limits(make_executor) -> None:
    executor = make_executor(pids_limit=32, memory_mb=128)
    code = (
        "import subprocess\nchildren = []\ntry:\n    for _ in range(200):\n"
        "        children.append(subprocess.Popen(['sleep', '30']))\nexcept OSError as exc:\n"
        "    print('stopped after', len(children))\n"
    )
    words = run(executor, code).output.split()
    assert words[:2] == ["stopped", "after"] and int(words[2]) < 32
    result = run(executor, "x = bytearray(2**30)\nx[::4096] = b'1' * len(x[::4096])")
    assert result.exit_code in (1, 137)  # MemoryError or the cgroup OOM killer
