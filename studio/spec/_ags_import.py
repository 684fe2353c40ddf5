"""AutoGen Studio import, part 2: a team component (or a gallery's team) → a validated bundle plus warnings.

AGS teams receive their task from an implicit `user` that is not a participant. Here that sender is a real agent:
a user proxy that never asks a human and never replies on its own. A one-participant AGS team (the default gallery's
"RoundRobin Team") becomes a two-agent chat between that sender and the participant; a team of two or more becomes a
group chat whose `initiator` is the sender, which AG2 supports (an initiator outside the group only sends the task).
AGS `max_turns` (agent turns, task excluded) becomes `max_round` = turns + 1 in a group chat (the task is round 1),
and `max_turns` in a two-agent chat; unset, the studio's default of 10 rounds applies.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from studio.errors import SpecError
from studio.spec._ags_components import Notes, component, read_model, read_termination, read_tool, read_workbench, slug
from studio.spec._ags_tables import (
    AGENT_PROVIDERS,
    CONTEXT_PROVIDERS,
    EXECUTOR_PROVIDERS,
    IMPLICIT_USER,
    TEAM_PROVIDERS,
)
from studio.spec._base import check_identifier
from studio.spec._errors import join_path, translate
from studio.spec.agent import AgentSpec
from studio.spec.bundle import Bundle
from studio.spec.io import ImportResult
from studio.spec.model import ModelSpec
from studio.spec.team import DEFAULT_SELECTOR_PROMPT
from studio.spec.termination import TerminationSpec
from studio.spec.tool import ToolSpec

AGS_ASSISTANT_SYSTEM_MESSAGE = (
    "You are a helpful AI assistant. Solve tasks using your tools. Reply with TERMINATE when the task has been "
    "completed."
)
"""AgentChat's `AssistantAgent` default system message, made explicit on import (ours differs)."""

AGS_SELECTOR_PROMPT = (
    "You are in a role play game. The following roles are available:\n{roles}.\nRead the following conversation. "
    "Then select the next role from {participants} to play. Only return the role.\n\n{history}\n\nRead the above "
    "conversation. Then select the next role from {participants} to play. Only return the role.\n"
)
"""AgentChat's default `selector_prompt`; it maps to AG2's default template (same instructions, AG2's layout)."""


def _check(root: Any, data: dict[str, Any], path: str) -> None:
    """Validate one converted component now, so an error names where it came from in the AGS file."""
    try:
        _adapter(root).validate_python(data)
    except ValidationError as e:
        raise translate(e, data, root, prefix=path) from None


_ADAPTERS: dict[int, TypeAdapter[Any]] = {}


def _adapter(root: Any) -> TypeAdapter[Any]:
    key = id(root)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(root)
    return _ADAPTERS[key]


class _Collector:
    """Models and tools met while reading agents, de-duplicated by content and named uniquely."""

    def __init__(self) -> None:
        self.models: list[dict[str, Any]] = []
        self.tools: list[dict[str, Any]] = []

    def model(self, obj: Any, path: str, notes: Notes) -> str:
        data = read_model(obj, path, notes)
        for existing in self.models:
            if {k: v for k, v in existing.items() if k != "name"} == data:
                return str(existing["name"])
        base = slug(str(data.get("model") or "model"), "model")
        taken = {m["name"] for m in self.models}
        name = base if base not in taken else next(f"{base}_{i}" for i in range(2, 1000) if f"{base}_{i}" not in taken)
        named = {"name": name, **data}
        _check(ModelSpec, named, path)
        self.models.append(named)
        return name

    def tool(self, data: dict[str, Any], path: str) -> str:
        _check(ToolSpec, data, path)
        for existing in self.tools:
            if existing["name"] == data["name"]:
                if existing == data:
                    return str(data["name"])
                raise SpecError(
                    f"two different tools are both named {data['name']!r}; rename one of them in AutoGen Studio "
                    "before importing.",
                    path=path,
                )
        self.tools.append(data)
        return str(data["name"])


def import_team(data: dict[str, Any], *, team_index: int = 0) -> ImportResult:
    """Convert an AGS team (or a gallery's `team_index`-th team) into a bundle; never executes anything."""
    notes = Notes()
    team_obj, path = _select_team(data, team_index, notes)
    kind, config = component(team_obj, path, TEAM_PROVIDERS, "team")
    cpath = join_path(path, "config")
    participants = config.get("participants")
    if not isinstance(participants, list) or not participants:
        raise SpecError("a team needs a non-empty list of participants.", path=join_path(cpath, "participants"))
    collector = _Collector()
    agents = [_read_agent(p, join_path(cpath, "participants", i), collector, notes) for i, p in enumerate(participants)]
    names = [a["name"] for a in agents]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise SpecError(
                f"two participants are both named {name!r}.", path=join_path(cpath, "participants", i, "config", "name")
            )
    sender = next(n for n in (IMPLICIT_USER, "task_user", "task_sender", "user_0") if n not in names)
    agents.insert(
        0,
        {
            "name": sender,
            "kind": "user_proxy",
            "human_input_mode": "NEVER",
            "termination_text": None,
            "description": "Sends the task (AutoGen Studio's implicit user).",
        },
    )
    team = _read_team_settings(kind, config, cpath, collector, notes)
    team["name"] = slug(str(team_obj.get("label") or config.get("name") or "team"), "team")
    team["description"] = str(team_obj.get("description") or config.get("description") or "")
    if len(names) == 1:
        team.update(kind="two_agent", agents=[sender, names[0]])
        if config.get("max_turns") is not None:
            team["max_turns"] = config["max_turns"]
        if kind == "selector":
            raise SpecError("a selector team needs at least 2 participants.", path=join_path(cpath, "participants"))
    else:
        team.update(kind="group_chat", agents=names, initiator=sender)
        if config.get("max_turns") is not None:
            team["max_round"] = config["max_turns"] + 1 if isinstance(config["max_turns"], int) else config["max_turns"]
    bundle_data = {
        "schema_version": 2,
        "kind": "bundle",
        "team": team,
        "agents": agents,
        "models": collector.models,
        "tools": collector.tools,
    }
    try:
        bundle = Bundle.model_validate(bundle_data)
    except ValidationError as e:
        raise translate(e, bundle_data, Bundle, prefix="(converted bundle)") from None
    return ImportResult(bundle.clear_approvals(), notes.items, "autogen_studio")


def _select_team(data: dict[str, Any], index: int, notes: Notes) -> tuple[Any, str]:
    components = data.get("components")
    if "provider" in data or not isinstance(components, dict):
        return data, ""
    teams = components.get("teams")
    if not isinstance(teams, list) or not teams:
        raise SpecError("the gallery holds no teams.", path="components.teams")
    if not 0 <= index < len(teams):
        raise SpecError(
            f"the gallery holds {len(teams)} team(s); there is no team number {index}.", path="components.teams"
        )
    if len(teams) > 1:
        label = teams[index].get("label") if isinstance(teams[index], dict) else None
        notes.add("components.teams", f"the gallery holds {len(teams)} teams; imported number {index} ({label!r}).")
    return teams[index], f"components.teams[{index}]"


def _read_team_settings(
    kind: str, config: dict[str, Any], path: str, collector: _Collector, notes: Notes
) -> dict[str, Any]:
    team: dict[str, Any] = {"speaker_selection": "round_robin"}
    known = {"participants", "termination_condition", "max_turns", "name", "description", "emit_team_events"}
    if config.get("termination_condition") is not None:
        tpath = join_path(path, "termination_condition")
        team["termination"] = read_termination(config["termination_condition"], tpath, notes)
        _check(TerminationSpec, team["termination"], tpath)
    if kind == "selector":
        known |= {
            "model_client",
            "selector_prompt",
            "allow_repeated_speaker",
            "max_selector_attempts",
            "model_client_streaming",
        }
        team["speaker_selection"] = "auto"
        if config.get("model_client") is None:
            raise SpecError("a selector team needs a model_client.", path=join_path(path, "model_client"))
        team["selector_model"] = collector.model(config["model_client"], join_path(path, "model_client"), notes)
        team["selector_prompt"] = _selector_prompt(
            config.get("selector_prompt"), join_path(path, "selector_prompt"), notes
        )
        team["allow_repeat_speaker"] = bool(config.get("allow_repeated_speaker", False))
        attempts = config.get("max_selector_attempts", 3)
        if isinstance(attempts, int) and not isinstance(attempts, bool):
            team["max_retries_for_selecting_speaker"] = max(0, min(10, attempts - 1))
    notes.dropped(path, config, known, {"emit_team_events": False, "model_client_streaming": False})
    return team


def _selector_prompt(prompt: Any, path: str, notes: Notes) -> str:
    if prompt is None or prompt == AGS_SELECTOR_PROMPT:
        return DEFAULT_SELECTOR_PROMPT
    if not isinstance(prompt, str):
        raise SpecError("selector_prompt must be text.", path=path)
    text = prompt.replace("{participants}", "{agentlist}")
    if "{history}" in text:
        text = text.replace("{history}", "")
        notes.add(path, "{history} was removed from the selector prompt: the conversation is sent after the prompt.")
    return text


def _read_agent(obj: Any, path: str, collector: _Collector, notes: Notes) -> dict[str, Any]:
    kind, config = component(obj, path, AGENT_PROVIDERS, "agent")
    cpath = join_path(path, "config")
    name = config.get("name")
    try:
        check_identifier(name, what="agent name")
    except ValueError as e:
        raise SpecError(str(e), path=join_path(cpath, "name"), value=name) from None
    if not isinstance(name, str):
        raise SpecError("the agent needs a name (text).", path=join_path(cpath, "name"))
    agent: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "description": str(config.get("description") or ""),
        "termination_text": None,
    }
    known = {"name", "description"}
    if kind == "assistant":
        known |= _read_assistant(config, cpath, agent, collector, notes)
    elif kind == "code_executor":
        known |= _read_code_executor(config, cpath, agent, collector, notes)
    notes.dropped(
        cpath,
        config,
        known,
        {
            "tool_call_summary_format": "{result}",
            "max_tool_iterations": 1,
            "model_client_stream": False,
            "reflect_on_tool_use": False,
        },
    )
    _check(AgentSpec, agent, cpath)
    return agent


def _read_assistant(
    config: dict[str, Any], path: str, agent: dict[str, Any], collector: _Collector, notes: Notes
) -> set[str]:
    if config.get("model_client") is None:
        raise SpecError("an AssistantAgent needs a model_client.", path=join_path(path, "model_client"))
    agent["model"] = collector.model(config["model_client"], join_path(path, "model_client"), notes)
    agent["system_message"] = config.get("system_message", AGS_ASSISTANT_SYSTEM_MESSAGE) or ""
    agent["stream"] = bool(config.get("model_client_stream", False))
    tools: list[str] = []
    for i, tool in enumerate(config.get("tools") or []):  # shape 1: agentchat 0.4
        tpath = join_path(path, "tools", i)
        tools.append(collector.tool(read_tool(tool, tpath, notes), tpath))
    workbench = config.get("workbench")
    benches = workbench if isinstance(workbench, list) else [workbench] if workbench is not None else []
    for i, bench in enumerate(benches):  # shape 2: one object (0.5); shape 3: a list (>= 0.6)
        bpath = join_path(path, "workbench", i) if isinstance(workbench, list) else join_path(path, "workbench")
        for data, tpath in read_workbench(bench, bpath, notes):
            tools.append(collector.tool(data, tpath))
    agent["tools"] = list(dict.fromkeys(tools))
    context = config.get("model_context")
    if context is not None:
        ckind, _ = component(context, join_path(path, "model_context"), CONTEXT_PROVIDERS, "chat_completion_context")
        if ckind != "unbounded":
            notes.add(join_path(path, "model_context"), "only the full (unbounded) history is supported; dropped.")
    # `handoffs`, `memory` and the like are not listed: `Notes.dropped` warns about them when they are not empty.
    return {"model_client", "system_message", "model_client_stream", "tools", "workbench", "model_context"}


def _read_code_executor(
    config: dict[str, Any], path: str, agent: dict[str, Any], collector: _Collector, notes: Notes
) -> set[str]:
    epath = join_path(path, "code_executor")
    ekind, econfig = component(config.get("code_executor"), epath, EXECUTOR_PROVIDERS, "code_executor")
    execution: dict[str, Any] = {"mode": "docker" if ekind == "docker" else "sandbox"}
    if ekind != "docker":
        notes.add(epath, f"the {ekind} executor is replaced by the studio's sandbox (isolated, no network).")
    if isinstance(econfig.get("timeout"), int):
        execution["timeout"] = max(1, min(3600, econfig["timeout"]))
    if ekind == "docker" and isinstance(econfig.get("image"), str):
        execution["image"] = econfig["image"]
    agent["code_execution"] = execution
    if config.get("model_client") is not None:
        agent["model"] = collector.model(config["model_client"], join_path(path, "model_client"), notes)
    if config.get("system_message") is not None:
        agent["system_message"] = config["system_message"]
    return {"code_executor", "model_client", "system_message", "sources", "supported_languages"}
