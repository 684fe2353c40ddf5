"""TeamSpec → two-agent chats and group chats: who starts, who speaks next, and what always stops a run."""

from __future__ import annotations

import threading
import time

from studio.builder import build_team
from studio.runtime import GroupChat, GroupChatManager
from tests.builder.bundles import assistant, bundle, group, proxy, scripted, two_agent
from tests.support.openai_server import Reply


def _panel(**team):
    """Three assistants a, b, c, each with its own endless script, and a non-member initiator `host`."""
    return bundle(
        group("a", "b", "c", initiator="host", **team),
        [
            proxy("host", termination_text=None),
            *(assistant(n, n, termination_text=None, description=f"agent {n}") for n in "abc"),
        ],
        [scripted(n, f"{n} speaks", loop=True) for n in "abc"]
        + [scripted("sel", "c", "a", "b", "c", "a", "b", loop=True)],
    )


def _speakers(events) -> list[str]:
    return [e.source for e in events if e.type == "message"]


def test_a_two_agent_team_starts_with_its_first_agent_and_counts_turns():
    b = bundle(
        two_agent("a", "b", max_turns=2, summary_method="last_msg"),
        [assistant("a", "m", termination_text=None), assistant("b", "m", termination_text=None)],
        [scripted("m", "r1", "r2", "r3")],
    )
    with build_team(b) as team:
        assert team.initiator is team.agents["a"] and team.recipient is team.agents["b"]
        assert team.manager is None and team.groupchat is None
        assert team.chat_kwargs == {"max_turns": 2, "summary_method": "last_msg"}
        result = team.run("go")
    assert len(result.chat_history) == 4 and result.summary == "r3"
    assert result.stop_reason == "Maximum turns (2) reached"


def test_a_round_robin_group_goes_in_order_from_a_non_member_initiator():
    events: list = []
    with build_team(_panel(max_round=5)) as team:
        assert isinstance(team.manager, GroupChatManager) and isinstance(team.groupchat, GroupChat)
        assert team.recipient is team.manager and team.initiator is team.agents["host"]
        assert team.manager.name == "chat_manager"
        assert team.groupchat.agents == [team.agents[n] for n in "abc"]
        result = team.run("topic", listeners=[events.append])
    assert _speakers(events) == ["host", "a", "b", "c", "a"]
    assert result.stop_reason == "Maximum rounds (5) reached"
    assert result.summary == "a speaks"  # the group's last message, not the non-member initiator's own task


def test_auto_selection_asks_the_selector_model_with_the_spec_prompt():
    events: list = []
    prompt = "Pick one of {agentlist}. Roles:\n{roles}"
    with build_team(
        _panel(speaker_selection="auto", selector_model="sel", selector_prompt=prompt, max_round=4)
    ) as team:
        assert team.groupchat.select_speaker_message_template == prompt
        selector_client = team.groupchat._selector_client(team.manager)
        assert selector_client.model == "sel"
        team.run("topic", listeners=[events.append])
    assert _speakers(events) == ["host", "c", "a", "b"]
    selection_calls = [e for e in events if e.type == "model_call" and e.purpose == "speaker_selection"]
    assert len(selection_calls) == 3
    request = selector_client.calls[0].messages
    assert request[0]["content"].startswith("Pick one of ['a', 'b', 'c']. Roles:\na: agent a")


def test_graph_selection_follows_the_allowed_transitions():
    events: list = []
    b = _panel(speaker_selection="graph", allowed_transitions={"a": ["c"], "c": ["b"], "b": ["a"]}, max_round=6)
    with build_team(b) as team:
        assert team.groupchat.speaker_transitions_type == "allowed"
        team.run("topic", listeners=[events.append])
    assert _speakers(events) == ["host", "a", "c", "b", "a", "c"]


def test_an_agent_without_outgoing_transitions_ends_a_graph_chat():
    events: list = []
    with build_team(_panel(speaker_selection="graph", allowed_transitions={"a": ["b"]}, max_round=6)) as team:
        result = team.run("topic", listeners=[events.append])
    assert _speakers(events) == ["host", "a", "b"]
    assert result.stop_reason == "No next speaker selected"


def test_repeat_speaker_and_introductions_reach_the_group_chat():
    with build_team(_panel(allow_repeat_speaker=False, send_introductions=True)) as team:
        assert team.groupchat.allow_repeat_speaker is False and team.groupchat.send_introductions is True


def test_manual_selection_asks_the_human_through_input_func():
    events: list = []
    answers = iter(["3", "2"])
    asked: list[str] = []

    def pick(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    with build_team(_panel(speaker_selection="manual", max_round=3), input_func=pick) as team:
        team.run("topic", listeners=[events.append])
    assert _speakers(events) == ["host", "c", "b"]
    assert len(asked) == 2 and "number of the next speaker" in asked[0]


def test_an_agent_named_like_the_manager_keeps_its_name():
    b = bundle(
        group("chat_manager", "b"),
        [assistant("chat_manager", "m"), assistant("b", "m")],
        [scripted("m", "x", loop=True)],
    )
    with build_team(b) as team:
        assert team.manager.name == "chat_manager_2"


def test_the_spec_termination_stops_the_run():
    b = _panel(termination={"kind": "text_mention", "text": "b speaks", "sources": ["b"]})
    with build_team(b) as team:
        result = team.run("topic")
    assert result.stop_reason == "Text 'b speaks' mentioned"


def test_hard_limits_stop_a_run_even_when_the_spec_sets_nothing():
    # T58: two agents that would ping-pong forever.
    b = bundle(
        two_agent("a", "b", limits={"max_messages": 6, "max_seconds": 60.0, "max_tokens": 100000}),
        [assistant("a", "m", termination_text=None), assistant("b", "m", termination_text=None)],
        [scripted("m", "again", loop=True)],
    )
    with build_team(b) as team:
        result = team.run("go")
    assert len(result.chat_history) == 6
    assert "6" in result.stop_reason and "message" in result.stop_reason.lower()


def test_the_token_limit_stops_a_run():
    b = bundle(
        two_agent("a", "b", limits={"max_messages": 1000, "max_seconds": 60.0, "max_tokens": 500}),
        [assistant("a", "m", termination_text=None), assistant("b", "m", termination_text=None)],
        [scripted("m", "many words " * 40, loop=True)],
    )
    with build_team(b) as team:
        result = team.run("go")
    assert "token" in result.stop_reason.lower()
    assert len(result.chat_history) < 20


def test_stop_ends_the_run_after_the_current_turn(openai_server):
    openai_server.script(*[Reply("again", delay=0.05) for _ in range(200)])
    model = {"name": "m", "provider": "openai_compatible", "model": "x", "base_url": openai_server.base_url}
    b = bundle(
        two_agent("a", "b"),
        [assistant("a", "m", termination_text=None), assistant("b", "m", termination_text=None)],
        [model],
    )
    with build_team(b) as team:
        stopper = threading.Timer(0.5, team.cancel)
        stopper.start()
        started = time.monotonic()
        result = team.run("go")
        stopper.join()
    assert time.monotonic() - started < 20  # generous: the first request also imports the SDK
    assert result.stop_reason == "External termination requested"
    assert 2 <= len(result.chat_history) < 40


def test_an_external_node_in_the_spec_tree_is_linked_to_the_stop_button():
    from studio.spec import TeamSpec

    b = bundle(
        two_agent("a", "b"),
        [assistant("a", "m", termination_text=None), assistant("b", "m", termination_text=None)],
        [scripted("m", "again", loop=True)],
    )
    tree = {"kind": "and", "conditions": [{"kind": "external"}, {"kind": "max_messages", "max_messages": 4}]}
    team_spec = TeamSpec.model_validate({**b.team.model_dump(), "termination": tree})
    b = b.model_copy(update={"team": team_spec})
    with build_team(b) as team:
        team.external.set()  # pressed before the run: kept until evaluated
        result = team.run("go")
    # the And fires once both its conditions have (4 messages), and the Stop button itself fires at once
    assert len(result.chat_history) == 1
    assert "External termination requested" in result.stop_reason
