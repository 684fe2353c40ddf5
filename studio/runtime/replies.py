"""The default reply functions of `ConversableAgent`, in AG2's order (RUNTIME.md §1.3, §1.4, §1.6, §1.7).

Registered so that the resulting `_reply_func_list` order is:
check_termination_and_human_reply, generate_function_call_reply, generate_tool_calls_reply,
[code execution], generate_oai_reply — each preceded by its `a_` twin, which sync chats skip.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from studio.events import CodeExecution, ModelCall, StreamChunk, ToolResult, current_bus
from studio.runtime.chat_context import current_chat
from studio.runtime.tracing import span

if TYPE_CHECKING:
    from studio.runtime.agent import Agent

NO_HUMAN_INPUT = "\n>>>>>>>> NO HUMAN INPUT RECEIVED."
USING_AUTO_REPLY = "\n>>>>>>>> USING AUTO REPLY..."


def _note(reason: str) -> None:
    ctx = current_chat()
    if ctx is not None:
        ctx.note_reason(reason)


class RepliesMixin:
    # Attributes provided by ConversableAgent.
    name: str
    human_input_mode: str
    llm_config: Any
    client: Any
    _oai_messages: Any
    _consecutive_auto_reply_counter: Any
    _max_consecutive_auto_reply_dict: Any
    _function_map: dict[str, Any]
    _code_settings: Any
    _oai_system_message: list[dict[str, Any]]

    def _register_default_replies(self, code_execution_config: Any) -> None:
        from studio.runtime.agent import Agent

        cls = type(self)
        self.register_reply([Agent, None], cls.generate_oai_reply)  # type: ignore[attr-defined]
        self.register_reply([Agent, None], cls.a_generate_oai_reply, ignore_async_in_sync_chat=True)  # type: ignore[attr-defined]
        self._code_execution_config = code_execution_config
        if code_execution_config is not False:
            from studio.runtime.code import CodeExecutionSettings

            self._code_settings = CodeExecutionSettings.from_config(code_execution_config, agent_name=self.name)
            if self._code_settings is not None:
                reply = (
                    cls.generate_code_execution_reply
                    if self._code_settings.legacy
                    else cls._generate_code_execution_reply_using_executor
                )
                self.register_reply([Agent, None], reply)  # type: ignore[attr-defined]
        self.register_reply([Agent, None], cls.generate_tool_calls_reply)  # type: ignore[attr-defined]
        self.register_reply([Agent, None], cls.a_generate_tool_calls_reply, ignore_async_in_sync_chat=True)  # type: ignore[attr-defined]
        self.register_reply([Agent, None], cls.generate_function_call_reply)  # type: ignore[attr-defined]
        self.register_reply([Agent, None], cls.a_generate_function_call_reply, ignore_async_in_sync_chat=True)  # type: ignore[attr-defined]
        self.register_reply([Agent, None], cls.check_termination_and_human_reply)  # type: ignore[attr-defined]
        self.register_reply([Agent, None], cls.a_check_termination_and_human_reply, ignore_async_in_sync_chat=True)  # type: ignore[attr-defined]

    @property
    def code_executor(self) -> Any:
        return None if self._code_settings is None else self._code_settings.executor

    # -- §1.4 termination and human input --------------------------------------------------------------------------

    def check_termination_and_human_reply(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: Any = None
    ) -> tuple[bool, Any]:
        if messages is None:
            messages = self._oai_messages[sender] if sender is not None else []
        if not messages:
            return False, None
        message = messages[-1]
        reply = ""
        no_human_input_msg = ""
        sender_name = "the sender" if sender is None else sender.name
        limit = self._max_consecutive_auto_reply_dict[sender]
        is_term = self._is_termination_msg  # type: ignore[attr-defined]
        mode = self.human_input_mode
        reason = ""
        if mode == "ALWAYS":
            reply = self.get_human_input(  # type: ignore[attr-defined]
                f"Replying as {self.name}. Provide feedback to {sender_name}. Press enter to skip and use auto-reply,"
                " or type 'exit' to end the conversation: "
            )
            no_human_input_msg = "NO HUMAN INPUT RECEIVED." if not reply else ""
            if not reply and is_term(message):
                reply = "exit"
                reason = f"Termination message condition on agent '{self.name}' met and no human input provided"
        elif self._consecutive_auto_reply_counter[sender] >= limit:
            if mode == "NEVER":
                reply = "exit"
                reason = "Maximum number of consecutive auto-replies reached"
            else:
                terminate = is_term(message)
                reply = self.get_human_input(  # type: ignore[attr-defined]
                    f"Please give feedback to {sender_name}. Press enter or type 'exit' to stop the conversation: "
                    if terminate
                    else f"Please give feedback to {sender_name}. Press enter to skip and use auto-reply, or type"
                    " 'exit' to stop the conversation: "
                )
                no_human_input_msg = "NO HUMAN INPUT RECEIVED." if not reply else ""
                if not reply and terminate:
                    reply = "exit"
                    reason = f"Termination message condition on agent '{self.name}' met and no human input provided"
                elif not reply:
                    reason = "Maximum number of consecutive auto-replies reached"
        elif is_term(message):
            if mode == "NEVER":
                reply = "exit"
                reason = f"Termination message condition on agent '{self.name}' met"
            else:
                reply = self.get_human_input(  # type: ignore[attr-defined]
                    f"Please give feedback to {sender_name}. Press enter or type 'exit' to stop the conversation: "
                )
                no_human_input_msg = "NO HUMAN INPUT RECEIVED." if not reply else ""
                if not reply:
                    reply = "exit"
                    reason = f"Termination message condition on agent '{self.name}' met and no human input provided"
        if no_human_input_msg:
            self._console(NO_HUMAN_INPUT)
        if reply == "exit":
            self._consecutive_auto_reply_counter[sender] = 0
            _note(reason or "User requested to end the conversation")
            return True, None
        if reply or limit == 0:
            self._consecutive_auto_reply_counter[sender] = 0
            tool_returns: list[dict[str, Any]] = []
            if message.get("function_call"):
                name = message["function_call"].get("name", "")
                tool_returns.append({"role": "function", "name": name, "content": "USER INTERRUPTED"})
            if message.get("tool_calls"):
                tool_returns.extend(
                    {"role": "tool", "tool_call_id": call.get("id", ""), "content": "USER INTERRUPTED"}
                    for call in message["tool_calls"]
                )
            response: dict[str, Any] = {"role": "user", "content": reply}
            if tool_returns:
                response["tool_responses"] = tool_returns
            return True, response
        self._consecutive_auto_reply_counter[sender] += 1
        if mode != "NEVER":
            self._console(USING_AUTO_REPLY)
        return False, None

    async def a_check_termination_and_human_reply(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: Any = None
    ) -> tuple[bool, Any]:
        return await _to_thread(self.check_termination_and_human_reply, messages, sender, config)

    def _console(self, text: str) -> None:
        ctx = current_chat()
        if ctx is not None and getattr(ctx, "printer", None) is not None:
            ctx.printer.write(text)  # type: ignore[attr-defined]

    # -- §1.6 tools --------------------------------------------------------------------------------------------------

    def generate_tool_calls_reply(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: Any = None
    ) -> tuple[bool, Any]:
        if messages is None:
            messages = self._oai_messages[sender]
        if not messages:
            return False, None
        message = messages[-1]
        tool_calls = message.get("tool_calls")
        if not tool_calls:
            return False, None
        from studio.runtime.tools import execute_tool_calls

        with span("tool_call", agent=self.name, tools=",".join(c["function"]["name"] for c in tool_calls)):
            reply, results = execute_tool_calls(tool_calls, self._function_map)
        bus = current_bus()
        if bus is not None:
            bus.emit(ToolResult(source=self.name, results=results))
        return True, reply

    async def a_generate_tool_calls_reply(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: Any = None
    ) -> tuple[bool, Any]:
        return await _to_thread(self.generate_tool_calls_reply, messages, sender, config)

    def generate_function_call_reply(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: Any = None
    ) -> tuple[bool, Any]:
        if messages is None:
            messages = self._oai_messages[sender]
        if not messages:
            return False, None
        message = messages[-1]
        call = message.get("function_call")
        if not call:
            return False, None
        from studio.runtime.tools import execute_function_call

        with span("tool_call", agent=self.name, tools=call.get("name", "")):
            reply, is_error = execute_function_call(call, self._function_map)
        bus = current_bus()
        if bus is not None:
            result = {"call_id": "", "name": call.get("name", ""), "content": reply["content"], "is_error": is_error}
            bus.emit(ToolResult(source=self.name, results=[result]))
        return True, reply

    async def a_generate_function_call_reply(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: Any = None
    ) -> tuple[bool, Any]:
        return await _to_thread(self.generate_function_call_reply, messages, sender, config)

    # -- §1.7 code execution -----------------------------------------------------------------------------------------

    def generate_code_execution_reply(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: Any = None
    ) -> tuple[bool, Any]:
        return self._code_reply(messages, sender)

    def _generate_code_execution_reply_using_executor(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: Any = None
    ) -> tuple[bool, Any]:
        return self._code_reply(messages, sender)

    def _code_reply(self, messages: list[dict[str, Any]] | None, sender: Agent | None) -> tuple[bool, Any]:
        settings = self._code_settings
        if settings is None:
            return False, None
        if messages is None:
            messages = self._oai_messages[sender]
        from studio.runtime.code import code_execution_reply

        with span("code_execution", agent=self.name) as sp:
            found, reply, info = code_execution_reply(settings, messages)
            if found and info is not None and sp is not None:
                sp.set_attribute("exit_code", info.get("exit_code", 0))
        if not found:
            return False, None
        bus = current_bus()
        if bus is not None and info is not None:
            bus.emit(
                CodeExecution(
                    source=self.name,
                    blocks=info.get("blocks", []),
                    exit_code=info.get("exit_code", 0),
                    output=info.get("output", ""),
                    executor=info.get("executor", ""),
                )
            )
        return True, reply

    # -- the model ---------------------------------------------------------------------------------------------------

    def generate_oai_reply(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: Any = None
    ) -> tuple[bool, Any]:
        client = self.client if config is None else config
        if client is None:
            return False, None
        if messages is None:
            messages = self._oai_messages[sender]
        if messages is self._oai_messages.get(sender):
            request = self.model_view(messages, sender)  # type: ignore[attr-defined]
        else:
            from studio.runtime.messages import unroll

            request = list(self._oai_system_message)
            for m in messages:
                unroll(m, request)
        extracted = self._call_model(client, request)
        return (False, None) if extracted is None else (True, extracted)

    async def a_generate_oai_reply(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: Any = None
    ) -> tuple[bool, Any]:
        return await _to_thread(self.generate_oai_reply, messages, sender, config)

    def _call_model(self, client: Any, request: list[dict[str, Any]], *, purpose: str = "reply", **params: Any) -> Any:
        """One model call: emits stream chunks and a `model_call` event; returns AG2's extracted response."""
        llm_config = self.llm_config or {}
        tools = llm_config.get("tools") or None
        bus = current_bus()
        on_chunk = None
        if bus is not None and (llm_config.get("stream") or getattr(client, "stream", False)):
            message_id = uuid.uuid4().hex
            name = self.name

            def on_chunk(text: str) -> None:
                bus.emit(StreamChunk(source=name, content=text, message_id=message_id))

        response = call_model(
            client, request, source=self.name, purpose=purpose, tools=tools, on_chunk=on_chunk, **params
        )
        return _extract(response.message)


def call_model(client: Any, request: list[dict[str, Any]], *, source: str, purpose: str, **kwargs: Any) -> Any:
    """One traced model call that emits its `model_call` event (tokens, cost, latency) on the current bus."""
    started = time.perf_counter()
    with span("model_call", agent=source, model=getattr(client, "model", ""), purpose=purpose) as sp:
        response = client.create(request, **kwargs)
        usage = response.usage
        sp.set_attribute("gen_ai.usage.input_tokens", usage.prompt_tokens)
        sp.set_attribute("gen_ai.usage.output_tokens", usage.completion_tokens)
        sp.set_attribute("cost", response.cost)
    bus = current_bus()
    if bus is not None:
        bus.emit(
            ModelCall(
                source=source,
                model=response.model,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                total_tokens=usage.total_tokens,
                cost=response.cost,
                cost_known=response.cost_known,
                latency_ms=response.latency_ms or (time.perf_counter() - started) * 1000.0,
                purpose=purpose,
            )
        )
    return response


def _extract(message: dict[str, Any]) -> Any:
    tool_calls = message.get("tool_calls")
    if tool_calls:
        from studio.runtime.tools import normalize_tool_name

        calls = []
        for call in tool_calls:
            fn = call.get("function", {})
            calls.append(
                {
                    "id": call.get("id", ""),
                    "function": {"arguments": fn.get("arguments", ""), "name": normalize_tool_name(fn.get("name", ""))},
                    "type": "function",
                }
            )
        return {"tool_calls": calls, "content": message.get("content"), "role": "assistant"}
    if message.get("function_call"):
        return {"function_call": message["function_call"], "content": message.get("content"), "role": "assistant"}
    return message.get("content")


async def _to_thread(func: Any, *args: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(func, *args)
