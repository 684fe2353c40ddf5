"""The catalog on a real SQLite store: bundles saved as separate specs, copies instead of overwrites (T18), teams
assembled from current versions and shown broken when a piece is gone (T09), guarded deletes, the gallery once."""

from __future__ import annotations

import pytest

from studio.builder import build_team
from studio.catalog import (
    GALLERY_SETTING,
    assemble_bundle,
    check_team,
    delete_spec_checked,
    import_text,
    load_gallery,
    rename_function,
    save_bundle,
    spec_users,
)
from studio.errors import BuildError, StoreError
from studio.spec import analyze_tool_source, dump_bundle
from studio.store import delete_spec, get_setting, get_spec, list_specs, open_store, save_spec, spec_history
from tests.builder.bundles import assistant, bundle, group, proxy, python_tool, scripted, two_agent

ADD = 'def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n'


@pytest.fixture
def store(tmp_path):
    with open_store(home=tmp_path) as s:
        yield s


def _team(description: str = "", tool_approved: bool = True):
    return bundle(
        two_agent("user", "bot", description=description, termination={"kind": "text_mention", "sources": ["bot"]}),
        [proxy("user"), assistant("bot", "m", tools=["add"])],
        [scripted("m", "hi")],
        [python_tool("add", ADD, approved=tool_approved)],
    )


def test_a_bundle_is_saved_as_one_spec_per_piece_and_assembles_back(store):
    report = save_bundle(_team(), store=store)
    assert [(s.kind, s.name, s.action) for s in report.saved] == [
        ("model", "m", "created"),
        ("tool", "add", "created"),
        ("agent", "user", "created"),
        ("agent", "bot", "created"),
        ("team", "team", "created"),
    ]
    assert get_spec("team", kind="team", store=store).id == report.team_id
    assert {s.kind for s in list_specs(store=store)} == {"model", "tool", "agent", "team"}
    assembled = assemble_bundle(report.team_id, store=store)
    assert dump_bundle(assembled) == dump_bundle(_team())
    assert assembled.tools[0].is_approved  # the store is the studio's own: approvals are kept


def test_saving_the_same_bundle_again_changes_nothing(store):
    first = save_bundle(_team(), store=store)
    again = save_bundle(_team(), store=store)
    assert again.team_id == first.team_id
    assert {s.action for s in again.saved} == {"unchanged"}
    assert len(spec_history(first.team_id, store=store)) == 1


def test_a_name_taken_by_different_content_gets_a_copy_and_references_follow(store):
    # T18: never overwrite silently.
    save_bundle(_team(), store=store)
    other = bundle(
        two_agent("user", "bot", termination={"kind": "text_mention", "sources": ["bot"]}),
        [proxy("user"), assistant("bot", "m", tools=["add"], system_message="Different.")],
        [scripted("m", "other reply")],
        [python_tool("add", ADD.replace("a + b", "b + a"), approved=True)],
    )
    report = save_bundle(other, store=store)
    assert report.renamed == {
        ("model", "m"): "m-2",
        ("tool", "add"): "add_2",
        ("agent", "bot"): "bot-2",
        ("team", "team"): "team-2",
    }
    copy = assemble_bundle(report.team_id, store=store)
    assert copy.team.agents == ["user", "bot-2"] and copy.team.termination.sources == ["bot-2"]
    assert copy.agent("bot-2").model == "m-2" and copy.agent("bot-2").tools == ["add_2"]
    assert copy.agent("bot-2").chat_name == "bot" and copy.agent("user").chat_name is None  # still "bot" in a chat
    tool = copy.tool("add_2")
    assert analyze_tool_source(tool.source, "add_2").ok and not tool.is_approved
    assert any("needs review and approval again" in note for note in report.notes)
    # the originals are untouched
    assert assemble_bundle("team", store=store).agent("bot").system_message is None


def test_on_conflict_error_saves_nothing(store):
    save_bundle(_team(), store=store)
    before = len(list_specs(store=store))
    with pytest.raises(StoreError, match="Nothing was saved.*team 'team'"):
        save_bundle(_team(description="changed"), store=store, on_conflict="error")
    assert len(list_specs(store=store)) == before


def test_an_approved_copy_of_the_same_source_approves_the_stored_tool(store):
    save_bundle(_team(tool_approved=False), store=store)
    report = save_bundle(_team(tool_approved=True), store=store)
    assert ("tool", "add", "updated") in [(s.kind, s.name, s.action) for s in report.saved]
    assert assemble_bundle("team", store=store).tools[0].is_approved
    # and the reverse: an unapproved import of an approved source reuses the approved tool
    assert save_bundle(_team(tool_approved=False), store=store).saved[1].action == "unchanged"


def test_an_agent_copy_renames_the_tool_executor_that_points_at_it(store):
    def team(note: str):
        return bundle(
            group("asker", "runner"),
            [assistant("asker", "m", tools=["calc"], tool_executor="runner"), proxy("runner", description=note)],
            [scripted("m", "x")],
            [{"kind": "builtin", "name": "calc", "builtin": "calculator"}],
        )

    save_bundle(team("first"), store=store)
    report = save_bundle(team("second"), store=store)
    copy = assemble_bundle(report.team_id, store=store)
    assert copy.team.agents == ["asker-2", "runner-2"]
    assert copy.agent("asker-2").tool_executor == "runner-2"


def test_a_team_whose_agent_was_deleted_is_broken_not_a_crash(store):
    # T09: the list shows it as broken, naming what is missing.
    report = save_bundle(_team(), store=store)
    delete_spec(get_spec("bot", kind="agent", store=store).id, store=store)
    with pytest.raises(BuildError) as info:
        assemble_bundle(report.team_id, store=store)
    assert info.value.path == "team.agents[1]"
    assert "the agent 'bot' does not exist" in str(info.value)
    assert "is broken" in check_team("team", store=store)


def test_a_missing_model_and_tool_are_all_named(store):
    save_bundle(_team(), store=store)
    delete_spec(get_spec("m", kind="model", store=store).id, store=store)
    delete_spec(get_spec("add", kind="tool", store=store).id, store=store)
    problem = check_team("team", store=store)
    assert "the model 'm' does not exist" in problem and "the tool 'add' does not exist" in problem


def test_a_stored_team_edited_into_an_invalid_reference_is_broken(store):
    save_bundle(_team(), store=store)
    data = dict(get_spec("bot", kind="agent", store=store).data, tool_executor="nobody")
    save_spec("agent", "bot", data, store=store)
    assert "is broken" in check_team("team", store=store)


def test_a_spec_in_use_cannot_be_deleted(store):
    save_bundle(_team(), store=store)
    with pytest.raises(StoreError) as info:
        delete_spec_checked("agent", "bot", store=store)
    assert "team 'team' (agents[1])" in str(info.value)
    with pytest.raises(StoreError, match=r"agent 'bot' \(tools\[0\]\)"):
        delete_spec_checked("tool", "add", store=store)
    assert [u.path for u in spec_users("model", "m", store=store)] == ["model"]
    delete_spec_checked("team", "team", store=store)
    delete_spec_checked("agent", "bot", store=store)  # free once the team is gone
    delete_spec_checked("tool", "add", store=store)
    assert {s.name for s in list_specs(store=store)} == {"m", "user"}


def test_import_text_keeps_imported_tools_unapproved(store):
    result, report = import_text(dump_bundle(_team(tool_approved=True)), store=store)
    assert result.source_format == "studio"
    assert not assemble_bundle(report.team_id, store=store).tools[0].is_approved


def test_the_gallery_is_imported_once(store):
    reports = load_gallery(store=store)
    assert [r.team_name for r in reports] == [
        "coding-assistant-demo",
        "debate-demo",
        "debugging-demo",
        "red-team-demo",
        "human-analyst-demo",
        "research-tools-demo",
    ]
    assert load_gallery(store=store) == []
    imported = get_setting(GALLERY_SETTING, store=store)
    assert sorted(imported) == sorted(
        f"{t}.scripted"
        for t in ("coding-assistant", "debate", "debugging", "red-team", "human-analyst", "research-tools")
    )
    # a deleted gallery team stays deleted
    delete_spec_checked("team", "debate-demo", store=store)
    assert load_gallery(store=store) == []
    assert check_team("research-tools-demo", store=store) is None
    assert assemble_bundle("research-tools-demo", store=store).tools[0].is_approved


def test_both_gallery_variants_can_live_side_by_side(store):
    load_gallery(store=store, variant="all")
    names = {s.name for s in list_specs("team", store=store)}
    assert {"debate", "debate-demo", "coding-assistant", "coding-assistant-demo"} <= names
    assert assemble_bundle("debate", store=store).models[0].model == "gpt-4o-mini"


def test_rename_function_renames_only_the_definition():
    source = "import math\n\n@staticmethod\nasync def  tool(x: int) -> int:\n    '''tool docs'''\n    return x\n"
    renamed = rename_function(source, "tool", "tool_2")
    assert "async def  tool_2(x: int)" in renamed and "'''tool docs'''" in renamed


def test_an_assembled_team_builds(store, tmp_path):
    report = save_bundle(_team(), store=store)
    with build_team(assemble_bundle(report.team_id, store=store), work_dir=tmp_path) as team:
        assert "add" in team.agents["user"].function_map


def test_a_copied_agent_speaks_under_its_original_name_and_its_team_stops_as_written(store, tmp_path):
    save_bundle(_team(), store=store)
    other = bundle(
        two_agent("user", "bot", max_turns=3, termination={"kind": "text_mention", "sources": ["bot"], "text": "BYE"}),
        [proxy("user"), assistant("bot", "m", system_message="Different.", termination_text=None)],
        [scripted("m", "hello", "BYE", "never said")],
    )
    report = save_bundle(other, store=store)
    copy = assemble_bundle(report.team_id, store=store)
    assert copy.team.termination.sources == ["bot-2"]  # specs refer to the stored name ...
    events: list = []
    with build_team(copy, work_dir=tmp_path) as team:
        result = team.run("hi", listeners=[events.append])
    # ... the conversation (and the termination condition) to the name it speaks under
    assert [m["name"] for m in result.chat_history] == ["user", "bot", "user", "bot"]
    assert {e.source for e in events if e.type == "message"} == {"user", "bot"}
    assert result.chat_history[-1]["content"] == "BYE"
    again = save_bundle(other, store=store)
    assert again.team_id == report.team_id  # importing the same file again reuses the copies


def test_the_second_gallery_variant_keeps_the_agents_names_in_its_conversations(store):
    load_gallery(store=store)
    load_gallery(store=store, variant="local")
    local = assemble_bundle("debate-local", store=store)
    assert local.team.agents == ["bull-2", "bear-2", "synthesis-2"]
    assert [local.agent(n).speaker for n in local.team.agents] == ["bull", "bear", "synthesis"]
