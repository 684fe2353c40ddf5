"""`BuiltTeam`: the runtime objects of one run, and their lifecycle (`open()` → chat → `close()`).

`open()` starts what a run needs and a build must not: the MCP sessions (stdio servers are spawned here, HTTP servers
contacted here), whose tools are then registered on their callers and executors. `close()` closes every MCP session
(reaping stdio children) and every code executor the build made (containers removed, temporary directories gone), and
removes the run directory if the build created it. Both are idempotent, and `close()` never raises: it runs in
`finally` blocks after a failed or cancelled run. `external` is the Stop button (`external.set()`); `cancel()` also
kills running code.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.errors import BuildError, StudioError
from studio.runtime.termination import ExternalTermination
from studio.spec import Bundle, McpToolSpec


@dataclass(eq=False)
class _McpBinding:
    spec: McpToolSpec
    path: str
    toolset: Any
    pairs: list[tuple[Any, Any]] = field(default_factory=list)  # (caller, executor)


@dataclass(eq=False)
class BuiltTeam:
    """A team ready to run: `initiator.initiate_chat(recipient, message=task, termination=termination, **chat_kwargs)`."""

    bundle: Bundle
    work_dir: Path
    external: ExternalTermination  # the Stop button (a `StopButton`)
    owns_work_dir: bool = False
    initiator: Any = None
    recipient: Any = None
    agents: dict[str, Any] = field(default_factory=dict)
    manager: Any = None
    groupchat: Any = None
    termination: Any = None
    chat_kwargs: dict[str, Any] = field(default_factory=dict)
    code_executors: list[Any] = field(default_factory=list)
    _mcp: list[_McpBinding] = field(default_factory=list)
    _opened: bool = False
    _closed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def toolsets(self) -> list[Any]:
        """The MCP toolsets of the run (opened by `open()`)."""
        return [b.toolset for b in self._mcp]

    def add_mcp(self, spec: McpToolSpec, path: str, toolset: Any, *, caller: Any, executor: Any) -> None:
        """Register `toolset`'s tools on `caller`/`executor` when the team opens."""
        for binding in self._mcp:
            if binding.toolset is toolset:
                binding.pairs.append((caller, executor))
                return
        self._mcp.append(_McpBinding(spec, path, toolset, [(caller, executor)]))

    def open(self) -> BuiltTeam:
        """Start the MCP sessions and register their tools. Idempotent."""
        from studio.builder._tools import offered_mcp_tools

        with self._lock:
            if self._opened:
                return self
            if self._closed:
                raise BuildError("This team was closed; build it again to run it.")
            self._opened = True
        for binding in self._mcp:
            try:
                binding.toolset.open()
            except StudioError as e:
                raise BuildError(f"The MCP server {binding.spec.name!r} could not start: {e}", path=binding.path)
            tools = offered_mcp_tools(binding.spec, binding.toolset, binding.path)
            for caller, executor in binding.pairs:
                caller.register_tools(tools, caller=True, executor=False)
                executor.register_tools(tools, caller=False, executor=True)
        return self

    def run(self, task: str, *, listeners: list[Any] | None = None, silent: bool = True) -> Any:
        """Open and run the team on `task`; the `ChatResult`. (The RunManager does this with persistence.)"""
        self.open()
        return self.initiator.initiate_chat(
            self.recipient,
            message=task,
            silent=silent,
            listeners=listeners,
            termination=self.termination,
            **self.chat_kwargs,
        )

    def cancel(self) -> None:
        """Stop: the chat ends after the current turn, and running code is killed now."""
        self.external.set()
        for executor in self.code_executors:
            try:
                executor.cancel()
            except Exception:  # noqa: BLE001 - cancelling must never fail a stop
                pass

    def close(self) -> None:
        """Close MCP sessions and executors; remove the run directory if the build made it. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for binding in self._mcp:
            try:
                binding.toolset.close()
            except Exception:  # noqa: BLE001 - closing must go on for the rest
                pass
        for executor in self.code_executors:
            close = getattr(executor, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001
                    pass
        if self.owns_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> BuiltTeam:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = self.bundle.team.kind
        return f"BuiltTeam({self.bundle.team.name!r}, {kind}, agents={list(self.agents)})"
