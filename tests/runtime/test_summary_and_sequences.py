"""Summaries, sequential chats with carryover, and nested chats (RUNTIME.md §1.5 step 5, §1.8)."""

from __future__ import annotations

import pytest

from studio import ConversableAgent, initiate_chats
from studio.runtime.chat import DEFAULT_SUMMARY_PROMPT
from studio.runtime.models import ScriptedClient


def agent(name, *replies, **kw):
    client = ScriptedClient(list(replies))
    a = ConversableAgent(name, llm_config={"model": "scripted", "client": client}, human_input_mode="NEVER", **kw)
    return a, client


def silent_agent(name, **kw):
    return ConversableAgent(name, llm_config=False, human_input_mode="NEVER", **kw)


def test_last_msg_summary_strips_every_terminate():
    x = silent_agent("x")
    y, _ = agent("y", "r1 TERMINATE")
    assert x.initiate_chat(y, message="go", max_turns=1, silent=True).summary == "r1 "


def test_reflection_with_llm_sends_history_plus_prompt_without_system_message():
    x = silent_agent("x")
    y, client = agent("y", "r1", "the takeaway")
    result = x.initiate_chat(y, message="go", max_turns=1, summary_method="reflection_with_llm", silent=True)
    assert result.summary == "the takeaway"
    request = client.calls[-1].messages
    assert request[-1] == {"role": "system", "content": DEFAULT_SUMMARY_PROMPT}
    assert [m["content"] for m in request[:-1]] == ["go", "r1"]
    assert all(m.get("role") != "system" for m in request[:-1])


def test_reflection_with_custom_prompt_and_role():
    x = silent_agent("x")
    y, client = agent("y", "r1", "short")
    x.initiate_chat(
        y,
        message="go",
        max_turns=1,
        summary_method="reflection_with_llm",
        summary_args={"summary_prompt": "In one word.", "summary_role": "user"},
        silent=True,
    )
    assert client.calls[-1].messages[-1] == {"role": "user", "content": "In one word."}


def test_reflection_failure_warns_and_summarises_empty():
    x = silent_agent("x")
    y, _ = agent("y", "r1", RuntimeError("model down"))
    with pytest.warns(UserWarning, match="reflection_with_llm"):
        result = x.initiate_chat(y, message="go", max_turns=1, summary_method="reflection_with_llm", silent=True)
    assert result.summary == ""


def test_callable_and_none_summaries_and_bad_method():
    x = silent_agent("x")
    y, _ = agent("y", "r1", "r2")
    seen = {}

    def summarize(sender, recipient, args):
        seen["who"] = (sender.name, recipient.name, args.get("k"))
        return "custom"

    result = x.initiate_chat(y, message="go", max_turns=1, summary_method=summarize, summary_args={"k": 1}, silent=True)
    assert result.summary == "custom" and seen["who"] == ("x", "y", 1)
    assert x.initiate_chat(y, message="go", max_turns=1, summary_method=None, silent=True).summary == ""
    with pytest.raises(AssertionError):
        x.initiate_chat(y, message="go", summary_method="bogus", silent=True)


def test_cost_is_summed_from_model_calls():
    x = silent_agent("x")
    y, _ = agent("y", "r1")
    result = x.initiate_chat(y, message="go", max_turns=1, silent=True)
    usage = result.cost["usage_including_cached_inference"]
    assert usage["total_cost"] == 0
    assert usage["scripted"]["total_tokens"] > 0
    assert silent_agent("a").initiate_chat(silent_agent("b"), message="TERMINATE", silent=True).cost == {
        "usage_including_cached_inference": {"total_cost": 0},
        "usage_excluding_cached_inference": {"total_cost": 0},
    }


def test_sequential_chats_carry_summaries_forward():
    x = silent_agent("x")
    y, _ = agent("y", "r1 TERMINATE")
    z, z_client = agent("z", "done")
    results = initiate_chats(
        [
            {"sender": x, "recipient": y, "message": "task one", "max_turns": 1, "silent": True},
            {"sender": x, "recipient": z, "message": "task two", "carryover": "extra", "max_turns": 1, "silent": True},
        ]
    )
    assert [r.summary for r in results] == ["r1 ", "done"]
    assert results[1].chat_history[0]["content"] == "task two\nContext: \nextra\nr1 "
    assert z_client.calls[0].messages[-1]["content"] == "task two\nContext: \nextra\nr1 "


def test_excluded_finished_chats_are_not_carried():
    x = silent_agent("x")
    y, _ = agent("y", "first")
    z, _ = agent("z", "second")
    w, _ = agent("w", "third")
    results = x.initiate_chats(
        [
            {"recipient": y, "message": "a", "max_turns": 1, "silent": True},
            {"recipient": z, "message": "b", "max_turns": 1, "silent": True},
            {
                "recipient": w,
                "message": "c",
                "max_turns": 1,
                "silent": True,
                "finished_chat_indexes_to_exclude_from_carryover": [0],
            },
        ]
    )
    assert results[2].chat_history[0]["content"] == "c\nContext: \nsecond"


def test_repeated_recipient_warns():
    x = silent_agent("x")
    y, _ = agent("y", "1", "2")
    with pytest.warns(UserWarning, match="Repetitive recipients"):
        initiate_chats(
            [
                {"sender": x, "recipient": y, "message": "a", "max_turns": 1, "silent": True},
                {"sender": x, "recipient": y, "message": "b", "max_turns": 1, "silent": True},
            ]
        )


def test_nested_chat_reply_is_the_last_nested_summary():
    writer, _ = agent("writer", "draft v1")
    critic, _ = agent("critic", "needs work TERMINATE")
    editor, _ = agent("editor", "polished")
    boss = silent_agent("boss")
    writer.register_nested_chats(
        [
            {"recipient": critic, "max_turns": 1, "silent": True},
            {"recipient": editor, "message": "polish it", "max_turns": 1, "silent": True},
        ],
        trigger=boss,
    )
    names = [e["reply_func"].__name__ for e in writer._reply_func_list]
    assert names[2] == "wrapped_reply_func"
    result = boss.initiate_chat(writer, message="write a poem", max_turns=1, silent=True)
    assert result.chat_history[-1]["content"] == "polished"
    assert critic.chat_messages[writer][0]["content"] == "write a poem"
    assert editor.chat_messages[writer][0]["content"] == "polish it\nContext: \nneeds work "
