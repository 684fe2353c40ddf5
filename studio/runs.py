"""The RunManager: runs a stored team on a task in a worker thread, persisting every event the moment it happens.

A run starts from a stored team id or name — never from a spec a client sent (T09b): the manager assembles the team's
current bundle from the store, snapshots it onto the run row, and builds runtime objects from that snapshot. The chat
runs on a worker thread (never a Streamlit script thread, SECURITY lesson 8) with an event bus whose first listener
commits each event to the store, so a crash loses nothing that was acknowledged and any reader can follow the run by
`seq`. Human input blocks the worker until `answer()` (or a timeout); `stop()` sets the run's external termination,
unblocks input, kills running code, and if the worker is still busy after a short grace marks the run cancelled
anyway (its late events are dropped), so Stop takes effect within 2 s. Hard limits always apply (the builder adds
them to every team's termination). On start-up, runs left `running` by a crash become `interrupted`.

A session holds runs; a follow-up task in a session rebuilds the team and reloads the conversation from the stored
message events of the session's earlier runs of the same team, so it continues after a restart too.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.errors import ConfigurationError, RunError, StudioError
from studio.events import BaseEvent, Error, EventBus, Message, RunFinished, RunStarted, use_bus

STOP_GRACE_SECONDS = 1.5
STOPPED_REASON = "Stopped by the user"


@dataclass
class _LiveRun:
    run_id: str
    team_id: str
    session_id: str | None
    task: str
    snapshot: dict[str, Any]
    listener: Callable[[BaseEvent], None] | None = None
    input_func: Callable[[str], str] | None = None
    trust_tools: bool = False
    future: Future[Any] | None = None
    built: Any = None
    stopped: bool = False
    abandoned: bool = False
    pending_prompt: str | None = None
    answer: str | None = None
    answered: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    input_timed_out: bool = False


class RunManager:
    """Starts, follows, answers and stops runs. Thread-safe; one per studio process."""

    def __init__(
        self,
        store: Any,
        *,
        max_workers: int = 4,
        human_input_timeout: float = 600.0,
        work_root: Path | None = None,
        trust_tools: bool = False,
        allow_local_code: bool | None = None,
        code_execution_default: str | None = None,
        recover: bool = True,
    ):
        from studio.store import mark_interrupted_on_startup

        self.store = store
        self.human_input_timeout = human_input_timeout
        self.trust_tools = trust_tools
        self._allow_local_code = allow_local_code
        self._code_default = code_execution_default
        home = Path(getattr(store, "home", None) or os.environ.get("STUDIO_HOME") or Path.home() / ".parley")
        self.work_root = Path(work_root) if work_root is not None else home / "runs"
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="studio-run")
        self._live: dict[str, _LiveRun] = {}
        self._lock = threading.Lock()
        self.recovered: list[str] = mark_interrupted_on_startup(store=store) if recover else []

    # -- starting ------------------------------------------------------------------------------------------------

    def start_run(
        self,
        team: str,
        task: str,
        *,
        session_id: str | None = None,
        listener: Callable[[BaseEvent], None] | None = None,
        input_func: Callable[[str], str] | None = None,
        trust_tools: bool | None = None,
    ) -> Any:
        """Start `team` (a stored team's id or name) on `task`; returns the run row (status queued)."""
        from studio.catalog import assemble_bundle
        from studio.spec import spec_to_data
        from studio.store import create_run, create_session, get_spec, touch_session

        if not isinstance(team, str) or not team:
            raise RunError("A run starts from a stored team's id or name; save the team first.")
        if not isinstance(task, str) or not task.strip():
            raise RunError("The task is empty; type what the team should do.")
        stored = get_spec(team, kind="team", store=self.store)
        bundle = assemble_bundle(stored.id, store=self.store)
        snapshot = spec_to_data(bundle)
        if session_id is None:
            session_id = create_session(_session_name(task), team_id=stored.id, store=self.store).id
        else:
            touch_session(session_id, store=self.store)
        run = create_run(
            stored.id,
            task,
            store=self.store,
            snapshot=snapshot,
            session_id=session_id,
            team_version=stored.version,
            team_name=stored.name,
        )
        live = _LiveRun(
            run_id=run.id,
            team_id=stored.id,
            session_id=session_id,
            task=task,
            snapshot=snapshot,
            listener=listener,
            input_func=input_func,
            trust_tools=self.trust_tools if trust_tools is None else trust_tools,
        )
        with self._lock:
            self._live[run.id] = live
        live.future = self._pool.submit(self._work, live)
        return run

    def continue_session(self, session_id: str, task: str, **kwargs: Any) -> Any:
        """A follow-up task in a session: the same team continues with the conversation so far."""
        from studio.store import get_session, list_runs

        session = get_session(session_id, store=self.store)
        team = session.team_id
        if team is None:
            runs = list_runs(session_id=session_id, store=self.store, limit=1)
            team = runs[0].team_id if runs else None
        if team is None:
            raise RunError(f"Session {session.name!r} has no team yet; start a run with a team first.")
        return self.start_run(team, task, session_id=session_id, **kwargs)

    # -- following and answering ---------------------------------------------------------------------------------

    def is_active(self, run_id: str) -> bool:
        live = self._live.get(run_id)
        return live is not None and live.future is not None and not live.future.done() and not live.abandoned

    def pending_input(self, run_id: str) -> str | None:
        """The prompt a running run is waiting on a human for, or None."""
        live = self._live.get(run_id)
        return None if live is None else live.pending_prompt

    def answer(self, run_id: str, text: str) -> None:
        live = self._live.get(run_id)
        if live is None:
            raise RunError("This run is not waiting for human input.")
        with live.lock:
            if live.pending_prompt is None:
                raise RunError("This run is not waiting for human input.")
            live.answer = text
            live.pending_prompt = None  # consumed: a second answer needs a new question
            live.answered.set()

    def wait(self, run_id: str, timeout: float | None = None) -> Any:
        from studio.store import get_run

        live = self._live.get(run_id)
        if live is not None and live.future is not None:
            try:
                live.future.result(timeout=timeout)
            except TimeoutError:
                pass
        return get_run(run_id, store=self.store, with_snapshot=False)

    def stop(self, run_id: str) -> Any:
        """Stop a run: graceful if it finishes within the grace period, marked cancelled at once otherwise."""
        from studio.store import finish_run, get_run

        live = self._live.get(run_id)
        if live is None or live.future is None or live.future.done():
            return get_run(run_id, store=self.store, with_snapshot=False)
        live.stopped = True
        built = live.built
        if built is not None:
            built.external.set()
            for executor in getattr(built, "code_executors", ()) or ():
                try:
                    executor.cancel()
                except Exception:  # noqa: BLE001 - cancelling must never fail the stop
                    pass
        with live.lock:
            live.answer = "exit"
            live.answered.set()
        try:
            live.future.result(timeout=STOP_GRACE_SECONDS)
        except Exception:  # noqa: BLE001 - timeout or the run's own failure; the status below tells
            pass
        if not live.future.done():
            live.abandoned = True
            try:
                self._emit_final(live, RunFinished(status="cancelled", stop_reason=STOPPED_REASON))
                finish_run(run_id, "cancelled", stop_reason=STOPPED_REASON, store=self.store)
            except StudioError:
                pass
        return get_run(run_id, store=self.store, with_snapshot=False)

    def shutdown(self, *, cancel_running: bool = True) -> None:
        if cancel_running:
            for run_id in list(self._live):
                if self.is_active(run_id):
                    self.stop(run_id)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- the worker ----------------------------------------------------------------------------------------------

    def _work(self, live: _LiveRun) -> None:
        from studio.store import finish_run, start_run

        started = time.monotonic()
        bus = EventBus([self._persister(live)], run_id=live.run_id)
        status, reason, summary, error = "completed", "", "", ""
        try:
            start_run(live.run_id, store=self.store)
            with use_bus(bus):
                bus.emit(RunStarted(task=live.task, team=str(live.snapshot.get("team", {}).get("name", "")),
                                    session_id=live.session_id or ""))  # fmt: skip
                result = self._chat(live)
            reason = result.stop_reason or ""
            summary = result.summary or ""
            if live.stopped:
                status, reason = "cancelled", STOPPED_REASON
            elif live.input_timed_out:
                reason = f"No human input within {self.human_input_timeout:g} seconds"
        except Exception as exc:  # noqa: BLE001 - every failure becomes a failed run with a readable reason
            status = "cancelled" if live.stopped else "failed"
            error = _short_error(exc)
            reason = STOPPED_REASON if live.stopped else error
            if not live.abandoned:
                bus.emit(Error(error_type=type(exc).__name__, message=error))
        finally:
            if live.built is not None:
                live.built.close()
        if live.abandoned:
            return
        bus.emit(RunFinished(status=status, stop_reason=reason, summary=summary))  # type: ignore[arg-type]
        self._save_totals(live, time.monotonic() - started)
        finish_run(live.run_id, status, stop_reason=reason, error=error, store=self.store)

    def _chat(self, live: _LiveRun) -> Any:
        from studio.builder import build_team
        from studio.spec import bundle_from_data

        bundle, _ = bundle_from_data(live.snapshot, keep_approvals=True)
        work_dir = self.work_root / live.run_id
        work_dir.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {}
        if self._allow_local_code is not None:
            kwargs["allow_local_code"] = self._allow_local_code
        if self._code_default is not None:
            kwargs["code_execution_default"] = self._code_default
        built = build_team(
            bundle,
            input_func=self._asker(live),
            resolve_secret=self._resolve_secret,
            work_dir=work_dir,
            trust_tools=live.trust_tools,
            **kwargs,
        )
        live.built = built
        if live.stopped:
            built.external.set()
        built.open()
        history = self._session_history(live)
        if history:
            _reload(built, history)
        return built.initiator.initiate_chat(
            built.recipient,
            message=live.task,
            silent=True,
            termination=built.termination,
            clear_history=not history,
            **built.chat_kwargs,
        )

    def _persister(self, live: _LiveRun) -> Callable[[BaseEvent], None]:
        from studio.store import append_event

        store = self.store

        def persist(event: BaseEvent) -> None:
            if live.abandoned:
                return
            append_event(live.run_id, event, store=store)
            if live.listener is not None:
                live.listener(event)

        return persist

    def _emit_final(self, live: _LiveRun, event: BaseEvent) -> None:
        from studio.store import append_event, event_count

        event.run_id = live.run_id
        event.seq = event_count(live.run_id, store=self.store) + 1
        append_event(live.run_id, event, store=self.store)
        if live.listener is not None:
            live.listener(event)

    def _save_totals(self, live: _LiveRun, duration: float) -> None:
        # Token and cost totals are kept by the store from the model_call events themselves; only time is ours.
        from studio.store import set_run_totals

        set_run_totals(live.run_id, store=self.store, duration=duration)

    def _asker(self, live: _LiveRun) -> Callable[[str], str]:
        def ask(prompt: str) -> str:
            if live.stopped:
                return "exit"
            if live.input_func is not None:
                return live.input_func(prompt)
            with live.lock:
                live.answer = None
                live.answered.clear()
                live.pending_prompt = prompt
            try:
                if not live.answered.wait(self.human_input_timeout):
                    live.input_timed_out = True
                    return "exit"
                with live.lock:
                    return live.answer if live.answer is not None else ""
            finally:
                with live.lock:
                    live.pending_prompt = None

        return ask

    def _resolve_secret(self, ref: Any) -> str:
        from studio.store import get_secret

        if getattr(ref, "env", None):
            value = os.environ.get(ref.env)
            if not value:
                raise ConfigurationError(
                    f"The environment variable {ref.env} is not set; set it, or store the key as a secret in Settings"
                    " and point the model at it."
                )
            return value
        if getattr(ref, "secret", None):
            return get_secret(ref.secret, store=self.store)
        raise ConfigurationError("The model's key reference names neither an environment variable nor a secret.")

    def _session_history(self, live: _LiveRun) -> list[Message]:
        from studio.store import list_runs, load_events

        if live.session_id is None:
            return []
        runs = [
            r
            for r in list_runs(session_id=live.session_id, store=self.store, limit=None)
            if r.id != live.run_id and r.team_id == live.team_id and r.status not in ("queued", "running")
        ]
        runs.sort(key=lambda r: r.created_at)
        history: list[Message] = []
        for run in runs:
            history.extend(
                e for e in load_events(run.id, store=self.store, types=["message"]) if isinstance(e, Message)
            )
        return history


def _reload(built: Any, history: list[Message]) -> None:
    """Put earlier messages of the session back into the agents' stores (and the group transcript)."""
    agents = {agent.name: agent for agent in built.agents.values()}  # events name agents as they speak
    if built.manager is not None:
        messages = []
        for event in history:
            msg = _as_message(event)
            msg["name"] = event.source
            msg.setdefault("role", "user")
            messages.append(msg)
        messages.append({"content": "", "name": built.initiator.name, "role": "user"})
        built.manager.resume(messages)
        return
    for event in history:
        sender, receiver = agents.get(event.source), agents.get(event.target)
        if sender is not None and receiver is not None:
            sender.send(_as_message(event), receiver, request_reply=False, silent=True)


def _as_message(event: Message) -> dict[str, Any]:
    msg: dict[str, Any] = {"content": event.content}
    if event.tool_calls:
        msg["tool_calls"] = event.tool_calls
    if event.tool_responses:
        msg["tool_responses"] = event.tool_responses
    if event.role in ("tool", "function"):
        msg["role"] = event.role
    return msg


def _session_name(task: str) -> str:
    text = " ".join(task.split())
    return (text[:60] + "…") if len(text) > 60 else text or "Untitled session"


def _short_error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 2000 else text[:2000] + "…"
