"""The Build page, driven headlessly with AppTest against a real store in a temp STUDIO_HOME (gallery loaded).

Each test reads like what a person does: pick a kind, press New, fill the form (or the YAML), Save, look at the
history, restore, duplicate, delete; test a model's connection against a real OpenAI-compatible server on 127.0.0.1;
check and approve a tool; list an approved MCP server's tools.
"""

from __future__ import annotations

import sys
from pathlib import Path

from studio.spec import PythonToolSpec
from studio.store import get_spec, list_specs, save_spec, set_secret, spec_history
from tests.support.openai_server import HTTPError
from tests.ui.conftest import following, page_text, walk, widget

DEMO_MCP = Path(__file__).resolve().parents[1] / "support" / "mcp_servers" / "demo_server.py"


def open_kind(open_page, kind: str):
    return open_page("build", build_kind=kind)


def select(at, kind: str, spec_id: str):
    at.radio(key=f"build_list:{kind}").set_value(spec_id).run()
    return at


def test_a_new_model_saves_as_version_1_then_an_edit_as_version_2_and_an_old_version_restores(open_page, studio):
    at = open_kind(open_page, "model")
    at.button(key="new:model").click().run()
    widget(at, "selectbox", "preset_label").set_value("Scripted (demo, no network)").run()
    widget(at, "text_input", "name").set_value("demo_model").run()
    at.button(key="save:model").click().run()
    assert not at.exception
    assert any("version 1" in s.value for s in at.success), [s.value for s in at.success]
    stored = get_spec("demo_model", kind="model", store=studio.store)
    assert (stored.version, stored.data["provider"]) == (1, "scripted")

    widget(at, "text_area", "description").set_value("Replies from a list.").run()
    at.button(key="save:model").click().run()
    assert any("version 2" in s.value for s in at.success)
    assert get_spec(stored.id, store=studio.store).data["description"] == "Replies from a list."
    assert any("Version 2" in c.value for c in at.caption)

    history = at.selectbox(key=f"history:{stored.id}")
    assert history.options[:2] == ["v2 (current)", "v1"]
    history.set_value(1).run()
    at.button(key=f"restore:{stored.id}").click().run()
    restored = get_spec(stored.id, store=studio.store)
    assert restored.version == 3 and restored.data["description"] == ""
    assert [v.version for v in spec_history(stored.id, store=studio.store)] == [1, 2, 3]


def test_a_validation_error_appears_right_under_the_bad_field_and_nothing_is_saved(open_page, studio):
    at = open_kind(open_page, "agent")
    before = len(list_specs("agent", store=studio.store))
    at.button(key="new:agent").click().run()
    name = widget(at, "text_input", "name")
    name.set_value("bad name").run()
    at.button(key="save:agent").click().run()
    assert not at.exception
    name = widget(at, "text_input", "name")
    assert name.value == "bad name"  # the form keeps what was typed
    after = following(at, name)
    assert type(after[0]).__name__ == "Error", after[0]
    assert "contains whitespace" in after[0].value
    assert len(list_specs("agent", store=studio.store)) == before


def test_an_error_quoting_a_hostile_value_is_rendered_inert(open_page, studio):
    at = open_kind(open_page, "agent")
    at.button(key="new:agent").click().run()
    widget(at, "text_input", "name").set_value("![x](http://127.0.0.1:9/leak?k=1)").run()
    at.button(key="save:agent").click().run()
    [error] = [e for e in at.error if "must start with an ASCII letter" in e.value]
    assert "image removed" in error.value  # the quoted value is shown through the safe renderer ...
    assert "![" not in error.value and "leak" not in error.value  # ... so no image (nor its URL) reaches the page


def test_the_yaml_view_follows_the_form_and_an_edited_yaml_is_what_gets_saved(open_page, studio):
    save_spec("model", "plain", {"name": "plain", "provider": "scripted", "replies": ["hi"]}, store=studio.store)
    at = open_kind(open_page, "model")
    spec_id = get_spec("plain", kind="model", store=studio.store).id
    select(at, "model", spec_id)
    widget(at, "text_area", "description").set_value("typed in the form").run()
    text = widget(at, "text_area", "text:YAML")
    assert "description: typed in the form" in text.value

    text.set_value(text.value.replace("typed in the form", "typed in the YAML")).run()
    assert any("differs from the form" in i.value for i in at.info)
    at.button(key="save:model").click().run()
    assert get_spec(spec_id, store=studio.store).data["description"] == "typed in the YAML"

    text = widget(at, "text_area", "text:YAML")
    text.set_value(text.value.replace("typed in the YAML", "applied")).run()
    widget(at, "button", "apply").click().run()
    assert widget(at, "text_area", "description").value == "applied"


def test_delete_is_refused_while_a_team_uses_the_agent_and_says_which_team(open_page, studio):
    coder = get_spec("coder", kind="agent", store=studio.store)
    at = select(open_kind(open_page, "agent"), "agent", coder.id)
    at.checkbox(key=f"del_ok:{coder.id}").check().run()
    at.button(key=f"del_btn:{coder.id}").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "Not deleted" in errors and "coding-assistant-demo" in errors
    assert any("coding-assistant-demo" in m.value for m in at.markdown)
    assert get_spec(coder.id, store=studio.store).deleted_at is None


def test_an_unused_spec_is_duplicated_and_deleted(open_page, studio):
    spec_id, _ = save_spec("model", "spare", {"name": "spare", "provider": "scripted"}, store=studio.store)
    at = select(open_kind(open_page, "model"), "model", spec_id)
    at.text_input(key=f"dup:{spec_id}").set_value("spare_two").run()
    at.button(key=f"dup_btn:{spec_id}").click().run()
    copy = get_spec("spare_two", kind="model", store=studio.store)
    assert copy.data["name"] == "spare_two"

    select(at, "model", spec_id)
    at.checkbox(key=f"del_ok:{spec_id}").check().run()
    at.button(key=f"del_btn:{spec_id}").click().run()
    assert any("Deleted the model 'spare'" in s.value for s in at.success)
    assert "spare" not in {s.name for s in list_specs("model", store=studio.store)}


def test_test_connection_makes_one_real_call_with_the_stored_secret_and_never_shows_it(
    open_page, studio, openai_server
):
    key = "sk-proj-UiTestKeyABCDEFGHIJKLMNOP0123456789"
    set_secret("local-server", key, store=studio.store)
    data = {
        "name": "local",
        "provider": "openai_compatible",
        "model": "test-model",
        "base_url": openai_server.base_url,
        "api_key": {"secret": "local-server"},
    }
    spec_id, _ = save_spec("model", "local", data, store=studio.store)
    openai_server.script("OK from the server", HTTPError(401, "Incorrect API key provided: " + key))
    at = select(open_kind(open_page, "model"), "model", spec_id)
    assert widget(at, "radio", "api_key:source").value == "Stored secret"

    at.button(key="build-model:test").click().run()
    assert any("OK from the server" in c.value for c in at.code)
    assert openai_server.requests[0].header("Authorization") == f"Bearer {key}"
    shown = page_text(at)
    assert "local-server" in shown and "OK from the server" in shown  # the text dump does see the page
    assert key not in shown and key[-12:] not in shown

    at.button(key="build-model:test").click().run()
    assert any("failed" in e.value for e in at.error)
    assert key not in page_text(at)


def test_a_python_tool_is_checked_without_running_and_approved_after_review(open_page, studio):
    at = open_kind(open_page, "tool")
    at.button(key="new:tool").click().run()
    at.button(key="build-tool:check").click().run()
    assert any("The source is valid" in s.value for s in at.success)
    assert at.json and "text" in at.json[0].value
    at.button(key="save:tool").click().run()
    tool = get_spec("my_tool", kind="tool", store=studio.store)
    assert tool.data["approved_hash"] is None
    assert any("not approved" in w.value for w in at.warning)

    at.button(key="build-tool:approve").click().run()
    approved = PythonToolSpec.model_validate(get_spec(tool.id, store=studio.store).data)
    assert approved.is_approved
    assert any("Approved" in s.value for s in at.success)


def test_a_broken_tool_source_shows_its_line_and_column(open_page, studio):
    at = open_kind(open_page, "tool")
    at.button(key="new:tool").click().run()
    widget(at, "text_area", "source").set_value("def my_tool(x: int) -> int:\n    return (x +\n").run()
    at.button(key="build-tool:check").click().run()
    assert any("line 2" in e.value or "line 3" in e.value for e in at.error), [e.value for e in at.error]


def test_an_mcp_server_lists_its_tools_only_after_approval_and_flags_hidden_characters(open_page, studio):
    data = {"kind": "mcp", "name": "demo", "command": sys.executable, "args": [str(DEMO_MCP), "stdio"], "timeout": 60.0}
    spec_id, _ = save_spec("tool", "demo", data, store=studio.store)
    at = select(open_kind(open_page, "tool"), "tool", spec_id)
    assert not [b for b in at.button if (b.key or "").endswith(":list_tools")]
    assert any("not approved" in w.value for w in at.warning)
    at.button(key="build-tool:approve_mcp").click().run()
    at.button(key="build-tool:list_tools").click().run()
    assert not at.exception
    assert any("offers" in c.value for c in at.caption)
    shown = page_text(at)
    assert "echo" in shown and "sneaky" in shown
    assert any("Hidden character" in w.value for w in at.warning)


def test_a_group_chat_is_built_from_two_agents_with_transitions_and_drawn(open_page, studio):
    for name in ("alice", "bob"):
        agent = {"name": name, "kind": "assistant", "model": "debate-bull-script"}
        save_spec("agent", name, agent, store=studio.store)
    at = open_kind(open_page, "team")
    at.button(key="new:team").click().run()
    widget(at, "text_input", "name").set_value("pair").run()
    widget(at, "multiselect", "agents").set_value(["alice", "bob"]).run()
    widget(at, "selectbox", "speaker_selection").set_value("graph").run()
    widget(at, "multiselect", "allowed_transitions:alice").set_value(["bob"]).run()
    widget(at, "multiselect", "allowed_transitions:bob").set_value(["alice"]).run()
    # A new team starts with "TERMINATE or 20 messages"; swap the cap for a timeout and add a 10-message cap.
    cap = [w for w in at.button if (w.key or "").endswith(":remove")][1]
    cap.click().run()
    for kind in ("timeout", "max_messages"):
        widget(at, "selectbox", "termination:new").set_value(kind).run()
        widget(at, "button", "termination:add").click().run()
    at.button(key="save:team").click().run()
    assert not at.exception, at.exception
    team = get_spec("pair", kind="team", store=studio.store).data
    assert team["allowed_transitions"] == {"alice": ["bob"], "bob": ["alice"]}
    termination = team["termination"]
    assert termination["kind"] == "or"
    assert [c["kind"] for c in termination["conditions"]] == ["text_mention", "timeout", "max_messages"]
    assert termination["conditions"][1]["timeout_seconds"] == 300.0
    assert termination["conditions"][2]["max_messages"] == 10
    assert [n.key for n in walk(at._tree) if getattr(n, "key", None) == "build-team:graph"]
