"""The gallery's local variants talk through the real SmolLM2 bundled with `parley-studio[local]`: no key, no network.

Every local team builds with no key in the environment; a round-robin group chat, a group chat whose next speaker the
model itself picks, and the human-in-the-loop analyst run for real (shortened: a 135M model on two cores writes about
30 tokens a second). Assertions are on structure — who spoke, non-empty replies, token counts, streamed chunks —
never on wording.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

import gallery
from studio.builder import build_team
from studio.catalog import save_bundle
from studio.runtime.models.local import INSTALL_HINT, bundled_model_path, local_model_available
from studio.spec import Bundle, load_bundle, spec_to_data
from studio.store import load_events, open_store

pytestmark = [
    pytest.mark.skipif(not local_model_available(), reason=f"the local model extra is missing: {INSTALL_HINT}"),
    pytest.mark.xdist_group("local-model"),  # one worker loads the model once for all of these
]


def _local(team_id: str, *, params: dict[str, Any] | None = None, **team: Any) -> Bundle:
    """The shipped local variant of `team_id`, with team fields (max_round, ...) and the chat model's parameters
    overridden to keep a test short (or greedy, so the conversation does not depend on sampling)."""
    bundle = load_bundle(gallery.gallery_team(team_id).file("local").read_bytes(), keep_approvals=True)
    data = spec_to_data(bundle)
    data["team"].update(team)
    data["models"][0]["params"].update(params or {})
    return Bundle.model_validate(data)


def _model_events(events: list[Any]) -> list[Any]:
    return [e for e in events if e.type == "model_call"]


@pytest.mark.parametrize("team", gallery.GALLERY, ids=lambda t: t.id)
def test_every_local_team_builds_with_no_key_on_the_bundled_model(team, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with build_team(_local(team.id), work_dir=tmp_path) as built:
        clients = {id(a.client): a.client for a in built.agents.values() if getattr(a, "client", None) is not None}
        assert clients, "no agent of the team talks to a model"
        for client in clients.values():
            assert type(client).__name__ == "LocalClient" and client.path == bundled_model_path()


def test_the_debate_runs_round_robin_through_the_real_model_and_streams(tmp_path):
    events: list[Any] = []
    with build_team(_local("debate", max_round=4), work_dir=tmp_path) as built:
        result = built.run(gallery.gallery_team("debate").task, listeners=[events.append])
    messages = [e for e in events if e.type == "message"]
    assert [m.source for m in messages] == ["moderator", "bull", "bear", "synthesis"]
    assert all((m.content or "").strip() for m in messages)
    calls = _model_events(events)
    assert [c.source for c in calls] == ["bull", "bear", "synthesis"]
    assert all(c.prompt_tokens > 0 and 0 < c.completion_tokens <= 160 and c.cost == 0.0 for c in calls)
    assert calls[1].prompt_tokens > calls[0].prompt_tokens  # the bear reads what the bull said
    streamed = {e.source for e in events if e.type == "stream_chunk" and e.content}
    assert streamed == {"bull", "bear", "synthesis"}
    assert result.chat_history[-1]["content"].strip()


def test_the_model_itself_picks_the_next_speaker_of_the_debugging_team(tmp_path):
    events: list[Any] = []
    with build_team(_local("debugging", max_round=3), work_dir=tmp_path) as built:
        built.run(gallery.gallery_team("debugging").task, listeners=[events.append])
    members = {"developer", "tester", "reviewer"}
    picks = [e for e in events if e.type == "speaker_selected"]
    assert len(picks) == 2 and all(p.speaker in members for p in picks)
    # the selector's calls (a few tokens each) come from the chat manager, the replies from the members
    selector_calls = [c for c in _model_events(events) if c.source not in members]
    assert selector_calls and all(0 < c.completion_tokens <= 8 for c in selector_calls)
    spoken = [e.source for e in events if e.type == "message"]
    assert spoken[0] == "reporter" and set(spoken[1:]) <= members and len(spoken) == 3


def test_the_analyst_asks_the_human_and_answers_through_the_real_model_in_the_run_manager(tmp_path):
    from studio.runs import RunManager

    team = gallery.gallery_team("human-analyst")
    with open_store(home=tmp_path) as store:
        # Greedy decoding: at the gallery's temperature the model sometimes ends its first reply with TERMINATE.
        save_bundle(_local("human-analyst", params={"temperature": 0.0}), store=store)
        manager = RunManager(store, work_root=tmp_path / "runs", human_input_timeout=60)
        try:
            run = manager.start_run(team.team_name("local"), team.task)
            assert _answer(manager, run.id, "Focus on the west region.")
            _answer(manager, run.id, "exit")  # unless the analyst ended with TERMINATE itself
            info = manager.wait(run.id, timeout=120)
        finally:
            manager.shutdown()
        assert info.status == "completed"
        stored = load_events(run.id, store=store)
        messages = [e for e in stored if e.type == "message"]
        assert [m.source for m in messages] == ["human", "analyst", "human", "analyst"]  # then "exit" or TERMINATE
        assert messages[2].content == "Focus on the west region."
        assert all((m.content or "").strip() for m in messages)
        calls = [e for e in stored if e.type == "model_call"]
        assert len(calls) == 2 and all(c.source == "analyst" and c.completion_tokens > 0 for c in calls)
        assert info.total_tokens == sum(c.total_tokens for c in calls) > 0


def _answer(manager: Any, run_id: str, text: str, timeout: float = 120.0) -> bool:
    """Answer the next question of the run; False if the run ended instead of asking."""
    deadline = time.monotonic() + timeout
    while manager.pending_input(run_id) is None:
        assert time.monotonic() < deadline, "the run never asked the human"
        if not manager.wait(run_id, timeout=0.05).is_active:
            return False
    manager.answer(run_id, text)
    return True
