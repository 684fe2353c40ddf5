"""Our AutoGen Studio export loads in AutoGen itself (`BaseGroupChat.load_component`, what AGS's team manager calls).

AutoGen cannot live in the project's environment (autogen-ext needs mcp<2), so this test runs only when
`PARLEY_AGS_PYTHON` names an interpreter that has `autogen-agentchat`/`autogen-ext[openai,docker,azure,mcp]` 0.5.x
installed (e.g. a scratch venv); the loader runs there as a subprocess with placeholder credentials.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from studio.spec import (
    AgentSpec,
    Bundle,
    CodeExecutionSpec,
    McpToolSpec,
    ModelSpec,
    SecretRef,
    TeamSpec,
    export_autogen_studio,
    import_autogen_studio,
)
from tests.spec.samples import selector_team, small_bundle, workbench_list_shape

AGS_PYTHON = os.environ.get("PARLEY_AGS_PYTHON")
pytestmark = pytest.mark.skipif(not AGS_PYTHON, reason="set PARLEY_AGS_PYTHON to an interpreter with autogen 0.5.x")

LOADER = """
import json, sys
from autogen_agentchat.teams import BaseGroupChat
for path in sys.argv[1:]:
    team = BaseGroupChat.load_component(json.load(open(path)))
    print(path, type(team).__name__, ",".join(p.name for p in team._participants))
"""


def _bundles() -> dict[str, Bundle]:
    mcp = Bundle(
        team=TeamSpec(name="m", kind="two_agent", agents=["user", "a"]),
        agents=[
            AgentSpec(name="user", kind="user_proxy", human_input_mode="NEVER"),
            AgentSpec(name="a", model="az", tools=["fs"]),
        ],
        models=[
            ModelSpec(
                name="az",
                provider="azure",
                model="gpt-4o",
                base_url="https://x.openai.azure.com",
                api_version="2024-06-01",
            )
        ],
        tools=[McpToolSpec(name="fs", command="npx", args=["-y", "server"], env={"T": SecretRef(env="FS_TOKEN")})],
    )
    coder = small_bundle().model_copy(deep=True)
    coder.agents.append(AgentSpec(name="runner", kind="code_executor", code_execution=CodeExecutionSpec(mode="docker")))
    coder.team.agents.append("runner")
    return {
        "roundrobin": import_autogen_studio(workbench_list_shape()).bundle,
        "selector": import_autogen_studio(selector_team()).bundle,
        "studio_group": coder,
        "mcp_azure": mcp,
    }


def test_exports_load_in_autogen(tmp_path: Path):
    paths = []
    for name, bundle in _bundles().items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(export_autogen_studio(bundle)))
        paths.append(str(path))
    env = {"PATH": os.environ.get("PATH", ""), "OPENAI_API_KEY": "placeholder", "AZURE_OPENAI_API_KEY": "placeholder"}
    out = subprocess.run([AGS_PYTHON, "-c", LOADER, *paths], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert [line.split()[1:] for line in lines] == [
        ["RoundRobinGroupChat", "assistant_agent"],
        ["SelectorGroupChat", "assistant_agent,critic_agent"],
        ["RoundRobinGroupChat", "writer,critic,runner"],
        ["RoundRobinGroupChat", "a"],
    ]
