"""GroupChat / GroupChatManager behave as AG2's (RUNTIME.md §2), with exact speaker orders and prompts."""

from __future__ import annotations

import json

import pytest

from studio import ConversableAgent, GroupChat, GroupChatManager, register_function
from studio.events import SpeakerSelected
from studio.runtime.groupchat import SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE, SELECT_SPEAKER_AUTO_NONE_TEMPLATE
from studio.runtime.models import ScriptedClient
from studio.runtime.termination import MaxMessageTermination, TextMentionTermination


def talker(name, text=None, **kw):
    """An agent whose model always answers `text` (default: "<name> speaking")."""
    reply = text or f"{name} speaking"
    client = ScriptedClient(lambda request: reply)
    kw.setdefault("human_input_mode", "NEVER")
    return ConversableAgent(name, llm_config={"model": "scripted", "client": client}, description=f"{name} role", **kw)


def speakers(gc):
    return [m["name"] for m in gc.messages]


def test_round_robin_order_counts_the_first_message():
    a, b, c = talker("A"), talker("B"), talker("C")
    gc = GroupChat(agents=[a, b, c], messages=[], max_round=5, speaker_selection_method="round_robin")
    manager = GroupChatManager(gc, llm_config=False)
    result = a.initiate_chat(manager, message="start", silent=True)
    assert speakers(gc) == ["A", "B", "C", "A", "B"]
    assert result.stop_reason == "Maximum rounds (5) reached"


def test_every_member_sees_every_message_with_the_real_speaker_name():
    a, b, c = talker("A"), talker("B"), talker("C")
    gc = GroupChat(agents=[a, b, c], messages=[], max_round=4, speaker_selection_method="round_robin")
    manager = GroupChatManager(gc, llm_config=False)
    a.initiate_chat(manager, message="start", silent=True)
    b_view = b.chat_messages[manager]
    assert [(m["role"], m["name"]) for m in b_view] == [("user", "A"), ("assistant", "B"), ("user", "C"), ("user", "A")]
    assert [m["content"] for m in b_view] == ["start", "B speaking", "C speaking", "A speaking"]
    assert len(a.chat_messages[manager]) == 4


def test_a_non_member_initiator_receives_no_broadcasts():
    a, b = talker("A"), talker("B")
    outsider = ConversableAgent("outsider", llm_config=False, human_input_mode="NEVER")
    gc = GroupChat(agents=[a, b], messages=[], max_round=3, speaker_selection_method="round_robin")
    manager = GroupChatManager(gc, llm_config=False)
    result = outsider.initiate_chat(manager, message="go team", silent=True)
    assert speakers(gc) == ["outsider", "A", "B"]
    assert len(result.chat_history) == 1
    assert result.summary == "go team"


def test_auto_selection_prompts_retries_and_round_robin_fallback():
    a, b, c = talker("A"), talker("B"), talker("C")
    selector = ScriptedClient(["C", "A or B", "B", "nobody", "zzz", "nope"])
    gc = GroupChat(agents=[a, b, c], messages=[], max_round=4)
    manager = GroupChatManager(gc, llm_config={"model": "scripted", "client": selector})
    a.initiate_chat(manager, message="start", silent=True)
    assert speakers(gc) == ["A", "C", "B", "C"]
    assert len(selector.calls) == 6
    first = selector.calls[0].messages
    assert first[0] == {
        "role": "system",
        "content": "You are in a role play game. The following roles are available:\n                A: A role\nB: B role\n"
        "C: C role.\n                Read the following conversation.\n                Then select the next role from"
        " ['A', 'B', 'C'] to play. Only return the role.",
    }
    assert first[1] == {"content": "start", "role": "user", "name": "A"}
    assert first[-1] == {
        "content": "Read the above conversation. Then select the next role from ['A', 'B', 'C'] to play. Only return"
        " the role.",
        "name": "checking_agent",
        "role": "system",
    }
    retry = selector.calls[2].messages
    assert retry[-2] == {"content": "A or B", "role": "assistant", "name": "speaker_selection_agent"}
    assert retry[-1]["content"] == SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE
    assert retry[-1]["role"] == "system" and retry[-1]["name"] == "checking_agent"
    none_retry = selector.calls[4].messages
    assert none_retry[-1]["content"] == SELECT_SPEAKER_AUTO_NONE_TEMPLATE.format(agentlist="['A', 'B', 'C']")
    assert "The only names that are accepted are ['A', 'B', 'C']." in none_retry[-1]["content"]


def test_name_matching_rules():
    story = talker("Story_writer")
    alice = talker("Alice")
    gc = GroupChat(agents=[story, alice], messages=[])
    assert gc._mentioned_agents("Story writer should go", None) == {"Story_writer": 1}
    assert gc._mentioned_agents("Alice's turn", None) == {"Alice": 1}
    assert gc._mentioned_agents("AliceB", None) == {}
    assert gc._mentioned_agents("alice", None) == {}
    assert gc._mentioned_agents(r"Story\_writer", None) == {"Story_writer": 1}


def test_a_single_candidate_is_chosen_without_asking_the_model():
    a, b, c = talker("A"), talker("B"), talker("C")
    selector = ScriptedClient([])
    gc = GroupChat(
        agents=[a, b, c],
        messages=[],
        max_round=4,
        allowed_or_disallowed_speaker_transitions={a: [b], b: [c], c: [a]},
        speaker_transitions_type="allowed",
    )
    manager = GroupChatManager(gc, llm_config={"model": "scripted", "client": selector})
    a.initiate_chat(manager, message="start", silent=True)
    assert speakers(gc) == ["A", "B", "C", "A"]
    assert selector.calls == []


def test_disallowed_transitions_invert_to_allowed_including_self_loops():
    a, b, c = talker("A"), talker("B"), talker("C")
    gc = GroupChat(
        agents=[a, b, c],
        messages=[],
        allowed_or_disallowed_speaker_transitions={a: [b]},
        speaker_transitions_type="disallowed",
    )
    assert gc.allowed_speaker_transitions_dict[a] == [a, c]
    assert gc.allowed_speaker_transitions_dict[b] == [a, b, c]


def test_allow_repeat_speaker_false_excludes_the_last_speaker():
    a, b = talker("A"), talker("B")
    gc = GroupChat(agents=[a, b], messages=[], max_round=4, allow_repeat_speaker=False)
    selector = ScriptedClient([])
    manager = GroupChatManager(gc, llm_config={"model": "scripted", "client": selector})
    a.initiate_chat(manager, message="start", silent=True)
    assert speakers(gc) == ["A", "B", "A", "B"]
    assert selector.calls == []


def test_construction_errors():
    a, b = talker("A"), talker("B")
    with pytest.raises(ValueError, match="GroupChat agents must have unique names. Duplicate agent names found"):
        GroupChat(agents=[a, talker("A")])
    with pytest.raises(ValueError, match="Don't provide both"):
        GroupChat(agents=[a, b], allow_repeat_speaker=False, allowed_or_disallowed_speaker_transitions={a: [b]},
                  speaker_transitions_type="allowed")  # fmt: skip
    with pytest.raises(ValueError, match="speaker_transitions_type is None"):
        GroupChat(agents=[a, b], allowed_or_disallowed_speaker_transitions={a: [b]})
    with pytest.raises(ValueError, match="should be one of"):
        GroupChat(agents=[a, b], allowed_or_disallowed_speaker_transitions={a: [b]}, speaker_transitions_type="maybe")
    with pytest.raises(ValueError, match="GroupChatManager is not allowed to make function/tool calls"):
        GroupChatManager(GroupChat(agents=[a, b]), llm_config={"model": "m", "tools": []})


def test_errors_at_first_selection():
    a, b = talker("A"), talker("B")
    manager = GroupChatManager(GroupChat(agents=[a, b], speaker_selection_method="bogus"), llm_config=False)
    with pytest.raises(ValueError, match="speaker_selection_method is set to 'bogus'"):
        a.initiate_chat(manager, message="x", silent=True)
    lonely = GroupChatManager(GroupChat(agents=[talker("S")], speaker_selection_method="round_robin"), llm_config=False)
    with pytest.raises(ValueError, match="GroupChat is underpopulated with 1 agents"):
        a.initiate_chat(lonely, message="x", silent=True)
    no_llm = GroupChatManager(GroupChat(agents=[a, b, talker("C")]), llm_config=False)
    with pytest.raises(ValueError, match="internal speaker selection agent does not have an LLM configuration"):
        a.initiate_chat(no_llm, message="x", silent=True)


def test_random_and_case_insensitive_methods():
    a, b, c = talker("A"), talker("B"), talker("C")
    gc = GroupChat(agents=[a, b, c], messages=[], max_round=6, speaker_selection_method="RANDOM")
    a.initiate_chat(GroupChatManager(gc, llm_config=False), message="x", silent=True)
    assert len(gc.messages) == 6 and set(speakers(gc)) <= {"A", "B", "C"}


def test_manual_selection_by_number_with_fallbacks():
    answers = iter(["3", "abc", "", "q"])
    prompts = []

    def human(prompt):
        prompts.append(prompt)
        return next(answers)

    a, b, c = talker("A"), talker("B"), talker("C")
    gc = GroupChat(agents=[a, b, c], messages=[], max_round=4, speaker_selection_method="manual")
    manager = GroupChatManager(gc, llm_config=False, input_func=human)
    a.initiate_chat(manager, message="x", silent=True)
    # "3" → C; "abc" is invalid, then "" → round robin after C → A; "q" → round robin after A → B
    assert speakers(gc) == ["A", "C", "A", "B"]
    assert set(prompts) == {"Enter the number of the next speaker (enter nothing or `q` to use auto selection): "}


def test_callable_selection_method():
    a, b, c = talker("A"), talker("B"), talker("C")

    def pick(last, groupchat):
        if last is a:
            return c
        if last is c:
            return "round_robin"
        return None

    gc = GroupChat(agents=[a, b, c], messages=[], max_round=10, speaker_selection_method=pick)
    result = a.initiate_chat(GroupChatManager(gc, llm_config=False), message="x", silent=True)
    assert speakers(gc) == ["A", "C"] * 5
    gc2 = GroupChat(
        agents=[a, b, c], messages=[], max_round=10, speaker_selection_method=lambda last, g: b if last is a else None
    )
    result = a.initiate_chat(GroupChatManager(gc2, llm_config=False), message="x", silent=True)
    assert speakers(gc2) == ["A", "B"]
    assert result.stop_reason == "No next speaker selected"


def test_the_agent_that_can_run_the_called_tool_speaks_next():
    def lookup(q: str) -> str:
        return f"found {q}"

    caller_client = ScriptedClient([{"tool_calls": [{"id": "t1", "name": "lookup", "arguments": {"q": "x"}}]}])
    caller = ConversableAgent(
        "caller", llm_config={"model": "scripted", "client": caller_client}, human_input_mode="NEVER"
    )
    runner = ConversableAgent("runner", llm_config=False, human_input_mode="NEVER")
    other, third = talker("other"), talker("third")
    register_function(lookup, caller=caller, executor=runner, description="Look up")
    gc = GroupChat(
        agents=[other, caller, third, runner], messages=[], max_round=4, speaker_selection_method="round_robin"
    )
    other.initiate_chat(GroupChatManager(gc, llm_config=False), message="find x", silent=True)
    # round robin after caller would be "third"; the tool call makes "runner" speak instead
    assert speakers(gc) == ["other", "caller", "runner", "other"]
    assert gc.messages[2]["content"] == "found x"
    assert gc.messages[2]["role"] == "tool"


def test_a_never_speaker_with_an_auto_reply_limit_ends_the_chat_on_its_third_selection():
    a = talker("A", max_consecutive_auto_reply=2)
    b = talker("B")
    gc = GroupChat(agents=[a, b], messages=[], max_round=20, speaker_selection_method="round_robin")
    result = b.initiate_chat(GroupChatManager(gc, llm_config=False), message="x", silent=True)
    assert speakers(gc) == ["B", "A", "B", "A", "B"]
    assert result.stop_reason == "Maximum number of consecutive auto-replies reached"


def test_terminate_from_any_member_ends_the_group():
    a, b = talker("A"), talker("B", "TERMINATE")
    gc = GroupChat(agents=[a, b], messages=[], max_round=10, speaker_selection_method="round_robin")
    result = a.initiate_chat(GroupChatManager(gc, llm_config=False), message="x", silent=True)
    assert speakers(gc) == ["A", "B"]
    assert result.stop_reason == "Termination message condition on the GroupChatManager 'chat_manager' met"


def test_introductions_are_sent_but_not_part_of_the_transcript():
    a, b = talker("A"), talker("B")
    gc = GroupChat(
        agents=[a, b], messages=[], max_round=2, speaker_selection_method="round_robin", send_introductions=True
    )
    manager = GroupChatManager(gc, llm_config=False)
    a.initiate_chat(manager, message="x", silent=True)
    assert b.chat_messages[manager][0]["content"].startswith("Hello everyone. We have assembled a great team today")
    assert "A: A role\nB: B role" in b.chat_messages[manager][0]["content"]
    assert [m["content"] for m in gc.messages] == ["x", "B speaking"]


def test_termination_conditions_apply_to_group_chats():
    a, b, c = talker("A"), talker("B", "B says DONE"), talker("C")
    gc = GroupChat(agents=[a, b, c], messages=[], max_round=50, speaker_selection_method="round_robin")
    result = a.initiate_chat(GroupChatManager(gc, llm_config=False), message="x", silent=True,
                             termination=MaxMessageTermination(3))  # fmt: skip
    assert len(gc.messages) == 3
    assert result.stop_reason == "Maximum number of messages 3 reached, current message count: 3"
    gc.reset()
    result = a.initiate_chat(GroupChatManager(gc, llm_config=False), message="x", silent=True,
                             termination=TextMentionTermination("DONE"))  # fmt: skip
    assert speakers(gc) == ["A", "B"]
    assert result.stop_reason == "Text 'DONE' mentioned"


def test_speaker_selected_events_are_emitted():
    a, b = talker("A"), talker("B")
    gc = GroupChat(agents=[a, b], messages=[], max_round=3, speaker_selection_method="round_robin")
    events = []
    a.initiate_chat(GroupChatManager(gc, llm_config=False), message="x", silent=True, listeners=[events.append])
    picks = [e.speaker for e in events if isinstance(e, SpeakerSelected)]
    assert picks == ["B", "A"]
    messages = [e for e in events if e.type == "message"]
    assert [m.source for m in messages] == ["A", "B", "A"]


def test_resume_reloads_a_transcript():
    a, b = talker("A"), talker("B")
    gc = GroupChat(agents=[a, b], messages=[], max_round=3, speaker_selection_method="round_robin")
    manager = GroupChatManager(gc, llm_config=False)
    saved = json.dumps(
        [{"content": "x", "role": "user", "name": "A"}, {"content": "B TERMINATE", "role": "user", "name": "B"}]
    )
    last_agent, last_message = manager.resume(saved, remove_termination_string="TERMINATE")
    assert last_agent is b
    assert last_message["content"] == "B "
    assert [m["content"] for m in gc.messages] == ["x"]


def test_seed_group_chat_example(openai_server, monkeypatch):
    """The seed's group-chat lines, unchanged but for the import, against a local OpenAI-compatible server."""
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    turn = {"n": 0}
    order = ["coder", "reviewer"]

    def answer(request):
        system = request["messages"][0]["content"]
        if system.startswith("You are in a role play game"):
            pick = order[turn["n"] % 2]
            turn["n"] += 1
            return pick
        if "reviewer" in system:
            return "TERMINATE"
        return "asyncio.TaskGroup is new in 3.11."

    openai_server.script(*[answer] * 8)
    researcher = ConversableAgent("researcher", system_message="You research.", llm_config={"model": "gpt-4o"},
                                  human_input_mode="NEVER")  # fmt: skip
    coder = ConversableAgent("coder", system_message="You write code.", llm_config={"model": "gpt-4o"},
                             human_input_mode="NEVER")  # fmt: skip
    reviewer = ConversableAgent("reviewer", system_message="You are the reviewer.", llm_config={"model": "gpt-4o"},
                                human_input_mode="NEVER")  # fmt: skip

    from studio import GroupChat, GroupChatManager

    group_chat = GroupChat(agents=[researcher, coder, reviewer], messages=[], max_round=12)
    manager = GroupChatManager(groupchat=group_chat, llm_config={"model": "gpt-4o"})
    researcher.initiate_chat(manager, message="Research the latest Python async features.")

    assert speakers(group_chat) == ["researcher", "coder", "reviewer"]
    assert group_chat.messages[-1]["content"] == "TERMINATE"
    bodies = [json.loads(r.body) for r in openai_server.requests]
    assert sum(b["messages"][0]["content"].startswith("You are in a role play game") for b in bodies) == 2
