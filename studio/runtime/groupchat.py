"""`GroupChat` and `GroupChatManager` with AG2's semantics (RUNTIME.md §2).

The manager's `run_chat` reply function broadcasts each message to every member, checks termination, selects the next
speaker and asks it for a reply, for at most `max_round` messages (the first message counts). Broadcasts are not
events (the speaker's own `send` already emitted the message once), which keeps a 5,000-message chat flat and the
timeline free of duplicates. Termination conditions given to `initiate_chat(termination=...)` are evaluated after
every message.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

from studio.events import SpeakerSelected, current_bus
from studio.runtime.agent import Agent
from studio.runtime.chat_context import current_chat
from studio.runtime.conversable import ConversableAgent
from studio.runtime.messages import content_str, to_stored
from studio.runtime.selection import (
    NoEligibleSpeakerError,
    Selector,
    UndefinedNextAgentError,
    manual_select,
    random_select,
)
from studio.runtime.tracing import span

SELECT_SPEAKER_MESSAGE_TEMPLATE = """You are in a role play game. The following roles are available:
                {roles}.
                Read the following conversation.
                Then select the next role from {agentlist} to play. Only return the role."""
SELECT_SPEAKER_PROMPT_TEMPLATE = (
    "Read the above conversation. Then select the next role from {agentlist} to play. Only return the role."
)
SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE = """You provided more than one name in your text, please return just the name of the next speaker. To determine the speaker use these prioritised rules:
    1. If the context refers to themselves as a speaker e.g. "As the..." , choose that speaker's name
    2. If it refers to the "next" speaker name, choose that name
    3. Otherwise, choose the first provided speaker's name in the context
    The names are case-sensitive and should not be abbreviated or changed.
    Respond with ONLY the name of the speaker and DO NOT provide a reason."""  # noqa: E501
SELECT_SPEAKER_AUTO_NONE_TEMPLATE = """You didn't choose a speaker. As a reminder, to determine the speaker use these prioritised rules:
    1. If the context refers to themselves as a speaker e.g. "As the..." , choose that speaker's name
    2. If it refers to the "next" speaker name, choose that name
    3. Otherwise, choose the first provided speaker's name in the context
    The names are case-sensitive and should not be abbreviated or changed.
    The only names that are accepted are {agentlist}.
    Respond with ONLY the name of the speaker and DO NOT provide a reason."""  # noqa: E501

VALID_METHODS = ("auto", "manual", "random", "round_robin")


@dataclass
class GroupChat:
    """A group of agents, its transcript and the rules for who speaks next."""

    agents: list[Agent]
    messages: list[dict[str, Any]] = field(default_factory=list)
    max_round: int = 10
    admin_name: str = "Admin"
    func_call_filter: bool = True
    speaker_selection_method: Any = "auto"
    max_retries_for_selecting_speaker: int = 2
    allow_repeat_speaker: bool | list[Agent] | None = None
    allowed_or_disallowed_speaker_transitions: dict[Agent, list[Agent]] | None = None
    speaker_transitions_type: Literal["allowed", "disallowed", None] = None
    enable_clear_history: bool = False
    send_introductions: bool = False
    select_speaker_message_template: str = SELECT_SPEAKER_MESSAGE_TEMPLATE
    select_speaker_prompt_template: str | None = SELECT_SPEAKER_PROMPT_TEMPLATE
    select_speaker_auto_multiple_template: str = SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE
    select_speaker_auto_none_template: str = SELECT_SPEAKER_AUTO_NONE_TEMPLATE
    select_speaker_auto_llm_config: dict[str, Any] | Literal[False] | None = None
    select_speaker_auto_verbose: bool | None = False
    role_for_select_speaker_messages: str | None = "system"
    select_speaker_transform_messages: Any = None
    eligibility_policies: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        names = [agent.name for agent in self.agents]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"GroupChat agents must have unique names. Duplicate agent names found: {duplicates}")
        if self.allow_repeat_speaker is not None and self.allowed_or_disallowed_speaker_transitions is not None:
            raise ValueError(
                "Don't provide both allowed_or_disallowed_speaker_transitions and allow_repeat_speaker in group chat. "
                "Please set one of them to None."
            )
        transitions = self.allowed_or_disallowed_speaker_transitions
        if transitions is not None and self.speaker_transitions_type is None:
            raise ValueError(
                "GroupChat allowed_or_disallowed_speaker_transitions is not None, but speaker_transitions_type is None."
                " Please set speaker_transitions_type to either 'allowed' or 'disallowed'."
            )
        if self.speaker_transitions_type is not None and self.speaker_transitions_type not in ("allowed", "disallowed"):
            raise ValueError(
                f"GroupChat speaker_transitions_type is set to '{self.speaker_transitions_type}'. It should be one of"
                " ['allowed', 'disallowed']."
            )
        if self.allow_repeat_speaker is None and transitions is None:
            self.allow_repeat_speaker = True
        if transitions is None:
            repeat = self.allow_repeat_speaker
            self.allowed_speaker_transitions_dict: dict[Agent, list[Agent]] = {
                a: [
                    b for b in self.agents if b is not a or repeat is True or (isinstance(repeat, list) and a in repeat)
                ]
                for a in self.agents
            }
        elif self.speaker_transitions_type == "allowed":
            self.allowed_speaker_transitions_dict = {a: list(targets) for a, targets in transitions.items()}
        else:
            self.allowed_speaker_transitions_dict = {
                a: [b for b in self.agents if b not in transitions.get(a, [])] for a in self.agents
            }
        self._selector = Selector(self)
        self._selector_clients: dict[int, Any] = {}

    # -- lookups -------------------------------------------------------------------------------------------------

    @property
    def agent_names(self) -> list[str]:
        return [agent.name for agent in self.agents]

    def agent_by_name(
        self, name: str, *, recursive: bool = False, raise_on_name_conflict: bool = False
    ) -> Agent | None:
        for agent in self.agents:
            if agent.name == name:
                return agent
        return None

    def reset(self) -> None:
        self.messages.clear()

    def append(self, message: dict[str, Any], speaker: Agent) -> None:
        if message.get("role") != "function":
            message["name"] = speaker.name
        content = message.get("content")
        if content is not None and not isinstance(content, (str, list)):
            message["content"] = content_str(content)
        self.messages.append(message)

    def next_agent(self, agent: Agent, agents: list[Agent] | None = None) -> Agent:
        if agents is None:
            agents = self.agents
        idx = self.agent_names.index(agent.name) if agent.name in self.agent_names else -1
        if agents == self.agents:
            return agents[(idx + 1) % len(agents)]
        n = len(self.agents)
        for i in range(n):
            candidate = self.agents[(idx + 1 + i) % n]
            if candidate in agents:
                return candidate
        raise UndefinedNextAgentError("No valid next agent exists among the candidates.")

    # -- prompts -------------------------------------------------------------------------------------------------

    def _participant_roles(self, agents: list[Agent] | None = None) -> str:
        agents = self.agents if agents is None else agents
        return "\n".join(f"{a.name}: {a.description}".strip() for a in agents)

    def select_speaker_msg(self, agents: list[Agent] | None = None) -> str:
        agents = self.agents if agents is None else agents
        return self.select_speaker_message_template.format(
            roles=self._participant_roles(agents), agentlist=f"{[a.name for a in agents]}"
        )

    def select_speaker_prompt(self, agents: list[Agent] | None = None) -> str:
        if self.select_speaker_prompt_template is None:
            return ""
        agents = self.agents if agents is None else agents
        return self.select_speaker_prompt_template.format(agentlist=f"{[a.name for a in agents]}")

    def introductions_msg(self, agents: list[Agent] | None = None) -> str:
        agents = self.agents if agents is None else agents
        return (
            "Hello everyone. We have assembled a great team today to answer questions and solve tasks. In attendance"
            f" are:\n\n{self._participant_roles(agents)}"
        )

    # -- selection -----------------------------------------------------------------------------------------------

    def _selector_client(self, manager: Any) -> Any:
        key = id(manager)
        client = self._selector_clients.get(key)
        if client is None:
            if self.select_speaker_auto_llm_config:
                from studio.runtime.models.config import make_client

                client = make_client(self.select_speaker_auto_llm_config)
            else:
                client = manager.client
            if client is None:
                raise ValueError(
                    "The group chat's internal speaker selection agent does not have an LLM configuration. Please"
                    " provide a valid LLM config to the group chat's GroupChatManager or set it with the"
                    " select_speaker_auto_llm_config parameter."
                )
            self._selector_clients[key] = client
        return client

    def _method(self, last_speaker: Agent) -> tuple[str | None, Agent | None]:
        method = self.speaker_selection_method
        if callable(method):
            chosen = method(last_speaker, self)
            if chosen is None:
                raise NoEligibleSpeakerError("The custom speaker selection function returned None.")
            if isinstance(chosen, Agent):
                if chosen not in self.agents:
                    raise ValueError(
                        f"Custom speaker selection function returned an agent {chosen.name} not in the group chat."
                    )
                return None, chosen
            if not isinstance(chosen, str):
                raise ValueError(
                    "Custom speaker selection function returned an object of type"
                    f" {type(chosen)} instead of Agent or str."
                )
            method = chosen
        if not isinstance(method, str) or method.lower() not in VALID_METHODS:
            raise ValueError(
                f"GroupChat speaker_selection_method is set to '{method}'. It should be one of"
                f" {list(VALID_METHODS)} (case insensitive). "
            )
        return method.lower(), None

    def _candidates(self, last_speaker: Agent, method: str) -> tuple[Agent | None, list[Agent] | None]:
        if len(self.agents) < 2:
            raise ValueError(
                f"GroupChat is underpopulated with {len(self.agents)} agents. Please add more agents to the GroupChat"
                " or use direct communication instead."
            )
        repeat = self.allow_repeat_speaker
        allow_repeat = repeat if isinstance(repeat, bool) or repeat is None else last_speaker in repeat
        agents = self.agents
        last = self.messages[-1] if self.messages else None
        if self.func_call_filter and last is not None and (last.get("function_call") or last.get("tool_calls")):
            funcs = []
            if last.get("function_call"):
                funcs.append(last["function_call"]["name"])
            funcs += [
                t["function"]["name"] for t in last.get("tool_calls") or () if t.get("type", "function") == "function"
            ]
            agents = [a for a in self.agents if all(f in getattr(a, "function_map", {}) for f in funcs)]
            if len(agents) == 1:
                return agents[0], agents
            if not agents:
                agents = [a for a in self.agents if getattr(a, "function_map", None)]
                if len(agents) == 1:
                    return agents[0], agents
                if not agents:
                    raise ValueError(
                        f"No agent can execute the function {', '.join(funcs)}. Please check the function_map of the"
                        " agents."
                    )
        if allow_repeat is False:
            agents = [a for a in agents if a is not last_speaker]
        in_group = last_speaker in self.agents
        allowed = self.allowed_speaker_transitions_dict
        if last_speaker not in allowed and in_group:
            raise NoEligibleSpeakerError(
                f"Last speaker {last_speaker.name} is not in the allowed_speaker_transitions_dict."
            )
        eligible = [] if last_speaker not in allowed else [a for a in agents if a in allowed[last_speaker]]
        if len(eligible) == 1:
            return eligible[0], eligible
        return None, (eligible or None)

    def select_speaker(self, last_speaker: Agent, selector: Any) -> Agent:
        method, chosen = self._method(last_speaker)
        if chosen is not None:
            return chosen
        assert method is not None
        chosen, candidates = self._candidates(last_speaker, method)
        if chosen is not None:
            return chosen
        if method == "round_robin":
            return self.next_agent(last_speaker, candidates)
        if method == "random":
            return random_select(candidates or self.agents)
        if method == "manual":
            picked = manual_select(self, selector, candidates)
            return picked if picked is not None else self.next_agent(last_speaker)
        return self._selector.auto_select(last_speaker, selector, candidates)

    def _mentioned_agents(self, message_content: Any, agents: list[Agent] | None) -> dict[str, int]:
        return self._selector.mentioned_agents(message_content, self.agents if agents is None else agents)


class GroupChatManager(ConversableAgent):
    """Runs a `GroupChat`: receives the first message and drives the rounds (its `run_chat` reply function)."""

    def __init__(
        self,
        groupchat: GroupChat,
        name: str | None = "chat_manager",
        max_consecutive_auto_reply: int | None = sys.maxsize,
        human_input_mode: Literal["ALWAYS", "NEVER", "TERMINATE"] = "NEVER",
        system_message: str | list[Any] | None = "Group chat manager.",
        silent: bool = False,
        **kwargs: Any,
    ):
        llm_config = kwargs.get("llm_config")
        if isinstance(llm_config, dict) and ("functions" in llm_config or "tools" in llm_config):
            raise ValueError(
                "GroupChatManager is not allowed to make function/tool calls. Please remove the 'functions' or 'tools'"
                " config in 'llm_config' you passed in."
            )
        super().__init__(
            name=name or "chat_manager",
            max_consecutive_auto_reply=max_consecutive_auto_reply,
            human_input_mode=human_input_mode,
            system_message=system_message,
            **kwargs,
        )
        self._groupchat = groupchat
        self._silent = silent
        self._last_speaker: Agent | None = None
        self.register_reply(Agent, GroupChatManager.run_chat, config=groupchat, reset_config=GroupChat.reset)

    @property
    def groupchat(self) -> GroupChat:
        return self._groupchat

    @property
    def last_speaker(self) -> Agent | None:
        return self._last_speaker

    def chat_messages_for_summary(self, agent: Agent) -> list[dict[str, Any]]:
        return self._groupchat.messages

    def _console_line(self, text: str) -> None:
        ctx = current_chat()
        if ctx is not None and ctx.printer is not None:
            ctx.printer.write(text)

    def _broadcast(self, message: dict[str, Any], agent: Agent) -> None:
        """Deliver `message` to a member without a reply and without a second event (the speaker emitted it)."""
        stored = to_stored(message, "assistant", self.name)
        if stored is None:
            raise ValueError("Message can't be converted into a valid ChatCompletion message.")
        self._oai_messages[agent].append(stored)
        agent.receive(message, self, request_reply=False, silent=True)  # type: ignore[arg-type]

    def run_chat(
        self, messages: list[dict[str, Any]] | None = None, sender: Agent | None = None, config: GroupChat | None = None
    ) -> tuple[bool, None]:
        if messages is None:
            messages = self._oai_messages[sender]  # type: ignore[index]
        message = messages[-1]
        speaker = sender
        gc = config if config is not None else self._groupchat
        ctx = current_chat()
        bus = current_bus()
        reason = None
        if gc.send_introductions:
            intro = gc.introductions_msg()
            for agent in gc.agents:
                self._broadcast({"content": intro}, agent)
        with span("chat", initiator=getattr(sender, "name", ""), recipient=self.name, kind="group_chat"):
            for i in range(gc.max_round):
                self._last_speaker = speaker
                gc.append(message, speaker)  # type: ignore[arg-type]
                for agent in gc.agents:
                    if agent is not speaker:
                        self._broadcast(message, agent)
                if self._is_termination_msg(message):
                    reason = f"Termination message condition on the GroupChatManager '{self.name}' met"
                    break
                if ctx is not None and ctx.check_termination():
                    break
                if i == gc.max_round - 1:
                    reason = f"Maximum rounds ({gc.max_round}) reached"
                    break
                try:
                    speaker = gc.select_speaker(speaker, self)  # type: ignore[arg-type]
                    if bus is not None:
                        bus.emit(SpeakerSelected(speaker=speaker.name, method=_method_name(gc), round=i + 1))
                    with span("turn", speaker=speaker.name, round=i + 1):
                        reply = speaker.generate_reply(sender=self)
                except KeyboardInterrupt:
                    admin = gc.agent_by_name(gc.admin_name)
                    if admin is None:
                        raise
                    speaker = admin
                    reply = speaker.generate_reply(sender=self)
                except NoEligibleSpeakerError:
                    reason = "No next speaker selected"
                    break
                if reply is None:
                    reason = "No reply generated"
                    break
                if (
                    gc.enable_clear_history
                    and isinstance(reply, dict)
                    and reply.get("content")
                    and "CLEAR HISTORY" in str(reply["content"]).upper()
                ):
                    reply["content"] = self.clear_agents_history(reply, gc)
                speaker.send(reply, self, request_reply=False, silent=True)
                message = self.last_message(speaker)  # type: ignore[assignment]
        if reason and ctx is not None:
            ctx.note_reason(reason)
        return True, None

    def clear_agents_history(self, reply: dict[str, Any], groupchat: GroupChat) -> str:
        """Handle "clear history [agent] [n]" in a reply (AG2's enable_clear_history)."""
        words = str(reply["content"]).split()
        idx = next((i for i, w in enumerate(words) if w.upper() == "CLEAR"), 0)
        rest = words[idx + 2 : idx + 4]
        agent_to_clear = None
        keep = None
        for w in rest:
            match = groupchat.agent_by_name(w.strip(",.;:"))
            if match is not None and agent_to_clear is None:
                agent_to_clear = match
            elif w.strip(",.;:").isdigit() and keep is None:
                keep = int(w.strip(",.;:"))
        targets = [agent_to_clear] if agent_to_clear is not None else groupchat.agents
        for agent in targets:
            if isinstance(agent, ConversableAgent):
                agent.clear_history(nr_messages_to_preserve=keep)
        if agent_to_clear is None:
            self.clear_history(nr_messages_to_preserve=keep)
            if keep:
                del groupchat.messages[: max(0, len(groupchat.messages) - keep)]
            else:
                groupchat.messages.clear()
        return " ".join(words[:idx] + words[idx + 2 + len(rest) :]) or "History cleared."

    # -- resuming ------------------------------------------------------------------------------------------------

    def messages_to_string(self, messages: list[dict[str, Any]]) -> str:
        return json.dumps(messages)

    def messages_from_string(self, message_string: str) -> list[dict[str, Any]]:
        return json.loads(message_string)

    def resume(
        self, messages: list[dict[str, Any]] | str, remove_termination_string: str | None = None, silent: bool = False
    ) -> tuple[ConversableAgent, dict[str, Any]]:
        """Reload a transcript so the next `initiate_chat(..., clear_history=False)` continues it."""
        if isinstance(messages, str):
            messages = self.messages_from_string(messages)
        if not messages:
            raise ValueError("Cannot resume group chat as no messages were provided.")
        gc = self._groupchat
        gc.reset()
        for agent in gc.agents:
            if isinstance(agent, ConversableAgent):
                agent.clear_history(self)
        self.clear_history()
        last_name = None
        last_message = messages[-1]
        for i, message in enumerate(messages):
            speaker = gc.agent_by_name(message.get("name", "")) if message.get("name") else None
            if i != len(messages) - 1:
                for agent in gc.agents:
                    if speaker is not None and agent is speaker:
                        agent.send(message, self, request_reply=False, silent=True)
                    else:
                        self._broadcast(message, agent)
                if speaker is not None:
                    gc.append(dict(message), speaker)
                else:
                    gc.messages.append(dict(message))
            last_name = message.get("name")
        last_agent = gc.agent_by_name(last_name) if last_name else None
        if last_agent is None:
            last_agent = gc.agents[0]
        if remove_termination_string and isinstance(last_message.get("content"), str):
            last_message = {**last_message, "content": last_message["content"].replace(remove_termination_string, "")}
        return last_agent, last_message  # type: ignore[return-value]


def _method_name(gc: GroupChat) -> str:
    method = gc.speaker_selection_method
    return method if isinstance(method, str) else getattr(method, "__name__", "custom")
