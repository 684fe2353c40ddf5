"""Two-agent chats behave as AG2's (RUNTIME.md §1.1–§1.5), on the scripted model."""

from __future__ import annotations

import pytest

from studio import AssistantAgent, ConversableAgent, UserProxyAgent
from studio.runtime.agents import ASSISTANT_DESCRIPTION, ASSISTANT_SYSTEM_MESSAGE, USER_PROXY_DESCRIPTIONS
from studio.runtime.models import ScriptedClient


def scripted(*replies, **kw):
    client = ScriptedClient(list(replies), **kw)
    return {"model": "scripted", "client": client}, client


def test_constructor_defaults_match_ag2():
    conv = ConversableAgent("c")
    assert conv.system_message == "You are a helpful AI Assistant."
    assert conv.human_input_mode == "TERMINATE"
    assert conv.max_consecutive_auto_reply() == 100
    assert conv.llm_config is False and conv.client is None
    assert conv.description == "You are a helpful AI Assistant."

    assistant = AssistantAgent("a")
    assert assistant.system_message == ASSISTANT_SYSTEM_MESSAGE
    assert assistant.system_message.rstrip().endswith('Reply "TERMINATE" in the end when everything is done.')
    assert assistant.description == ASSISTANT_DESCRIPTION
    assert assistant.human_input_mode == "NEVER"
    assert AssistantAgent("b", system_message="custom").description == "custom"

    for mode in ("ALWAYS", "TERMINATE", "NEVER"):
        proxy = UserProxyAgent("u", human_input_mode=mode, code_execution_config=False)
        assert proxy.description == USER_PROXY_DESCRIPTIONS[mode]
        assert proxy.system_message == ""
    assert UserProxyAgent("u", code_execution_config=False).human_input_mode == "ALWAYS"


def test_whitespace_in_name_is_rejected_only_with_an_openai_config():
    llm, _ = scripted()
    with pytest.raises(
        ValueError, match="The name of the agent cannot contain any whitespace. The name provided is: 'my agent'"
    ):
        ConversableAgent("my agent", llm_config={"model": "gpt-4o", "api_key": "sk-test", "api_type": "openai"})
    ConversableAgent("bad.name", llm_config=llm)
    ConversableAgent("no llm here", llm_config=False)


def test_reply_function_chain_order():
    plain = ConversableAgent("c")
    names = [e["reply_func"].__name__ for e in plain._reply_func_list]
    assert names == [
        "a_check_termination_and_human_reply",
        "check_termination_and_human_reply",
        "a_generate_function_call_reply",
        "generate_function_call_reply",
        "a_generate_tool_calls_reply",
        "generate_tool_calls_reply",
        "a_generate_oai_reply",
        "generate_oai_reply",
    ]
    coder = ConversableAgent("d", code_execution_config={"work_dir": "w", "use_docker": False})
    names = [e["reply_func"].__name__ for e in coder._reply_func_list]
    assert names[6] == "generate_code_execution_reply"
    assert names[-2:] == ["a_generate_oai_reply", "generate_oai_reply"]


def test_roles_and_names_in_each_agents_store():
    x_llm, _ = scripted("x1", "x2")
    y_llm, _ = scripted("r1", "r2", "r3")
    x = ConversableAgent("x", llm_config=x_llm, human_input_mode="NEVER")
    y = ConversableAgent("y", llm_config=y_llm, human_input_mode="NEVER")
    result = x.initiate_chat(y, message="hello", max_turns=3, silent=True)
    assert x.chat_messages[y] == [
        {"content": "hello", "role": "assistant", "name": "x"},
        {"content": "r1", "role": "user", "name": "y"},
        {"content": "x1", "role": "assistant", "name": "x"},
        {"content": "r2", "role": "user", "name": "y"},
        {"content": "x2", "role": "assistant", "name": "x"},
        {"content": "r3", "role": "user", "name": "y"},
    ]
    assert [m["role"] for m in y.chat_messages[x]] == ["user", "assistant"] * 3
    assert result.chat_history is x.chat_messages[y]
    assert result.summary == "r3"
    assert result.stop_reason == "Maximum turns (3) reached"


def test_max_turns_makes_exactly_two_messages_per_turn_and_five_model_calls():
    x_llm, x_client = scripted("x1", "x2")
    y_llm, y_client = scripted("r1", "r2", "r3")
    x = ConversableAgent("x", llm_config=x_llm, human_input_mode="NEVER")
    y = ConversableAgent("y", llm_config=y_llm, human_input_mode="NEVER")
    result = x.initiate_chat(y, message="hello", max_turns=3, silent=True)
    assert len(result.chat_history) == 6
    assert len(x_client.calls) + len(y_client.calls) == 5


def test_recipient_terminating_first_reply_ends_a_max_turns_chat_after_two_messages():
    y_llm, _ = scripted("TERMINATE")
    x = ConversableAgent("x", llm_config=False, human_input_mode="NEVER")
    y = ConversableAgent("y", llm_config=y_llm, human_input_mode="NEVER")
    result = x.initiate_chat(y, message="hello", max_turns=5, silent=True)
    assert len(result.chat_history) == 2
    assert result.summary == ""


def test_two_agents_without_llm_exchange_201_messages():
    a = ConversableAgent("a", llm_config=False, human_input_mode="NEVER")
    b = ConversableAgent("b", llm_config=False, human_input_mode="NEVER")
    result = a.initiate_chat(b, message="hi", silent=True)
    assert len(result.chat_history) == 201
    assert result.chat_history[1] == {"content": "", "role": "user", "name": "b"}
    assert result.stop_reason == "Maximum number of consecutive auto-replies reached"


def test_initiator_auto_reply_limit_three_gives_eight_messages():
    a = ConversableAgent("a", llm_config=False, human_input_mode="NEVER", max_consecutive_auto_reply=3)
    b = ConversableAgent("b", llm_config=False, human_input_mode="NEVER")
    assert len(a.initiate_chat(b, message="hi", silent=True).chat_history) == 8


def test_initial_terminate_to_a_never_recipient_is_one_message():
    a = ConversableAgent("a", llm_config=False, human_input_mode="NEVER")
    b = ConversableAgent("b", llm_config=False, human_input_mode="NEVER")
    result = a.initiate_chat(b, message="TERMINATE", silent=True)
    assert len(result.chat_history) == 1
    assert result.stop_reason == "Termination message condition on agent 'b' met"


def test_termination_is_exact_equality_by_default():
    y_llm, _ = scripted("done, TERMINATE", "TERMINATE")
    x = ConversableAgent("x", llm_config=False, human_input_mode="NEVER", default_auto_reply="go on")
    y = ConversableAgent("y", llm_config=y_llm, human_input_mode="NEVER")
    result = x.initiate_chat(y, message="start", silent=True)
    assert [m["content"] for m in result.chat_history] == ["start", "done, TERMINATE", "go on", "TERMINATE"]
    assert result.summary == ""


def test_default_auto_reply_when_nothing_else_answers():
    agent = ConversableAgent("a", llm_config=False, human_input_mode="NEVER", default_auto_reply="auto")
    assert agent.generate_reply(messages=[{"content": "hi", "role": "user"}]) == "auto"
    assert ConversableAgent("b", human_input_mode="NEVER").generate_reply(messages=[{"content": "x"}]) == ""
    with pytest.raises(AssertionError):
        agent.generate_reply()


def test_clear_history_false_keeps_prior_turns():
    y_llm, _ = scripted("one", "two")
    x = ConversableAgent("x", llm_config=False, human_input_mode="NEVER")
    y = ConversableAgent("y", llm_config=y_llm, human_input_mode="NEVER")
    x.initiate_chat(y, message="first", max_turns=1, silent=True)
    result = x.initiate_chat(y, message="second", max_turns=1, clear_history=False, silent=True)
    assert [m["content"] for m in result.chat_history] == ["first", "one", "second", "two"]
    result = x.initiate_chat(y, message="third", max_turns=0, silent=True)
    assert result.chat_history == []


def test_message_as_dict_and_callable():
    y_llm, client = scripted("ok", "ok2")
    x = ConversableAgent("x", llm_config=False, human_input_mode="NEVER")
    y = ConversableAgent("y", llm_config=y_llm, human_input_mode="NEVER")
    x.initiate_chat(y, message={"content": "as dict", "role": "user"}, max_turns=1, silent=True)
    assert x.chat_messages[y][0] == {"content": "as dict", "role": "assistant", "name": "x"}
    seen = {}

    def make(sender, recipient, context):
        seen["args"] = (sender.name, recipient.name, context.get("extra"))
        return "from callable"

    x.initiate_chat(y, message=make, max_turns=1, silent=True, extra=42)
    assert seen["args"] == ("x", "y", 42)
    assert x.chat_messages[y][0]["content"] == "from callable"


def test_none_message_asks_the_human_with_a_chevron_prompt():
    prompts = []

    def answer(prompt):
        prompts.append(prompt)
        return "typed task"

    y_llm, _ = scripted("ok")
    x = ConversableAgent("x", llm_config=False, human_input_mode="NEVER", input_func=answer)
    y = ConversableAgent("y", llm_config=y_llm, human_input_mode="NEVER")
    result = x.initiate_chat(y, max_turns=1, silent=True)
    assert prompts == [">"]
    assert result.chat_history[0]["content"] == "typed task"
    assert result.human_input == ["typed task"]


def test_invalid_message_is_rejected_with_ag2_text():
    a = ConversableAgent("a")
    b = ConversableAgent("b")
    with pytest.raises(ValueError, match="Either content or function_call must be provided"):
        a.send({"role": "user"}, b, request_reply=False)
    a.send({"content": ""}, b, request_reply=False)
    assert b.chat_messages[a][-1] == {"content": "", "role": "user", "name": "a"}


def test_last_message_and_reset():
    a = ConversableAgent("a")
    b = ConversableAgent("b")
    assert a.last_message() is None
    a.send("hello", b, request_reply=False)
    assert a.last_message(b)["content"] == "hello"
    assert b.last_message()["content"] == "hello"
    c = ConversableAgent("c")
    a.send("x", c, request_reply=False)
    with pytest.raises(ValueError, match="More than one conversation"):
        a.last_message()
    a.reset()
    assert a.chat_messages == {}


def test_register_reply_inserts_at_position_zero_and_triggers_match():
    a = ConversableAgent("a", human_input_mode="NEVER")
    b = ConversableAgent("b", human_input_mode="NEVER")
    calls = []

    def by_name(recipient, messages, sender, config):
        calls.append(("name", sender.name))
        return True, "by name"

    def by_class(recipient, messages, sender, config):
        calls.append(("class", sender.name))
        return False, None

    a.register_reply("b", by_name)
    a.register_reply(ConversableAgent, by_class)
    assert a._reply_func_list[0]["reply_func"] is by_class
    assert a.generate_reply(sender=b, messages=[{"content": "x"}]) == "by name"
    assert calls == [("class", "b"), ("name", "b")]
    a.register_reply(lambda s: s is None, lambda r, messages, sender, config: (True, "nobody"))
    assert a.generate_reply(messages=[{"content": "x"}]) == "nobody"
    with pytest.raises(ValueError):
        a.register_reply(42, by_name)


def test_async_reply_function_in_a_sync_chat_is_an_error_unless_ignored():
    a = ConversableAgent("a", human_input_mode="NEVER")
    b = ConversableAgent("b", human_input_mode="NEVER")

    async def areply(recipient, messages, sender, config):
        return True, "async"

    a.register_reply(ConversableAgent, areply, ignore_async_in_sync_chat=True)
    b.initiate_chat(a, message="TERMINATE", silent=True)
    a.register_reply(ConversableAgent, areply)
    with pytest.raises(RuntimeError, match="Async reply functions can only be used with"):
        b.initiate_chat(a, message="hi", silent=True)


def test_hooks_see_copies_and_leave_history_untouched():
    y_llm, client = scripted("ok")
    x = ConversableAgent("x", llm_config=False, human_input_mode="NEVER")
    y = ConversableAgent("y", llm_config=y_llm, human_input_mode="NEVER")
    y.register_hook("process_last_received_message", lambda text: text.upper())
    x.initiate_chat(y, message="shout", max_turns=1, silent=True)
    assert client.calls[0].messages[-1]["content"] == "SHOUT"
    assert y.chat_messages[x][0]["content"] == "shout"


def test_console_transcript_is_printed_unless_silent(capsys):
    y_llm, _ = scripted("hi back")
    x = ConversableAgent("x", llm_config=False, human_input_mode="NEVER")
    y = ConversableAgent("y", llm_config=y_llm, human_input_mode="NEVER")
    x.initiate_chat(y, message="hello", max_turns=1)
    out = capsys.readouterr().out
    assert "x (to y):\n\nhello\n" in out
    assert "y (to x):\n\nhi back\n" in out
    assert "-" * 80 in out
