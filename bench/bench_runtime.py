"""Runtime benchmarks (issues: runtime core, group chat). Prints figures; not a test.

    .venv/bin/python bench/bench_runtime.py            # everything
    .venv/bin/python bench/bench_runtime.py w1 import   # a subset

Workloads (each in a fresh subprocess so peak RSS is its own):
* w1      two-agent chat, 2,000 messages, scripted model (framework overhead only)
* w1http  the same chat (default 400 messages) through our OpenAI provider against the local test server, next to
          two floors replaying the exact same request bodies: the SDK's `chat.completions.create`, and a plain
          http.client POST of pre-serialised JSON
* w2      four-agent round robin at 100 / 1,000 / 5,000 messages, scripted
* w2http  four-agent round robin, 1,000 messages, through the provider vs the plain-POST floor; bytes per message
* w3      "auto" speaker selection, four agents, 200 messages, scripted selector
* import  `python -X importtime -c "import studio"`
* build   building a 4-agent team with OpenAI-provider configs, 100 times
"""

from __future__ import annotations

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- workloads (run in a child) ----------------------------------------------------------------------------------------


def _pair(client_a, client_b):
    from studio import ConversableAgent

    a = ConversableAgent("alice", llm_config={"model": "m", "client": client_a}, human_input_mode="NEVER",
                         max_consecutive_auto_reply=10**9)  # fmt: skip
    b = ConversableAgent("bob", llm_config={"model": "m", "client": client_b}, human_input_mode="NEVER",
                         max_consecutive_auto_reply=10**9)  # fmt: skip
    return a, b


def w1(n: int = 2000) -> dict:
    from studio.runtime.models import ScriptedClient

    a, b = _pair(
        ScriptedClient(lambda r: "a says hi", record=False), ScriptedClient(lambda r: "b says hi", record=False)
    )
    a.initiate_chat(b, message="warm up", max_turns=20, silent=True)
    t = time.perf_counter()
    result = a.initiate_chat(b, message="start", max_turns=n // 2, silent=True)
    elapsed = time.perf_counter() - t
    assert len(result.chat_history) == n
    return {"workload": f"W1 two-agent scripted N={n}", "us_per_message": elapsed / n * 1e6, "rss_mib": rss_mib()}


class _Recorder:
    """Wraps a client and keeps a copy of every request's messages, for replaying through the floors."""

    def __init__(self, inner):
        self.inner = inner
        self.model = inner.model
        self.requests = []

    def create(self, messages, **kw):
        self.requests.append(list(messages))
        return self.inner.create(messages, **kw)


def _post_floor(base_url: str, bodies: list[bytes]) -> float:
    import http.client
    from urllib.parse import urlparse

    url = urlparse(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer not-needed"}
    t, c = time.perf_counter(), time.process_time()
    for body in bodies:
        conn.request("POST", url.path + "/chat/completions", body=body, headers=headers)
        resp = conn.getresponse()
        json.loads(resp.read())
    return time.perf_counter() - t, time.process_time() - c


def _sdk_floor(base_url: str, requests: list[list[dict]], model: str) -> float:
    import openai

    client = openai.OpenAI(base_url=base_url, api_key="not-needed")
    t = time.perf_counter()
    for messages in requests:
        client.chat.completions.create(model=model, messages=messages)
    return time.perf_counter() - t


def w1http(n: int = 400) -> dict:
    from studio.runtime.models import OpenAIClient
    from tests.support.openai_server import serve_in_subprocess

    with serve_in_subprocess(fast=True, reply="a short reply") as base_url:
        ca = _Recorder(OpenAIClient("gpt-4o", base_url=base_url, api_key="not-needed"))
        cb = _Recorder(OpenAIClient("gpt-4o", base_url=base_url, api_key="not-needed"))
        a, b = _pair(ca, cb)
        a.initiate_chat(b, message="warm up", max_turns=5, silent=True)
        ca.requests.clear()
        cb.requests.clear()
        t, c = time.perf_counter(), time.process_time()
        result = a.initiate_chat(b, message="start", max_turns=n // 2, silent=True)
        ours, ours_cpu = time.perf_counter() - t, time.process_time() - c
        assert len(result.chat_history) == n
        requests = ca.requests + cb.requests
        bodies = [json.dumps({"model": "gpt-4o", "messages": m}).encode() for m in requests]
        post, post_cpu = _post_floor(base_url, bodies)
        sdk = _sdk_floor(base_url, requests, "gpt-4o")
    return {
        "workload": f"W1 two-agent via OpenAI protocol N={n}",
        "us_per_message": ours / n * 1e6,
        "plain_post_us_per_message": post / n * 1e6,
        "sdk_create_us_per_message": sdk / n * 1e6,
        "ratio_vs_plain_post": ours / post,
        "client_cpu_ratio_vs_plain_post": ours_cpu / post_cpu,
        "ratio_sdk_vs_plain_post": sdk / post,
        "bytes_per_request": sum(map(len, bodies)) / len(bodies),
        "rss_mib": rss_mib(),
    }


def _team(n_agents: int, clients):
    from studio import ConversableAgent, GroupChat, GroupChatManager

    agents = [
        ConversableAgent(
            f"agent{i}",
            llm_config={"model": "m", "client": c},
            human_input_mode="NEVER",
            max_consecutive_auto_reply=10**9,
            description=f"Agent number {i}.",
        )  # fmt: skip
        for i, c in enumerate(clients)
    ]
    return agents, GroupChat, GroupChatManager


def w2(n: int) -> dict:
    from studio.runtime.models import ScriptedClient

    clients = [ScriptedClient(lambda r, i=i: f"agent{i} has a point", record=False) for i in range(4)]
    agents, GroupChat, GroupChatManager = _team(4, clients)
    gc = GroupChat(agents=agents, messages=[], max_round=n, speaker_selection_method="round_robin")
    manager = GroupChatManager(gc, llm_config=False)
    t = time.perf_counter()
    agents[0].initiate_chat(manager, message="debate", silent=True)
    elapsed = time.perf_counter() - t
    assert len(gc.messages) == n
    return {
        "workload": f"W2 round robin 4 agents scripted N={n}",
        "us_per_message": elapsed / n * 1e6,
        "rss_mib": rss_mib(),
    }


def w2http(n: int = 1000) -> dict:
    from studio.runtime.models import OpenAIClient
    from tests.support.openai_server import serve_in_subprocess

    with serve_in_subprocess(fast=True, reply="a point") as base_url:
        clients = [_Recorder(OpenAIClient("gpt-4o", base_url=base_url, api_key="not-needed")) for _ in range(4)]
        agents, GroupChat, GroupChatManager = _team(4, clients)
        warm = GroupChat(agents=agents, messages=[], max_round=8, speaker_selection_method="round_robin")
        agents[0].initiate_chat(GroupChatManager(warm, llm_config=False), message="warm up", silent=True)
        for c in clients:
            c.requests.clear()
        gc = GroupChat(agents=agents, messages=[], max_round=n, speaker_selection_method="round_robin")
        t, c0 = time.perf_counter(), time.process_time()
        agents[0].initiate_chat(GroupChatManager(gc, llm_config=False), message="debate", silent=True)
        ours, ours_cpu = time.perf_counter() - t, time.process_time() - c0
        requests = [m for c in clients for m in c.requests]
        bodies = [json.dumps({"model": "gpt-4o", "messages": m}).encode() for m in requests]
        post, post_cpu = _post_floor(base_url, bodies)
    return {
        "workload": f"W2 round robin via OpenAI protocol N={n}",
        "us_per_message": ours / n * 1e6,
        "plain_post_us_per_message": post / n * 1e6,
        "ratio_vs_plain_post": ours / post,
        "client_cpu_ratio_vs_plain_post": ours_cpu / post_cpu,
        "bytes_sent_per_message": sum(map(len, bodies)) / n,
        "rss_mib": rss_mib(),
    }


def w3(n: int = 200) -> dict:
    from studio.runtime.models import ScriptedClient

    clients = [ScriptedClient(lambda r, i=i: f"agent{i} has a point", record=False) for i in range(4)]
    agents, GroupChat, GroupChatManager = _team(4, clients)
    turn = {"i": 0}

    def pick(request):
        turn["i"] += 1
        return f"agent{turn['i'] % 4}"

    selector = ScriptedClient(pick, record=False)
    gc = GroupChat(agents=agents, messages=[], max_round=n)
    manager = GroupChatManager(gc, llm_config={"model": "m", "client": selector})
    t = time.perf_counter()
    agents[0].initiate_chat(manager, message="debate", silent=True)
    elapsed = time.perf_counter() - t
    assert len(gc.messages) == n
    return {"workload": f"W3 auto selection 4 agents scripted N={n}", "us_per_message": elapsed / n * 1e6,
            "rss_mib": rss_mib()}  # fmt: skip


def build(times: int = 100) -> dict:
    from studio import AssistantAgent, GroupChat, GroupChatManager

    config = {"model": "gpt-4o", "api_key": "sk-not-a-real-key", "base_url": "http://127.0.0.1:9/v1"}
    durations = []
    for _ in range(times):
        t = time.perf_counter()
        agents = [AssistantAgent(f"a{i}", llm_config=dict(config)) for i in range(4)]
        GroupChatManager(GroupChat(agents=agents, messages=[]), llm_config=dict(config))
        durations.append(time.perf_counter() - t)
    return {
        "workload": "build a 4-agent team with OpenAI configs",
        "first_ms": durations[0] * 1e3,
        "median_ms": statistics.median(durations[1:]) * 1e3,
        "rss_mib": rss_mib(),
    }


def import_time() -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import studio"], capture_output=True, text=True,
                         env=env, cwd=ROOT)  # fmt: skip
    total = 0
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| studio$", line)
        if m:
            total = int(m.group(1))
    walls = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import studio"], env=env, cwd=ROOT, check=True)
        walls.append(time.perf_counter() - t)
    base = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, cwd=ROOT, check=True)
        base.append(time.perf_counter() - t)
    return {
        "workload": "import studio",
        "importtime_cumulative_ms": total / 1000,
        "wall_ms_minus_bare_python": (statistics.median(walls) - statistics.median(base)) * 1e3,
    }


WORKLOADS = {
    "w1": lambda: w1(2000),
    "w1http": lambda: w1http(400),
    "w2": lambda: [w2(100), w2(1000), w2(5000)],
    "w2http": lambda: w2http(1000),
    "w3": lambda: w3(200),
    "import": import_time,
    "build": build,
}


def _child(name: str) -> None:
    result = WORKLOADS[name]()
    print(json.dumps(result if isinstance(result, list) else [result]))


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--child":
        _child(argv[1])
        return
    names = argv or list(WORKLOADS)
    if "w2" in names:
        names = [n for n in names if n != "w2"] + ["w2:100", "w2:1000", "w2:5000"]
    for name in names:
        if name.startswith("w2:"):
            code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import json, bench.bench_runtime as b; print(json.dumps([b.w2({int(name[3:])})]))"
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        else:
            out = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(f"{name}: FAILED\n{out.stderr[-2000:]}")
            continue
        for row in json.loads(out.stdout.strip().splitlines()[-1]):
            label = row.pop("workload")
            figures = ", ".join(f"{k}={v:,.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())
            print(f"{label}: {figures}")


if __name__ == "__main__":
    main(sys.argv[1:])
