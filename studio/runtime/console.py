"""The console transcript of a chat, printed from its events (AG2's layout, without colours)."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from studio.events import BaseEvent

RULE = "-" * 80


class ConsolePrinter:
    """A bus listener that prints messages, tool calls, code runs and speaker choices as AG2 does."""

    def __init__(self, stream: TextIO | None = None):
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdout

    def write(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def __call__(self, event: BaseEvent) -> None:
        kind = event.type
        if kind == "message":
            self._message(event)
        elif kind == "code_execution":
            blocks = event.blocks  # type: ignore[attr-defined]
            for i, block in enumerate(blocks):
                self.write(f"\n>>>>>>>> EXECUTING CODE BLOCK {i} (inferred language is {block.get('language')})...")
        elif kind == "speaker_selected":
            self.write(f"\nNext speaker: {event.speaker}\n")  # type: ignore[attr-defined]
        elif kind == "stream_chunk":
            print(event.content, end="", file=self.stream, flush=True)  # type: ignore[attr-defined]

    def _message(self, event: Any) -> None:
        lines = [f"{event.source} (to {event.target}):\n"]
        if event.tool_responses:
            for response in event.tool_responses:
                call_id = response.get("tool_call_id", "")
                lines.append(f"***** Response from calling tool ({call_id}) *****")
                lines.append(str(response.get("content", "")))
                lines.append("*" * 69)
            lines.append("")
        elif event.content is not None:
            lines.append(f"{event.content}\n")
        if event.tool_calls:
            for call in event.tool_calls:
                fn = call.get("function", {})
                lines.append(f"***** Suggested tool call ({call.get('id', '')}): {fn.get('name', '')} *****")
                lines.append("Arguments: ")
                lines.append(str(fn.get("arguments", "")))
                lines.append("*" * 69)
            lines.append("")
        lines.append(RULE)
        self.write("\n".join(lines))
