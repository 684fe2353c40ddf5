"""human_input_mode ALWAYS / TERMINATE / NEVER with AG2's exact prompts (RUNTIME.md §1.4)."""

from __future__ import annotations

import builtins

from studio import ConversableAgent
from studio.events import HumanInput, HumanInputRequested
from studio.runtime.models import ScriptedClient

ALWAYS_PROMPT = (
    "Replying as {me}. Provide feedback to {peer}. Press enter to skip and use auto-reply, or type 'exit' to end the"
    " conversation: "
)
STOP_PROMPT = "Please give feedback to {peer}. Press enter or type 'exit' to stop the conversation: "
LIMIT_PROMPT = (
    "Please give feedback to {peer}. Press enter to skip and use auto-reply, or type 'exit' to stop the conversation: "
)


class Human:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.prompts = []

    def __call__(self, prompt):
        self.prompts.append(prompt)
        return self.answers.pop(0)


def llm(*replies):
    return {"model": "scripted", "client": ScriptedClient(list(replies))}


def test_always_asks_every_turn_and_exit_ends_the_chat():
    human = Human("more please", "exit")
    user = ConversableAgent("user", llm_config=False, human_input_mode="ALWAYS", input_func=human)
    bot = ConversableAgent("bot", llm_config=llm("a1", "a2"), human_input_mode="NEVER")
    result = user.initiate_chat(bot, message="task", silent=True)
    assert human.prompts == [ALWAYS_PROMPT.format(me="user", peer="bot")] * 2
    assert [m["content"] for m in result.chat_history] == ["task", "a1", "more please", "a2"]
    assert result.chat_history[2]["role"] == "assistant"
    assert result.human_input == ["more please", "exit"]
    assert result.stop_reason == "User requested to end the conversation"


def test_always_empty_answer_on_termination_message_ends_the_chat():
    human = Human("")
    user = ConversableAgent("user", llm_config=False, human_input_mode="ALWAYS", input_func=human)
    bot = ConversableAgent("bot", llm_config=llm("TERMINATE"), human_input_mode="NEVER")
    result = user.initiate_chat(bot, message="task", silent=True)
    assert len(result.chat_history) == 2
    assert result.human_input == [""]
    assert result.stop_reason == "Termination message condition on agent 'user' met and no human input provided"


def test_always_empty_answer_falls_through_to_auto_reply(capsys):
    human = Human("", "exit")
    user = ConversableAgent(
        "user", llm_config=False, human_input_mode="ALWAYS", input_func=human, default_auto_reply="auto"
    )
    bot = ConversableAgent("bot", llm_config=llm("a1", "a2"), human_input_mode="NEVER")
    result = user.initiate_chat(bot, message="task")
    assert [m["content"] for m in result.chat_history] == ["task", "a1", "auto", "a2"]
    out = capsys.readouterr().out
    assert ">>>>>>>> NO HUMAN INPUT RECEIVED." in out
    assert ">>>>>>>> USING AUTO REPLY..." in out


def test_terminate_mode_asks_only_on_termination_and_empty_means_exit():
    human = Human("")
    user = ConversableAgent(
        "user", llm_config=False, human_input_mode="TERMINATE", input_func=human, default_auto_reply="go"
    )
    bot = ConversableAgent("bot", llm_config=llm("a1", "TERMINATE"), human_input_mode="NEVER")
    result = user.initiate_chat(bot, message="task", silent=True)
    assert human.prompts == [STOP_PROMPT.format(peer="bot")]
    assert [m["content"] for m in result.chat_history] == ["task", "a1", "go", "TERMINATE"]


def test_terminate_mode_at_the_auto_reply_limit_asks_with_the_skip_prompt():
    human = Human("keep going", "exit")
    user = ConversableAgent(
        "user",
        llm_config=False,
        human_input_mode="TERMINATE",
        input_func=human,
        max_consecutive_auto_reply=1,
        default_auto_reply="auto",
    )
    bot = ConversableAgent("bot", llm_config=llm("a1", "a2", "a3", "a4"), human_input_mode="NEVER")
    result = user.initiate_chat(bot, message="task", silent=True)
    assert human.prompts == [LIMIT_PROMPT.format(peer="bot")] * 2
    contents = [m["content"] for m in result.chat_history]
    assert contents == ["task", "a1", "auto", "a2", "keep going", "a3", "auto", "a4"]


def test_human_text_on_a_tool_call_message_interrupts_the_tools():
    human = Human("no, stop that", "exit")
    user = ConversableAgent("user", llm_config=False, human_input_mode="ALWAYS", input_func=human)
    bot = ConversableAgent(
        "bot",
        llm_config=llm({"tool_calls": [{"id": "call_9", "name": "add", "arguments": {"a": 1, "b": 2}}]}, "fine"),
        human_input_mode="NEVER",
    )
    result = user.initiate_chat(bot, message="task", silent=True)
    interrupted = result.chat_history[2]
    assert interrupted["content"] == "no, stop that"
    assert interrupted["tool_responses"] == [{"role": "tool", "tool_call_id": "call_9", "content": "USER INTERRUPTED"}]


def test_never_mode_never_calls_input(monkeypatch):
    def refuse(prompt):
        raise AssertionError("input() must not be called in NEVER mode")

    monkeypatch.setattr(builtins, "input", refuse)
    a = ConversableAgent("a", llm_config=False, human_input_mode="NEVER", max_consecutive_auto_reply=2)
    b = ConversableAgent("b", llm_config=False, human_input_mode="NEVER")
    assert len(a.initiate_chat(b, message="x", silent=True).chat_history) == 2 + 2 * 2


def test_builtin_input_is_the_default(monkeypatch):
    monkeypatch.setattr(builtins, "input", Human("exit"))
    user = ConversableAgent("user", llm_config=False, human_input_mode="ALWAYS")
    bot = ConversableAgent("bot", llm_config=llm("hello"), human_input_mode="NEVER")
    result = user.initiate_chat(bot, message="task", silent=True)
    assert result.human_input == ["exit"]


def test_human_input_is_announced_and_recorded_as_events():
    events = []
    human = Human("exit")
    user = ConversableAgent("user", llm_config=False, human_input_mode="ALWAYS", input_func=human)
    bot = ConversableAgent("bot", llm_config=llm("hello"), human_input_mode="NEVER")
    user.initiate_chat(bot, message="task", silent=True, listeners=[events.append])
    asked = [e for e in events if isinstance(e, HumanInputRequested)]
    answered = [e for e in events if isinstance(e, HumanInput)]
    assert [e.prompt for e in asked] == [ALWAYS_PROMPT.format(me="user", peer="bot")]
    assert [(e.content, e.request_id) for e in answered] == [("exit", asked[0].request_id)]
