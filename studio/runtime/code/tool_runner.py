"""`SandboxedTool`: a Python tool whose source came from a spec, executed only inside the code sandbox.

The studio process **never imports or execs** such source (SECURITY.md lessons 1–3, Langflow CVE-2025-3248, AutoGen
Studio #7662). Construction only parses it (`ast.parse`, which executes nothing) to check there is a top-level
function of the tool's name. Each call starts a fresh sandbox on the executor's work dir in which:

* the source is bound read-only at ``/parley/tool.py`` (it is not in the work dir, so code cannot rewrite it);
* a small runner (`RUNNER`, passed with ``python -c``) reads the JSON arguments from stdin, imports the module from that
  file — module-level statements run *here*, with cwd ``/workspace``, so their side effects land in the sandbox work dir
  — looks the function up by name, calls it (awaiting a coroutine) and writes one JSON envelope
  ``{"ok": true, "content": ...}`` / ``{"ok": false, "error_type", "message"}`` to the *original* stdout;
* before importing, the runner points fd 1 at stderr, so whatever the tool (or a child process) prints cannot corrupt
  the envelope; those prints are kept as `last_logs`.

Return values: a `str` is returned as is, anything else as JSON, and what JSON cannot encode as `str(value)`. Results
longer than `output_cap` characters are truncated with a marker. A call that outlives `timeout` is killed with its
whole sandbox and reported as an error, like an exception, a crash or a bad envelope — `call` never raises for what the
tool does.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from typing import Any

from studio.errors import ToolError
from studio.runtime.code._blocks import DEFAULT_OUTPUT_CAP
from studio.runtime.code.sandbox import SandboxCodeExecutor

TOOL_PATH = "/parley/tool.py"
ENVELOPE_MARK = "\x1eparley-tool-result\x1e"

RUNNER = r"""
import importlib.util, json, os, sys
MARK = "\x1eparley-tool-result\x1e"
envelope_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
path, name, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
def emit(obj):
    envelope_out.write(MARK + json.dumps(obj, ensure_ascii=False))
    envelope_out.flush()
try:
    args = json.loads(sys.stdin.read() or "{}")
    if not isinstance(args, dict):
        raise TypeError("tool arguments must be a JSON object, got " + type(args).__name__)
    spec = importlib.util.spec_from_file_location("parley_tool", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["parley_tool"] = module
    spec.loader.exec_module(module)
    fn = getattr(module, name, None)
    if not callable(fn):
        raise LookupError("the tool source defines no function named " + repr(name))
    result = fn(**args)
    if hasattr(result, "__await__"):
        import asyncio
        async def _wait(awaitable):
            return await awaitable
        result = asyncio.run(_wait(result))
    if isinstance(result, str):
        text = result
    else:
        try:
            text = json.dumps(result, ensure_ascii=False)
        except (TypeError, ValueError):
            text = str(result)
    if len(text) > cap:
        text = text[:cap] + "\n[output truncated: %d characters omitted]" % (len(text) - cap)
    emit({"ok": True, "content": text})
except BaseException as exc:
    emit({"ok": False, "error_type": type(exc).__name__, "message": str(exc)[:cap]})
"""


def check_tool_source(name: str, source: str) -> None:
    """Static check only (`ast.parse`): `source` parses and defines a top-level function called `name`."""
    if not name.isidentifier():
        raise ToolError(f"Tool name {name!r} is not a Python identifier; use letters, digits and underscores.")
    try:
        tree = ast.parse(source, filename=f"<tool {name}>")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        where = f" at line {exc.lineno}, column {exc.offset}" if isinstance(exc, SyntaxError) else ""
        raise ToolError(f"The source of tool {name!r} does not parse{where}: {exc}.") from exc
    defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if name not in defined:
        raise ToolError(
            f"The source of tool {name!r} must define a top-level function named {name!r}; found {defined}."
        )


class SandboxedTool:
    """A spec-defined Python tool; `call(arguments)` runs it in a fresh sandbox and returns ``(content, is_error)``."""

    def __init__(
        self,
        name: str,
        source: str,
        *,
        executor: SandboxCodeExecutor | Mapping[str, Any] | None = None,
        timeout: float = 30,
        output_cap: int = DEFAULT_OUTPUT_CAP,
        description: str = "",
    ):
        check_tool_source(name, source)
        self.name = name
        self.source = source
        self.description = description
        self.timeout = float(timeout)
        self.output_cap = int(output_cap)
        self._owns_executor = not isinstance(executor, SandboxCodeExecutor)
        if isinstance(executor, SandboxCodeExecutor):
            self.executor = executor
        else:
            self.executor = SandboxCodeExecutor(**dict(executor or {}))
        self.last_logs = ""

    def call(self, arguments: Mapping[str, Any] | None = None) -> tuple[str, bool]:
        """Run the tool once with `arguments` (JSON-encodable); never raises for what the tool itself does."""
        try:
            payload = json.dumps(dict(arguments or {}), ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            return f"Error: the arguments of tool {self.name!r} are not JSON-encodable: {exc}", True
        outcome = self.executor.run_command(
            [self.executor.python, "-c", RUNNER, TOOL_PATH, self.name, str(self.output_cap)],
            stdin=payload,
            timeout=self.timeout,
            data={TOOL_PATH: self.source.encode("utf-8", "surrogatepass")},
            # the envelope holds a capped result, JSON-escaped: allow for the escaping
            output_cap=self.output_cap * 6 + 4096,
        )
        self.last_logs = outcome.stderr
        if outcome.timed_out:
            return f"Error: tool {self.name!r} timed out after {self.timeout:g} s and was killed.", True
        if outcome.cancelled:
            return f"Error: tool {self.name!r} was cancelled.", True
        _, mark, body = outcome.stdout.rpartition(ENVELOPE_MARK)
        try:
            envelope = json.loads(body) if mark else None
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            tail = outcome.stderr.strip()[-500:]
            return f"Error: tool {self.name!r} crashed (exit status {outcome.exit_code}). {tail}".rstrip(), True
        if envelope.get("ok"):
            return str(envelope.get("content", "")), False
        return f"Error: {envelope.get('error_type', 'Error')}: {envelope.get('message', '')}", True

    def __call__(self, **kwargs: Any) -> str:
        """Call like a Python function: the content on success, `ToolError` when the tool failed."""
        content, is_error = self.call(kwargs)
        if is_error:
            raise ToolError(content)
        return content

    def cancel(self) -> None:
        self.executor.cancel()

    def close(self) -> None:
        if self._owns_executor:
            self.executor.close()
