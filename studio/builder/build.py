"""`build_team`: a validated `Bundle` → live runtime objects (`BuiltTeam`), through closed registries only.

Kinds map one to one (RUNTIME.md §1.1): `assistant` → `AssistantAgent`; `user_proxy` → `UserProxyAgent` (its human
input mode from the spec, `input_func` passed through — to every agent, since any mode may ask a human); and
`code_executor` → a `UserProxyAgent` in NEVER mode (unless the spec says otherwise) that runs the code blocks it
receives. An unset system message or description keeps the runtime class's AG2 default.

Teams: `two_agent` → the first agent initiates, the second receives, `max_turns` goes into `chat_kwargs`;
`group_chat` → a `GroupChat` (`graph` = AG2's allowed-transitions dict with round robin; the selector prompt becomes
`select_speaker_message_template`, the selector model `select_speaker_auto_llm_config`) and its `GroupChatManager`
(named `chat_manager`, unless an agent has that name). The initiator is the spec's (it may be a non-member); a group's
`last_msg` summary is the group's last message, whoever the initiator is.

A build is cheap: one client per model, executors whose self-test runs once per process, nothing spawned (MCP servers
start in `open()`). Anything unresolvable raises `BuildError` naming the spec path, e.g. `agents[2].model`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.builder._code import check_default, make_executor
from studio.builder._models import SecretResolver, agent_llm_config, build_client, env_only_resolver
from studio.builder._team import BuiltTeam
from studio.builder._termination import StopButton, is_termination_msg, team_termination
from studio.builder._tools import ToolFactory, executor_of
from studio.builder.validate import problems, used_agents, used_models
from studio.errors import BuildError
from studio.runtime import AssistantAgent, ConversableAgent, GroupChat, GroupChatManager, UserProxyAgent, content_str
from studio.spec import AgentSpec, Bundle, McpToolSpec, TeamSpec

MANAGER_NAME = "chat_manager"


def build_team(
    bundle: Bundle,
    *,
    input_func: Callable[[str], str] | None = None,
    resolve_secret: SecretResolver | None = None,
    work_dir: Path | None = None,
    trust_tools: bool = False,
    code_execution_default: str = "sandbox",
    allow_local_code: bool = False,
) -> BuiltTeam:
    """Build the runtime objects of one run of `bundle`'s team. Close the result (or use it as a context manager).

    `work_dir` is this run's directory (the RunManager passes one per run); without it a temporary directory is made
    and removed on close. `resolve_secret` turns key references into keys (default: environment variables only).
    """
    check_default(code_execution_default)
    found = list(
        problems(
            bundle,
            trust_tools=trust_tools,
            code_execution_default=code_execution_default,
            allow_local_code=allow_local_code,
        )
    )
    if found:
        path, _, message = found[0].partition(": ")
        more = f" ({len(found) - 1} more problem(s): {'; '.join(found[1:4])})" if len(found) > 1 else ""
        raise BuildError(message + more, path=path)
    owned = work_dir is None
    run_dir = Path(tempfile.mkdtemp(prefix="parley-run-")) if work_dir is None else Path(work_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    built = BuiltTeam(bundle=bundle, work_dir=run_dir, owns_work_dir=owned, external=StopButton())
    try:
        _populate(
            built,
            input_func=input_func,
            resolve=resolve_secret or env_only_resolver,
            code_execution_default=code_execution_default,
        )
    except BaseException:
        built.close()
        if owned:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return built


def _populate(
    built: BuiltTeam, *, input_func: Callable[[str], str] | None, resolve: SecretResolver, code_execution_default: str
) -> None:
    bundle, team = built.bundle, built.bundle.team
    model_paths = {m.name: f"models[{i}]" for i, m in enumerate(bundle.models)}
    clients = {name: build_client(bundle.model(name), model_paths[name], resolve) for name in used_models(bundle)}
    agent_paths = {a.name: f"agents[{i}]" for i, a in enumerate(bundle.agents)}
    for name in used_agents(bundle):
        spec = bundle.agent(name)
        executor = make_executor(
            spec, agent_paths[name], run_dir=built.work_dir, code_execution_default=code_execution_default
        )
        if executor is not None:
            built.code_executors.append(executor)
        built.agents[name] = _agent(spec, agent_paths[name], clients, executor, input_func)
    factory = ToolFactory(bundle, run_dir=built.work_dir, resolve=resolve)
    _register_tools(built, factory)
    built.code_executors.extend(factory.executors)
    built.initiator = built.agents[team.effective_initiator]
    if team.kind == "two_agent":
        built.recipient = built.agents[team.agents[1]]
        if team.max_turns is not None:
            built.chat_kwargs["max_turns"] = team.max_turns
    else:
        built.groupchat = _groupchat(team, built.agents, clients)
        built.manager = GroupChatManager(
            groupchat=built.groupchat, name=_manager_name(built.agents), llm_config=False, input_func=input_func
        )
        built.recipient = built.manager
    if team.kind == "group_chat" and team.summary_method == "last_msg":
        built.chat_kwargs["summary_method"] = _group_last_message
    else:
        built.chat_kwargs["summary_method"] = team.summary_method
    built.termination = team_termination(team, built.external, bundle.spoken_termination())


def _agent(
    spec: AgentSpec,
    path: str,
    clients: dict[str, Any],
    executor: Any,
    input_func: Callable[[str], str] | None,
) -> ConversableAgent:
    kwargs: dict[str, Any] = {
        "is_termination_msg": is_termination_msg(spec.termination_text, spec.termination_match),
        "max_consecutive_auto_reply": spec.max_consecutive_auto_reply,
        "human_input_mode": spec.effective_human_input_mode,
        "default_auto_reply": spec.default_auto_reply,
        "code_execution_config": (
            {"executor": executor, "last_n_messages": spec.code_execution.last_n_messages}
            if executor is not None
            else False
        ),
        "llm_config": agent_llm_config(clients[spec.model], stream=spec.stream) if spec.model else False,
        "input_func": input_func,
    }
    if spec.system_message is not None:
        kwargs["system_message"] = spec.system_message
    if spec.description:
        kwargs["description"] = spec.description
    try:
        if spec.kind == "assistant":
            return AssistantAgent(spec.speaker, **kwargs)
        return UserProxyAgent(spec.speaker, **kwargs)
    except (ValueError, TypeError) as e:
        raise BuildError(f"The agent {spec.name!r} cannot be created: {e}", path=path) from None


def _register_tools(built: BuiltTeam, factory: ToolFactory) -> None:
    bundle = built.bundle
    for name, agent in built.agents.items():
        spec = bundle.agent(name)
        executor = built.agents[executor_of(bundle, spec)]
        for tool_name in spec.tools:
            tool_spec = bundle.tool(tool_name)
            tool = factory.get(tool_name)
            if isinstance(tool_spec, McpToolSpec):
                built.add_mcp(tool_spec, f"tools[{factory.index[tool_name]}]", tool, caller=agent, executor=executor)
                continue
            agent.register_tools([tool], caller=True, executor=False)
            executor.register_tools([tool], caller=False, executor=True)


def _groupchat(team: TeamSpec, agents: dict[str, ConversableAgent], clients: dict[str, Any]) -> GroupChat:
    members = [agents[n] for n in team.agents]
    kwargs: dict[str, Any] = {
        "agents": members,
        "messages": [],
        "max_round": team.max_round,
        "speaker_selection_method": "round_robin" if team.speaker_selection == "graph" else team.speaker_selection,
        "max_retries_for_selecting_speaker": team.max_retries_for_selecting_speaker,
        "send_introductions": team.send_introductions,
        "select_speaker_message_template": team.selector_prompt,
    }
    if team.speaker_selection == "graph":
        kwargs["allowed_or_disallowed_speaker_transitions"] = {
            agents[source]: [agents[t] for t in targets] for source, targets in team.allowed_transitions.items()
        }
        kwargs["speaker_transitions_type"] = "allowed"
    else:
        kwargs["allow_repeat_speaker"] = team.allow_repeat_speaker
    if team.speaker_selection == "auto":
        assert team.selector_model is not None  # the spec requires it for auto
        kwargs["select_speaker_auto_llm_config"] = agent_llm_config(clients[team.selector_model])
    try:
        return GroupChat(**kwargs)
    except ValueError as e:
        raise BuildError(f"The group chat cannot be created: {e}", path="team") from None


def _group_last_message(sender: Any, recipient: Any, summary_args: dict[str, Any]) -> str:
    """`last_msg` for a group: the group's last message (AG2 reads the manager's last message *to the initiator*,
    which for an initiator outside the group is its own task — not what "the last message" means to a person)."""
    messages = recipient.groupchat.messages
    content = messages[-1].get("content") if messages else None
    return content_str(content).replace("TERMINATE", "") if content is not None else ""


def _manager_name(agents: dict[str, ConversableAgent]) -> str:
    taken = {a.name for a in agents.values()}
    name, n = MANAGER_NAME, 2
    while name in taken:
        name, n = f"{MANAGER_NAME}_{n}", n + 1
    return name
