"""The widgets behind the Build, Gallery and Settings pages: the generated forms (read from the spec models), issue
placement by JSON path, the editor's text sync, the termination builder's shapes, the team graph, presets, approvals,
imports/exports and the settings rules. Pure functions are tested directly; the generated form is also drawn once
with AppTest to see the widgets it makes."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from components.widgets import field_editors, forms, gallery_import, kind_forms, settings_forms, spec_actions
from components.widgets import spec_editor as editor
from components.widgets.team_graph import MANAGER_ID, graph_elements, transition_elements
from studio.errors import SpecError, StoreError
from studio.spec import AgentSpec, ModelSpec, PythonToolSpec, SpecValidationError, TeamSpec, load_bundle, spec_from_data
from studio.store import open_store, set_secret
from tests.spec.samples import ADD_SOURCE, roundrobin_team


def _field(model, name):
    return next(f for f in forms.describe_fields(model) if f.name == name)


# -- reading the models ------------------------------------------------------------------------------------------------


def test_fields_are_read_from_the_models_with_their_docstrings_as_help():
    provider = _field(ModelSpec, "provider")
    assert provider.kind == "select" and provider.choices == (
        "openai",
        "azure",
        "openai_compatible",
        "local",
        "scripted",
    )
    assert provider.help.startswith("`openai`, `azure`")
    name = _field(ModelSpec, "name")
    assert (name.kind, name.required, name.max_length) == ("text", True, 64)
    params = _field(ModelSpec, "params")
    assert params.kind == "model" and params.model is not None
    temperature = next(f for f in forms.describe_fields(params.model, "params") if f.name == "temperature")
    assert (temperature.kind, temperature.optional, temperature.minimum, temperature.maximum) == (
        "float",
        True,
        0.0,
        2.0,
    )
    assert temperature.path == "params.temperature"
    assert _field(ModelSpec, "loop").kind == "checkbox"
    assert _field(ModelSpec, "replies").kind == "yaml"  # list[str | ScriptedToolCall]
    assert _field(ModelSpec, "api_key").kind == "model" and _field(ModelSpec, "api_key").optional  # "Set ..." switch
    assert _field(AgentSpec, "tools").kind == "lines"
    assert _field(AgentSpec, "system_message").kind == "textarea"
    assert _field(AgentSpec, "human_input_mode").optional
    assert _field(PythonToolSpec, "kind").kind == "const"
    assert _field(TeamSpec, "max_round").minimum == 1 and _field(TeamSpec, "max_round").maximum == 10_000
    assert _field(TeamSpec, "agents").kind == "lines" and _field(TeamSpec, "agents").required


def test_nested_field_paths_are_listed_parent_first():
    paths = forms.field_paths(AgentSpec, exclude={"stream"})
    assert paths.index("code_execution") < paths.index("code_execution.mode")
    assert "stream" not in paths


def test_issues_go_to_the_deepest_field_that_shows_them_and_the_rest_above_the_form():
    paths = forms.field_paths(TeamSpec)
    issues = [
        ("name", "bad name"),
        ("limits.max_messages", "too big"),
        ("agents[1]", "unknown agent 'x'"),
        ("", "A group chat needs at least 2 participants"),
        ("nowhere.at_all", "odd"),
    ]
    by_field, orphans = forms.assign_issues(issues, paths)
    assert by_field["name"] == ["bad name"]
    assert by_field["limits.max_messages"] == ["too big"]
    assert by_field["agents"] == ["agents[1]: unknown agent 'x'"]
    assert orphans == ["A group chat needs at least 2 participants", "nowhere.at_all: odd"]


def test_issue_pairs_come_from_a_spec_validation_error_with_their_paths():
    with pytest.raises(SpecValidationError) as caught:
        spec_from_data("model", {"name": "m", "params": {"temperature": 5.0}})
    assert forms.issue_pairs(caught.value) == [
        ("params.temperature", "Input should be less than or equal to 2 (got 5.0).")
    ]
    assert forms.issue_pairs(StoreError("The database is locked.")) == [("", "The database is locked.")]


def test_yaml_boxes_parse_with_the_spec_parser_and_report_bad_text():
    spec = _field(ModelSpec, "api_key")
    assert forms.yaml_box_value("", spec) == (None, None)
    assert forms.yaml_box_value("env: OPENAI_API_KEY", spec) == ({"env": "OPENAI_API_KEY"}, None)
    value, problem = forms.yaml_box_value("a: &x 1\nb: *x", spec)
    assert problem is not None and "YAML" in problem
    assert forms.yaml_box_text({"env": "X"}) == "env: X"
    assert forms.lines_to_list(" a \n\n b\n") == ["a", "b"]


def test_number_bounds_drop_a_bound_the_current_value_breaks_so_the_form_still_draws():
    temperature = next(
        f for f in forms.describe_fields(_field(ModelSpec, "params").model, "params") if f.name == "temperature"
    )
    assert forms.number_bounds(temperature, 1.0) == {"min_value": 0.0, "max_value": 2.0}
    assert forms.number_bounds(temperature, 5.0) == {"min_value": 0.0}
    seed = next(f for f in forms.describe_fields(_field(ModelSpec, "params").model, "params") if f.name == "seed")
    assert forms.number_bounds(seed, None) == {"min_value": 0}  # 2**63-1 is beyond what a browser can hold


def test_the_generated_form_draws_the_right_widgets_with_help_and_bounds():
    def page() -> None:
        from components.widgets.forms import render_form
        from studio.spec import ModelSpec

        result = render_form(
            ModelSpec,
            {"name": "m", "provider": "openai", "params": {"temperature": 0.5}},
            key="f",
            issues=[("params.temperature", "too warm"), ("", "whole-spec problem")],
        )
        import streamlit as st

        st.session_state["result"] = result.data

    at = AppTest.from_function(page)
    at.run()
    assert not at.exception
    assert at.selectbox(key="f:provider").options == ["openai", "azure", "openai_compatible", "local", "scripted"]
    assert at.text_input(key="f:name").help == "Name other specs use to refer to this model, e.g. `gpt4o-mini`."
    temperature = at.number_input(key="f:params.temperature")
    assert (temperature.min, temperature.max, temperature.value) == (0.0, 2.0, 0.5)
    assert at.checkbox(key="f:loop").value is False
    assert [e.label for e in at.expander] == ["Api key", "Params", "Model info"]
    assert [e.value for e in at.error] == ["whole-spec problem", "too warm"]
    data = at.session_state["result"]
    assert data["params"]["temperature"] == 0.5 and data["params"]["timeout"] == 60.0
    assert spec_from_data("model", data).name == "m"  # what the form returns validates as it is


# -- editor text sync --------------------------------------------------------------------------------------------------


def test_the_text_follows_the_form_until_the_person_edits_it():
    assert editor.text_state(None, None, "new") == ("new", False)
    assert editor.text_state("old", "old", "new") == ("new", False)
    assert editor.text_state("mine", "old", "new") == ("mine", True)


def test_text_round_trips_and_refuses_what_is_not_a_spec():
    data = {"name": "m", "params": {"timeout": 5.0}, "replies": ["a\nb"]}
    for fmt in ("YAML", "JSON"):
        assert editor.from_text(editor.to_text(data, fmt), fmt) == data
    with pytest.raises(SpecError):
        editor.from_text("- a\n- b\n", "YAML")
    with pytest.raises(SpecError):
        editor.from_text('{"a": 1, "a": 2}', "JSON")


# -- termination and transitions -----------------------------------------------------------------------------------------


def test_flat_termination_trees_split_and_join_and_nested_ones_are_left_to_yaml():
    mention = {"kind": "text_mention", "text": "TERMINATE"}
    cap = {"kind": "max_messages", "max_messages": 10}
    assert field_editors.split_termination(None) == ("any", [])
    assert field_editors.split_termination(mention) == ("any", [mention])
    assert field_editors.split_termination({"kind": "and", "conditions": [mention, cap]}) == ("all", [mention, cap])
    nested = {"kind": "or", "conditions": [{"kind": "and", "conditions": [mention, cap]}, cap]}
    assert field_editors.split_termination(nested) is None
    assert field_editors.join_termination("any", []) is None
    assert field_editors.join_termination("all", [cap]) == cap
    joined = field_editors.join_termination("any", [mention, cap])
    assert joined == {"kind": "or", "conditions": [mention, cap]}
    assert spec_from_data("termination", joined).kind == "or"
    assert set(field_editors.leaf_kinds()) >= {"max_messages", "text_mention", "timeout", "external"}
    assert "and" not in field_editors.leaf_kinds()


def test_transitions_keep_only_members_and_drop_empty_sources():
    table = {"a": ["b", "ghost"], "b": [], "ghost": ["a"]}
    assert field_editors.clean_transitions(table, ["a", "b"]) == {"a": ["b"]}
    assert field_editors.key_source_of({"secret": "s"}) == "Stored secret"
    assert field_editors.key_source_of({"env": "E"}) == "Environment variable"
    assert field_editors.key_source_of(None) == "Provider default"


# -- team graph --------------------------------------------------------------------------------------------------------


def _graph(team: dict, agents: list[dict], tools: list[dict] | None = None):
    nodes, edges = graph_elements({"team": team, "agents": agents, "tools": tools or []})
    return {n.id: n for n in nodes}, {(e.source, e.to) for e in edges}


def test_a_graph_selection_group_chat_shows_the_manager_members_transitions_and_tools():
    agents = [{"name": "a", "kind": "assistant", "tools": ["calc"]}, {"name": "b", "kind": "user_proxy"}, {"name": "u"}]
    team = {"kind": "group_chat", "agents": ["a", "b"], "initiator": "u", "speaker_selection": "graph",
            "allowed_transitions": {"a": ["b"], "b": ["a", "b"]}}  # fmt: skip
    nodes, edges = _graph(team, agents, [{"name": "calc", "kind": "python"}])
    assert set(nodes) == {MANAGER_ID, "agent:a", "agent:b", "agent:u", "tool:calc"}
    assert {(MANAGER_ID, "agent:a"), (MANAGER_ID, "agent:b")} <= edges
    assert {("agent:a", "agent:b"), ("agent:b", "agent:a"), ("agent:b", "agent:b")} <= edges
    assert ("agent:u", MANAGER_ID) in edges  # the initiator outside the participants sends the task
    assert ("agent:a", "tool:calc") in edges
    assert nodes["agent:b"].color != nodes["agent:a"].color  # colour by kind


def test_round_robin_draws_the_speaking_order_and_a_two_agent_chat_its_two_directions():
    _, edges = _graph({"kind": "group_chat", "agents": ["x", "y", "z"]}, [])
    assert {("agent:x", "agent:y"), ("agent:y", "agent:z"), ("agent:z", "agent:x")} <= edges
    nodes, edges = _graph({"kind": "two_agent", "agents": ["p", "q"]}, [{"name": "p"}, {"name": "q"}])
    assert MANAGER_ID not in nodes and edges == {("agent:p", "agent:q"), ("agent:q", "agent:p")}


def test_a_copied_agent_is_labelled_as_it_speaks_and_as_it_is_stored():
    nodes, _ = _graph({"kind": "two_agent", "agents": ["p", "q-2"]}, [{"name": "p"}, {"name": "q-2", "chat_name": "q"}])
    assert (nodes["agent:p"].label, nodes["agent:q-2"].label) == ("p", "q (q-2)")


def test_every_gallery_bundle_draws_and_unknown_names_still_get_a_node():
    from gallery import gallery_files

    for path in gallery_files():
        bundle = load_bundle(path.read_text(), keep_approvals=True)
        nodes, _ = graph_elements(bundle)
        assert {f"agent:{n}" for n in bundle.team.agents} <= {n.id for n in nodes}, path.name
    nodes, _ = _graph({"kind": "group_chat", "agents": ["ghost", "other"]}, [])
    assert "not defined" in next(n for n in nodes.values() if n.id == "agent:ghost").title


def test_the_transition_graph_labels_edges_with_their_counts():
    nodes, edges = transition_elements({("a", "b"): 3, ("b", "a"): 1, ("b", "c"): 0})
    assert {n.id for n in nodes} == {"agent:a", "agent:b", "agent:c"}
    labels = {(e.source, e.to): e.label for e in edges}
    assert labels == {("agent:a", "agent:b"): "3", ("agent:b", "agent:a"): "1"}


# -- presets, approvals, import/export -----------------------------------------------------------------------------------


@pytest.mark.parametrize("label", list(spec_actions.PRESETS))
def test_every_preset_makes_a_valid_model_and_is_recognised_again(label):
    data = spec_actions.apply_preset({"name": "m", "model": "some-model", "api_version": "x", "loop": True}, label)
    assert spec_actions.preset_of(data) == label
    spec_from_data("model", data)


def test_an_approval_survives_a_save_only_for_exactly_the_approved_source():
    tool = PythonToolSpec(name="add", source=ADD_SOURCE)
    approved = tool.approve()
    stored = approved.model_dump(mode="json")
    assert spec_actions.carry_approval(tool, stored).is_approved
    edited = tool.model_copy(update={"source": ADD_SOURCE.replace("a + b", "b + a")})
    assert not spec_actions.carry_approval(edited, stored).is_approved
    forged = tool.model_copy(update={"approved_hash": tool.content_hash()})
    assert not spec_actions.carry_approval(forged, None).is_approved  # a hash typed into the editor approves nothing


def test_imports_are_detected_and_exports_never_carry_a_stored_secret(tmp_path):
    store = open_store(home=tmp_path)
    ags = spec_actions.read_import(json.dumps(roundrobin_team()))
    assert ags.source_format == "autogen_studio" and not ags.bundle.tools[0].is_approved
    ours = spec_actions.read_import(spec_actions.export_text(ags.bundle, "Parley YAML")[2])
    assert ours.source_format == "studio" and ours.bundle.team.name == ags.bundle.team.name
    names = [spec_actions.export_text(ags.bundle, label, store=store)[0] for label in spec_actions.EXPORT_FORMATS]
    assert names == ["RoundRobin_Team.json", "RoundRobin_Team.yaml", "RoundRobin_Team.ags.json", "RoundRobin_Team.py"]
    secret = "zz-secret-value-0123456789-abcdef"
    set_secret("leaky", secret, store=store)
    leaky = ags.bundle.model_copy(update={"team": ags.bundle.team.model_copy(update={"description": secret})})
    with pytest.raises(StoreError):
        spec_actions.export_text(leaky, "Parley JSON", store=store)
    store.engine.dispose()


def test_database_urls_are_shown_without_their_password():
    assert (
        spec_actions.mask_url("postgresql+psycopg://me:hunter2@db:5432/studio")
        == "postgresql+psycopg://me:***@db:5432/studio"
    )
    assert spec_actions.mask_url("sqlite:////home/x/studio.db") == "sqlite:////home/x/studio.db"


def test_check_connection_against_a_real_server_with_a_key_from_the_environment(tmp_path, openai_server, monkeypatch):
    store = open_store(home=tmp_path)
    monkeypatch.setenv("UI_TEST_KEY", "sk-envkey-0123456789ABCDEFGHIJ")
    spec = ModelSpec(name="m", provider="openai_compatible", model="test-model", base_url=openai_server.base_url,
                     api_key={"env": "UI_TEST_KEY"})  # fmt: skip
    openai_server.script("OK")
    result = spec_actions.check_connection(spec, store=store)
    assert result.ok and result.text == "OK"
    assert openai_server.requests[0].header("Authorization") == "Bearer sk-envkey-0123456789ABCDEFGHIJ"
    monkeypatch.delenv("UI_TEST_KEY")
    result = spec_actions.check_connection(spec, store=store)
    assert not result.ok and "UI_TEST_KEY" in result.text and len(openai_server.requests) == 1
    store.engine.dispose()


def test_the_import_review_approves_only_the_tools_a_person_switched_on():
    pending = gallery_import.read_import_pending(json.dumps(roundrobin_team()))
    assert pending.error is None and pending.source_format == "autogen_studio"
    assert not gallery_import.approved_bundle(pending.data, set()).tools[0].is_approved
    assert gallery_import.approved_bundle(pending.data, {"calculator"}).tools[0].is_approved
    bad = gallery_import.read_import_pending("{not json")
    assert bad.error and bad.error.startswith("The import cannot be read")


# -- kinds and settings rules --------------------------------------------------------------------------------------------


def test_fields_of_other_providers_and_team_kinds_are_hidden():
    assert kind_forms.model_hidden("api_version", {"provider": "openai"})
    assert not kind_forms.model_hidden("api_version", {"provider": "azure"})
    assert kind_forms.model_hidden("base_url", {"provider": "scripted"})
    assert kind_forms.team_hidden("max_round", {"kind": "two_agent"})
    assert kind_forms.team_hidden("max_turns", {"kind": "group_chat"})
    assert kind_forms.team_hidden("selector_model", {"kind": "group_chat", "speaker_selection": "round_robin"})
    assert not kind_forms.team_hidden("allowed_transitions", {"kind": "group_chat", "speaker_selection": "graph"})
    assert kind_forms.agent_hidden("code_execution.timeout", {"mode": "off"})
    assert kind_forms.agent_hidden("code_execution.image", {"mode": "sandbox"})
    assert not kind_forms.agent_hidden("code_execution.image", {"mode": "docker"})


def test_new_specs_start_from_templates_with_free_names_and_the_settings_defaults():
    assert kind_forms.unique_name("agent", {"agent", "agent_2"}) == "agent_3"
    tool = kind_forms.template("tool")
    assert PythonToolSpec.model_validate(tool).name == "my_tool"
    model = kind_forms.template("model", settings={"models.default": {"provider": "scripted", "replies": ["x"]}})
    assert spec_from_data("model", model).provider == "scripted"
    team = kind_forms.template("team", taken={"team"}, settings={"teams.default_limits": {"max_messages": 7}})
    assert team["name"] == "team_2" and team["limits"] == {"max_messages": 7}


def test_local_code_execution_needs_allowing_and_a_confirmation():
    assert settings_forms.code_problem("sandbox", False, False) is None
    assert "Allow local" in settings_forms.code_problem("local", False, True)
    assert "Confirm" in settings_forms.code_problem("docker", True, False)
    assert settings_forms.code_problem("local", True, True) is None
    assert settings_forms.code_problem("chroot", False, False).startswith("Unknown")


def test_secret_rows_show_names_and_masks_only(tmp_path):
    store = open_store(home=tmp_path)
    set_secret("k", "a-long-secret-value-ABCD", store=store)
    from studio.store import list_secrets

    rows = settings_forms.secret_rows(list_secrets(store=store))
    assert [(r["name"], r["value"]) for r in rows] == [("k", "••••ABCD")]
    assert "a-long-secret" not in json.dumps(rows)
    store.engine.dispose()
