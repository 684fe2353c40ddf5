"""Termination conditions driven the way a chat drives them: the task message first, then each turn's events.

Every delta is built from real `studio.events` events; each test reads as the run it describes.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from studio.errors import ConfigurationError, SpecError, StudioError
from studio.events import (
    BaseEvent,
    CodeExecution,
    Error,
    HumanInputRequested,
    Message,
    ModelCall,
    SpeakerSelected,
    StreamChunk,
    ToolCall,
    ToolResult,
)
from studio.runtime.termination import (
    AGENT_EVENT_TYPES,
    TERMINATION_KINDS,
    AndTermination,
    AndTerminationCondition,
    ExternalTermination,
    FunctionalTermination,
    FunctionCallTermination,
    HandoffTermination,
    MaxMessageTermination,
    OrTermination,
    OrTerminationCondition,
    SourceMatchTermination,
    StopMessage,
    StopMessageTermination,
    TerminatedException,
    TerminationCondition,
    TextMentionTermination,
    TextMessageTermination,
    TimeoutTermination,
    TokenUsageTermination,
    event_texts,
    termination_from_config,
)

# ---------------------------------------------------------------------------------------------------------------------
# Event builders


def task(content: str = "Write a haiku.") -> list[BaseEvent]:
    return [Message(source="user", role="user", content=content)]


def say(source: str, content: str | None, **kw: Any) -> Message:
    return Message(source=source, content=content, **kw)


def tool_turn(source: str, name: str, result: str, *, is_error: bool = False, args: str = "{}") -> list[BaseEvent]:
    """What an agent's tool-using turn produces: model call, tool call, tool result, then its reply message."""
    return [
        ModelCall(source=source, prompt_tokens=10, completion_tokens=5, total_tokens=15),
        ToolCall(source=source, calls=[{"id": "c1", "name": name, "arguments": args}]),
        ToolResult(source=source, results=[{"call_id": "c1", "name": name, "content": result, "is_error": is_error}]),
        say(source, "Here is what the tool said."),
    ]


def usage(source: str, prompt: int, completion: int, total: int | None = None) -> ModelCall:
    return ModelCall(
        source=source,
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion if total is None else total,
    )


# ---------------------------------------------------------------------------------------------------------------------
# MaxMessageTermination


def test_max_messages_counts_the_task_message() -> None:
    cond = MaxMessageTermination(3)
    assert cond(task()) is None
    assert cond([say("a", "one")]) is None
    stop = cond([say("b", "two")])
    assert stop == StopMessage(
        "Maximum number of messages 3 reached, current message count: 3", source="MaxMessageTermination"
    )
    assert cond.terminated


def test_max_messages_of_one_fires_on_the_task_alone() -> None:
    stop = MaxMessageTermination(1)(task())
    assert stop is not None and stop.content == "Maximum number of messages 1 reached, current message count: 1"


def test_max_messages_reports_the_overshoot_when_a_turn_adds_several_messages() -> None:
    cond = MaxMessageTermination(2)
    stop = cond([*task(), say("a", "x"), say("b", "y")])
    assert stop is not None and stop.content.endswith("current message count: 3")


def test_max_messages_ignores_agent_events_unless_asked() -> None:
    plain, with_events = MaxMessageTermination(100), MaxMessageTermination(100, include_agent_event=True)
    turn = [*tool_turn("a", "add", "3"), CodeExecution(source="a", output="ok")]
    noise = [StreamChunk(source="a", content="He"), SpeakerSelected(speaker="a"), Error(message="x")]
    noise.append(HumanInputRequested(source="u", prompt="?"))
    for cond in (plain, with_events):
        cond(task())
        cond(turn + noise)
    assert plain.count == 2  # task + the reply message
    assert with_events.count == 5  # ... + ToolCall, ToolResult, CodeExecution; ModelCall and the noise never count
    assert set(AGENT_EVENT_TYPES) == {ToolCall, ToolResult, CodeExecution}


def test_max_messages_with_agent_events_fires_mid_turn_count() -> None:
    cond = MaxMessageTermination(3, include_agent_event=True)
    assert cond(task()) is None
    stop = cond(tool_turn("a", "add", "3"))
    assert stop is not None and stop.content == "Maximum number of messages 3 reached, current message count: 4"


# ---------------------------------------------------------------------------------------------------------------------
# TextMentionTermination


def test_text_mention_is_a_substring_match_in_a_reply() -> None:
    cond = TextMentionTermination("TERMINATE")
    assert cond(task()) is None
    assert cond([say("a", "terminate? not yet")]) is None  # case-sensitive
    stop = cond([say("a", "All done. TERMINATE.")])
    assert stop == StopMessage("Text 'TERMINATE' mentioned", "TextMentionTermination")


def test_text_mention_sees_the_task_message() -> None:
    stop = TextMentionTermination("DONE")(task("Reply DONE when finished"))
    assert stop is not None and stop.content == "Text 'DONE' mentioned"


@pytest.mark.parametrize(
    "event",
    [
        ToolResult(source="a", results=[{"call_id": "1", "name": "f", "content": "status: DONE", "is_error": False}]),
        ToolCall(source="a", calls=[{"id": "1", "name": "f", "arguments": '{"say": "DONE"}'}]),
        CodeExecution(source="a", output="printing DONE\n", exit_code=0),
        say("a", None, tool_calls=[{"id": "1", "type": "function", "function": {"name": "f", "arguments": "DONE"}}]),
        say("a", None, role="tool", tool_responses=[{"tool_call_id": "1", "role": "tool", "content": "DONE"}]),
    ],
    ids=["tool_result", "tool_call_arguments", "code_output", "message_tool_calls", "message_tool_responses"],
)
def test_text_mention_searches_agent_events_too(event: BaseEvent) -> None:
    cond = TextMentionTermination("DONE")
    cond(task())
    assert cond([event]) is not None


def test_text_mention_ignores_telemetry_and_never_matches_across_pieces() -> None:
    cond = TextMentionTermination("DONE")
    telemetry = [
        StreamChunk(source="a", content="DONE"),
        Error(source="a", message="DONE"),
        HumanInputRequested(source="a", prompt="DONE?"),
        ModelCall(source="a", model="DONE"),
    ]
    assert cond(telemetry) is None
    split = ToolResult(source="a", results=[{"name": "f", "content": "DO"}, {"name": "g", "content": "NE"}])
    assert cond([split]) is None
    assert list(event_texts(split)) == ["DO", "NE"]


def test_text_mention_only_listens_to_the_given_sources() -> None:
    cond = TextMentionTermination("APPROVE", sources=["critic"])
    assert cond(task("Say APPROVE when happy")) is None  # the task is from 'user'
    assert cond([say("writer", "I APPROVE of my own work")]) is None
    assert cond(tool_turn("writer", "f", "APPROVE")) is None
    assert cond([say("critic", "APPROVE")]) is not None


# ---------------------------------------------------------------------------------------------------------------------
# TokenUsageTermination


def test_token_usage_sums_model_calls_across_deltas() -> None:
    cond = TokenUsageTermination(max_total_token=100)
    assert cond(task()) is None
    assert cond([usage("a", 30, 10), say("a", "x")]) is None
    assert cond.usage == (40, 30, 10)
    stop = cond([usage("b", 50, 5), usage("b", 4, 1), say("b", "y")])
    assert stop == StopMessage(
        "Token usage limit reached, total token count: 100, prompt token count: 84, completion token count: 16.",
        "TokenUsageTermination",
    )


@pytest.mark.parametrize(
    ("limits", "fires"),
    [
        ({"max_prompt_token": 20}, True),
        ({"max_prompt_token": 21}, False),
        ({"max_completion_token": 7}, True),
        ({"max_completion_token": 8}, False),
        ({"max_total_token": 27}, True),
        ({"max_total_token": 28, "max_prompt_token": 21, "max_completion_token": 8}, False),
        ({"max_total_token": 1000, "max_completion_token": 7}, True),
    ],
)
def test_token_usage_fires_on_any_limit(limits: dict[str, int], fires: bool) -> None:
    cond = TokenUsageTermination(**limits)
    assert (cond([usage("a", 20, 7)]) is not None) is fires


def test_token_usage_total_falls_back_to_prompt_plus_completion_and_trusts_a_reported_total() -> None:
    cond = TokenUsageTermination(max_total_token=10_000)
    cond([usage("a", 3, 4, total=0), usage("a", 3, 4, total=9)])  # 9: e.g. a provider counting cached tokens
    assert cond.usage == (7 + 9, 6, 8)


# ---------------------------------------------------------------------------------------------------------------------
# TimeoutTermination


def test_timeout_clock_starts_at_start_not_at_construction() -> None:
    cond = TimeoutTermination(0.3)
    time.sleep(0.35)  # longer than the limit, but the run has not started yet
    assert cond.remaining is None
    cond.start()
    assert cond(task()) is None
    assert cond.remaining is not None and cond.remaining > 0.1


def test_timeout_fires_at_the_first_evaluation_past_the_limit() -> None:
    cond = TimeoutTermination(0.05)
    cond.start()
    assert cond(task()) is None
    time.sleep(0.06)
    assert cond([]) == StopMessage("Timeout of 0.05 seconds reached", "TimeoutTermination")
    assert cond.remaining == 0.0


def test_timeout_without_start_starts_its_clock_at_the_first_evaluation() -> None:
    cond = TimeoutTermination(0.05)
    time.sleep(0.06)
    assert cond(task()) is None
    time.sleep(0.06)
    assert cond([say("a", "x")]) is not None


def test_timeout_reset_stops_the_clock_until_the_next_run_starts() -> None:
    cond = TimeoutTermination(0.05)
    cond.start()
    time.sleep(0.06)
    assert cond([]) is not None
    cond.reset()
    assert not cond.terminated and cond.remaining is None
    cond.start()
    assert cond([]) is None


def test_timeout_text_keeps_the_number_as_given() -> None:
    assert TimeoutTermination(300).to_config() == {"kind": "timeout", "timeout_seconds": 300}
    cond = TimeoutTermination(2)
    cond.start()
    cond._started_at = time.monotonic() - 3  # a run that started three seconds ago
    stop = cond([])
    assert stop is not None and stop.content == "Timeout of 2 seconds reached"


# ---------------------------------------------------------------------------------------------------------------------
# ExternalTermination (the Stop button)


def test_external_set_from_another_thread_stops_at_the_next_evaluation() -> None:
    cond = ExternalTermination()
    cond.start()
    assert cond(task()) is None
    button = threading.Thread(target=cond.set)
    button.start()
    button.join()
    assert cond.is_set
    assert cond([say("a", "finishing my turn")]) == StopMessage("External termination requested", "ExternalTermination")


def test_external_set_while_the_chat_thread_keeps_evaluating() -> None:
    cond = ExternalTermination()
    timer = threading.Timer(0.02, cond.set)
    timer.start()
    deadline = time.monotonic() + 5
    while (stop := cond([say("a", "turn")])) is None and time.monotonic() < deadline:
        time.sleep(0.001)
    timer.join()
    assert stop is not None and stop.content == "External termination requested"


def test_external_set_before_the_run_is_kept_and_reset_clears_it() -> None:
    cond = ExternalTermination()
    cond.set()
    cond.start()
    assert cond(task()) is not None
    cond.reset()
    assert not cond.is_set
    assert cond(task()) is None


# ---------------------------------------------------------------------------------------------------------------------
# Source, handoff, stop, text-message, function-call and functional conditions


def test_source_match_fires_on_the_task_when_user_is_listed() -> None:
    stop = SourceMatchTermination(["user"])(task())
    assert stop == StopMessage("'user' answered", "SourceMatchTermination")


def test_source_match_waits_for_a_listed_speaker_message() -> None:
    cond = SourceMatchTermination(["reviewer", "boss"])
    assert cond(task()) is None
    assert cond([say("writer", "draft")]) is None
    assert cond([ToolResult(source="boss", results=[{"name": "f", "content": "x"}])]) is None  # events do not answer
    stop = cond([say("boss", "ok")])
    assert stop is not None and stop.content == "'boss' answered"


def test_handoff_is_a_message_with_role_handoff_and_its_target() -> None:
    cond = HandoffTermination("user")
    assert cond([say("alice", "for you", target="user")]) is None  # an ordinary message addressed to user
    assert cond([say("alice", "to bob", role="handoff", target="bob")]) is None
    stop = cond([say("alice", "over to you", role="handoff", target="user")])
    assert stop == StopMessage("Handoff to user from alice detected.", "HandoffTermination")


def test_stop_message_is_a_message_with_role_stop() -> None:
    cond = StopMessageTermination()
    assert cond([*task(), say("a", "STOP"), say("a", "stop", role="assistant")]) is None
    assert cond([say("a", "I give up", role="stop")]) == StopMessage("Stop message received", "StopMessageTermination")


def test_text_message_without_source_fires_on_the_task() -> None:
    stop = TextMessageTermination()(task())
    assert stop == StopMessage("Text message received from 'user'", "TextMessageTermination")


def test_text_message_from_a_source_skips_tool_messages_and_other_speakers() -> None:
    cond = TextMessageTermination("b")
    calls = [{"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert cond(task()) is None
    assert cond([say("a", "hello")]) is None
    assert (
        cond([say("b", None, tool_calls=calls), say("b", "3", role="tool", tool_responses=[{"content": "3"}])]) is None
    )
    assert cond([say("b", "bye", role="stop"), say("b", "x", role="handoff", target="a")]) is None
    assert cond([say("b", "hi")]) == StopMessage("Text message received from 'b'", "TextMessageTermination")


def test_function_call_fires_on_the_execution_even_if_it_failed() -> None:
    cond = FunctionCallTermination("submit")
    assert cond(tool_turn("a", "search", "results")) is None
    assert cond([ToolCall(source="a", calls=[{"id": "9", "name": "submit", "arguments": "{}"}])]) is None
    stop = cond(tool_turn("a", "submit", "Error: disk full", is_error=True))
    assert stop == StopMessage("Function 'submit' was executed.", "FunctionCallTermination")


def test_functional_gets_each_delta_and_fires_when_it_returns_true() -> None:
    seen: list[int] = []

    def failed_code(delta: Any) -> bool:
        seen.append(len(delta))
        return any(isinstance(e, CodeExecution) and e.exit_code != 0 for e in delta)

    cond = FunctionalTermination(failed_code)
    assert cond(task()) is None
    assert cond([CodeExecution(source="a", exit_code=0), say("a", "ok")]) is None
    stop = cond([CodeExecution(source="a", exit_code=1)])
    assert stop == StopMessage("Functional termination condition met", "FunctionalTermination")
    assert seen == [1, 2, 1]


def test_functional_rejects_async_functions() -> None:
    async def check(delta: Any) -> bool:
        return True

    with pytest.raises(ConfigurationError, match="async"):
        FunctionalTermination(check)
    sneaky = FunctionalTermination(lambda d: check(d))
    with pytest.raises(TypeError, match="awaitable"):
        sneaky([])


# ---------------------------------------------------------------------------------------------------------------------
# Fired state, reset, TerminatedException


def fired_examples() -> list[tuple[TerminationCondition, list[BaseEvent]]]:
    stopper = ExternalTermination()
    stopper.set()
    return [
        (MaxMessageTermination(1), task()),
        (TextMentionTermination("haiku"), task()),
        (TokenUsageTermination(max_total_token=5), [usage("a", 5, 0)]),
        (TimeoutTermination(1e-9), []),
        (HandoffTermination("u"), [say("a", "x", role="handoff", target="u")]),
        (SourceMatchTermination(["user"]), task()),
        (stopper, []),
        (FunctionCallTermination("f"), tool_turn("a", "f", "1")),
        (StopMessageTermination(), [say("a", "x", role="stop")]),
        (TextMessageTermination(), task()),
        (FunctionalTermination(lambda d: True), []),
        (TextMentionTermination("haiku") | MaxMessageTermination(9), task()),
        (TextMentionTermination("haiku") & MaxMessageTermination(1), task()),
    ]


@pytest.mark.parametrize(("cond", "delta"), fired_examples(), ids=lambda x: type(x).__name__)
def test_a_fired_condition_raises_until_reset(cond: TerminationCondition, delta: list[BaseEvent]) -> None:
    assert not cond.terminated
    assert cond(delta) is not None
    assert cond.terminated
    with pytest.raises(TerminatedException, match="already been reached; call reset") as info:
        cond(delta)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, StudioError)
    cond.reset()
    assert not cond.terminated


def test_reset_clears_counts() -> None:
    cond = MaxMessageTermination(3)
    cond(task())
    cond([say("a", "x")])
    cond.reset()
    assert cond.count == 0
    assert cond(task()) is None and cond([say("a", "x")]) is None
    tokens = TokenUsageTermination(max_total_token=100)
    tokens([usage("a", 40, 40)])
    tokens.reset()
    assert tokens.usage == (0, 0, 0) and tokens([usage("a", 10, 10)]) is None


# ---------------------------------------------------------------------------------------------------------------------
# Or / And


def test_or_fires_when_any_child_fires_and_joins_all_that_fired() -> None:
    cond = TextMentionTermination("DONE") | MaxMessageTermination(2)
    assert isinstance(cond, OrTermination) and OrTerminationCondition is OrTermination
    assert cond(task()) is None
    stop = cond([say("a", "DONE")])
    assert stop == StopMessage(
        "Text 'DONE' mentioned, Maximum number of messages 2 reached, current message count: 2",
        "TextMentionTermination, MaxMessageTermination",
    )
    assert cond.terminated


def test_or_keeps_every_child_counting_and_reports_only_the_one_that_fired() -> None:
    counter = MaxMessageTermination(10)
    cond = TextMentionTermination("DONE") | counter
    cond(task())
    stop = cond([say("a", "x"), say("b", "DONE")])
    assert stop is not None and stop.content == "Text 'DONE' mentioned" and stop.source == "TextMentionTermination"
    assert counter.count == 3


def test_and_fires_when_all_children_fired_in_different_deltas_in_firing_order() -> None:
    cond = MaxMessageTermination(4) & TextMentionTermination("DONE")
    assert isinstance(cond, AndTermination) and AndTerminationCondition is AndTermination
    assert cond(task()) is None
    assert cond([say("a", "DONE")]) is None  # the mention fired first, but the count is only 2
    assert not cond.terminated
    assert cond([say("b", "x")]) is None
    stop = cond([say("a", "y")])
    assert stop is not None
    assert stop.content == "Text 'DONE' mentioned, Maximum number of messages 4 reached, current message count: 4"
    assert stop.source == "TextMentionTermination, MaxMessageTermination"
    assert cond.terminated


def test_and_does_not_call_a_child_that_already_fired() -> None:
    calls: list[int] = []
    eager = FunctionalTermination(lambda d: calls.append(1) is None)
    cond = eager & MaxMessageTermination(3)
    cond(task())
    cond([say("a", "x")])
    assert cond([say("a", "y")]) is not None
    assert len(calls) == 1


def test_and_reset_forgets_what_was_collected() -> None:
    cond = TextMentionTermination("DONE") & MaxMessageTermination(3)
    cond(task())
    cond([say("a", "DONE")])
    cond.reset()
    assert not cond.terminated
    for delta in (task(), [say("a", "x")], [say("a", "y")]):  # the count fires first this time
        assert cond(delta) is None
    stop = cond([say("a", "DONE")])
    assert stop is not None
    assert stop.content == "Maximum number of messages 3 reached, current message count: 3, Text 'DONE' mentioned"


def test_nested_combinations_keep_their_shape() -> None:
    cond = (TimeoutTermination(60) | MaxMessageTermination(3)) & TextMentionTermination("DONE")
    cond.start()
    assert cond(task()) is None
    assert cond([say("a", "DONE")]) is None
    stop = cond([say("a", "x")])
    assert stop is not None
    assert stop.content == "Text 'DONE' mentioned, Maximum number of messages 3 reached, current message count: 3"
    three = TextMentionTermination("A") | TextMentionTermination("B") | TextMentionTermination("C")
    assert three.to_config()["conditions"][0]["kind"] == "or"  # (A | B) | C, as written


def test_start_reaches_every_child_of_a_combination() -> None:
    clock = TimeoutTermination(0.3)
    cond = ExternalTermination() | (MaxMessageTermination(50) & clock)
    time.sleep(0.35)
    cond.start()
    assert clock.remaining is not None and clock.remaining > 0.1
    assert cond(task()) is None


def test_combinations_accept_any_sequence_or_iterable_delta() -> None:
    cond = MaxMessageTermination(3) | TextMentionTermination("zzz")
    assert cond(tuple(task())) is None
    stop = cond(e for e in [say("a", "x"), say("b", "zzz")])  # a one-shot generator is read once, by both children
    assert stop is not None and stop.content.startswith("Maximum number of messages 3 reached")
    assert "Text 'zzz' mentioned" in stop.content


def test_combining_with_something_that_is_not_a_condition_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        MaxMessageTermination(3) | "TERMINATE"  # type: ignore[operator]
    with pytest.raises(TypeError, match="combines termination conditions"):
        OrTermination(MaxMessageTermination(3), "TERMINATE")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="at least one condition"):
        AndTermination()


# ---------------------------------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: MaxMessageTermination(0), "max_messages must be a whole number of at least 1, got 0"),
        (lambda: MaxMessageTermination(True), "got True"),
        (lambda: MaxMessageTermination(2.5), "got 2.5"),
        (lambda: MaxMessageTermination(3, include_agent_event="yes"), "include_agent_event must be true or false"),
        (lambda: TokenUsageTermination(), "needs at least one limit"),
        (lambda: TokenUsageTermination(max_prompt_token=0), "max_prompt_token must be a whole number"),
        (lambda: TimeoutTermination(0), "positive number of seconds, got 0"),
        (lambda: TimeoutTermination(-1.5), "got -1.5"),
        (lambda: TimeoutTermination(float("inf")), "got inf"),
        (lambda: TimeoutTermination("10"), "got '10'"),
        (lambda: TextMentionTermination(""), "text must be a non-empty string"),
        (lambda: TextMentionTermination("x", sources=[]), "sources must be a non-empty list"),
        (lambda: TextMentionTermination("x", sources="user"), "sources must be a non-empty list"),
        (lambda: SourceMatchTermination([]), "sources must be a non-empty list"),
        (lambda: SourceMatchTermination(["user", ""]), "sources entry must be a non-empty string"),
        (lambda: HandoffTermination(""), "target must be a non-empty string"),
        (lambda: FunctionCallTermination(""), "function_name must be a non-empty string"),
        (lambda: TextMessageTermination(""), "source must be a non-empty string"),
    ],
)
def test_bad_arguments_are_rejected_with_a_sentence(build: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace(".", r"\.").replace("(", r"\(")) as info:
        build()
    assert isinstance(info.value, ValueError)


# ---------------------------------------------------------------------------------------------------------------------
# Configs


def config_examples() -> dict[str, TerminationCondition]:
    return {
        "max_messages": MaxMessageTermination(10, include_agent_event=True),
        "text_mention": TextMentionTermination("TERMINATE", sources=["critic", "boss"]),
        "token_usage": TokenUsageTermination(max_total_token=1000, max_completion_token=200),
        "timeout": TimeoutTermination(300.0),
        "handoff": HandoffTermination("user"),
        "source_match": SourceMatchTermination(["user", "critic"]),
        "external": ExternalTermination(),
        "function_call": FunctionCallTermination("submit"),
        "stop_message": StopMessageTermination(),
        "text_message": TextMessageTermination("writer"),
        "or": TextMentionTermination("DONE") | MaxMessageTermination(4),
        "and": (TimeoutTermination(300) | MaxMessageTermination(10)) & TextMentionTermination("TERMINATE"),
    }


def test_config_examples_cover_every_registered_kind() -> None:
    examples = config_examples()
    assert set(examples) == set(TERMINATION_KINDS)
    assert all(type(cond) is TERMINATION_KINDS[kind] for kind, cond in examples.items())


@pytest.mark.parametrize("kind", sorted(config_examples()))
def test_config_round_trips_through_json(kind: str) -> None:
    original = config_examples()[kind]
    config = json.loads(json.dumps(original.to_config()))
    assert config["kind"] == kind
    rebuilt = TerminationCondition.from_config(config)
    assert type(rebuilt) is type(original)
    assert rebuilt.to_config() == config
    assert rebuilt is not original and repr(rebuilt) == repr(original)


def test_config_writes_defaults_and_the_loaded_condition_behaves_the_same() -> None:
    assert MaxMessageTermination(10).to_config() == {
        "kind": "max_messages",
        "max_messages": 10,
        "include_agent_event": False,
    }
    assert TextMentionTermination("X").to_config() == {"kind": "text_mention", "text": "X", "sources": None}
    assert TextMessageTermination().to_config() == {"kind": "text_message", "source": None}
    loaded = termination_from_config(
        {
            "kind": "and",
            "conditions": [{"kind": "max_messages", "max_messages": 4}, {"kind": "text_mention", "text": "DONE"}],
        }
    )
    for delta in (task(), [say("a", "DONE")], [say("b", "x")]):
        assert loaded(delta) is None
    stop = loaded([say("a", "y")])
    assert stop is not None
    assert stop.content == "Text 'DONE' mentioned, Maximum number of messages 4 reached, current message count: 4"


def test_unknown_kind_lists_the_valid_ones_and_suggests_the_closest() -> None:
    with pytest.raises(SpecError) as info:
        termination_from_config({"kind": "max_message", "max_messages": 3}, path="termination")
    err = info.value
    assert isinstance(err, ValueError) and err.path == "termination.kind"
    assert err.choices == sorted(TERMINATION_KINDS)
    assert "Unknown termination condition kind 'max_message'" in str(err)
    assert "Valid choices: and, external, function_call, handoff, max_messages, or," in str(err)
    assert "Did you mean 'max_messages'?" in str(err)
    with pytest.raises(SpecError, match="Unknown termination condition kind None"):
        termination_from_config({"max_messages": 3})
    with pytest.raises(SpecError, match="Unknown termination condition kind 'functional'"):
        termination_from_config({"kind": "functional"})


def test_config_errors_point_at_the_nested_key() -> None:
    bad_value = {
        "kind": "or",
        "conditions": [{"kind": "text_mention", "text": "X"}, {"kind": "max_messages", "max_messages": 0}],
    }
    with pytest.raises(SpecError, match="max_messages must be a whole number") as info:
        termination_from_config(bad_value, path="termination")
    assert info.value.path == "termination.conditions[1].max_messages"

    with pytest.raises(SpecError, match="needs 'timeout_seconds'") as info:
        termination_from_config({"kind": "and", "conditions": [{"kind": "timeout"}]})
    assert info.value.path == "conditions[0].timeout_seconds"

    with pytest.raises(SpecError, match="has no parameter 'max_message'") as info:
        termination_from_config({"kind": "max_messages", "max_messages": 3, "max_message": 4})
    assert info.value.path == "max_message" and "Did you mean 'max_messages'?" in str(info.value)

    with pytest.raises(SpecError, match="non-empty list of termination condition configs") as info:
        termination_from_config({"kind": "or", "conditions": []}, path="t")
    assert info.value.path == "t.conditions"

    with pytest.raises(SpecError, match="needs at least one limit") as info:
        termination_from_config({"kind": "token_usage"}, path="t")
    assert info.value.path == "t"

    with pytest.raises(SpecError, match="must be a mapping"):
        termination_from_config(["max_messages"])  # type: ignore[arg-type]


def test_from_config_on_a_subclass_checks_the_kind() -> None:
    assert isinstance(
        MaxMessageTermination.from_config({"kind": "max_messages", "max_messages": 2}), MaxMessageTermination
    )
    with pytest.raises(SpecError, match="describes a TimeoutTermination .* not a MaxMessageTermination"):
        MaxMessageTermination.from_config({"kind": "timeout", "timeout_seconds": 1})


def test_functional_conditions_have_no_config_form() -> None:
    cond = FunctionalTermination(lambda d: False) | MaxMessageTermination(3)
    with pytest.raises(ConfigurationError, match="cannot be written to a config"):
        cond.to_config()
    assert "FunctionalTermination(" in repr(cond)
