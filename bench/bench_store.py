"""Store benchmark: event append latency/throughput, replay load time, and the memory of a studio process.

    python bench/bench_store.py [--events 5000] [--replay 10000] [--postgres] [--json]

Figures (targets from the issue): appending an event, committed, <= 0.5 ms; loading a 10,000-event run <= 200 ms;
peak RSS of a process holding a store with 100 teams and 1,000 runs (and listing them), next to the RSS of a process
that only imports the store, so the difference is what the data costs. Each timing is the median of repeated trials,
because the machines this runs on are shared. `--postgres` adds the append figures on the CI PostgreSQL server.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.events import Message, ModelCall  # noqa: E402
from studio.store import (  # noqa: E402
    Store,
    append_event,
    append_events,
    create_run,
    load_events,
    open_store,
    save_spec,
    start_run,
)

CONTENT = "The quick brown fox jumps over the lazy dog. " * 7  # ~300 characters, a typical chat message
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def bench_append(store: Store, n: int) -> dict[str, float]:
    run = create_run(None, "bench", snapshot={"name": "bench"}, store=store)
    start_run(run.id, store=store)
    for seq in range(1, 201):  # warm the pool, the statement caches and the page cache
        append_event(run.id, Message(seq=seq, source="writer", content=CONTENT), store=store)
    samples: list[float] = []
    started = time.perf_counter()
    for seq in range(201, 201 + n):
        event = Message(seq=seq, source="writer", target="critic", content=CONTENT)
        t0 = time.perf_counter()
        append_event(run.id, event, store=store)
        samples.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    samples.sort()
    return {
        "events_per_second": n / elapsed,
        "median_us": statistics.median(samples) * 1e6,
        "p95_us": samples[int(len(samples) * 0.95)] * 1e6,
        "p99_us": samples[int(len(samples) * 0.99)] * 1e6,
        "max_us": samples[-1] * 1e6,
    }


def bench_replay(store: Store, n: int, trials: int = 7) -> dict[str, float]:
    run = create_run(None, "replay", snapshot={"name": "bench"}, store=store)
    start_run(run.id, store=store)
    batch: list[Any] = []
    for seq in range(1, n + 1):
        if seq % 10 == 0:
            batch.append(ModelCall(seq=seq, source="writer", model="m", prompt_tokens=120, completion_tokens=40))
        else:
            batch.append(Message(seq=seq, source="writer", target="critic", content=CONTENT))
        if len(batch) == 1000:
            append_events(run.id, batch, store=store)
            batch = []
    if batch:
        append_events(run.id, batch, store=store)
    times: list[float] = []
    for _ in range(trials):
        t0 = time.perf_counter()
        events = load_events(run.id, store=store)
        times.append(time.perf_counter() - t0)
        assert len(events) == n
    return {"median_ms": statistics.median(times) * 1e3, "best_ms": min(times) * 1e3}


# Peak RSS is VmHWM of the child's own address space: getrusage's ru_maxrss survives exec on Linux and would report
# the (larger) benchmark process that forked it.
_CHILD = """
import sys, time
def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
sys.path.insert(0, {root!r})
from studio.store import open_store, list_specs, list_runs, get_run
if {load}:
    store = open_store({url!r}, home={home!r})
    t0 = time.perf_counter()
    teams = list_specs("team", store=store)
    runs = list_runs(store=store, limit=None)
    for run in runs[:100]:
        get_run(run.id, store=store)  # the run page: with its snapshot
    ms = (time.perf_counter() - t0) * 1e3
    print(len(teams), len(runs), round(ms, 1), peak_kib())
else:
    print(0, 0, 0, peak_kib())
"""


def bench_rss(home: Path) -> dict[str, float]:
    url = f"sqlite:///{home / 'studio.db'}"
    with open_store(url, home=home) as store:
        team_ids = []
        for i in range(100):
            agents = [{"name": f"agent{j}", "system_message": "You are helpful. " * 20, "model": "m"} for j in range(4)]
            team = {"name": f"team-{i}", "type": "group_chat", "agents": agents, "max_round": 12}
            team_ids.append((save_spec("team", f"team-{i}", team, store=store), team))
        for i in range(1000):
            (team_id, version), team = team_ids[i % 100]
            run = create_run(team_id, f"task {i}", snapshot=team, team_version=version, store=store)
            start_run(run.id, store=store)
            append_events(run.id, [Message(seq=s, source="a", content=CONTENT) for s in range(1, 11)], store=store)
    root = str(Path(__file__).resolve().parents[1])
    figures: dict[str, float] = {}
    for label, load in (("import_only", False), ("with_data", True)):
        code = _CHILD.format(root=root, url=url, home=str(home), load=load)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        teams, runs, ms, rss_kib = int(out[0]), int(out[1]), float(out[2]), int(out[3])
        figures[f"{label}_rss_mib"] = rss_kib / 1024
        if load:
            assert (teams, runs) == (100, 1000), (teams, runs)
            figures["list_ms"] = ms
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="appends to time (one commit each)")
    parser.add_argument("--replay", type=int, default=10_000, help="events in the replayed run")
    parser.add_argument("--postgres", action="store_true", help="also time appends on PostgreSQL")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        home = Path(tmp) / "home"
        with open_store(home=home) as store:
            a = results["append_sqlite"] = bench_append(store, args.events)
            print(
                f"append_event, SQLite (WAL, synchronous=NORMAL, one commit each): {a['events_per_second']:,.0f} "
                f"events/s; per append median {a['median_us']:.0f} µs, p95 {a['p95_us']:.0f} µs, "
                f"p99 {a['p99_us']:.0f} µs, max {a['max_us']:.0f} µs  (target <= 500 µs)"
            )
            r = results["replay_sqlite"] = bench_replay(store, args.replay)
            print(
                f"load_events of a {args.replay:,}-event run: median {r['median_ms']:.0f} ms, "
                f"best {r['best_ms']:.0f} ms  (target <= 200 ms)"
            )
        m = results["rss"] = bench_rss(Path(tmp) / "rss-home")
        print(
            f"peak RSS, studio process with 100 teams and 1,000 runs listed: {m['with_data_rss_mib']:.1f} MiB "
            f"(importing the store alone: {m['import_only_rss_mib']:.1f} MiB, so the data costs "
            f"{m['with_data_rss_mib'] - m['import_only_rss_mib']:.1f} MiB; listing took {m['list_ms']:.0f} ms)"
        )
    if args.postgres:
        _bench_postgres(args.events, results)
    if args.json:
        print(json.dumps(results, indent=2))
    return results


def _bench_postgres(n: int, results: dict[str, Any]) -> None:
    import uuid

    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    server = PG_URL.replace("+psycopg", "")
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except Exception as e:
        print(f"PostgreSQL skipped: {str(e).strip().splitlines()[0]}")
        return
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            open_store(f"{PG_URL}?options=-csearch_path%3D{schema}", home=tmp) as s,
        ):
            a = results["append_postgres"] = bench_append(s, min(n, 2000))
            print(
                f"append_event, PostgreSQL 127.0.0.1 (one commit each): {a['events_per_second']:,.0f} events/s; "
                f"median {a['median_us']:.0f} µs, p95 {a['p95_us']:.0f} µs"
            )
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
