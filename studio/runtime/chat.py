"""Two-agent chats: `initiate_chat`, summaries, `ChatResult`, sequential chats with carryover and nested chats.

RUNTIME.md §1.5 and §1.8. A top-level chat opens a `ChatContext` with an `EventBus`; its `ChatResult.cost` is
aggregated from the `model_call` events of that chat, and the console transcript is a listener on the same bus.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.events import BaseEvent, Error, EventBus, Listener, RunFinished, RunStarted, current_bus, use_bus
from studio.runtime.chat_context import ChatContext, chat_context, current_chat
from studio.runtime.console import ConsolePrinter
from studio.runtime.messages import content_str
from studio.runtime.tracing import span

if TYPE_CHECKING:
    from studio.runtime.agent import Agent
    from studio.runtime.conversable import ConversableAgent

DEFAULT_SUMMARY_PROMPT = "Summarize the takeaway from the conversation. Do not add any introductory phrases."


@dataclass
class ChatResult:
    """The outcome of a chat (AG2's `ChatResult`, plus `stop_reason`)."""

    chat_id: int = field(default_factory=lambda: uuid.uuid4().int)
    chat_history: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""
    cost: dict[str, Any] = field(default_factory=dict)
    human_input: list[str] = field(default_factory=list)
    stop_reason: str | None = None


class CostRecorder:
    """A bus listener that sums `model_call` events per model into AG2's cost dict."""

    __slots__ = ("by_model",)

    def __init__(self) -> None:
        self.by_model: dict[str, dict[str, Any]] = {}

    def __call__(self, event: BaseEvent) -> None:
        if event.type != "model_call":
            return
        entry = self.by_model.get(event.model)  # type: ignore[attr-defined]
        if entry is None:
            entry = self.by_model[event.model] = {  # type: ignore[attr-defined]
                "cost": 0.0,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "total_tokens": 0,
            }
        entry["cost"] += event.cost  # type: ignore[attr-defined]
        entry["prompt_tokens"] += event.prompt_tokens  # type: ignore[attr-defined]
        entry["completion_tokens"] += event.completion_tokens  # type: ignore[attr-defined]
        entry["total_tokens"] += event.total_tokens  # type: ignore[attr-defined]

    def summary(self) -> dict[str, Any]:
        usage: dict[str, Any] = {"total_cost": sum(e["cost"] for e in self.by_model.values())}
        if not self.by_model:
            usage["total_cost"] = 0
        for model, entry in self.by_model.items():
            usage[model] = dict(entry)
        return {"usage_including_cached_inference": usage, "usage_excluding_cached_inference": dict(usage)}


class _ChatScope:
    """Opens the context of one chat: a bus (reused from an outer chat or run), listeners, termination, printer."""

    def __init__(
        self,
        *,
        listeners: Iterable[Listener] | None,
        termination: Any,
        silent: bool | None,
        task: str,
        team: str,
    ):
        self.outer_bus = current_bus()
        self.owns_bus = self.outer_bus is None
        self.bus = self.outer_bus if self.outer_bus is not None else EventBus()
        self.added: list[Listener] = []
        self.costs = CostRecorder()
        self._add(self.costs)
        self.printer: ConsolePrinter | None = None
        if not silent and self.owns_bus:
            self.printer = ConsolePrinter()
            self._add(self.printer)
        for listener in listeners or ():
            self._add(listener)
        if termination is not None and hasattr(termination, "start"):
            termination.start()
        self.termination = termination
        self.task = task
        self.team = team

    def _add(self, listener: Listener) -> None:
        self.bus.subscribe(listener)
        self.added.append(listener)

    def close(self) -> None:
        for listener in self.added:
            self.bus.unsubscribe(listener)


def _run_chat(scope: _ChatScope, body: Callable[[], None], summarize: Callable[[], str]) -> tuple[str, str | None]:
    bus = scope.bus
    ctx = ChatContext(bus, scope.termination, owns_bus=scope.owns_bus, printer=scope.printer)
    with use_bus(bus), chat_context(ctx):
        if scope.owns_bus:
            bus.emit(RunStarted(task=scope.task, team=scope.team))
        try:
            body()
            summary = summarize()
        except BaseException as exc:
            if scope.owns_bus:
                bus.emit(Error(error_type=type(exc).__name__, message=str(exc)))
                status = "cancelled" if isinstance(exc, KeyboardInterrupt) else "failed"
                bus.emit(RunFinished(status=status, stop_reason=ctx.stop_reason or str(exc)))
            scope.close()
            raise
        if scope.printer is not None and ctx.stop_reason:
            scope.printer.write(f"\n>>>>>>>> TERMINATING RUN ({uuid.uuid4()}): {ctx.stop_reason}")
        if scope.owns_bus:
            bus.emit(RunFinished(status="completed", stop_reason=ctx.stop_reason or "", summary=summary))
    scope.close()
    return summary, ctx.stop_reason


class ChatMixin:
    name: str

    # -- preparing -----------------------------------------------------------------------------------------------

    def _prepare_chat(
        self,
        recipient: ConversableAgent,
        clear_history: bool,
        prepare_recipient: bool = True,
        reply_at_receive: bool = True,
    ) -> None:
        self.reset_consecutive_auto_reply_counter(recipient)  # type: ignore[attr-defined]
        self.reply_at_receive[recipient] = reply_at_receive  # type: ignore[attr-defined]
        if clear_history:
            self.clear_history(recipient)  # type: ignore[attr-defined]
            self._human_input = []
        if prepare_recipient:
            recipient._prepare_chat(self, clear_history, False, reply_at_receive)  # type: ignore[arg-type]

    def generate_init_message(self, message: dict[str, Any] | str | None, **kwargs: Any) -> dict[str, Any] | str:
        if message is None:
            message = self.get_human_input(">")  # type: ignore[attr-defined]
        return self._handle_carryover(message, kwargs)  # type: ignore[arg-type]

    def _handle_carryover(self, message: dict[str, Any] | str, kwargs: dict[str, Any]) -> dict[str, Any] | str:
        if not kwargs.get("carryover"):
            return message
        if isinstance(message, str):
            return _with_carryover(message, kwargs["carryover"])
        if isinstance(message, dict):
            message = dict(message)
            content = message.get("content")
            if isinstance(content, str) or content is None:
                message["content"] = _with_carryover(content or "", kwargs["carryover"])
            return message
        raise ValueError("Message must be a string or a dict.")

    # -- the chat ------------------------------------------------------------------------------------------------

    def initiate_chat(
        self,
        recipient: ConversableAgent,
        clear_history: bool = True,
        silent: bool | None = False,
        cache: Any = None,
        max_turns: int | None = None,
        summary_method: str | Callable[..., str] | None = "last_msg",
        summary_args: dict[str, Any] | None = None,
        message: dict[str, Any] | str | Callable[..., Any] | None = None,
        *,
        listeners: Iterable[Listener] | None = None,
        termination: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Start a chat with `recipient` (RUNTIME.md §1.5). `termination` takes a termination condition
        (`studio.runtime.termination`), `listeners` receive every event of the chat."""
        from studio.runtime.conversable import _raise_recursion_limit

        summary_args = dict(summary_args or {})
        _check_summary_method(summary_method)
        for agent in (self, recipient):
            agent._raise_exception_on_async_reply_functions()  # type: ignore[attr-defined]
        sender: ConversableAgent = self  # type: ignore[assignment]
        task = message if isinstance(message, str) else ""
        scope = _ChatScope(listeners=listeners, termination=termination, silent=silent, task=task, team="")

        def body() -> None:
            with span("chat", initiator=self.name, recipient=recipient.name, kind="two_agent"):
                if max_turns is not None:
                    self._prepare_chat(recipient, clear_history, reply_at_receive=False)
                    _run_turns(sender, recipient, max_turns, message, kwargs, silent)
                else:
                    _raise_recursion_limit()
                    self._prepare_chat(recipient, clear_history)
                    first = _first_message(sender, recipient, message, kwargs)
                    self.send(first, recipient, silent=silent)  # type: ignore[attr-defined]

        def summarize() -> str:
            return sender._summarize_chat(summary_method, summary_args, recipient, cache=cache)

        summary, reason = _run_chat(scope, body, summarize)
        return ChatResult(
            chat_history=self.chat_messages[recipient],  # type: ignore[attr-defined]
            summary=summary,
            cost=scope.costs.summary(),
            human_input=self._human_input,  # type: ignore[attr-defined]
            stop_reason=reason,
        )

    async def a_initiate_chat(self, recipient: ConversableAgent, *args: Any, **kwargs: Any) -> ChatResult:
        """Async twin: runs the chat on a worker thread so the event loop stays free."""
        import asyncio

        return await asyncio.to_thread(self.initiate_chat, recipient, *args, **kwargs)

    def initiate_chats(self, chat_queue: list[dict[str, Any]]) -> list[ChatResult]:
        queue = [{**entry, "sender": self} for entry in chat_queue]
        return initiate_chats(queue)

    # -- summaries -----------------------------------------------------------------------------------------------

    def _summarize_chat(
        self,
        summary_method: str | Callable[..., str] | None,
        summary_args: dict[str, Any],
        recipient: ConversableAgent | None = None,
        cache: Any = None,
    ) -> str:
        if summary_method is None:
            return ""
        if "cache" not in summary_args:
            summary_args["cache"] = cache
        if summary_method == "last_msg":
            return _last_msg_as_summary(self, recipient, summary_args)  # type: ignore[arg-type]
        if summary_method == "reflection_with_llm":
            return _reflection_with_llm_as_summary(self, recipient, summary_args)  # type: ignore[arg-type]
        return summary_method(self, recipient, summary_args)  # type: ignore[operator]

    # -- nested chats --------------------------------------------------------------------------------------------

    def register_nested_chats(
        self,
        chat_queue: list[dict[str, Any]],
        trigger: Any,
        reply_func_from_nested_chats: str | Callable[..., Any] = "summary_from_nested_chats",
        position: int = 2,
        use_async: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """When `trigger` matches, run `chat_queue` as sequential chats; the reply is the last chat's summary."""
        if reply_func_from_nested_chats == "summary_from_nested_chats":
            reply_func: Callable[..., Any] = _summary_from_nested_chats
        elif callable(reply_func_from_nested_chats):
            reply_func = reply_func_from_nested_chats
        else:
            raise ValueError("reply_func_from_nested_chats must be a callable or 'summary_from_nested_chats'.")

        def wrapped_reply_func(
            recipient: ConversableAgent, messages: Any = None, sender: Any = None, config: Any = None
        ) -> Any:
            return reply_func(chat_queue, recipient, messages, sender, config)

        self.register_reply(  # type: ignore[attr-defined]
            trigger, wrapped_reply_func, position, kwargs.get("config"), kwargs.get("reset_config")
        )


def _check_summary_method(summary_method: Any) -> None:
    if summary_method is None or callable(summary_method):
        return
    if summary_method not in ("last_msg", "reflection_with_llm"):
        raise AssertionError(
            f"summary_method must be 'last_msg', 'reflection_with_llm', a callable or None, got {summary_method!r}."
        )


def _first_message(
    sender: ConversableAgent, recipient: ConversableAgent, message: Any, kwargs: dict[str, Any]
) -> dict[str, Any] | str:
    if callable(message):
        return message(sender, recipient, kwargs)
    return sender.generate_init_message(message, **kwargs)


def _run_turns(
    sender: ConversableAgent,
    recipient: ConversableAgent,
    max_turns: int,
    message: Any,
    kwargs: dict[str, Any],
    silent: bool | None,
) -> None:
    ctx = current_chat()
    counter = sender._consecutive_auto_reply_counter
    history = sender.chat_messages[recipient]
    for i in range(max_turns):
        if counter[recipient] >= recipient._max_consecutive_auto_reply:
            break
        if i == 0:
            msg2send = _first_message(sender, recipient, message, kwargs)
        else:
            last = history[-1] if history else None
            if last is not None and last.get("content") is not None and recipient._is_termination_msg(last):
                ctx and ctx.note_reason(f"Termination message condition on agent '{recipient.name}' met")
                break
            if ctx is not None and ctx.check_termination():
                break
            with span("turn", speaker=sender.name, round=i):
                msg2send = sender.generate_reply(messages=history, sender=recipient)
        if msg2send is None:
            break
        sender.send(msg2send, recipient, request_reply=True, silent=silent)
        if ctx is not None and ctx.stopped:
            break
    else:
        if ctx is not None:
            ctx.note_reason(f"Maximum turns ({max_turns}) reached")


def _with_carryover(content: str, carryover: Any) -> str:
    if isinstance(carryover, str):
        return content + "\nContext: \n" + carryover
    if isinstance(carryover, list):
        return content + "\nContext: \n" + "\n".join(_carryover_item(item) for item in carryover)
    raise ValueError("Carryover should be a string or a list of strings.")


def _carryover_item(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and "content" in item:
        return content_str(item["content"])
    return str(item)


def _last_msg_as_summary(sender: ConversableAgent, recipient: ConversableAgent, summary_args: dict[str, Any]) -> str:
    try:
        last = recipient.last_message(sender)
        content = last["content"] if last else None
    except (IndexError, AttributeError, KeyError) as e:
        warnings.warn(f"Cannot extract summary using last_msg: {e}. Using an empty str as summary.", UserWarning, 2)
        return ""
    if isinstance(content, str):
        return content.replace("TERMINATE", "")
    if isinstance(content, list):
        return "\n".join(x["text"] for x in content if isinstance(x, dict) and "text" in x)
    return ""


def _reflection_with_llm_as_summary(
    sender: ConversableAgent, recipient: ConversableAgent | None, summary_args: dict[str, Any]
) -> str:
    prompt = summary_args.get("summary_prompt") or DEFAULT_SUMMARY_PROMPT
    if not isinstance(prompt, str):
        raise ValueError("The summary_prompt must be a string.")
    role = summary_args.get("summary_role") or "system"
    agent = sender if recipient is None else recipient
    client = agent.client if agent.client is not None else sender.client
    try:
        if client is None:
            raise ValueError("No model client is configured for reflection_with_llm.")
        from studio.runtime.messages import unroll

        request: list[dict[str, Any]] = []
        for m in agent.chat_messages_for_summary(sender):
            unroll(m, request)
        request.append({"role": role, "content": prompt})
        response = agent._call_model(client, request, purpose="summary")
    except Exception as e:  # AG2: a failed reflection warns and summarises as ""
        warnings.warn(
            f"Cannot extract summary using reflection_with_llm: {e}. Using an empty str as summary.", UserWarning, 2
        )
        return ""
    if isinstance(response, dict):
        return content_str(response.get("content"))
    return response or ""


def initiate_chats(chat_queue: list[dict[str, Any]]) -> list[ChatResult]:
    """Run chats in order; each first message gets the carryover of the previous chats' summaries (§1.8)."""
    for entry in chat_queue:
        if "sender" not in entry or "recipient" not in entry:
            raise AssertionError("Each chat in the queue needs a 'sender' and a 'recipient'.")
        _check_summary_method(entry.get("summary_method", "last_msg"))
    recipients = [entry["recipient"] for entry in chat_queue]
    if len(set(map(id, recipients))) < len(recipients):
        warnings.warn(
            "Repetitive recipients detected: The chat history will be cleared by default if a recipient appears more"
            " than once. To retain the chat history, please set 'clear_history=False' in the configuration of the"
            " repeating agent.",
            UserWarning,
            2,
        )
    finished: list[ChatResult] = []
    for entry in chat_queue:
        info = dict(entry)
        carry = info.get("carryover", [])
        if isinstance(carry, str):
            carry = [carry]
        exclude = info.get("finished_chat_indexes_to_exclude_from_carryover", [])
        info["carryover"] = list(carry) + [r.summary for i, r in enumerate(finished) if i not in exclude]
        sender = info.pop("sender")
        finished.append(sender.initiate_chat(**info))
    return finished


def _summary_from_nested_chats(
    chat_queue: list[dict[str, Any]], recipient: Agent, messages: Any = None, sender: Any = None, config: Any = None
) -> tuple[bool, str | None]:
    chats = _chats_to_run(chat_queue, recipient, messages, sender, config)
    if not chats:
        return True, None
    results = initiate_chats(chats)
    return True, results[-1].summary


def _chats_to_run(
    chat_queue: list[dict[str, Any]], recipient: Agent, messages: Any, sender: Any, config: Any
) -> list[dict[str, Any]]:
    last_msg = messages[-1].get("content") if messages else None
    out = []
    for i, chat in enumerate(chat_queue):
        current = dict(chat)
        if current.get("sender") is None:
            current["sender"] = recipient
        msg = current.get("message")
        if msg is None and i == 0:
            msg = last_msg
            carry_cfg = current.pop("carryover_config", None)
            if carry_cfg and messages:
                msg = _nested_carryover(msg or "", carry_cfg, recipient, messages, sender)
        if callable(msg):
            msg = msg(recipient, messages, sender, config)
        if msg:
            current["message"] = msg
            current.pop("carryover_config", None)
            out.append(current)
    return out


def _nested_carryover(message: str, carry_cfg: dict[str, Any], recipient: Any, messages: list[Any], sender: Any) -> str:
    method = carry_cfg.get("summary_method", "last_msg")
    prior = messages[:-2] if len(messages) > 2 else []
    if callable(method):
        text = method(recipient, messages, carry_cfg.get("summary_args", {}))
    elif method == "all":
        text = "\n".join(content_str(m.get("content")) for m in prior)
    elif method == "last_msg":
        text = content_str(prior[-1].get("content")) if prior else ""
    else:
        raise ValueError(f"Unsupported carryover summary_method {method!r}: use 'all', 'last_msg' or a callable.")
    return f"{message}\nContext:\n{text}" if text else message
