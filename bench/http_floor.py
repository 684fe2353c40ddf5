"""How close OpenAIClient gets to the plain-HTTP floor, per request, as the history grows.

For H history messages (1, 10, 100, 1000; ~50 bytes each, as in design/PERFORMANCE.md) it times, against the test
server in fast mode running in a separate process (so it does not share this process's GIL):

  (a) `OpenAIClient.create` — a chat turn: the H-1 earlier messages were sent before, the last one is new;
  (a0) the same with every message new (nothing cached: the first request of a restored conversation);
  (b) the SDK's `chat.completions.create` with the same messages;
  (c) http.client keep-alive POST of the pre-serialised body and the same headers, response parsed with json.loads
      (the floor);
  (d) the SDK's httpx client posting the same bytes (PERFORMANCE.md's "raw httpx POST" floor);
  (e) the SDK's low-level `client.post(content=bytes)` (what the fast path would cost through the SDK's own loop).

(a), (c), (d) and (e) run in rotation, request by request, so machine noise affects them alike. It prints the median
ms per request and the ratios (a)/(c) and (a)/(d), then the cost of building clients and of importing.
Run: `.venv/bin/python -m bench.http_floor [--quick]`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from studio.runtime.models import OpenAIClient  # noqa: E402
from studio.runtime.models._wire import build_body  # noqa: E402
from tests.support.openai_server import serve_in_subprocess  # noqa: E402

MODEL = "gpt-4o-mini"


def history(n: int, tag: str = "") -> list[dict[str, Any]]:
    return [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}{tag} of the chat, some words."}
        for i in range(n)
    ]


def median_ms(fn: Callable[[], Any], repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def interleaved_medians(fns: dict[str, Callable[[], Any]], repeats: int, warmup: int = 3) -> dict[str, float]:
    """Median wall ms (`name`) and client CPU ms (`name_cpu`) of each function, run in rotation so that machine
    noise hits them all alike. CPU time is this process's only: it does not count the server or other load."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    wall: dict[str, list[float]] = {name: [] for name in fns}
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            fn()
            cpu[name].append((time.process_time() - started_cpu) * 1000)
            wall[name].append((time.perf_counter() - started) * 1000)
    result = {name: statistics.median(values) for name, values in wall.items()}
    result.update({f"{name}_cpu": statistics.median(values) for name, values in cpu.items()})
    return result


def measure(base_url: str, n: int, repeats: int) -> dict[str, float]:
    import httpx2
    import openai

    client = OpenAIClient(MODEL, api_key="sk-bench", base_url=base_url)
    sdk = openai.OpenAI(api_key="sk-bench", base_url=base_url)
    earlier = history(n - 1)
    turn = [0]

    def chat_turn() -> None:
        turn[0] += 1
        client.create([*earlier, {"role": "user", "content": f"new message {turn[0]} of the chat, some words."}])

    def cold() -> None:
        turn[0] += 1
        client.create(history(n, f"-{turn[0]}"))

    messages = history(n)
    body = build_body(MODEL, messages, None, {}, stream=False)
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    path = parts.path.rstrip("/") + "/chat/completions"
    headers = dict(client.endpoint.headers)  # the very headers OpenAIClient sends: the same bytes on the wire

    def floor() -> None:
        conn.request("POST", path, body=body, headers=headers)
        json.loads(conn.getresponse().read())

    url = base_url.rstrip("/") + "/chat/completions"

    def raw_httpx() -> None:
        json.loads(sdk._client.post(url, content=body, headers=headers).content)

    def sdk_post() -> None:
        options: Any = {"security": {"bearer_auth": True}}
        json.loads(sdk.post("/chat/completions", cast_to=httpx2.Response, content=body, options=options).content)

    def sdk_create() -> None:
        sdk.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]

    sdk_repeats = max(5, repeats // 9) if n >= 1000 else max(5, repeats // 3)
    fast = interleaved_medians({"a": chat_turn, "c": floor, "d": raw_httpx, "e": sdk_post}, repeats)
    return {
        "body_bytes": len(body),
        **fast,
        "a0": median_ms(cold, max(5, repeats // 9)),
        "b": median_ms(sdk_create, sdk_repeats, warmup=1),
    }


def construction(base_url: str) -> dict[str, float]:
    """ms to build 4 clients and resolve their endpoints, for a first and a further endpoint (fresh process)."""
    code = f"""
import json, time
from studio.runtime.models import OpenAIClient
t0 = time.perf_counter()
first = OpenAIClient("gpt-4o", api_key="sk-a", base_url="{base_url}"); first.endpoint
t1 = time.perf_counter()
team = [OpenAIClient("gpt-4o", api_key="sk-a", base_url="{base_url}", default_params={{"seed": i}}) for i in range(4)]
t2 = time.perf_counter()
for c in team: c.endpoint
t3 = time.perf_counter()
other = [OpenAIClient("gpt-4o", api_key=f"sk-{{i}}", base_url="{base_url}") for i in range(4)]
for c in other: c.endpoint
t4 = time.perf_counter()
print(json.dumps({{"first": (t1 - t0) * 1e3, "construct4": (t2 - t1) * 1e3, "resolve4_shared": (t3 - t2) * 1e3,
                  "four_keys": (t4 - t3) * 1e3}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


def import_ms() -> float:
    code = "import time; t = time.perf_counter(); import studio.runtime.models; print((time.perf_counter() - t) * 1e3)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout)
        for _ in range(5)
    ]
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--sizes", default="1,10,100,1000")
    args = parser.parse_args(argv)
    repeats = 21 if args.quick else 101
    os.environ.pop("OPENAI_BASE_URL", None)
    with serve_in_subprocess(fast=True) as base_url:
        print(f"server: {base_url} (fast mode, separate process); median ms per request, {repeats} requests")
        print(
            f"{'H':>5} {'body':>8} {'(a) ours':>9} {'(a0) cold':>9} {'(b) SDK':>9} {'(c) http':>9} "
            f"{'(d) httpx':>9} {'(e) sdk.post':>12} {'a/c':>5} {'a/d':>5} {'b/a':>6} | client CPU ms: "
            f"{'(a)':>5} {'(c)':>5} {'(d)':>5} {'(e)':>5} {'a/c':>5}"
        )
        for n in (int(s) for s in args.sizes.split(",")):
            r = measure(base_url, n, repeats)
            print(
                f"{n:>5} {r['body_bytes']:>7}B {r['a']:>9.2f} {r['a0']:>9.2f} {r['b']:>9.2f} {r['c']:>9.2f} "
                f"{r['d']:>9.2f} {r['e']:>12.2f} {r['a'] / r['c']:>5.2f} {r['a'] / r['d']:>5.2f} {r['b'] / r['a']:>6.1f}"
                f" | {'':>14}{r['a_cpu']:>5.2f} {r['c_cpu']:>5.2f} {r['d_cpu']:>5.2f} {r['e_cpu']:>5.2f}"
                f" {r['a_cpu'] / r['c_cpu']:>5.2f}"
            )
        built = construction(base_url)
    print(
        "clients: first endpoint (SDK client + SSL context) {first:.1f} ms; 4 more constructed {construct4:.3f} ms, "
        "their endpoints resolved {resolve4_shared:.3f} ms; 4 clients with 4 different keys {four_keys:.2f} ms".format(
            **built
        )
    )
    print(f"import studio.runtime.models: {import_ms():.1f} ms (median of 5 fresh processes)")


if __name__ == "__main__":
    main()
