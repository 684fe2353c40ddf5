"""`validate_bundle`: what would stop a bundle from building, found without building anything that starts a process.

The spec layer already guarantees a self-consistent bundle (names resolve, kinds have what they need). This adds the
rules only the builder knows: tool approval, the code-execution policy of this studio, who can call and who can run
each tool, names the runtime reserves, and keys that would leak. `build_team` runs the same checks first, so the UI's
list of problems and the build's error never disagree.
"""

from __future__ import annotations

from collections.abc import Iterator

from studio.builder._code import check_default, policy_problem
from studio.builder._models import key_reference
from studio.builder._tools import approval_problem, executor_of, tool_index
from studio.errors import BuildError
from studio.spec import Bundle, McpToolSpec


def used_agents(bundle: Bundle) -> list[str]:
    """The agents a run builds: the team's participants, then a non-member initiator."""
    team = bundle.team
    names = list(team.agents)
    if team.effective_initiator not in names:
        names.append(team.effective_initiator)
    return names


def used_models(bundle: Bundle) -> list[str]:
    """Models the built agents and the speaker selector use, in bundle order."""
    agents = {bundle.agent(n).model for n in used_agents(bundle)}
    if bundle.team.kind == "group_chat" and bundle.team.speaker_selection == "auto":
        agents.add(bundle.team.selector_model)
    return [m.name for m in bundle.models if m.name in agents]


def problems(
    bundle: Bundle,
    *,
    trust_tools: bool = False,
    code_execution_default: str = "sandbox",
    allow_local_code: bool = False,
) -> Iterator[str]:
    """Every reason the bundle cannot be built under this policy, as "path: sentence"."""
    try:
        check_default(code_execution_default)
    except BuildError as e:
        yield str(e)
        return
    agent_paths = {a.name: f"agents[{i}]" for i, a in enumerate(bundle.agents)}
    tools = tool_index(bundle)
    team = bundle.team
    members = set(team.agents)
    reported_tools: set[str] = set()
    for name in used_agents(bundle):
        agent, path = bundle.agent(name), agent_paths[name]
        problem = policy_problem(
            agent, path, code_execution_default=code_execution_default, allow_local_code=allow_local_code
        )
        if problem:
            yield problem
        if agent.tools and agent.model is None:
            yield (
                f"{path}.tools: the agent {name!r} lists tools but has no model, so nothing can ask for them; give it a "
                "model, or list the tools on the agent whose model should call them."
            )
        if agent.tools:
            executor = executor_of(bundle, agent)
            if team.kind == "group_chat" and executor not in members:
                yield (
                    f"{path}.tool_executor: {executor!r} is not a participant of the group chat, so it never receives "
                    "the tool calls; choose a participant (or leave it unset: the caller runs its own tools)."
                )
        for tool_name in agent.tools:
            if tool_name in reported_tools:
                continue
            reported_tools.add(tool_name)
            problem = approval_problem(bundle.tool(tool_name), f"tools[{tools[tool_name]}]", trust_tools=trust_tools)
            if problem:
                yield problem
    for model_name in used_models(bundle):
        i = next(i for i, m in enumerate(bundle.models) if m.name == model_name)
        try:
            key_reference(bundle.models[i], f"models[{i}]")
        except BuildError as e:
            yield str(e)
    yield from _mcp_name_clashes(bundle)


def _mcp_name_clashes(bundle: Bundle) -> Iterator[str]:
    # An MCP server's tools keep their own names; a server *named* like another tool would be ambiguous in forms.
    names = [t.name for t in bundle.tools if not isinstance(t, McpToolSpec)]
    for i, tool in enumerate(bundle.tools):
        if isinstance(tool, McpToolSpec) and tool.tools:
            for j, offered in enumerate(tool.tools):
                if offered in names:
                    yield (
                        f"tools[{i}].tools[{j}]: the MCP tool {offered!r} has the name of another tool of the bundle; "
                        "the model could not tell them apart. Rename one of them."
                    )


def validate_bundle(
    bundle: Bundle,
    *,
    trust_tools: bool = False,
    code_execution_default: str = "sandbox",
    allow_local_code: bool = False,
) -> list[str]:
    """Problems that would stop `build_team`, as "path: sentence" lines (empty: it builds). Starts no process."""
    return list(
        problems(
            bundle,
            trust_tools=trust_tools,
            code_execution_default=code_execution_default,
            allow_local_code=allow_local_code,
        )
    )
