"""`ConversableAgent`: AG2's classic agent — per-peer message stores, the reply-function chain, send/receive.

The chat itself is AG2's mutual recursion: `send` stores the message and calls `recipient.receive`, which stores it
and (if a reply is requested) calls `generate_reply`, whose first matching reply function with `final=True` wins; a
non-None reply is sent back. The default reply functions live in `replies.py`, chats and summaries in `chat.py`.

Hot-path notes: trigger matching is precompiled into closures at registration (AG2 spends 40% of its time on
`isinstance` against a runtime Protocol here), events are emitted only when a chat bus exists, and the model-facing
view of each history is maintained incrementally (`messages.WireView`) so a turn costs O(1) in history length.
"""

from __future__ import annotations

import builtins
import functools
import re
import sys
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Literal

from studio.events import HumanInput, HumanInputRequested, Message, ToolCall, current_bus
from studio.runtime.agent import Agent
from studio.runtime.chat import ChatMixin
from studio.runtime.chat_context import current_chat
from studio.runtime.messages import INVALID_MESSAGE, WireView, content_str, to_stored
from studio.runtime.replies import RepliesMixin
from studio.runtime.tools_mixin import ToolsMixin
from studio.runtime.tracing import span

HumanInputMode = Literal["ALWAYS", "NEVER", "TERMINATE"]
ReplyFunc = Callable[..., tuple[bool, Any]]

_HOOKS = ("update_agent_state", "process_last_received_message", "process_all_messages_before_reply",
          "process_message_before_send")  # fmt: skip


def _is_coroutine_function(func: Any) -> bool:
    """`inspect.iscoroutinefunction` without importing inspect (import time matters: `import studio` ≤ 150 ms)."""
    while isinstance(func, functools.partial):
        func = func.func
    func = getattr(func, "__func__", func)
    code = getattr(func, "__code__", None)
    return bool(code is not None and code.co_flags & 0x80) or getattr(func, "_is_coroutine_marker", None) is not None


def _default_is_termination_msg(message: dict[str, Any]) -> bool:
    return content_str(message.get("content")) == "TERMINATE"


def _compile_trigger(trigger: Any) -> Callable[[Any], bool]:
    """Turn an AG2 trigger into a fast predicate on the sender."""
    if trigger is None:
        return lambda sender: sender is None
    if isinstance(trigger, str):
        return lambda sender: sender is not None and sender.name == trigger
    if isinstance(trigger, type):
        return lambda sender: isinstance(sender, trigger)
    if isinstance(trigger, Agent):
        return lambda sender: sender is trigger
    if isinstance(trigger, list):
        if all(t is None or isinstance(t, type) for t in trigger):
            # The common [Agent, None] case: one isinstance call, no generator.
            classes = tuple(t for t in trigger if t is not None)
            if None in trigger:
                return lambda sender: sender is None or isinstance(sender, classes)
            return lambda sender: isinstance(sender, classes)
        parts = [_compile_trigger(t) for t in trigger]
        return lambda sender: any(p(sender) for p in parts)
    if callable(trigger):
        return lambda sender: bool(trigger(sender))
    raise ValueError(f"Unsupported trigger type: {type(trigger)}")


class ConversableAgent(ToolsMixin, RepliesMixin, ChatMixin, Agent):
    """A generic agent that can converse with other agents, call a model, run tools and code, and ask a human."""

    DEFAULT_CONFIG: Any = False
    MAX_CONSECUTIVE_AUTO_REPLY = 100
    DEFAULT_SYSTEM_MESSAGE = "You are a helpful AI Assistant."
    DEFAULT_DESCRIPTION: str | None = None

    def __init__(
        self,
        name: str,
        system_message: str | list[Any] | None = "You are a helpful AI Assistant.",
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        max_consecutive_auto_reply: int | None = None,
        human_input_mode: HumanInputMode = "TERMINATE",
        function_map: dict[str, Callable[..., Any]] | None = None,
        code_execution_config: dict[str, Any] | Literal[False] = False,
        llm_config: dict[str, Any] | Literal[False] | None = None,
        default_auto_reply: str | dict[str, Any] = "",
        description: str | None = None,
        chat_messages: dict[Agent, list[dict[str, Any]]] | None = None,
        silent: bool | None = None,
        context_variables: dict[str, Any] | None = None,
        functions: list[Callable[..., Any]] | Callable[..., Any] | None = None,
        update_agent_state_before_reply: list[Callable[..., Any]] | Callable[..., Any] | None = None,
        handoffs: Any = None,
        *,
        input_func: Callable[[str], str] | None = None,
    ):
        if human_input_mode not in ("ALWAYS", "NEVER", "TERMINATE"):
            raise ValueError(f"human_input_mode must be 'ALWAYS', 'NEVER' or 'TERMINATE', got {human_input_mode!r}.")
        self.name = name
        self.silent = silent
        self.context_variables = context_variables if context_variables is not None else {}
        self.handoffs = handoffs
        self._input_func = input_func
        self._oai_messages: defaultdict[Agent, list[dict[str, Any]]] = defaultdict(list)
        if chat_messages:
            self._oai_messages.update(chat_messages)
        self._wire: dict[Agent | None, WireView] = {}
        self._oai_system_message = [{"content": system_message, "role": "system"}]
        self._description = description if description is not None else system_message
        self._is_termination_msg = is_termination_msg if is_termination_msg is not None else _default_is_termination_msg
        self._setup_llm(llm_config)
        self._check_name(name)
        self.client_cache = None
        self.human_input_mode: HumanInputMode = human_input_mode
        self._max_consecutive_auto_reply = (
            max_consecutive_auto_reply if max_consecutive_auto_reply is not None else self.MAX_CONSECUTIVE_AUTO_REPLY
        )
        self._consecutive_auto_reply_counter: defaultdict[Agent | None, int] = defaultdict(int)
        self._max_consecutive_auto_reply_dict: defaultdict[Agent | None, int] = defaultdict(
            lambda: self._max_consecutive_auto_reply
        )
        self._function_map: dict[str, Callable[..., Any]] = {}
        if function_map:
            for fname, func in function_map.items():
                self._validate_function_name(fname)
                self._function_map[fname] = func
        self._default_auto_reply = default_auto_reply
        self._reply_func_list: list[dict[str, Any]] = []
        self._chain: list[tuple[Any, ...]] | None = None
        self._human_input: list[str] = []
        self.reply_at_receive: defaultdict[Agent | None, bool] = defaultdict(bool)
        self.hook_lists: dict[str, list[Callable[..., Any]]] = {h: [] for h in _HOOKS}
        self._code_settings: Any = None
        self._register_default_replies(code_execution_config)
        if functions is not None:
            for func in functions if isinstance(functions, list) else [functions]:
                self.register_for_llm()(func)
        if update_agent_state_before_reply:
            hooks = update_agent_state_before_reply
            for hook in hooks if isinstance(hooks, list) else [hooks]:
                self.register_hook("update_agent_state", hook)

    # -- configuration -------------------------------------------------------------------------------------------

    def _setup_llm(self, llm_config: Any) -> None:
        from studio.runtime.models.config import make_client

        if llm_config is None:
            llm_config = self.DEFAULT_CONFIG
        if llm_config is False:
            self.llm_config: dict[str, Any] | Literal[False] = False
            self.client = None
            return
        if not isinstance(llm_config, dict):
            raise ValueError(f"llm_config must be a dict or False, got {type(llm_config).__name__}.")
        self.llm_config = dict(llm_config)
        self.client = make_client(self.llm_config)

    def _check_name(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("The name of the agent cannot be empty.")
        if self.llm_config and re.search(r"\s", name):
            entries = self.llm_config.get("config_list") or [self.llm_config]
            if any(e.get("api_type", self.llm_config.get("api_type", "openai")) == "openai" for e in entries):
                raise ValueError(f"The name of the agent cannot contain any whitespace. The name provided is: '{name}'")

    @property
    def system_message(self) -> Any:
        return self._oai_system_message[0]["content"]

    def update_system_message(self, system_message: str) -> None:
        self._oai_system_message[0] = {"content": system_message, "role": "system"}

    @property
    def description(self) -> str:  # type: ignore[override]
        return self._description

    @description.setter
    def description(self, value: str) -> None:
        self._description = value

    def max_consecutive_auto_reply(self, sender: Agent | None = None) -> int:
        """The auto-reply limit (for `sender`, if given), as AG2's method."""
        return self._max_consecutive_auto_reply if sender is None else self._max_consecutive_auto_reply_dict[sender]

    def update_max_consecutive_auto_reply(self, value: int, sender: Agent | None = None) -> None:
        if sender is None:
            self._max_consecutive_auto_reply = value
            for k in self._max_consecutive_auto_reply_dict:
                self._max_consecutive_auto_reply_dict[k] = value
        else:
            self._max_consecutive_auto_reply_dict[sender] = value

    @property
    def function_map(self) -> dict[str, Callable[..., Any]]:
        return self._function_map

    @property
    def chat_messages(self) -> defaultdict[Agent, list[dict[str, Any]]]:
        return self._oai_messages

    def chat_messages_for_summary(self, agent: Agent) -> list[dict[str, Any]]:
        return self._oai_messages[agent]

    def last_message(self, agent: Agent | None = None) -> dict[str, Any] | None:
        if agent is None:
            n = len(self._oai_messages)
            if n == 0:
                return None
            if n == 1:
                for conversation in self._oai_messages.values():
                    return conversation[-1] if conversation else None
            raise ValueError("More than one conversation is found. Please specify the sender to get the last message.")
        if agent not in self._oai_messages:
            raise KeyError(
                f"The agent '{agent.name}' is not present in any conversation. No history available for this agent."
            )
        messages = self._oai_messages[agent]
        return messages[-1] if messages else None

    # -- reply functions -----------------------------------------------------------------------------------------

    def register_reply(
        self,
        trigger: Any,
        reply_func: ReplyFunc,
        position: int = 0,
        config: Any = None,
        reset_config: Callable[..., Any] | None = None,
        *,
        ignore_async_in_sync_chat: bool = False,
        remove_other_reply_funcs: bool = False,
    ) -> None:
        if not isinstance(trigger, (type, str, Agent, list)) and trigger is not None and not callable(trigger):
            raise ValueError("trigger must be a class, a string, an agent, a callable or a list.")
        if remove_other_reply_funcs:
            self._reply_func_list.clear()
        self._chain = None
        self._reply_func_list.insert(
            position,
            {
                "trigger": trigger,
                "match": _compile_trigger(trigger),
                "reply_func": reply_func,
                "config": config,
                "init_config": config,
                "reset_config": reset_config,
                "ignore_async_in_sync_chat": ignore_async_in_sync_chat and _is_coroutine_function(reply_func),
                "is_async": _is_coroutine_function(reply_func),
            },
        )

    def replace_reply_func(self, old_reply_func: ReplyFunc, new_reply_func: ReplyFunc) -> None:
        for entry in self._reply_func_list:
            if entry["reply_func"] == old_reply_func:
                entry["reply_func"] = new_reply_func
                entry["is_async"] = _is_coroutine_function(new_reply_func)
        self._chain = None

    def register_hook(self, hookable_method: str, hook: Callable[..., Any]) -> None:
        if hookable_method not in self.hook_lists:
            raise ValueError(f"{hookable_method} is not a hookable method.")
        if hook in self.hook_lists[hookable_method]:
            raise ValueError(f"{hook} is already registered as a hook.")
        self.hook_lists[hookable_method].append(hook)

    def _raise_exception_on_async_reply_functions(self) -> None:
        for entry in self._reply_func_list:
            if entry["is_async"] and not entry["ignore_async_in_sync_chat"]:
                raise RuntimeError(
                    "Async reply functions can only be used with ConversableAgent.a_initiate_chat(). To use"
                    " synchronous chat, use ConversableAgent.initiate_chat(), or set ignore_async_in_sync_chat=True"
                    " when registering the async reply function."
                )

    def generate_reply(
        self,
        messages: list[dict[str, Any]] | None = None,
        sender: Agent | None = None,
        exclude: Any = (),
        **kwargs: Any,
    ) -> str | dict[str, Any] | None:
        """AG2's `generate_reply`: run the hooks, then the first matching reply function with `final=True` wins."""
        if messages is None and sender is None:
            raise AssertionError("Either messages or sender must be provided.")
        if messages is None:
            messages = self._oai_messages[sender]  # type: ignore[index]
        hooks = self.hook_lists
        for hook in hooks["update_agent_state"]:
            hook(self, messages)
        if hooks["process_last_received_message"] and messages:
            messages = self._process_last_received_message(messages)
        for hook in hooks["process_all_messages_before_reply"]:
            messages = hook(messages)
        exclude = kwargs.get("exclude", exclude)
        chain = self._chain
        if chain is None or len(chain) != len(self._reply_func_list):
            chain = self._chain = [
                (e["match"], e["reply_func"], e["is_async"], e["ignore_async_in_sync_chat"], e)
                for e in self._reply_func_list
            ]
        for match, reply_func, is_async, ignore_async, entry in chain:
            if is_async:
                if ignore_async:
                    continue
                self._raise_exception_on_async_reply_functions()
            if exclude and reply_func in exclude:
                continue
            if match(sender):
                final, reply = reply_func(self, messages=messages, sender=sender, config=entry["config"])
                if final:
                    return reply
        return self._default_auto_reply

    def _process_last_received_message(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        last = messages[-1]
        content = last.get("content")
        if not isinstance(content, str):
            return messages
        for hook in self.hook_lists["process_last_received_message"]:
            content = hook(content)
        if content == last.get("content"):
            return messages
        copied = list(messages)
        copied[-1] = {**last, "content": content}
        return copied

    # -- sending and receiving -----------------------------------------------------------------------------------

    def _append_oai_message(
        self, message: dict[str, Any] | str, role: str, conversation_id: Agent, is_sending: bool
    ) -> dict[str, Any] | None:
        stored = to_stored(message, role, self.name if is_sending else conversation_id.name)
        if stored is None:
            return None
        self._oai_messages[conversation_id].append(stored)
        return stored

    def send(
        self,
        message: dict[str, Any] | str,
        recipient: Agent,
        request_reply: bool | None = None,
        silent: bool | None = False,
    ) -> None:
        for hook in self.hook_lists["process_message_before_send"]:
            message = hook(sender=self, message=message, recipient=recipient, silent=silent)
        stored = self._append_oai_message(message, "assistant", recipient, is_sending=True)
        if stored is None:
            raise ValueError(INVALID_MESSAGE)
        bus = current_bus()
        if bus is not None:
            self._emit_sent(bus, stored, recipient)
        recipient.receive(message, self, request_reply, silent)  # type: ignore[arg-type]

    def _emit_sent(self, bus: Any, stored: dict[str, Any], recipient: Agent) -> None:
        tool_calls = stored.get("tool_calls")
        if tool_calls:
            bus.emit(
                ToolCall(
                    source=self.name,
                    calls=[
                        {"id": c.get("id", ""), "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                        for c in tool_calls
                    ],
                )
            )
        content = stored.get("content")
        bus.emit(
            Message(
                source=self.name,
                target=recipient.name,
                content=content if content is None or isinstance(content, str) else content_str(content),
                role=stored.get("role", "assistant"),
                tool_calls=tool_calls,
                tool_responses=stored.get("tool_responses"),
            )
        )

    def receive(
        self,
        message: dict[str, Any] | str,
        sender: Agent,
        request_reply: bool | None = None,
        silent: bool | None = False,
    ) -> None:
        if self._append_oai_message(message, "user", sender, is_sending=False) is None:
            raise ValueError(INVALID_MESSAGE)
        if request_reply is False or (request_reply is None and self.reply_at_receive[sender] is False):
            return
        ctx = current_chat()
        if ctx is not None and ctx.check_termination():
            return
        with span("turn", speaker=self.name):
            reply = self.generate_reply(messages=self._oai_messages[sender], sender=sender)
        if reply is not None:
            self.send(reply, sender, silent=silent)

    # -- human input ---------------------------------------------------------------------------------------------

    def get_human_input(self, prompt: str) -> str:
        bus = current_bus()
        request_id = uuid.uuid4().hex if bus is not None else ""
        if bus is not None:
            bus.emit(HumanInputRequested(source=self.name, prompt=prompt, request_id=request_id))
        func = self._input_func if self._input_func is not None else builtins.input
        reply = func(prompt)
        if reply is None:
            reply = ""
        self._human_input.append(reply)
        if bus is not None:
            bus.emit(HumanInput(source=self.name, content=reply, request_id=request_id))
        return reply

    # -- housekeeping --------------------------------------------------------------------------------------------

    def reset_consecutive_auto_reply_counter(self, sender: Agent | None = None) -> None:
        if sender is None:
            self._consecutive_auto_reply_counter.clear()
        else:
            self._consecutive_auto_reply_counter[sender] = 0

    def clear_history(self, recipient: Agent | None = None, nr_messages_to_preserve: int | None = None) -> None:
        if recipient is None:
            if nr_messages_to_preserve:
                for key in self._oai_messages:
                    kept = self._oai_messages[key][-nr_messages_to_preserve:]
                    self._oai_messages[key].clear()
                    self._oai_messages[key].extend(kept)
            else:
                self._oai_messages.clear()
        else:
            self._oai_messages[recipient].clear()
        self._wire.clear()

    def reset(self) -> None:
        self.clear_history()
        self.reset_consecutive_auto_reply_counter()
        self.stop_reply_at_receive()
        if self.client is not None and hasattr(self.client, "clear_usage_summary"):
            self.client.clear_usage_summary()
        for entry in self._reply_func_list:
            if entry["reset_config"] is not None:
                entry["reset_config"](entry["config"])
            else:
                entry["config"] = entry["init_config"]

    def stop_reply_at_receive(self, sender: Agent | None = None) -> None:
        if sender is None:
            self.reply_at_receive.clear()
        else:
            self.reply_at_receive[sender] = False

    def model_view(self, history: list[dict[str, Any]], peer: Agent | None) -> list[dict[str, Any]]:
        """The messages to send to the model for `history` (system first), maintained incrementally per peer."""
        view = self._wire.get(peer)
        if view is None:
            view = self._wire[peer] = WireView()
        return view.view(self._oai_system_message, history)


def _raise_recursion_limit(minimum: int = 20000) -> None:
    # A chat without max_turns is AG2's send/receive recursion: ~4 frames per message.
    if sys.getrecursionlimit() < minimum:
        sys.setrecursionlimit(minimum)
