"""The Settings page with AppTest: secrets stored and listed masked (the value never reaches the page), the default
model endpoint feeding Build's new models, code execution with the local-mode confirmation, limits, data paths."""

from __future__ import annotations

from studio import __version__
from studio.store import get_secret, get_setting, list_secrets
from tests.ui.conftest import page_text, widget

SECRET = "sk-proj-SettingsPageSecretValue0123456789XYZ"


def _store_secret(at, name: str, value: str):
    at.text_input(key="secret_name").set_value(name)
    at.text_input(key="secret_value").set_value(value)
    next(b for b in at.button if b.label == "Store secret").click().run()
    assert not at.exception, at.exception
    return at


def test_a_secret_is_stored_and_listed_masked_and_its_value_never_appears(open_page, studio):
    at = _store_secret(open_page("settings"), "openai-prod", SECRET)
    assert get_secret("openai-prod", store=studio.store) == SECRET
    assert any("Stored the secret 'openai-prod'" in s.value for s in at.success)
    table = at.table[0].value
    assert list(table["name"]) == ["openai-prod"]
    assert list(table["value"]) == ["••••" + SECRET[-4:]]
    assert at.text_input(key="secret_value").value == ""  # the form cleared itself
    shown = page_text(at)
    assert "openai-prod" in shown
    assert SECRET not in shown and SECRET[:-4] not in shown


def test_a_secret_is_replaced_and_deleted(open_page, studio):
    at = _store_secret(open_page("settings"), "token", "first-value-long-enough-1234")
    _store_secret(at, "token", "second-value-long-enough-5678")
    assert get_secret("token", store=studio.store) == "second-value-long-enough-5678"
    assert list(at.table[0].value["value"]) == ["••••5678"]
    at.selectbox(key="secret_delete").set_value("token").run()
    at.button(key="secret_delete_btn").click().run()
    assert list_secrets(store=studio.store) == []
    assert not at.table


def test_a_bad_secret_name_is_refused_with_the_reason(open_page, studio):
    at = _store_secret(open_page("settings"), "no spaces allowed", "value-value-value")
    assert at.error and "not valid" in at.error[0].value
    assert list_secrets(store=studio.store) == []


def test_local_code_execution_needs_an_explicit_confirmation_and_then_warns_permanently(open_page, studio):
    at = open_page("settings")
    assert get_setting("code.default_mode", "sandbox", store=studio.store) == "sandbox"
    at.radio(key="code_mode").set_value("local").run()
    assert any("no isolation" in e.value or "without any sandbox" in e.value for e in at.error)
    assert at.button(key="save_code").disabled
    at.checkbox(key="code_local_confirm").check().run()
    at.button(key="save_code").click().run()
    assert at.error and "needs 'Allow local" in at.error[-1].value  # local default without allowing local
    assert get_setting("code.default_mode", "sandbox", store=studio.store) == "sandbox"

    at.checkbox(key="code_allow_local").check().run()
    at.checkbox(key="code_local_confirm").check().run()
    at.button(key="save_code").click().run()
    assert get_setting("code.default_mode", store=studio.store) == "local"
    assert get_setting("code.allow_local", store=studio.store) is True
    fresh = open_page("settings")
    assert any("Local code execution is allowed" in w.value for w in fresh.warning)


def test_limits_are_saved(open_page, studio):
    at = open_page("settings")
    at.number_input(key="human_timeout").set_value(120.0).run()
    widget(at, "number_input", "max_messages", prefix="default_limits").set_value(25).run()
    at.button(key="save_limits").click().run()
    assert get_setting("runs.human_input_timeout", store=studio.store) == 120.0
    assert get_setting("teams.default_limits", store=studio.store)["max_messages"] == 25
    build = open_page("build", build_kind="team")
    build.button(key="new:team").click().run()
    assert widget(build, "number_input", "limits.max_messages").value == 25


def test_the_default_model_endpoint_is_what_a_new_model_starts_from(open_page, studio):
    at = open_page("settings")
    at.selectbox(key="default_model_preset").set_value("Ollama").run()
    at.text_input(key="default_model_name").set_value("llama3.1:8b").run()
    at.button(key="save_default_model").click().run()
    assert not at.error
    saved = get_setting("models.default", store=studio.store)
    assert saved["provider"] == "openai_compatible" and saved["base_url"] == "http://localhost:11434/v1"
    build = open_page("build", build_kind="model")
    build.button(key="new:model").click().run()
    assert widget(build, "selectbox", "preset_label").value == "Ollama"
    assert widget(build, "text_input", "model").value == "llama3.1:8b"
    assert widget(build, "text_input", "base_url").value == "http://localhost:11434/v1"


def test_the_data_directory_database_and_version_are_shown(open_page, studio):
    at = open_page("settings")
    shown = " ".join(m.value for m in at.markdown)
    assert studio.home in shown
    assert "studio.db" in shown
    assert __version__ in shown
