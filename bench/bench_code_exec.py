"""Cost per code block for each executor: one ``print('hi')`` block, 50 runs (after 3 warm-up runs). Prints figures.

    .venv/bin/python bench/bench_code_exec.py              # local, sandbox, docker (if a daemon can be had)
    .venv/bin/python bench/bench_code_exec.py --runs 100 --no-docker

Variants: ``local`` (PID namespace via unshare when root — the default), ``local-nopidns`` (killpg + /proc walk),
``local-py3.11`` (local with the sandbox's interpreter, /usr/bin/python3.11: the fair baseline for the sandbox),
``sandbox`` (bubblewrap, work dir reachable by uid 65534), ``sandbox-portal`` (work dir under a 0700 parent, started
through the private-mount-namespace portal), ``docker`` (exec into the warm hardened container). Docker uses
``DOCKER_HOST``/the default socket if a daemon answers; otherwise, as root with ``dockerd`` installed, it starts the
tests' private daemon (tests/support/dockerd.py) and imports the tiny test image, and stops it afterwards.

Columns: wall-clock mean/median/min/p90 in ms. The local and sandbox variants run interleaved, block by block, so
machine noise hits them alike; on a loaded machine the min-to-min difference is the stable figure.

Target (issue 4): sandbox overhead ≤ 15 ms per block above local execution.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.runtime.code import CodeBlock, LocalCodeExecutor, SandboxCodeExecutor  # noqa: E402

BLOCK = [CodeBlock("print('hi')", "python")]
DEBIAN_PYTHON = "/usr/bin/python3.11"


def measure(executor, runs: int) -> list[float]:
    for _ in range(3):
        assert executor.execute_code_blocks(BLOCK).output == "hi\n"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = executor.execute_code_blocks(BLOCK)
        times.append((time.perf_counter() - start) * 1000)
        assert result.exit_code == 0, result.output
    return times


@contextmanager
def docker_executor(tmp: Path) -> Iterator[object | None]:
    from studio.runtime.code import DockerCodeExecutor, DockerUnavailableError

    try:
        executor = DockerCodeExecutor("python:3-slim")
    except DockerUnavailableError as exc:
        print(f"# no usable default daemon/image ({exc.reason[:80]}...); trying a private dockerd")
    else:
        yield executor
        executor.close()
        return
    from tests.support.docker_image import HOST_PYTHON_BINDS, build_test_image
    from tests.support.dockerd import DockerdUnavailable, start_dockerd

    try:
        daemon = start_dockerd(tmp / "dockerd")
    except DockerdUnavailable as exc:
        print(f"# docker skipped: {exc}")
        yield None
        return
    try:
        import docker

        client = docker.DockerClient(base_url=daemon.host, version="auto")
        image = build_test_image(client)
        client.close()
        executor = DockerCodeExecutor(image, docker_host=daemon.host, extra_volumes=HOST_PYTHON_BINDS)
        yield executor
        executor.close()
    finally:
        daemon.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-code-", dir="/tmp"))
    results: dict[str, list[float]] = {}
    try:
        private = tmp / "private"
        private.mkdir(mode=0o700)
        variants: list[tuple[str, Callable[[], object]]] = [
            ("local", lambda: LocalCodeExecutor(tmp / "local")),
            ("local-nopidns", lambda: LocalCodeExecutor(tmp / "local2", pid_namespace=False)),
            # the sandbox's interpreter, run locally: isolates the cost of the sandbox itself
            ("local-py3.11", lambda: LocalCodeExecutor(tmp / "local3", python=DEBIAN_PYTHON)),
            ("sandbox", lambda: SandboxCodeExecutor(tmp / "sandbox")),
            ("sandbox-portal", lambda: SandboxCodeExecutor(private / "sandbox")),
        ]
        # Interleave the variants run by run so that machine noise hits them alike.
        executors = {name: make() for name, make in variants}
        for name, executor in executors.items():
            measure(executor, 0)
            results[name] = []
        for _ in range(args.runs):
            for name, executor in executors.items():
                results[name] += measure_once(executor)
        if not args.no_docker:
            with docker_executor(tmp) as docker_ex:
                if docker_ex is not None:
                    results["docker"] = measure(docker_ex, args.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nms per print('hi') block, {args.runs} runs each")
    print(f"{'executor':<16}{'mean':>8}{'median':>8}{'min':>8}{'p90':>8}")
    for name, times in results.items():
        p90 = sorted(times)[int(0.9 * len(times)) - 1]
        print(f"{name:<16}{statistics.mean(times):8.1f}{statistics.median(times):8.1f}{min(times):8.1f}{p90:8.1f}")
    for base_name in ("local", "local-py3.11"):
        base = statistics.median(results[base_name])
        for name in ("sandbox", "sandbox-portal", "docker"):
            if name in results:
                extra = statistics.median(results[name]) - base
                floor = min(results[name]) - min(results[base_name])
                text = f"{name} overhead above {base_name}: median {extra:+.1f} ms, min-to-min {floor:+.1f} ms"
                if name != "docker":  # interleaved run by run: the paired difference cancels slow drifts in load
                    pairs = [a - b for a, b in zip(results[name], results[base_name], strict=True)]
                    text += f", paired median {statistics.median(pairs):+.1f} ms"
                print(text)


def measure_once(executor) -> list[float]:
    start = time.perf_counter()
    result = executor.execute_code_blocks(BLOCK)
    elapsed = (time.perf_counter() - start) * 1000
    assert result.exit_code == 0 and result.output == "hi\n", result.output
    return [elapsed]


if __name__ == "__main__":
    main()
