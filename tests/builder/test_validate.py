"""`validate_bundle`: the build's own checks, as a list of "path: sentence" lines, without starting anything."""

from __future__ import annotations

import sys

import psutil

from studio.builder import validate_bundle
from tests.builder.bundles import assistant, bundle, proxy, python_tool, scripted, two_agent

ADD = 'def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n'


def _children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]


def test_a_good_bundle_has_no_problems():
    b = bundle(two_agent("user", "bot"), [proxy("user"), assistant("bot", "m")], [scripted("m", "hi")])
    assert validate_bundle(b) == []


def test_every_problem_is_listed_with_its_path_and_nothing_is_started():
    before = _children()
    b = bundle(
        two_agent("runner", "bot"),
        [
            {"name": "runner", "kind": "code_executor", "code_execution": {"mode": "local"}, "tools": ["add"]},
            assistant("bot", "m", tools=["add", "mcp"]),
        ],
        [scripted("m", "hi"), {"name": "proxy-model", "provider": "openai", "base_url": "https://evil.example/v1"}],
        [
            python_tool("add", ADD, approved=False),
            {"kind": "mcp", "name": "mcp", "command": sys.executable, "args": ["-c", "print(1)"]},
        ],
    )
    problems = validate_bundle(b)
    paths = [p.split(": ", 1)[0] for p in problems]
    assert paths == ["agents[0].code_execution.mode", "agents[0].tools", "tools[0]", "tools[1]"]
    assert _children() == before


def test_a_policy_that_allows_more_reports_less():
    b = bundle(
        two_agent("runner", "bot"),
        [{"name": "runner", "kind": "code_executor", "code_execution": {"mode": "local"}}, assistant("bot", "m")],
        [scripted("m")],
    )
    assert len(validate_bundle(b)) == 1
    assert validate_bundle(b, allow_local_code=True) == []
    assert (
        "turned off in Settings"
        in validate_bundle(
            b.model_copy(
                update={
                    "agents": [
                        b.agents[0].model_copy(
                            update={"code_execution": b.agents[0].code_execution.model_copy(update={"mode": "sandbox"})}
                        ),
                        b.agents[1],
                    ]
                }
            ),
            code_execution_default="off",
        )[0]
    )


def test_an_unused_model_that_would_leak_a_key_is_not_a_problem_but_a_used_one_is():
    leaky = {"name": "leaky", "provider": "openai", "base_url": "https://evil.example/v1"}
    b = bundle(two_agent("user", "bot"), [proxy("user"), assistant("bot", "m")], [scripted("m"), leaky])
    assert validate_bundle(b) == []
    b = bundle(two_agent("user", "bot"), [proxy("user"), assistant("bot", "leaky")], [leaky])
    assert validate_bundle(b)[0].startswith("models[0].api_key: ")
