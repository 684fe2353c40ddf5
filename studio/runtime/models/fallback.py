"""`FallbackClient`: an AG2-style config list — try each model in order until one answers.

Like AG2's `OpenAIWrapper`, any `ModelError` of one entry (HTTP error after that client's own retries, timeout,
refused connection) moves on to the next entry; when every entry fails, one `ModelError` lists each failure and is
raised from the last. A `ScriptExhaustedError` is never masked: it means a test's script is wrong, not that a model
is down. `last_index` records which entry answered the most recent call. With streaming, chunks a failed entry had
already delivered are not retracted; the next entry streams its answer from the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from studio.errors import ConfigurationError, ModelError

from .base import ChunkCallback, ModelClient, ModelResponse
from .scripted import ScriptExhaustedError


def describe(client: ModelClient) -> str:
    base_url = getattr(client, "base_url", None)
    return f"'{client.model}' at {base_url}" if base_url else f"'{client.model}' ({type(client).__name__})"


class FallbackClient:
    """Tries `clients` in order on `ModelError`. `model` and `stream` default to the first client's."""

    def __init__(self, clients: Sequence[ModelClient], *, stream: bool | None = None) -> None:
        if not clients:
            raise ConfigurationError("A FallbackClient needs at least one model client; the config list is empty.")
        self.clients = list(clients)
        self.model = self.clients[0].model
        self.stream = bool(getattr(self.clients[0], "stream", False)) if stream is None else stream
        self.last_index: int | None = None

    def __repr__(self) -> str:
        return f"FallbackClient([{', '.join(describe(c) for c in self.clients)}])"

    def create(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        on_chunk: ChunkCallback | None = None,
        **params: Any,
    ) -> ModelResponse:
        failures: list[tuple[int, ModelError]] = []
        for index, client in enumerate(self.clients):
            try:
                response = client.create(messages, tools=tools, on_chunk=on_chunk, **params)
            except ScriptExhaustedError:
                raise
            except ModelError as e:
                failures.append((index, e))
                continue
            self.last_index = index
            return response
        listed = "; ".join(f"[{i}] {e}" for i, e in failures)
        last = failures[-1][1]
        raise ModelError(
            f"All {len(self.clients)} model configs failed: {listed}",
            status_code=last.status_code,
            retryable=any(e.retryable for _, e in failures),
        ) from last
