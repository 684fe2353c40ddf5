"""Chat-completion wire format: request bodies built from cached per-message JSON, and response parsing.

The openai SDK re-transforms the whole history on every `create()` (typing introspection per field, ~0.25 ms per
message), which makes a long conversation O(n²). Messages are append-only and never mutated after they are passed to
a client (see `base.py`), so each message dict is encoded once: `MessageCache` maps `id(msg)` to its JSON bytes and
holds a reference to the dict, which keeps the id from being reused while the entry lives. A request body is then
the request parameters' JSON with the cached message encodings joined in. The cache is process-wide (a group chat
sends the same dicts to every agent's client) and bounded (100k entries, 64 MiB of JSON); eviction drops the oldest
tenth at once, and an evicted message that is still in use is simply encoded again. On top, each client's `HistoryJoiner` remembers its previous
request's joined messages, so a chat turn looks up only the new messages: what is left per request is C-speed work
(a list comparison and a bytes copy, ~20 µs at 1,000 messages).

Encoding matches the SDK's (`ensure_ascii=False`, compact separators, no NaN), and keys that are not part of the
chat-completions message schema (runtime bookkeeping such as `tool_responses`) are dropped, as is an empty
`tool_calls` list, which the API rejects.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from studio.errors import ModelError

MESSAGE_KEYS = frozenset({"role", "content", "name", "tool_calls", "tool_call_id", "function_call", "refusal", "audio"})

_encode_str = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def dumps(obj: Any) -> bytes:
    return _encode_str(obj).encode()


class EncodingCache:
    """id(obj) -> (obj, JSON bytes of obj), bounded in entries and in encoded bytes (the dicts it keeps alive are
    about as large). Lookups are lock-free; inserts take a lock."""

    def __init__(self, encode: Callable[[Any], bytes], max_entries: int = 100_000, max_bytes: int = 64 << 20) -> None:
        self._encode = encode
        self._entries: dict[int, tuple[Any, bytes]] = {}
        self._lock = threading.Lock()
        self._bytes = 0
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    def __len__(self) -> int:
        return len(self._entries)

    def encode(self, obj: Any) -> bytes:
        entry = self._entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
        data = self._encode(obj)
        with self._lock:
            while self._entries and (len(self._entries) >= self.max_entries or self._bytes > self.max_bytes):
                for key in list(itertools.islice(self._entries, max(1, len(self._entries) // 10))):
                    self._bytes -= len(self._entries.pop(key)[1])
            previous = self._entries.get(id(obj))
            if previous is not None:
                self._bytes -= len(previous[1])
            self._entries[id(obj)] = (obj, data)
            self._bytes += len(data)
        return data

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def _encode_message(message: dict[str, Any]) -> bytes:
    if not (message.keys() <= MESSAGE_KEYS) or ("tool_calls" in message and not message["tool_calls"]):
        message = {k: v for k, v in message.items() if k in MESSAGE_KEYS and not (k == "tool_calls" and not v)}
    return dumps(message)


MESSAGES = EncodingCache(_encode_message)
TOOLS = EncodingCache(dumps, max_entries=10_000)


def _join(cache: EncodingCache, items: Sequence[dict[str, Any]], what: str) -> bytes:
    entries = cache._entries  # the lookup is inlined: this loop runs once per message per request
    parts: list[bytes] = []
    append = parts.append
    try:
        for item in items:
            entry = entries.get(id(item))
            append(entry[1] if entry is not None and entry[0] is item else cache.encode(item))
        return b",".join(parts)
    except (TypeError, ValueError) as e:
        for index, item in enumerate(items):  # find the culprit only on the error path
            try:
                cache.encode(item)
            except (TypeError, ValueError):
                raise ModelError(f"{what} {index} cannot be sent: it is not JSON-serialisable ({e}).") from e
        raise ModelError(f"The {what.lower()}s cannot be sent: {e}.") from e


class HistoryJoiner:
    """One client's memo of its recent requests' joined message encodings.

    An agent's next request is usually its previous one plus a message or two, or its previous one with the last
    message or two replaced (a fresh instruction at the end, as in speaker selection). Each recent history is kept
    as a list of references (no copies) with its joined bytes and the byte lengths of its last two encodings. The
    longest reusable prefix — the whole previous history, or all but its last one or two messages — is found by
    C-level `==` on the lists, which short-circuits on identical dicts and otherwise compares values; message fields
    are strings and lists/dicts of strings, for which equal values mean identical JSON. Only the messages after the
    prefix are looked up and joined. A few recent histories are kept,
    for clients that alternate between conversations.
    """

    def __init__(self, slots: int = 3) -> None:
        self.slots = slots
        self._recent: list[tuple[list[dict[str, Any]], bytes, tuple[int, ...]]] = []

    def join(self, messages: Sequence[dict[str, Any]]) -> bytes:
        history = messages if isinstance(messages, list) else list(messages)
        n = len(history)
        best_entry, best_length, best_prefix = None, 0, b""
        for entry in self._recent:
            snapshot, joined, tail = entry
            k = len(snapshot)
            for drop in range(len(tail) + 1):
                m = k - drop
                if m <= best_length:
                    break
                if m <= n and history[:m] == (snapshot if drop == 0 else snapshot[:m]):
                    best_entry, best_length = entry, m
                    cut = sum(tail[len(tail) - drop :]) + drop  # the dropped encodings and their commas
                    best_prefix = joined if drop == 0 else joined[: max(0, len(joined) - cut)]
                    break
        if best_length == n:
            result = best_prefix
        elif best_length:
            result = best_prefix + b"," + _join(MESSAGES, history[best_length:], "Message")
        else:
            result = _join(MESSAGES, history, "Message")
        tail_lengths = tuple(len(MESSAGES.encode(m)) for m in history[-2:])
        kept = [entry for entry in self._recent if entry is not best_entry]
        self._recent = [(list(history), result, tail_lengths), *kept[: self.slots - 1]]
        return result


def build_body(
    model: str,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]] | None,
    params: dict[str, Any],
    *,
    stream: bool,
    joiner: HistoryJoiner | None = None,
) -> bytes:
    """The request body: `{"model", **params, ["stream", "stream_options"], "messages", ["tools"]}` as JSON bytes."""
    head: dict[str, Any] = {"model": model}
    for key, value in params.items():
        if value is not None and key not in ("messages", "tools", "stream", "extra_body"):
            head[key] = value
    if params.get("extra_body"):
        head.update(params["extra_body"])
    if stream:
        head["stream"] = True
        head.setdefault("stream_options", {"include_usage": True})
    try:
        head_json = dumps(head)
    except (TypeError, ValueError) as e:
        raise ModelError(f"The request parameters cannot be sent: they are not JSON-serialisable ({e}).") from e
    joined = joiner.join(messages) if joiner is not None else _join(MESSAGES, messages, "Message")
    parts = [head_json[:-1], b',"messages":[', joined, b"]"]
    if tools:
        parts += [b',"tools":[', _join(TOOLS, tools, "Tool"), b"]"]
    parts.append(b"}")
    return b"".join(parts)


def _tool_call(call: dict[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    return {
        "id": call.get("id") or "",
        "type": call.get("type") or "function",
        "function": {"name": function.get("name") or "", "arguments": function.get("arguments") or ""},
    }


def parse_completion(data: bytes) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
    """(assistant message, model, usage dict) from a chat.completion JSON body."""
    try:
        body = json.loads(data)
    except ValueError as e:
        raise ModelError(f"The model endpoint answered with a body that is not JSON: {data[:200]!r}.") from e
    if not isinstance(body, dict):
        raise ModelError(f"The model endpoint answered with {type(body).__name__} JSON, not a chat completion.")
    if body.get("error"):
        raise ModelError(f"The model endpoint answered with an error: {_error_text(body['error'])}.")
    choices = body.get("choices")
    if not choices or not isinstance(choices[0], dict):
        raise ModelError(f"The model endpoint's answer has no choices: {data[:200]!r}.")
    raw = choices[0].get("message") or {}
    message: dict[str, Any] = {"role": "assistant", "content": raw.get("content")}
    if raw.get("tool_calls"):
        message["tool_calls"] = [_tool_call(c) for c in raw["tool_calls"]]
    if raw.get("function_call"):
        message["function_call"] = raw["function_call"]
    return message, body.get("model"), body.get("usage") or {}


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error)


def sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The `data` payloads of a server-sent-event stream (multi-line data joined with newlines)."""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[6:] if line.startswith("data: ") else line[5:])
    if data:
        yield "\n".join(data)


def parse_stream(
    lines: Iterable[str], on_chunk: Callable[[str], None] | None
) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
    """Assemble a streamed completion: call `on_chunk` per content delta, merge tool-call deltas, read usage."""
    content: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    model: str | None = None
    usage: dict[str, Any] = {}
    for payload in sse_data(lines):
        if payload == "[DONE]":
            break
        try:
            chunk = json.loads(payload)
        except ValueError as e:
            raise ModelError(f"The model endpoint streamed an event that is not JSON: {payload[:200]!r}.") from e
        if chunk.get("error"):
            raise ModelError(f"The model endpoint streamed an error: {_error_text(chunk['error'])}.")
        model = chunk.get("model") or model
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                content.append(text)
                if on_chunk is not None:
                    on_chunk(text)
            for call in delta.get("tool_calls") or ():
                slot = calls.setdefault(
                    call.get("index", len(calls)),
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                if call.get("id"):
                    slot["id"] = call["id"]
                function = call.get("function") or {}
                slot["function"]["name"] += function.get("name") or ""
                slot["function"]["arguments"] += function.get("arguments") or ""
    text = "".join(content)
    message: dict[str, Any] = {"role": "assistant", "content": text if (text or not calls) else None}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return message, model, usage
