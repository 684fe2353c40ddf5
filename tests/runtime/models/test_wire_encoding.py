"""Request bodies from cached per-message encodings are always exactly the history given, however it changes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from studio.runtime.models._wire import EncodingCache, HistoryJoiner, build_body, dumps

_texts = st.text(max_size=12)
_messages = st.builds(
    lambda role, content: {"role": role, "content": content},
    st.sampled_from(["user", "assistant", "system"]),
    _texts,
)
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), _messages),
        st.tuples(st.just("replace"), st.integers(0, 50), _messages),
        st.tuples(st.just("replace_last"), st.integers(1, 2), _messages),
        st.tuples(st.just("truncate"), st.integers(0, 50)),
        st.tuples(st.just("switch"), st.integers(0, 2)),
        st.tuples(st.just("rebuild"), st.integers(0, 50)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(_operations)
def test_the_body_always_carries_exactly_the_current_history(operations):
    joiner = HistoryJoiner()
    conversations: list[list[dict]] = [[], [], []]
    current = 0
    for op in operations:
        history = conversations[current]
        if op[0] == "append":
            history.append(op[1])
        elif op[0] == "replace" and history:
            history[op[1] % len(history)] = op[2]
        elif op[0] == "replace_last" and len(history) >= op[1]:  # a fresh instruction at the end, as in selection
            history[-op[1]] = op[2]
        elif op[0] == "truncate":
            del history[op[1] % (len(history) + 1) :]
        elif op[0] == "switch":
            current = op[1]
        elif op[0] == "rebuild" and history:  # a new list: equal dicts, partly new objects
            cut = op[1] % len(history)
            conversations[current] = history[:cut] + [dict(m) for m in history[cut:]]
        sent = conversations[current]
        body = json.loads(build_body("m", sent, None, {}, stream=False, joiner=joiner))
        assert body["messages"] == sent


def test_parameters_tools_and_streaming_options_are_in_the_body():
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    body = json.loads(
        build_body("m", [{"role": "user", "content": "é"}], tools, {"temperature": 0, "seed": None}, stream=True)
    )
    assert body == {
        "model": "m",
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "é"}],
        "tools": tools,
    }


def test_the_encoding_cache_stays_within_its_entry_and_byte_bounds():
    cache = EncodingCache(dumps, max_entries=100, max_bytes=10_000)
    kept = [{"role": "user", "content": "x" * 500} for _ in range(300)]

    encodings = [cache.encode(m) for m in kept]

    assert len(cache) <= 100 and cache._bytes <= 10_000 + 600
    assert all(json.loads(e) == m for e, m in zip(encodings, kept, strict=True))
    assert cache.encode(kept[-1]) is encodings[-1]  # the newest are still cached
