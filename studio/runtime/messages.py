"""Message helpers: AG2's normalisation of a message into the stored OpenAI-format dict, and the view sent to a model.

The stored form is what AG2 keeps in `chat_messages[peer]`: only `content, function_call, tool_calls, tool_responses,
tool_call_id, name, context` survive, the role is "assistant" on the sender's side and "user" on the receiver's
(messages with role function/tool keep it; tool-call messages are always "assistant" and carry no name).
"""

from __future__ import annotations

from typing import Any

_PLAIN = frozenset(("content", "role", "name"))
_KEEP = ("content", "function_call", "tool_calls", "tool_responses", "tool_call_id", "name", "context")

INVALID_MESSAGE = (
    "Message can't be converted into a valid ChatCompletion message. Either content or function_call must be provided."
)


def content_str(content: Any) -> str:
    """The text of a message content: None → "", str as is, a list of parts → their text joined (images as <image>)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, dict):
                kind = part.get("type")
                if kind == "text":
                    out.append(part.get("text", ""))
                elif kind in ("image_url", "image"):
                    out.append("<image>")
                else:
                    out.append(str(part))
            else:
                out.append(str(part))
        return "".join(out)
    return str(content)


def message_to_dict(message: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(message, dict):
        return message
    if isinstance(message, str):
        return {"content": message}
    return dict(message)  # type: ignore[call-overload]


def to_stored(message: dict[str, Any] | str, role: str, own_name: str | None) -> dict[str, Any] | None:
    """AG2's `_append_oai_message` transformation; None when the message is invalid.

    `own_name` is the name to put when the message has none: the sender's name (on both sides).
    """
    if type(message) is str:
        return (
            {"content": message, "role": role, "name": own_name}
            if own_name is not None
            else {"content": message, "role": role}
        )
    if type(message) is dict and message.keys() <= _PLAIN:
        # Fast path for the common text message (AG2's result, without the generic key loop).
        content = message.get("content")
        if content is not None:
            msg_role = message.get("role")
            oai: dict[str, Any] = {"content": content, "role": msg_role if msg_role in ("function", "tool") else role}
            name = message.get("name")
            if name is not None:
                oai["name"] = name
            elif own_name is not None:
                oai["name"] = own_name
            return oai
    message = message_to_dict(message)
    oai = {}
    for key in _KEEP:
        value = message.get(key)
        if value is not None:
            oai[key] = value
    if "tool_calls" in oai and not oai["tool_calls"]:
        del oai["tool_calls"]
    if "content" not in oai:
        if "function_call" in oai or "tool_calls" in oai:
            oai["content"] = None
        else:
            return None
    msg_role = message.get("role")
    if msg_role in ("function", "tool"):
        oai["role"] = msg_role
        responses = oai.get("tool_responses")
        if responses:
            for response in responses:
                if not isinstance(response.get("content"), str):
                    response["content"] = str(response.get("content"))
    elif "override_role" in message:
        oai["role"] = message["override_role"]
    else:
        oai["role"] = role
    if oai.get("function_call") or oai.get("tool_calls"):
        oai["role"] = "assistant"
        oai.pop("name", None)
    elif "name" not in oai and own_name is not None:
        oai["name"] = own_name
    return oai


def unroll(message: dict[str, Any], out: list[dict[str, Any]]) -> None:
    """Append the model-facing form of one stored message to `out` (AG2: tool_responses become tool messages)."""
    responses = message.get("tool_responses")
    if responses:
        for response in responses:
            out.append(response)
        if message.get("role") != "tool":
            out.append({k: v for k, v in message.items() if k != "tool_responses" and k != "context"})
        return
    if "context" in message:
        message = {k: v for k, v in message.items() if k != "context"}
    out.append(message)


class WireView:
    """An append-only, incrementally maintained model-facing view of one stored history list.

    `view(history)` returns `[system..., unrolled history...]`; when `history` is the list seen last time and has only
    grown, only the new messages are converted. Any other change (a copy, a clear, an edit at the end) rebuilds.
    The returned list must not be mutated by the caller.
    """

    __slots__ = ("_src", "_n", "_last", "_out", "_system")

    def __init__(self) -> None:
        self._src: list[dict[str, Any]] | None = None
        self._n = 0
        self._last: object = None
        self._out: list[dict[str, Any]] = []
        self._system: list[dict[str, Any]] = []

    def view(self, system: list[dict[str, Any]], history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        n = len(history)
        if (
            history is not self._src
            or n < self._n
            or (self._n and history[self._n - 1] is not self._last)
            or len(system) != len(self._system)
            or any(a is not b for a, b in zip(system, self._system, strict=True))
        ):
            self._src = history
            self._system = list(system)
            self._out = list(system)
            self._n = 0
        out = self._out
        for i in range(self._n, n):
            unroll(history[i], out)
        if n:
            self._last = history[n - 1]
        self._n = n
        return out
