"""`AgentSpec`: one participant — an assistant (LLM), a user proxy (a human, or an automatic stand-in) or a code
executor — with the classic AutoGen knobs (human input mode, auto-reply limit, termination message).

Fields whose AutoGen default depends on the agent kind (`system_message`, `human_input_mode`) are `None` meaning "the
default for this kind", so switching the kind in a form does not leave a stale value behind; the `effective_*`
helpers resolve them with the values of RUNTIME.md §1.1 (an unset system message is left to the runtime's own
default, which is AG2's). Code execution is off unless chosen, and the sandbox is
the first choice offered; `local` (no isolation) exists only as an explicit choice.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from studio.spec._base import Description, LongText, Name, SpecModel

AgentKind = Literal["assistant", "user_proxy", "code_executor"]
HumanInputMode = Literal["ALWAYS", "TERMINATE", "NEVER"]

DEFAULT_HUMAN_INPUT_MODE: dict[str, HumanInputMode] = {
    "assistant": "NEVER",
    "user_proxy": "ALWAYS",
    "code_executor": "NEVER",
}
"""AG2's per-class defaults: AssistantAgent NEVER, UserProxyAgent ALWAYS; the code executor never asks a human."""


class CodeExecutionSpec(SpecModel):
    """Whether and where the agent runs code blocks it receives (AG2 `code_execution_config`)."""

    mode: Literal["off", "sandbox", "docker", "local"] = "off"
    """`off`; `sandbox` (bubblewrap: no network, no host files, limits — the safe default); `docker` (a hardened
    container); `local` (no isolation at all: the code runs as you, with your files — explicit choice only)."""
    timeout: Annotated[int, Field(ge=1, le=3600)] = 60
    """Seconds one code block may run before it is killed."""
    work_dir: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")] | None = (
        None
    )
    """Name of a sub-directory of the run's work directory to run code in (a plain name, no path)."""
    image: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[a-z0-9][a-z0-9._/:@-]*$")] = "python:3-slim"
    """docker: the image to run code in (pin it by digest for reproducible runs)."""
    network: bool = False
    """Let the code reach the network (off by default; sandbox and docker only)."""
    last_n_messages: Annotated[int, Field(ge=1, le=1000)] | Literal["auto"] = "auto"
    """How many recent messages to scan for code: `auto` = every message since this agent last spoke."""

    @field_validator("work_dir")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        if value is not None and value in (".", ".."):
            raise ValueError("work_dir must be a plain directory name, not '.' or '..'.")
        return value

    @model_validator(mode="after")
    def _local_has_no_network_switch(self) -> CodeExecutionSpec:
        if self.mode == "local" and self.network:
            raise ValueError("network applies to sandbox and docker; local execution is not isolated at all.")
        return self


class AgentSpec(SpecModel):
    """An agent: its role, what it says, which model and tools it uses, when it asks a human and when it stops."""

    name: Name
    """Agent name, unique in the bundle and in the studio; other specs refer to the agent by it."""
    chat_name: Name | None = None
    """The agent's name in conversations (what the other agents, the selector and the transcript see). Unset: its
    name. A copy saved on import (`bull-2`) keeps the original here, so it is still called `bull` when it speaks."""
    kind: AgentKind = "assistant"
    """`assistant` (answers with a model), `user_proxy` (a human, or an automatic stand-in for one) or
    `code_executor` (runs the code blocks it receives)."""
    description: Description = ""
    """Who this agent is, for the speaker selector and the other agents (empty: the system message)."""
    system_message: LongText | None = None
    """Instructions for the model. Unset: AutoGen's default for the kind."""
    model: Name | None = None
    """Name of the model this agent talks to (required for an assistant)."""
    tools: list[Name] = Field(default_factory=list, max_length=128)
    """Names of the tools this agent may call."""
    tool_executor: Name | None = None
    """Agent that runs this agent's tool calls. Unset: the other agent in a two-agent chat, the agent itself in a
    group chat."""
    human_input_mode: HumanInputMode | None = None
    """When a human is asked: `ALWAYS` (every turn), `TERMINATE` (when the chat would end), `NEVER`. Unset: the
    kind's default (user proxy ALWAYS, others NEVER)."""
    max_consecutive_auto_reply: Annotated[int, Field(ge=0, le=10_000)] | None = None
    """Automatic replies in a row before the agent stops (or asks a human). Unset: 100."""
    default_auto_reply: Annotated[str, Field(max_length=10_000)] = ""
    """What the agent says when it has nothing else to say (no model, no code to run)."""
    termination_text: Annotated[str, Field(min_length=1, max_length=1000)] | None = "TERMINATE"
    """A received message matching this text ends the chat for this agent (AG2 `is_termination_msg`). Unset:
    never."""
    termination_match: Literal["exact", "contains", "ends_with"] = "exact"
    """How `termination_text` is matched: the whole message (AG2's default), anywhere in it, or at its end (ignoring
    trailing whitespace)."""
    code_execution: CodeExecutionSpec = Field(default_factory=CodeExecutionSpec)
    """Code execution settings (off by default)."""
    stream: bool = False
    """Stream this agent's replies token by token."""

    @field_validator("tools")
    @classmethod
    def _unique_tools(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for tool in value:
            if tool in seen:
                raise ValueError(f"The tool {tool!r} is listed twice.")
            seen.add(tool)
        return value

    @model_validator(mode="after")
    def _kind_rules(self) -> AgentSpec:
        if self.kind == "assistant" and self.model is None:
            raise ValueError(f"The assistant {self.name!r} needs a model.")
        if self.kind == "code_executor" and self.code_execution.mode == "off":
            raise ValueError(
                f"The code executor {self.name!r} needs code_execution.mode 'sandbox', 'docker' or 'local'."
            )
        if self.tool_executor is not None and not self.tools:
            raise ValueError("tool_executor is set but the agent has no tools.")
        return self

    @property
    def speaker(self) -> str:
        """The name the agent has in a conversation: `chat_name`, else `name`."""
        return self.chat_name or self.name

    @property
    def effective_human_input_mode(self) -> HumanInputMode:
        """The human input mode, with the kind's default filled in."""
        return self.human_input_mode or DEFAULT_HUMAN_INPUT_MODE[self.kind]
