"""`studio validate`, `studio import` and `studio export`: files in, specs saved, four export formats out — the
verbatim AutoGen Studio RoundRobin example in, and the exported Python script run against a real local server."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
import yaml

from studio.runtime.models.local import INSTALL_HINT, local_model_available
from studio.spec import is_autogen_studio, load_bundle
from studio.store import list_specs, open_store, set_secret
from tests.cli.conftest import DATA, GALLERY, cli_env
from tests.support.openai_server import OpenAIServer, Reply, tool_calls_reply

needs_local_model = pytest.mark.skipif(
    not local_model_available(), reason=f"the local model extra is missing: {INSTALL_HINT}"
)

AGS = str(DATA / "ags_roundrobin_team.json")


def test_validate_says_ok_for_a_good_file(studio):
    result = studio("validate", str(GALLERY / "debate.scripted.yaml"))
    assert (result.returncode, result.lines) == (0, ["ok"])


def test_validate_lists_each_problem_with_its_path(studio, tmp_path):
    bad = {
        "schema_version": 2,
        "team": {"name": "t", "kind": "group_chat", "agents": ["a", "critic"]},
        "agents": [{"name": "a", "model": "gpt"}],
        "models": [],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = studio("validate", str(path))
    assert result.returncode == 1
    assert "team.agents[1]" in result.stderr and "unknown agent 'critic'" in result.stderr
    assert "agents[0].model" in result.stderr and "unknown model 'gpt'" in result.stderr


def test_validate_reports_what_the_builder_would_refuse(studio, tmp_path):
    bundle = yaml.safe_load((GALLERY / "coding-assistant.scripted.yaml").read_text())
    bundle["agents"][0]["code_execution"]["mode"] = "local"
    path = tmp_path / "local.yaml"
    path.write_text(yaml.safe_dump(bundle))
    result = studio("validate", str(path))
    assert result.returncode == 1
    assert result.lines == [line for line in result.lines if "agents[0].code_execution.mode" in line]
    assert "enabled explicitly in Settings" in result.stdout


def test_validate_accepts_an_autogen_studio_file(studio):
    result = studio("validate", AGS)
    assert result.returncode == 0, result.stderr
    assert result.lines[-1] == "ok" and "note: the tool 'calculator' is unapproved" in result.stdout


def test_import_an_autogen_studio_team_and_export_it_every_way(studio, home, tmp_path):
    result = studio("import", AGS)
    assert result.returncode == 0, result.stderr
    assert "Imported the AutoGen Studio team" in result.stdout and "RoundRobin_Team" in result.stdout
    with open_store(home=home) as store:
        kinds = sorted((s.kind, s.name) for s in list_specs(store=store))
    assert kinds == [
        ("agent", "assistant_agent"),
        ("agent", "user"),
        ("model", "gpt-4o-mini"),
        ("team", "RoundRobin_Team"),
        ("tool", "calculator"),
    ]

    parley = studio("export", "RoundRobin_Team", "--format", "parley")
    bundle = load_bundle(parley.stdout)
    assert bundle.team.name == "RoundRobin_Team" and bundle.tool("calculator").kind == "python"

    as_yaml = studio("export", "RoundRobin_Team", "--format", "parley-yaml")
    assert load_bundle(as_yaml.stdout, format="yaml") == bundle

    out = tmp_path / "ags.json"
    ags = studio("export", "RoundRobin_Team", "--format", "autogen-studio", "-o", str(out))
    assert ags.returncode == 0 and ags.stdout == ""
    exported = json.loads(out.read_text())
    assert is_autogen_studio(exported) and exported["provider"] == "autogen_agentchat.teams.RoundRobinGroupChat"
    assert exported["config"]["participants"][0]["config"]["name"] == "assistant_agent"

    script = studio("export", "RoundRobin_Team", "--format", "python")
    assert script.returncode == 0
    compile(script.stdout, "exported.py", "exec")


def test_the_exported_python_script_runs_against_a_local_openai_server(studio, home, tmp_path):
    assert studio("import", AGS).returncode == 0
    path = tmp_path / "team.py"
    assert studio("export", "RoundRobin_Team", "--format", "python", "-o", str(path)).returncode == 0
    with OpenAIServer() as server:
        server.script(
            tool_calls_reply(("calculator", {"a": 2, "b": 3, "operator": "+"})),
            Reply("2 + 3 = 5. TERMINATE"),
        )
        env = cli_env(home, OPENAI_API_KEY="sk-test-script", OPENAI_BASE_URL=server.base_url)
        proc = subprocess.run(
            [sys.executable, str(path), "What is 2 + 3?"], capture_output=True, text=True, timeout=60, env=env
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.rstrip().endswith("2 + 3 = 5.")
        first, second = server.bodies
        assert [t["function"]["name"] for t in first["tools"]] == ["calculator"]
        assert second["messages"][-1] == {
            "role": "tool",
            "tool_call_id": second["messages"][-2]["tool_calls"][0]["id"],
            "content": "5.0",
        }


def test_exports_never_contain_a_stored_key(studio, studio_here, home, tmp_path):
    # T16: the export names the secret; it never holds its value.
    canary = f"sk-canary-{uuid.uuid4()}"
    bundle = yaml.safe_load((GALLERY / "debate.openai.yaml").read_text())
    bundle["models"][0]["api_key"] = {"secret": "openai-prod"}
    path = tmp_path / "debate.yaml"
    path.write_text(yaml.safe_dump(bundle))
    assert studio("import", str(path)).returncode == 0
    with open_store(home=home) as store:
        set_secret("openai-prod", canary, store=store)
    exports = [studio("export", "debate", "--format", "python")]
    exports += [studio_here("export", "debate", "--format", fmt) for fmt in ("parley", "parley-yaml", "autogen-studio")]
    for result in exports:
        assert result.returncode == 0, result.stderr
        assert canary not in result.stdout and canary[3:] not in result.stdout
    assert "openai-prod" in exports[1].stdout


@needs_local_model
def test_a_team_on_the_local_model_exports_to_a_script_that_talks_to_the_bundled_model(studio, home, tmp_path):
    team = {
        "schema_version": 2,
        "team": {"name": "tiny-pair", "kind": "two_agent", "agents": ["user", "bot"], "max_turns": 1},
        "agents": [
            {"name": "user", "kind": "user_proxy", "human_input_mode": "NEVER"},
            {"name": "bot", "kind": "assistant", "model": "tiny", "system_message": "Answer in one short sentence."},
        ],
        "models": [{"name": "tiny", "provider": "local", "params": {"max_tokens": 24, "temperature": 0.2}}],
    }
    source = tmp_path / "tiny.yaml"
    source.write_text(yaml.safe_dump(team))
    assert studio("import", str(source)).returncode == 0
    script = tmp_path / "tiny.py"
    assert studio("export", "tiny-pair", "--format", "python", "-o", str(script)).returncode == 0
    assert "'api_type': 'local'" in script.read_text()
    env = cli_env(home)  # no key anywhere
    proc = subprocess.run([sys.executable, str(script), "Name a fruit."], capture_output=True, text=True, timeout=120,
                          env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()  # the model's answer (wording is the model's business)
