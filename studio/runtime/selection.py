"""Speaker selection for `GroupChat` (RUNTIME.md §2.3, §2.4): candidates, round robin, random, manual and "auto".

"auto" reproduces AG2's internal two-agent selection chat message for message (the same request bodies, feedback
texts and retry count) without building two agents and a model client every round: the selector state is built once
per group chat and the request is the incrementally maintained group history plus the selection turns.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, Any

from studio.runtime.messages import WireView, content_str

if TYPE_CHECKING:
    from studio.runtime.agent import Agent
    from studio.runtime.groupchat import GroupChat

MANUAL_PROMPT = "Enter the number of the next speaker (enter nothing or `q` to use auto selection): "


class NoEligibleSpeakerError(Exception):
    """No speaker can follow the last one: the group chat ends with "No next speaker selected"."""


class UndefinedNextAgentError(Exception):
    """`next_agent` found no candidate after the last speaker."""


def mention_pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        r"(?<=\W)("
        + re.escape(name)
        + r"|"
        + re.escape(name.replace("_", " "))
        + r"|"
        + re.escape(name.replace("_", r"\_"))
        + r")(?=\W)"
    )


class Selector:
    """The per-group-chat selection state (built once): mention regexes, system prompts, the history view."""

    def __init__(self, groupchat: GroupChat):
        self.groupchat = groupchat
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._system: dict[tuple[str, ...], dict[str, Any]] = {}
        self._view = WireView()

    def mentioned_agents(self, text: Any, agents: list[Agent]) -> dict[str, int]:
        if isinstance(text, dict):
            text = text.get("content")
        padded = f" {content_str(text)} "
        mentions: dict[str, int] = {}
        for agent in agents:
            pattern = self._patterns.get(agent.name)
            if pattern is None:
                pattern = self._patterns[agent.name] = mention_pattern(agent.name)
            count = len(pattern.findall(padded))
            if count:
                mentions[agent.name] = count
        return mentions

    def _system_message(self, agents: list[Agent]) -> dict[str, Any]:
        key = tuple(a.name for a in agents)
        msg = self._system.get(key)
        if msg is None:
            msg = self._system[key] = {"content": self.groupchat.select_speaker_msg(agents), "role": "system"}
        return msg

    def auto_select(self, last_speaker: Agent, manager: Any, agents: list[Agent] | None) -> Agent:
        gc = self.groupchat
        if agents is None:
            agents = gc.agents
        client = gc._selector_client(manager)
        names = f"{[a.name for a in agents]}"
        role = gc.role_for_select_speaker_messages
        history = self._history()
        turns: list[dict[str, Any]] = []
        if gc.select_speaker_prompt_template is not None:
            turns.append({"content": gc.select_speaker_prompt(agents), "name": "checking_agent", "role": role})
        attempts = 1 + gc.max_retries_for_selecting_speaker
        for attempt in range(1, attempts + 1):
            request = [self._system_message(agents), *history, *turns]
            answer = _ask(client, request, manager)
            mentions = self.mentioned_agents(answer, agents)
            if len(mentions) == 1:
                return gc.agent_by_name(next(iter(mentions)))  # type: ignore[return-value]
            if attempt == attempts:
                break
            template = gc.select_speaker_auto_multiple_template if mentions else gc.select_speaker_auto_none_template
            turns.append({"content": answer, "role": "assistant", "name": "speaker_selection_agent"})
            turns.append({"content": template.format(agentlist=names), "name": "checking_agent", "role": role})
        return gc.next_agent(last_speaker, agents)

    def _history(self) -> list[dict[str, Any]]:
        """The group messages as the selection agent sees them (a pending tool call is blanked)."""
        view = self._view.view([], self.groupchat.messages)
        if view and (view[-1].get("tool_calls") or view[-1].get("function_call")):
            last = {k: v for k, v in view[-1].items() if k not in ("tool_calls", "function_call")}
            if last.get("content") is None:
                last["content"] = ""
            return [*view[:-1], last]
        return view


def _ask(client: Any, request: list[dict[str, Any]], manager: Any) -> str:
    from studio.runtime.replies import call_model

    response = call_model(client, request, source=manager.name, purpose="speaker_selection")
    return content_str(response.message.get("content")).strip()


def manual_select(groupchat: GroupChat, manager: Any, agents: list[Agent] | None) -> Agent | None:
    """Ask the human for a 1-based index; "" or "q" (or two bad answers) → None (round robin follows)."""
    if agents is None:
        agents = groupchat.agents
    listing = "Please select the next speaker from the following list:\n" + "\n".join(
        f"{i + 1}: {agent.name}" for i, agent in enumerate(agents)
    )
    manager._console_line(listing)
    tries = 0
    while True:
        tries += 1
        if tries >= 3:
            manager._console_line(f"You have tried {tries} times. The next speaker will be selected automatically.")
            return None
        answer = manager.get_human_input(MANUAL_PROMPT)
        if answer in ("", "q"):
            return None
        try:
            index = int(answer)
        except ValueError:
            index = 0
        if 0 < index <= len(agents):
            return agents[index - 1]
        manager._console_line(f"Invalid input. Please enter a number between 1 and {len(agents)}.")


def random_select(agents: list[Agent]) -> Agent:
    return random.choice(agents)
