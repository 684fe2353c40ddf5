"""Tool-name rules (RUNTIME.md §1.1), as AG2 applies them.

Names a *person* configures are validated and rejected with AG2's `ValueError("Invalid name: ...")` messages; names
that come *from the model* are normalised instead, because a model that ignores the format must not crash a chat.
`InvalidToolNameError` is both a `ToolError` (our hierarchy) and a `ValueError` (what AG2 code catches).

One deliberate difference: AG2 uses `re.match(r"^[a-zA-Z0-9_-]+$")`, which lets a trailing newline through; we match
the whole string, since such a name would be refused by the provider anyway.
"""

from __future__ import annotations

import re

from studio.errors import ToolError

__all__ = ["MAX_TOOL_NAME_LENGTH", "InvalidToolNameError", "normalize_tool_name", "validate_tool_name"]

MAX_TOOL_NAME_LENGTH = 64
_VALID = re.compile(r"[a-zA-Z0-9_-]+")
_INVALID_CHAR = re.compile(r"[^a-zA-Z0-9_-]")


class InvalidToolNameError(ToolError, ValueError):
    """A configured function/tool name breaks the provider's name rules."""

    def __init__(self, message: str, *, name: str):
        self.name = name
        super().__init__(message)


def validate_tool_name(name: str) -> str:
    """Return `name` if it is a valid tool name, else raise `InvalidToolNameError` (a `ValueError`) as AG2 does."""
    if not isinstance(name, str) or _VALID.fullmatch(name) is None:
        raise InvalidToolNameError(f"Invalid name: {name}. Only letters, numbers, '_' and '-' are allowed.", name=name)
    if len(name) > MAX_TOOL_NAME_LENGTH:
        raise InvalidToolNameError(f"Invalid name: {name}. Name must be less than 64 characters.", name=name)
    return name


def normalize_tool_name(name: str) -> str:
    """Make a model-supplied name valid: every character outside `[a-zA-Z0-9_-]` becomes `_`, then cut to 64."""
    return _INVALID_CHAR.sub("_", name)[:MAX_TOOL_NAME_LENGTH]
