"""T17: for generated bundles, dump → load gives an equal bundle and a re-dump is byte-identical (JSON and YAML)."""

from __future__ import annotations

import keyword

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.spec import (
    AgentSpec,
    BuiltinToolSpec,
    Bundle,
    CodeExecutionSpec,
    McpToolSpec,
    ModelParams,
    ModelSpec,
    PythonToolSpec,
    ScriptedToolCall,
    SecretRef,
    TeamSpec,
    dump_bundle,
    load_bundle,
)

NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,12}", fullmatch=True)
IDENTS = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,12}", fullmatch=True).filter(lambda s: not keyword.iskeyword(s))
TEXT = st.text(max_size=40)
JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT | st.floats(allow_nan=False, allow_infinity=False)
)


def unique(strategy: st.SearchStrategy[str], min_size: int, max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(strategy, min_size=min_size, max_size=max_size, unique_by=str.lower)


def model(name: str) -> st.SearchStrategy[ModelSpec]:
    params = st.builds(
        ModelParams,
        temperature=st.none() | st.floats(0, 2),
        max_tokens=st.none() | st.integers(1, 10_000),
        seed=st.none() | st.integers(0, 1000),
        stream=st.booleans(),
    )
    key = st.none() | st.builds(SecretRef, env=st.just("OPENAI_API_KEY")) | st.builds(SecretRef, secret=NAMES)
    return st.one_of(
        st.builds(ModelSpec, name=st.just(name), description=TEXT, params=params, api_key=key),
        st.builds(
            ModelSpec.from_preset,
            st.just(name),
            st.sampled_from(["ollama", "lmstudio", "vllm"]),
            st.text("abc:.-0123456789", min_size=1, max_size=10),
        ),
        st.builds(
            ModelSpec,
            name=st.just(name),
            provider=st.just("azure"),
            base_url=st.just("https://r.openai.azure.com"),
            api_version=st.just("2024-06-01"),
        ),
        st.builds(
            ModelSpec,
            name=st.just(name),
            provider=st.just("local"),
            model_path=st.none() | st.sampled_from(["/models/a.gguf", "~/m/b c.GGUF"]),
            n_ctx=st.none() | st.integers(256, 131_072),
            params=params,
        ),
        st.builds(
            ModelSpec,
            name=st.just(name),
            provider=st.just("scripted"),
            loop=st.booleans(),
            replies=st.lists(
                TEXT
                | st.builds(ScriptedToolCall, tool=NAMES, arguments=st.dictionaries(TEXT, JSON_SCALARS, max_size=3)),
                max_size=4,
            ),
        ),
    )


def tool(name: str) -> st.SearchStrategy:
    source = st.builds(
        lambda d, doc: f"import os\n\n\ndef {name}(x: int, y: str = {d!r}) -> str:\n    {doc!r}\n    return y\n",
        TEXT,
        TEXT,
    )
    python = st.builds(PythonToolSpec, name=st.just(name), description=TEXT, source=source)
    python = st.tuples(python, st.booleans()).map(lambda p: p[0].approve() if p[1] else p[0])
    args = st.lists(
        st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=20), max_size=3
    )  # argv: no NUL, no lone surrogates
    mcp = st.builds(
        McpToolSpec,
        name=st.just(name),
        command=st.just("uvx"),
        args=args,
        env=st.dictionaries(
            st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True),
            st.builds(SecretRef, env=st.just("TOKEN")),
            max_size=2,
        ),
    )
    builtin = st.builds(
        BuiltinToolSpec, name=st.just(name), builtin=st.sampled_from(["calculator", "current_time", "python_exec"])
    )
    return python | mcp | builtin


TERMINATIONS = st.recursive(
    st.one_of(
        st.fixed_dictionaries({"kind": st.just("max_messages"), "max_messages": st.integers(1, 100)}),
        st.fixed_dictionaries({"kind": st.just("text_mention"), "text": st.text(min_size=1, max_size=10)}),
        st.fixed_dictionaries({"kind": st.just("timeout"), "timeout_seconds": st.floats(0.5, 1000)}),
        st.fixed_dictionaries({"kind": st.just("token_usage"), "max_total_token": st.integers(1, 10**6)}),
        st.fixed_dictionaries({"kind": st.sampled_from(["external", "stop_message"])}),
    ),
    lambda children: st.fixed_dictionaries(
        {"kind": st.sampled_from(["and", "or"]), "conditions": st.lists(children, min_size=2, max_size=3)}
    ),
    max_leaves=6,
)


@st.composite
def bundles(draw: st.DrawFn) -> Bundle:
    model_names = draw(unique(NAMES, 1, 3))
    models = [draw(model(n)) for n in model_names]
    tool_names = draw(unique(IDENTS, 0, 3))
    tools = [draw(tool(n)) for n in tool_names]
    agent_names = draw(unique(NAMES, 2, 4))
    agents = [
        AgentSpec(
            name=n,
            kind="assistant",
            model=draw(st.sampled_from(model_names)),
            tools=draw(st.lists(st.sampled_from(tool_names), unique=True, max_size=3)) if tool_names else [],
            system_message=draw(st.none() | TEXT),
            description=draw(TEXT),
            termination_text=draw(st.none() | st.text(min_size=1, max_size=8)),
            code_execution=CodeExecutionSpec(mode=draw(st.sampled_from(["off", "sandbox", "docker"]))),
        )
        for n in agent_names
    ]
    termination = draw(st.none() | TERMINATIONS)
    if draw(st.booleans()):
        team = TeamSpec(
            name="team",
            kind="two_agent",
            agents=agent_names[:2],
            termination=termination,
            max_turns=draw(st.none() | st.integers(1, 20)),
        )
    else:
        selection = draw(st.sampled_from(["round_robin", "auto", "random", "manual", "graph"]))
        team = TeamSpec(
            name=draw(NAMES),
            description=draw(TEXT),
            agents=agent_names,
            speaker_selection=selection,
            selector_model=model_names[0] if selection == "auto" else None,
            allowed_transitions={agent_names[0]: agent_names[1:]} if selection == "graph" else {},
            termination=termination,
            max_round=draw(st.integers(1, 50)),
        )
    return Bundle(team=team, agents=agents, models=models, tools=tools)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(bundles(), st.sampled_from(["json", "yaml"]))
def test_dump_load_round_trip_is_exact(bundle: Bundle, fmt: str):  # T17
    text = dump_bundle(bundle, fmt)
    loaded = load_bundle(text, format=fmt, keep_approvals=True)
    assert loaded == bundle
    assert dump_bundle(loaded, fmt) == text
