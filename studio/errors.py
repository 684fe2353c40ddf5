"""One error hierarchy for the whole project.

`StudioError` is the root. Errors carry data (the JSON path, the bad value, the valid choices) and a message that is a
full sentence saying what to do; they never log. Only the CLI and the pages turn them into output.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class StudioError(Exception):
    """Root of every error Parley Studio raises on purpose."""


class SpecError(StudioError, ValueError):
    """A spec (or an imported file) is invalid. `path` is the JSON path of the offending value, e.g. `agents[1].model`."""

    def __init__(self, message: str, *, path: str = "", choices: Iterable[str] | None = None, value: object = None):
        self.path = path
        self.value = value
        self.choices = sorted(choices) if choices is not None else None
        text = f"{path}: {message}" if path else message
        if self.choices is not None:
            text += f" Valid choices: {', '.join(self.choices)}."
            if isinstance(value, str):
                close = difflib.get_close_matches(value, self.choices, n=1)
                if close:
                    text += f" Did you mean '{close[0]}'?"
        super().__init__(text)


class BuildError(StudioError):
    """A valid spec could not be turned into runtime objects. `path` names the spec path that caused it."""

    def __init__(self, message: str, *, path: str = ""):
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class ModelError(StudioError):
    """A model call failed (network, auth, bad response). Wraps the provider's exception with `raise ... from e`."""

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = False):
        self.status_code = status_code
        self.retryable = retryable
        super().__init__(message)


class ConfigurationError(StudioError, ValueError):
    """The runtime was configured wrongly (missing key, bad llm_config)."""


class ToolError(StudioError):
    """A tool could not be registered, validated or executed."""


class CodeExecutionError(StudioError):
    """A code executor is unavailable or misconfigured (never raised for code that merely fails)."""


class StoreError(StudioError):
    """The database could not be read or written."""


class NotFoundError(StoreError, LookupError):
    """A stored object (spec, run, session, secret) does not exist."""


class RunError(StudioError):
    """A run could not be started, continued or answered."""
