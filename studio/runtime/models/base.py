"""The `ModelClient` protocol every provider implements, and the response it returns.

Messages are OpenAI chat-format dicts (`role`, `content`, `name`, `tool_calls`, `tool_call_id`). The caller (an agent)
owns them and guarantees it never mutates a dict after passing it, so a client may cache each dict's wire encoding by
identity: that is what keeps a long conversation's per-message cost flat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass(slots=True)
class ModelResponse:
    """One completed model call.

    `message` is the assistant message in OpenAI format: `{"role": "assistant", "content": str | None}` plus
    `"tool_calls": [{"id", "type": "function", "function": {"name", "arguments"}}]` when the model called tools.
    """

    message: dict[str, Any]
    model: str
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    cost_known: bool = True
    latency_ms: float = 0.0


ChunkCallback = Callable[[str], None]


@runtime_checkable
class ModelClient(Protocol):
    """A chat-completion client. Implementations: OpenAI-compatible (`openai_client.py`), scripted (`scripted.py`)."""

    model: str

    def create(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        on_chunk: ChunkCallback | None = None,
        **params: Any,
    ) -> ModelResponse:
        """Complete `messages`. With `on_chunk`, stream: call it with every content token chunk, then return the
        whole response. `params` are per-call overrides (temperature, max_tokens, tool_choice, ...)."""
        ...
