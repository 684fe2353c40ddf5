"""AutoGen Studio import, part 1: reading one component (model client, tool, workbench, termination) into spec data.

Every reader takes the component, its JSON path and a `Notes` collector; it returns plain spec data that the caller
validates. Settings with no counterpart here are dropped *with a warning naming their path* (never silently, T11);
key values are replaced by references (T15); unknown providers raise (T10). Nothing is executed: source code and
import lists are handled as text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from studio.errors import SpecError
from studio.spec._ags_tables import (
    MODEL_PROVIDERS,
    TERMINATION_PROVIDERS,
    TOOL_PROVIDERS,
    WORKBENCH_PROVIDERS,
)
from studio.spec._base import looks_like_secret
from studio.spec._errors import join_path
from studio.spec.model import DEFAULT_ENV_KEYS, PRESET_BASE_URLS

_MODULE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARAM_KEYS = ("temperature", "top_p", "max_tokens", "seed", "timeout")
_IGNORED_MODEL_KEYS = {"max_retries", "organization", "add_name_prefixes", "include_name_in_message"}


class Notes:
    """Warnings collected during an import, each prefixed with the JSON path it is about."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}" if path else message)

    def dropped(
        self, path: str, config: dict[str, Any], keys: set[str], defaults: dict[str, Any] | None = None
    ) -> None:
        """Warn about every key of `config` not in `keys` whose value is not a harmless default."""
        defaults = defaults or {}
        for key in sorted(set(config) - keys):
            value = config[key]
            if key in defaults and value == defaults[key]:
                continue
            if value in (None, [], {}, False):
                continue
            self.add(join_path(path, key), "not supported by Parley Studio; the setting was dropped.")


def component(obj: Any, path: str, table: dict[str, str], what: str) -> tuple[str, dict[str, Any]]:
    """Look a component's provider up in `table`: (what it maps to, its config). Unknown providers raise."""
    if not isinstance(obj, dict):
        raise SpecError(
            f"expected an AutoGen Studio {what} component (an object), found {type(obj).__name__}.", path=path
        )
    provider = obj.get("provider")
    if not isinstance(provider, str):
        raise SpecError(f"the {what} component has no provider.", path=join_path(path, "provider"))
    if provider not in table:
        raise SpecError(
            f"unknown provider {provider!r}; the studio converts only the {what} providers it knows and never loads "
            "a class named in a file.",
            path=join_path(path, "provider"),
            choices=[p for p in table if "." in p],
            value=provider,
        )
    ctype = obj.get("component_type")
    if ctype is not None and ctype != what:
        raise SpecError(
            f"component_type is {ctype!r} but {provider!r} is a {what}.", path=join_path(path, "component_type")
        )
    config = obj.get("config", {})
    if not isinstance(config, dict):
        raise SpecError("config must be an object.", path=join_path(path, "config"))
    return table[provider], config


def slug(text: str, fallback: str) -> str:
    """A spec name made from free text: `RoundRobin Team` → `RoundRobin_Team`."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_-")[:64]
    if not name or not name[0].isascii() or not name[0].isalpha():
        name = (fallback + "_" + name)[:64].rstrip("_-") if name else fallback
    return name


def _secret_dropped(notes: Notes, path: str, env: str) -> dict[str, str]:
    notes.add(
        path,
        f"the file contained a key value; it was NOT imported. The model reads the environment variable "
        f"{env} instead (or map it to a stored secret).",
    )
    return {"env": env}


def read_model(obj: Any, path: str, notes: Notes) -> dict[str, Any]:
    """A model client component → ModelSpec data (without a name)."""
    kind, config = component(obj, path, MODEL_PROVIDERS, "model")
    cpath = join_path(path, "config")
    if kind == "replay":
        return _read_replay(config, cpath, notes)
    data: dict[str, Any] = {"model": config.get("model")}
    params = {k: config[k] for k in _PARAM_KEYS if config.get(k) is not None}
    if params:
        data["params"] = params
    known = {"model", "api_key", "model_info", "base_url", *_PARAM_KEYS, *_IGNORED_MODEL_KEYS}
    if kind == "azure":
        data.update(provider="azure", base_url=config.get("azure_endpoint"), api_version=config.get("api_version"))
        if config.get("azure_deployment") is not None:
            data["azure_deployment"] = config["azure_deployment"]
        known |= {"azure_endpoint", "azure_deployment", "api_version"}
    elif kind == "ollama":
        host = config.get("host")
        base = PRESET_BASE_URLS["ollama"] if not host else str(host).rstrip("/") + "/v1"
        data.update(provider="openai_compatible", base_url=base)
        known |= {"host"}
    else:
        base = config.get("base_url")
        if base is not None and not str(base).startswith("https://api.openai.com"):
            data.update(provider="openai_compatible", base_url=base)
        else:
            data["provider"] = "openai"
    if data["provider"] == "openai_compatible":
        preset = next((p for p, url in PRESET_BASE_URLS.items() if url == data["base_url"]), None)
        if preset is not None:
            data["preset"] = preset
    if config.get("api_key") not in (None, ""):
        env = DEFAULT_ENV_KEYS.get(data["provider"], "OPENAI_API_KEY")
        data["api_key"] = _secret_dropped(notes, join_path(cpath, "api_key"), env)
    info = config.get("model_info")
    if isinstance(info, dict):
        data["model_info"] = _model_info(info, join_path(cpath, "model_info"), notes)
    elif data["provider"] == "openai_compatible":
        data["model_info"] = {}  # AGS needs it for non-OpenAI models; ours defaults, so a re-export is complete
    notes.dropped(cpath, config, known)
    return data


def _model_info(info: dict[str, Any], path: str, notes: Notes) -> dict[str, Any]:
    keys = ("function_calling", "vision", "json_output", "structured_output", "family")
    notes.dropped(path, info, set(keys), {"multiple_system_messages": False})
    return {k: info[k] for k in keys if k in info}


def _read_replay(config: dict[str, Any], path: str, notes: Notes) -> dict[str, Any]:
    replies: list[Any] = []
    for i, item in enumerate(config.get("chat_completions") or []):
        if isinstance(item, str):
            replies.append(item)
        elif isinstance(item, dict) and isinstance(item.get("content"), str):
            replies.append(item["content"])
        elif isinstance(item, dict) and isinstance(item.get("content"), list) and item["content"]:
            calls = item["content"]
            if len(calls) > 1:
                notes.add(join_path(path, "chat_completions", i), "only the first of several tool calls is kept.")
            call = calls[0] if isinstance(calls[0], dict) else {}
            try:
                args = json.loads(call.get("arguments") or "{}")
            except (TypeError, ValueError):
                raise SpecError("the tool call's arguments are not JSON.", path=join_path(path, "chat_completions", i))
            replies.append({"tool": call.get("name"), "arguments": args})
        else:
            raise SpecError(
                "a scripted reply must be text or a CreateResult.", path=join_path(path, "chat_completions", i)
            )
    notes.dropped(path, config, {"chat_completions", "model_info"})
    return {"provider": "scripted", "model": "replay", "replies": replies}


def import_lines(global_imports: Any, path: str) -> list[str]:
    """FunctionTool `global_imports` → Python import lines (text only; AGS would `exec` them)."""
    if not isinstance(global_imports, list):
        raise SpecError("global_imports must be a list.", path=path)
    lines: list[str] = []
    for i, item in enumerate(global_imports):
        ipath = join_path(path, i)
        if isinstance(item, str):
            lines.append(f"import {_module(item, ipath)}")
            continue
        if not isinstance(item, dict):
            raise SpecError("an import is a module name or {module, imports}.", path=ipath)
        module = _module(item.get("module"), join_path(ipath, "module"))
        names: list[str] = []
        for j, imp in enumerate(item.get("imports") or []):
            jpath = join_path(ipath, "imports", j)
            if isinstance(imp, str):
                names.append(_ident(imp, jpath))
            elif isinstance(imp, dict):
                names.append(f"{_ident(imp.get('name'), jpath)} as {_ident(imp.get('alias'), jpath)}")
            else:
                raise SpecError("an imported name is text or {name, alias}.", path=jpath)
        lines.append(f"from {module} import {', '.join(names)}" if names else f"import {module}")
    return lines


def _module(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _MODULE_RE.fullmatch(value):
        raise SpecError(f"{value!r} is not a module name.", path=path)
    return value


def _ident(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _IDENT_RE.fullmatch(value):
        raise SpecError(f"{value!r} is not a Python name.", path=path)
    return value


def read_tool(obj: Any, path: str, notes: Notes) -> dict[str, Any]:
    """A tool component → ToolSpec data (unapproved)."""
    kind, config = component(obj, path, TOOL_PROVIDERS, "tool")
    cpath = join_path(path, "config")
    if kind == "python_exec":
        notes.add(cpath, "the code-execution tool runs in the studio's sandbox, not in the executor named in the file.")
        notes.dropped(cpath, config, {"executor", "description", "name"})
        return {
            "kind": "builtin",
            "name": "python_exec",
            "builtin": "python_exec",
            "description": config.get("description") or "",
        }
    lines = import_lines(config.get("global_imports") or [], join_path(cpath, "global_imports"))
    source = config.get("source_code")
    if not isinstance(source, str):
        raise SpecError("a FunctionTool needs source_code (text).", path=join_path(cpath, "source_code"))
    if lines:
        source = "\n".join(lines) + "\n\n" + source
    notes.dropped(cpath, config, {"source_code", "name", "description", "global_imports", "has_cancellation_support"})
    return {
        "kind": "python",
        "name": config.get("name"),
        "description": config.get("description") or "",
        "source": source,
    }


def read_workbench(obj: Any, path: str, notes: Notes) -> list[tuple[dict[str, Any], str]]:
    """A workbench component → [(ToolSpec data, path)]: its tools, or one MCP server."""
    kind, config = component(obj, path, WORKBENCH_PROVIDERS, "workbench")
    cpath = join_path(path, "config")
    if kind == "static":
        tools = config.get("tools") or []
        if not isinstance(tools, list):
            raise SpecError("tools must be a list.", path=join_path(cpath, "tools"))
        notes.dropped(cpath, config, {"tools"})
        return [
            (read_tool(t, join_path(cpath, "tools", i), notes), join_path(cpath, "tools", i))
            for i, t in enumerate(tools)
        ]
    return [(_read_mcp(config, cpath, notes), path)]


def _read_mcp(config: dict[str, Any], path: str, notes: Notes) -> dict[str, Any]:
    params = config.get("server_params")
    ppath = join_path(path, "server_params")
    if not isinstance(params, dict):
        raise SpecError("an MCP workbench needs server_params.", path=ppath)
    ptype = params.get("type", "StdioServerParams")
    transports = {
        "StdioServerParams": "stdio",
        "SseServerParams": "sse",
        "StreamableHttpServerParams": "streamable_http",
    }
    if ptype not in transports:
        raise SpecError(
            f"unknown MCP server type {ptype!r}.", path=join_path(ppath, "type"), choices=transports, value=ptype
        )
    data: dict[str, Any] = {"kind": "mcp", "transport": transports[ptype]}
    notes.add(path, "imported MCP servers are disabled until you review and approve the exact command/URL.")
    if ptype == "StdioServerParams":
        data.update(command=params.get("command"), args=list(params.get("args") or []))
        data["env"] = _refs(params.get("env") or {}, join_path(ppath, "env"), notes, header=False)
        if params.get("read_timeout_seconds") is not None:
            data["timeout"] = params["read_timeout_seconds"]
        known = {"type", "command", "args", "env", "read_timeout_seconds", "cwd"}
        name_hint = str(params.get("command") or "mcp").rsplit("/", 1)[-1]
    else:
        data["url"] = params.get("url")
        data["headers"] = _refs(params.get("headers") or {}, join_path(ppath, "headers"), notes, header=True)
        for ours, theirs in (("timeout", "timeout"), ("read_timeout", "sse_read_timeout")):
            if params.get(theirs) is not None:
                data[ours] = params[theirs]
        known = {"type", "url", "headers", "timeout", "sse_read_timeout", "terminate_on_close"}
        name_hint = re.sub(r"^https?://", "", str(params.get("url") or "mcp")).split("/", 1)[0].split(":", 1)[0]
    notes.dropped(ppath, params, known)
    notes.dropped(path, config, {"server_params"})
    data["name"] = slug("mcp_" + name_hint, "mcp")
    return data


def _refs(values: Any, path: str, notes: Notes, *, header: bool) -> dict[str, dict[str, str]]:
    """Env/header values from a file are never kept: each becomes a reference to an environment variable."""
    if not isinstance(values, dict):
        raise SpecError("must be an object of names to values.", path=path)
    refs: dict[str, dict[str, str]] = {}
    for key in sorted(values):
        env = "MCP_" + re.sub(r"[^A-Za-z0-9]+", "_", key).upper() if header else key
        refs[key] = {"env": env}
        what = "a secret-looking value" if looks_like_secret(str(values[key])) else "a value"
        notes.add(
            join_path(path, key),
            f"the file held {what}, which was NOT imported; it is read from the "
            f"environment variable {env} (or map it to a stored secret).",
        )
    return refs


def read_termination(obj: Any, path: str, notes: Notes) -> dict[str, Any]:
    """A termination component (and/or trees included) → TerminationSpec data."""
    kind, config = component(obj, path, TERMINATION_PROVIDERS, "termination")
    cpath = join_path(path, "config")
    if kind in ("and", "or"):
        items = config.get("conditions")
        if not isinstance(items, list) or not items:
            raise SpecError(
                f"an {kind.upper()} condition needs a non-empty list of conditions.",
                path=join_path(cpath, "conditions"),
            )
        conditions = [read_termination(c, join_path(cpath, "conditions", i), notes) for i, c in enumerate(items)]
        notes.dropped(cpath, config, {"conditions"})
        if len(conditions) == 1:
            notes.add(cpath, f"an {kind.upper()} of a single condition was replaced by that condition.")
            return conditions[0]
        return {"kind": kind, "conditions": conditions}
    fields = {
        "max_messages": ("max_messages", "include_agent_event"),
        "text_mention": ("text", "sources"),
        "source_match": ("sources",),
        "token_usage": ("max_total_token", "max_prompt_token", "max_completion_token"),
        "timeout": ("timeout_seconds",),
        "function_call": ("function_name",),
        "text_message": ("source",),
        "handoff": ("target",),
    }.get(kind, ())
    data = {"kind": kind, **{f: config[f] for f in fields if config.get(f) is not None}}
    notes.dropped(cpath, config, set(fields))
    return data
