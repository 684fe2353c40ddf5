"""The built-in tools: a closed registry of tools the studio implements itself.

A `BuiltinToolSpec` names one of these by key (`builtin: calculator`); nothing else is looked up, and no string from a
spec is ever imported. `calculator` and `current_time` are plain Python run in the studio process — they are our
code, they take JSON scalars and touch nothing. `python_exec` runs the model's code, so it runs it in the code
sandbox (bubblewrap: no network, no host files), never in this process. The functions mirror the script export's
built-ins (`studio.spec.python_export`), so an exported team behaves like the studio's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Annotated, Any, Literal

CALCULATOR_DESCRIPTION = "Add, subtract, multiply or divide two numbers."
CURRENT_TIME_DESCRIPTION = "The current date and time (UTC, ISO 8601)."
PYTHON_EXEC_DESCRIPTION = "Run Python code in the sandbox (no network, no host files) and return its output."


def calculator(
    a: Annotated[float, "first operand"],
    b: Annotated[float, "second operand"],
    operator: Annotated[Literal["+", "-", "*", "/"], "the operation"],
) -> str:
    """Add, subtract, multiply or divide two numbers."""
    if operator == "+":
        return _number(a + b)
    if operator == "-":
        return _number(a - b)
    if operator == "*":
        return _number(a * b)
    if operator == "/":
        return "Error: Division by zero" if b == 0 else _number(a / b)
    return "Error: Invalid operator. Please use +, -, *, or /"


def _number(value: float) -> str:
    # 12.0 reads better as "12" in a conversation; other floats keep Python's shortest repr.
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else str(value)


def current_time() -> str:
    """The current date and time (UTC, ISO 8601)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def python_exec_tool(executor: Any) -> Callable[..., str]:
    """A `python_exec` function bound to a sandbox executor (`SandboxCodeExecutor`) of the run."""

    def python_exec(code: Annotated[str, "Python code to run"]) -> str:
        """Run Python code in the sandbox (no network, no host files) and return its output."""
        from studio.runtime.code.base import CodeBlock

        result = executor.execute_code_blocks([CodeBlock(code=code, language="python")])
        return f"exitcode: {result.exit_code}\n{result.output}"

    return python_exec


BUILTIN_DESCRIPTIONS: dict[str, str] = {
    "calculator": CALCULATOR_DESCRIPTION,
    "current_time": CURRENT_TIME_DESCRIPTION,
    "python_exec": PYTHON_EXEC_DESCRIPTION,
}
"""The closed registry: built-in key → the description the model sees unless the spec gives one."""

IN_PROCESS: dict[str, Callable[..., str]] = {"calculator": calculator, "current_time": current_time}
"""Built-ins that run in the studio process (our code, no side effects)."""

SANDBOXED = frozenset({"python_exec"})
"""Built-ins that need the run's code sandbox."""
