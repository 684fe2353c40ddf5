"""Run every benchmark script in bench/ and print their figures (`make bench`). Benchmarks are not timed tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["bench_runtime.py", "http_floor.py", "bench_code_exec.py", "bench_store.py", "bench_ui.py", "bench_local.py"]


def main() -> int:
    failed = 0
    for name in SCRIPTS:
        path = HERE / name
        if not path.exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        code = subprocess.call([sys.executable, "-m", f"bench.{path.stem}"], cwd=HERE.parent)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
