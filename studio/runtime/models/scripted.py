"""`ScriptedClient`: a model that answers from a script, for tests and demos.

Modelled on openai-agents' ScriptedModel: a queue of replies, each a `str` (assistant text), a `dict` (an assistant
message; `{"tool_calls": [{"name": "add", "arguments": {"a": 1}}]}` is filled out into OpenAI format), a
`ModelResponse`, an exception instance or class (raised), or a callable `f(request) -> any of those`; `replies` may
also be one callable used for every call. Running out of script raises `ScriptExhaustedError` naming how many calls
were scripted and what the unexpected call said, and `assert_exhausted()` catches the opposite mistake.

Costs stay flat for long benchmarks: requests are recorded by reference (never copied), `record=False` keeps only a
counter, and the prompt-token estimate (~len/4 per message) is incremental — it finds the previous call's last
message near the end of the new history and adds only what was appended, so it does not rescan the history.
Thread-safe: one lock around the script and the records.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.errors import ConfigurationError, ModelError

from .base import ChunkCallback, ModelResponse, Usage


class ScriptExhaustedError(ModelError):
    """The scripted model was called more often than its script allows."""


@dataclass(slots=True)
class ScriptedRequest:
    """One call to a ScriptedClient. `messages` is the caller's own sequence (not a copy)."""

    messages: Sequence[dict[str, Any]]
    tools: Sequence[dict[str, Any]] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    index: int = 0


def _content_tokens(message: dict[str, Any]) -> int:
    content = message.get("content")
    if isinstance(content, str):
        n = len(content)
    elif isinstance(content, list):
        n = sum(len(part.get("text") or "") for part in content if isinstance(part, dict))
    else:
        n = 0
    for call in message.get("tool_calls") or ():
        n += len(call.get("function", {}).get("arguments") or "") + 8
    return 4 + n // 4  # ~4 tokens of per-message framing, ~4 characters per token


class _PromptTokenEstimator:
    """Prompt-token estimate per call, incremental over append-only histories.

    Remembers, for the last message of recent calls, the running total up to and including it and its position.
    A new call scans back at most `_LOOKBACK` messages for such a message at the same position; only messages after
    it are counted. Histories that were rebuilt (trimmed, reordered) fall back to a full count.
    """

    _LOOKBACK = 64
    _MAX_ENTRIES = 1024
    _ANCHORS = 4

    def __init__(self) -> None:
        self._seen: dict[int, tuple[dict[str, Any], int, int]] = {}  # id(msg) -> (msg, position, running total)

    def estimate(self, messages: Sequence[dict[str, Any]]) -> int:
        n = len(messages)
        if n == 0:
            return 0
        start, total = 0, 0
        for pos in range(n - 1, max(-1, n - 1 - self._LOOKBACK), -1):
            entry = self._seen.get(id(messages[pos]))
            if entry is not None and entry[0] is messages[pos] and entry[1] == pos:
                start, total = pos + 1, entry[2]
                break
        # Anchor the last few messages, not only the last: a request that re-appends a fresh tail each call (the
        # speaker selector's prompt) still finds the shared history and stays incremental.
        anchor_from = max(start, n - self._ANCHORS)
        for pos in range(start, n):
            total += _content_tokens(messages[pos])
            if pos >= anchor_from:
                if len(self._seen) >= self._MAX_ENTRIES:
                    del self._seen[next(iter(self._seen))]
                self._seen[id(messages[pos])] = (messages[pos], pos, total)
        return total


def _split_for_stream(text: str, pieces: int = 4) -> list[str]:
    if len(text) <= pieces:
        return [text] if text else []
    step = -(-len(text) // pieces)
    return [text[i : i + step] for i in range(0, len(text), step)]


def _normalise_tool_call(call: dict[str, Any], call_serial: int, index: int) -> dict[str, Any]:
    if "function" in call:
        function = dict(call["function"])
    else:
        function = {"name": call["name"], "arguments": call.get("arguments", {})}
    if not isinstance(function.get("arguments"), str):
        function["arguments"] = json.dumps(function.get("arguments") or {})
    return {"id": call.get("id") or f"call_{call_serial}_{index}", "type": "function", "function": function}


class ScriptedClient:
    """A ModelClient that replies from a script. See the module docstring for what a script item may be."""

    def __init__(
        self,
        replies: Iterable[Any] | Callable[[ScriptedRequest], Any] = (),
        *,
        model: str = "scripted",
        record: bool = True,
        loop: bool = False,
        stream: bool = False,
    ) -> None:
        self.model = model
        self.stream = stream
        self.record = record
        self.loop = loop
        self._function: Callable[[ScriptedRequest], Any] | None = None
        self._script: list[Any] = []
        if callable(replies) and not isinstance(replies, (list, tuple)):
            self._function = replies
        else:
            self._script = list(replies)
        self._position = 0
        self._count = 0
        self._calls: list[ScriptedRequest] = []
        self._tokens = _PromptTokenEstimator()
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ScriptedClient:
        """Build from a JSON-able config: `{"replies": [...], "loop": false, "model": "scripted", "stream": false}`.

        A reply is a str, an assistant-message dict, or `{"error": "text", "status_code": 500}` (raises ModelError).
        """
        replies = config.get("replies", [])
        if not isinstance(replies, list):
            raise ConfigurationError(f"A scripted model's 'replies' must be a list, not {type(replies).__name__}.")
        script = [_error_from_config(r) if isinstance(r, dict) and "error" in r else r for r in replies]
        if config.get("loop") and not script:
            raise ConfigurationError("A scripted model with 'loop': true needs at least one reply.")
        return cls(
            script,
            model=str(config.get("model") or "scripted"),
            record=bool(config.get("record", True)),
            loop=bool(config.get("loop", False)),
            stream=bool(config.get("stream", False)),
        )

    # -- inspection ------------------------------------------------------------------------------------------------
    @property
    def calls(self) -> list[ScriptedRequest]:
        """Recorded requests (empty when record=False)."""
        return self._calls

    @property
    def call_count(self) -> int:
        return self._count

    @property
    def remaining(self) -> int | None:
        """Scripted replies not yet used; None for an endless script (a callable, or loop=True)."""
        if self._function is not None or self.loop:
            return None
        return len(self._script) - self._position

    def assert_exhausted(self) -> None:
        """Fail if the script still has unused replies (the conversation ended earlier than the test expected)."""
        left = self.remaining
        if left:
            raise AssertionError(
                f"ScriptedClient '{self.model}' still has {left} unused scripted repl{'y' if left == 1 else 'ies'} "
                f"after {self._count} call(s); the next one is {self._script[self._position]!r}."
            )

    # -- the ModelClient protocol ----------------------------------------------------------------------------------
    def create(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        on_chunk: ChunkCallback | None = None,
        **params: Any,
    ) -> ModelResponse:
        with self._lock:
            self._count += 1
            request = ScriptedRequest(messages, tools, params, self._count)
            if self.record:
                self._calls.append(request)
            item = self._take(request)
            prompt_tokens = self._tokens.estimate(messages)
        while callable(item) and not (isinstance(item, type) and issubclass(item, BaseException)):
            item = item(request)
        response = self._to_response(item, request.index, prompt_tokens)
        if on_chunk is not None and response.message.get("content"):
            for piece in _split_for_stream(response.message["content"]):
                on_chunk(piece)
        return response

    def _take(self, request: ScriptedRequest) -> Any:
        if self._function is not None:
            return self._function
        if self._position >= len(self._script):
            if self.loop and self._script:
                self._position = 0
            else:
                raise ScriptExhaustedError(self._exhausted_message(request))
        item = self._script[self._position]
        self._position += 1
        return item

    def _exhausted_message(self, request: ScriptedRequest) -> str:
        last = request.messages[-1] if request.messages else None
        said = "no messages" if last is None else f"{last.get('role', '?')}: {str(last.get('content'))[:200]!r}"
        return (
            f"ScriptedClient '{self.model}' ran out of script: it was scripted with {len(self._script)} "
            f"repl{'y' if len(self._script) == 1 else 'ies'} and got call #{request.index}, whose last message was "
            f"{said}. Add replies to the script, or end the conversation sooner."
        )

    def _to_response(self, item: Any, serial: int, prompt_tokens: int) -> ModelResponse:
        if isinstance(item, BaseException) or (isinstance(item, type) and issubclass(item, BaseException)):
            raise item
        if isinstance(item, ModelResponse):
            return item
        if isinstance(item, str):
            message: dict[str, Any] = {"role": "assistant", "content": item}
        elif isinstance(item, dict):
            message = {"role": "assistant", "content": item.get("content")}
            message.update({k: v for k, v in item.items() if k not in ("tool_calls", "content")})
            calls = item.get("tool_calls")
            if calls:
                message["tool_calls"] = [_normalise_tool_call(c, serial, i) for i, c in enumerate(calls)]
        else:
            raise ModelError(
                f"ScriptedClient '{self.model}' cannot reply with {item!r} ({type(item).__name__}): script items must "
                "be a str, a dict, a ModelResponse, an exception or a callable returning one of those."
            )
        completion = _content_tokens(message) - 4 if message.get("content") or message.get("tool_calls") else 0
        usage = Usage(prompt_tokens, completion, prompt_tokens + completion)
        return ModelResponse(message=message, model=self.model, usage=usage, cost=0.0, cost_known=True)


def _error_from_config(entry: dict[str, Any]) -> ModelError:
    status = entry.get("status_code")
    return ModelError(
        str(entry["error"]),
        status_code=int(status) if status is not None else None,
        retryable=bool(entry.get("retryable", False)),
    )
