"""AutoGen Studio component JSON ↔ bundle (AUTOGEN_STUDIO_FORMAT.md).

An AutoGen Studio (AGS) file names Python classes in `provider` strings; AGS imports them and `exec()`s tool source
while loading (#7662). Here a provider string is only ever a key into the closed tables below: a known provider maps
to one of our spec types, an unknown one is a `SpecError` naming its JSON path and the known providers (T10). Tool
source becomes an *unapproved* Python tool; `global_imports` become import lines prepended to the source, as text.
A key value found in the file is never kept: the model gets a reference to the provider's usual environment variable
and the import reports a warning (T15).

Import accepts a team component or a gallery (`components.teams[...]`), with all three `AssistantAgent` shapes
(`tools` list; `workbench` object; `workbench` list). Export writes the AGS 0.4.2 / agentchat 0.5 shape (a single
`StaticWorkbench` object, `component_version` 1) and no keys at all: AGS reads `OPENAI_API_KEY` from the environment.
"""

from __future__ import annotations

from typing import Any

from studio.spec._ags_export import export_team
from studio.spec._ags_import import import_team
from studio.spec._ags_tables import (
    AGENT_PROVIDERS,
    MODEL_PROVIDERS,
    TEAM_PROVIDERS,
    TERMINATION_PROVIDERS,
    TOOL_PROVIDERS,
    WORKBENCH_PROVIDERS,
    is_autogen_studio,
)
from studio.spec.bundle import Bundle
from studio.spec.io import ImportResult

__all__ = [
    "AGENT_PROVIDERS",
    "MODEL_PROVIDERS",
    "TEAM_PROVIDERS",
    "TERMINATION_PROVIDERS",
    "TOOL_PROVIDERS",
    "WORKBENCH_PROVIDERS",
    "export_autogen_studio",
    "import_autogen_studio",
    "is_autogen_studio",
]


def import_autogen_studio(data: dict[str, Any], *, team_index: int = 0) -> ImportResult:
    """Convert an AGS team component (or the `team_index`-th team of a gallery) into a bundle plus warnings.

    Nothing in `data` is executed or spawned; tools come in unapproved.
    """
    return import_team(data, team_index=team_index)


def export_autogen_studio(bundle: Bundle) -> dict[str, Any]:
    """The bundle's team as an AGS team component (0.4.2 / agentchat 0.5 shape), without any key."""
    return export_team(bundle)
