"""The event log: append-only rows keyed by (run_id, seq), replayed as the same typed events."""

from __future__ import annotations

import threading

import pytest

from studio.errors import NotFoundError, StoreError
from studio.events import (
    EVENT_TYPES,
    CodeExecution,
    Error,
    EventBus,
    HumanInput,
    Message,
    ModelCall,
    RunFinished,
    RunStarted,
    SpeakerSelected,
    StreamChunk,
    ToolCall,
    ToolResult,
)
from studio.store import (
    Store,
    append_event,
    append_events,
    create_run,
    event_count,
    get_run,
    load_events,
    set_secret,
    start_run,
)


def running(store: Store) -> str:
    run = create_run(None, "task", snapshot={"name": "t"}, store=store)
    start_run(run.id, store=store)
    return run.id


def one_of_each(run_id: str) -> list:
    bus = EventBus(run_id=run_id)
    events = [
        RunStarted(task="Write a haiku", team="duo"),
        SpeakerSelected(speaker="writer", method="round_robin", round=1),
        Message(source="writer", target="critic", content='Autumn 🍂 "quotes" \\ and\nnewlines'),
        ToolCall(source="writer", calls=[{"id": "c1", "name": "add", "arguments": '{"a": 1}'}]),
        ToolResult(source="critic", results=[{"call_id": "c1", "name": "add", "content": "2", "is_error": False}]),
        CodeExecution(source="critic", blocks=[{"language": "python", "code": "print(1)"}], output="1\n"),
        ModelCall(source="writer", model="gpt-4o", prompt_tokens=3, completion_tokens=4, cost=0.1),
        StreamChunk(source="writer", content="Au", message_id="m1"),
        HumanInput(source="user", content="looks good", request_id="r1"),
        Error(source="writer", error_type="ModelError", message="timeout"),
        RunFinished(status="completed", stop_reason="TERMINATE"),
    ]
    for event in events:
        bus.emit(event)
    return events


def test_every_event_type_round_trips_exactly(store: Store) -> None:
    run_id = running(store)
    events = one_of_each(run_id)
    for event in events:
        assert append_event(run_id, event, store=store) == event.seq
    loaded = load_events(run_id, store=store)
    assert loaded == events
    assert {type(e) for e in loaded} >= set(EVENT_TYPES.values()) - {EVENT_TYPES["human_input_requested"]}
    assert event_count(run_id, store=store) == len(events) == get_run(run_id, store=store).event_count


def test_polling_after_a_seq_with_a_limit_and_a_type_filter(store: Store) -> None:
    run_id = running(store)
    append_events(run_id, [Message(seq=i, source="a", content=str(i)) for i in range(1, 21)], store=store)
    assert [e.seq for e in load_events(run_id, after_seq=15, store=store)] == [16, 17, 18, 19, 20]
    assert [e.seq for e in load_events(run_id, after_seq=5, limit=3, store=store)] == [6, 7, 8]
    assert load_events(run_id, after_seq=20, store=store) == []
    append_event(run_id, ModelCall(seq=21, source="a"), store=store)
    assert [e.seq for e in load_events(run_id, types=["model_call"], store=store)] == [21]


def test_a_seq_is_stored_once_and_a_failed_batch_stores_nothing(store: Store) -> None:
    run_id = running(store)
    append_event(run_id, Message(seq=1, source="a", content="first"), store=store)
    with pytest.raises(StoreError, match="already has an event with seq 1"):
        append_event(run_id, Message(seq=1, source="a", content="again"), store=store)
    with pytest.raises(StoreError, match="append-only"):
        append_events(run_id, [Message(seq=2, source="a"), Message(seq=1, source="a")], store=store)
    assert [e.content for e in load_events(run_id, store=store)] == ["first"]  # type: ignore[attr-defined]
    run = get_run(run_id, store=store)
    assert (run.event_count, run.last_seq) == (1, 1)  # the run row was rolled back with the batch


def test_events_without_a_seq_are_numbered_after_the_last_one(store: Store) -> None:
    run_id = running(store)
    append_event(run_id, Message(seq=5, source="a"), store=store)  # gaps are allowed (unstored stream chunks)
    assert append_event(run_id, Message(source="a"), store=store) == 6
    assert append_events(run_id, [Message(source="a"), Message(source="a")], store=store) == [7, 8]
    assert [e.seq for e in load_events(run_id, store=store)] == [5, 6, 7, 8]


def test_events_of_another_run_or_for_a_missing_run_are_refused(store: Store) -> None:
    run_id = running(store)
    with pytest.raises(StoreError, match="belongs to run 'other'"):
        append_event(run_id, Message(run_id="other", seq=1, source="a"), store=store)
    with pytest.raises(NotFoundError):
        append_event("missing", Message(seq=1, source="a"), store=store)
    with pytest.raises(NotFoundError):
        load_events("missing", store=store)
    with pytest.raises(StoreError, match="Only run events"):
        append_event(run_id, {"type": "message"}, store=store)  # type: ignore[arg-type]


def test_stored_secret_values_never_reach_an_event_row(store: Store) -> None:
    canary = "sk-canary-3f1c9a0e-5b7d-4c2a-9e8f-0123456789ab"
    set_secret("OPENAI_API_KEY", canary, store=store)
    run_id = running(store)
    append_event(run_id, Message(seq=1, source="a", content=f"my key is {canary}!"), store=store)
    append_event(run_id, ToolResult(seq=2, source="a", results=[{"content": f'{{"key": "{canary}"}}'}]), store=store)
    append_event(run_id, Error(seq=3, message="call failed: Authorization: Bearer abcdefghijklmnopqrstu"), store=store)
    with store.read() as session:
        payloads = [r[0] for r in session.connection().exec_driver_sql("SELECT payload FROM events")]
    assert payloads and not any(canary in p for p in payloads)
    assert not any("abcdefghijklmnopqrstu" in p for p in payloads)
    loaded = load_events(run_id, store=store)
    assert loaded[0].content == "my key is [REDACTED]!"  # type: ignore[attr-defined]


def test_threads_appending_to_their_own_runs_keep_every_event_in_order(store: Store) -> None:
    runs = [running(store) for _ in range(4)]
    errors: list[BaseException] = []

    def worker(run_id: str) -> None:
        try:
            for seq in range(1, 51):
                append_event(run_id, Message(seq=seq, source="a", content=str(seq)), store=store)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for run_id in runs:
        assert [e.seq for e in load_events(run_id, store=store)] == list(range(1, 51))
        assert get_run(run_id, store=store).event_count == 50


def test_threads_appending_to_one_run_without_seqs_get_distinct_numbers(store: Store) -> None:
    run_id = running(store)
    threads = [
        threading.Thread(target=lambda: [append_event(run_id, Message(source="a"), store=store) for _ in range(25)])
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e.seq for e in load_events(run_id, store=store)] == list(range(1, 101))
