"""`TeamBackend`: saved teams behind the OpenAI chat-completions API (what `studio serve` exposes).

The request's `model` names a stored team; its last user message is the task. Each request is one run started through
the `RunManager`, so it is snapshotted, executed in a worker and recorded event by event in the store like any run
from the playground (replay and export work on it). An OpenAI client resends the whole conversation each turn, so the
user and assistant messages before the last user message are appended to the task as "Earlier in this conversation"
(newest kept, at most `CONTEXT_CHARS` characters): a follow-up like "and the risks?" reaches the team with what it
follows. System messages are the client's instructions for a single model, not for a team, and are left out.

Non-streaming, the answer is the run's summary (the team's last message unless the team summarises otherwise) and
`usage` is the run's token totals. Streaming, every agent message is sent as it is committed, as a content delta
`**name**: text` followed by a blank line, so a chat UI shows the conversation unfold; the task message is not
echoed. With `stream_options.include_usage` the last chunk carries the run's totals, as OpenAI's does.

Nobody answers a team's human-input request here: the answer is `exit`, so a conversation ends where it would need a
human. A run that fails answers a non-retryable error (`x-should-retry: false`, so the SDK does not start it again);
a run still going after `run_timeout` is stopped; a streaming client that disconnects stops its run.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator, Sequence
from typing import Any

from studio.errors import NotFoundError, RunError
from studio.events import BaseEvent, Message, RunFinished
from studio.serve import HTTPFailure, chat_messages, chunk_object, completion_object, text_of, usage_chunk, wants_usage

CONTEXT_CHARS = 16_000
"""Most characters of earlier conversation appended to a served team's task (older messages are dropped first)."""


def _no_human(prompt: str) -> str:
    return "exit"


def task_of(messages: Sequence[dict[str, Any]]) -> str:
    """The team's task for a chat request: the last user message, then the conversation before it (newest kept)."""
    last = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
    task = text_of(messages[last].get("content")).strip() if last is not None else ""
    if not task:
        raise HTTPFailure(400, "The request has no user message with text: that text is the team's task.",
                          code="invalid_messages")  # fmt: skip
    earlier: list[str] = []
    budget = CONTEXT_CHARS
    for message in reversed(messages[:last]):
        role, text = message.get("role"), text_of(message.get("content")).strip()
        if role not in ("user", "assistant") or not text:
            continue
        line = f"{role}: {text}"
        if len(line) > budget:
            break
        earlier.append(line)
        budget -= len(line) + 2
    if not earlier:
        return task
    return task + "\n\nEarlier in this conversation:\n\n" + "\n\n".join(reversed(earlier))


class TeamBackend:
    """Serves the teams of `store` (only those named in `teams`, if given), each request a recorded run."""

    def __init__(
        self,
        store: Any,
        *,
        teams: Sequence[str] | None = None,
        manager: Any = None,
        run_timeout: float = 900.0,
    ) -> None:
        self.store = store
        self.run_timeout = run_timeout
        self._owns_manager = manager is None
        if manager is None:
            from studio.runs import RunManager

            # No crash recovery here: a studio UI may be running teams on the same store right now.
            manager = RunManager(store, recover=False)
        self.manager = manager
        self.allowed = frozenset(teams) if teams else None
        if self.allowed is not None:
            for name in self.allowed:
                self._team(name)  # an unknown name fails at start-up, not at the first request

    def close(self) -> None:
        if self._owns_manager:
            self.manager.shutdown()

    # -- the Backend protocol ------------------------------------------------------------------------------------
    def model_ids(self) -> list[str]:
        from studio.store import list_specs

        names = [s.name for s in list_specs("team", store=self.store)]
        return [n for n in names if self.allowed is None or n in self.allowed]

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        name, task = self._request(body)
        run = self._start(name, task)
        finished = self.manager.wait(run.id, timeout=self.run_timeout)
        if not finished.is_final:
            self.manager.stop(run.id)
            raise self._timed_out(name, run.id)
        if finished.status != "completed":
            raise self._failed(name, finished)
        return completion_object(
            f"chatcmpl-{run.id}",
            name,
            {"content": self._answer(run.id)},
            _usage(finished),
        )

    def stream(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        name, task = self._request(body)
        events: queue.SimpleQueue[BaseEvent] = queue.SimpleQueue()
        run = self._start(name, task, listener=events.put)
        cid, deadline, echoed_task = f"chatcmpl-{run.id}", time.monotonic() + self.run_timeout, False
        try:
            yield chunk_object(cid, name, {"role": "assistant", "content": ""})
            while True:
                try:
                    event = events.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    self.manager.stop(run.id)
                    raise self._timed_out(name, run.id) from None
                if isinstance(event, Message):
                    if not echoed_task and event.content == task:
                        echoed_task = True  # the task itself, as the initiator sent it
                        continue
                    if event.content:
                        yield chunk_object(cid, name, {"content": f"**{event.source}**: {event.content}\n\n"})
                elif isinstance(event, RunFinished):
                    break
            finished = self.manager.wait(run.id, timeout=10)
            if finished.status != "completed":
                raise self._failed(name, finished)
            yield chunk_object(cid, name, {}, "stop")
            if wants_usage(body):
                yield usage_chunk(cid, name, _usage(finished))
        finally:
            if self.manager.is_active(run.id):  # the client went away (or we gave up): stop what it asked for
                self.manager.stop(run.id)

    # -- helpers -------------------------------------------------------------------------------------------------
    def _team(self, name: str) -> Any:
        from studio.store import get_spec

        try:
            return get_spec(name, kind="team", store=self.store)
        except NotFoundError:
            raise HTTPFailure(
                404,
                f"There is no team named {name!r}. GET /v1/models lists the teams served here.",
                code="model_not_found",
            ) from None

    def _request(self, body: dict[str, Any]) -> tuple[str, str]:
        name = body.get("model")
        if not isinstance(name, str) or not name:
            raise HTTPFailure(400, "'model' must name a saved team (GET /v1/models lists them).", code="invalid_model")
        if self.allowed is not None and name not in self.allowed:
            raise HTTPFailure(
                404, f"The team {name!r} is not served here. GET /v1/models lists the teams served here.",
                code="model_not_found",
            )  # fmt: skip
        self._team(name)
        return name, task_of(chat_messages(body))

    def _start(self, name: str, task: str, listener: Any = None) -> Any:
        try:
            return self.manager.start_run(name, task, listener=listener, input_func=_no_human)
        except RunError as e:
            raise HTTPFailure(400, str(e), code="run_not_started") from None

    def _answer(self, run_id: str) -> str:
        from studio.store import load_events

        events = load_events(run_id, store=self.store, types=["message", "run_finished"])
        for event in reversed(events):
            if isinstance(event, RunFinished) and event.summary:
                return event.summary
        messages = [e for e in events if isinstance(e, Message) and e.content]
        return messages[-1].content or "" if messages else ""

    def _failed(self, name: str, run: Any) -> HTTPFailure:
        detail = run.error or run.stop_reason or run.status
        return HTTPFailure(
            500, f"The run {run.id} of team {name!r} ended {run.status}: {detail}", "server_error", "run_failed",
            retry=False,
        )  # fmt: skip

    def _timed_out(self, name: str, run_id: str) -> HTTPFailure:
        return HTTPFailure(
            504, f"The run {run_id} of team {name!r} did not finish within {self.run_timeout:g} s and was stopped.",
            "server_error", "run_timeout", retry=False,
        )  # fmt: skip


def _usage(run: Any) -> dict[str, int]:
    return {"prompt_tokens": run.prompt_tokens, "completion_tokens": run.completion_tokens,
            "total_tokens": run.total_tokens}  # fmt: skip
