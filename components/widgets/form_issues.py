"""Where a validation issue is shown: under the deepest form field its JSON path falls in, or above the form.

Issue paths are the ones `studio.spec` reports (`params.temperature`, `agents[1]`, `team.termination.conditions[0]`);
a field path owns an issue path equal to it or starting with it followed by `.` or `[`. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def belongs(issue_path: str, field_path: str) -> bool:
    return issue_path == field_path or issue_path.startswith((field_path + ".", field_path + "["))


def owner_of(issue_path: str, paths: Iterable[str]) -> str | None:
    """The deepest field path that `issue_path` falls under (None: no field shows it)."""
    best: str | None = None
    for path in paths:
        if belongs(issue_path, path) and (best is None or len(path) > len(best)):
            best = path
    return best


def assign_issues(issues: Iterable[Any], paths: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Split issues (objects with `path` and `message`, or (path, message) pairs) by the field that shows them.

    Returns ({field path: [message, ...]}, [messages no field claims, prefixed with their path]).
    """
    known = list(paths)
    by_field: dict[str, list[str]] = {}
    orphans: list[str] = []
    for issue in issues:
        path, message = issue if isinstance(issue, tuple) else (issue.path, str(issue.message))
        owner = owner_of(path, known)
        if owner is None:
            orphans.append(f"{path}: {message}" if path else message)
        else:
            text = message if path == owner else f"{path}: {message}"
            by_field.setdefault(owner, []).append(text)
    return by_field, orphans


def issue_pairs(error: Any) -> list[tuple[str, str]]:
    """(path, message) pairs of a `SpecValidationError` (or any error: one pair at its `path`, or the root)."""
    issues = getattr(error, "issues", None)
    if issues:
        return [(i.path, str(i).removeprefix(f"{i.path}: ") if i.path else str(i)) for i in issues]
    return [(str(getattr(error, "path", "") or ""), str(error))]
