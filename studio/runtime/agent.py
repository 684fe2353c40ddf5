"""`Agent`: the minimal base every participant of a chat derives from (a plain class, so trigger checks are cheap)."""

from __future__ import annotations

from typing import Any


class Agent:
    """Something with a name that can send and receive messages."""

    name: str
    description: str

    def send(
        self, message: dict[str, Any] | str, recipient: Agent, request_reply: bool | None = None, silent: bool = False
    ) -> None:
        raise NotImplementedError

    def receive(
        self, message: dict[str, Any] | str, sender: Agent, request_reply: bool | None = None, silent: bool = False
    ) -> None:
        raise NotImplementedError

    def generate_reply(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, **kwargs: Any
    ) -> str | dict[str, Any] | None:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    def __str__(self) -> str:
        return self.name
