"""The built-in example teams, as bundle files shipped inside this package.

Every team comes in three variants of the same agents and team: `<id>.scripted.yaml` (team `<id>-demo`) answers from
scripted models, so it runs offline with no key — what the tests and a first look use —, `<id>.openai.yaml` (team
`<id>`) talks to OpenAI's gpt-4o-mini with the key from `OPENAI_API_KEY`, and `<id>.local.yaml` (team `<id>-local`)
talks to the real SmolLM2-135M bundled with `parley-studio[local]`, run on the CPU by llama.cpp — no key, no network
(`make run-local` loads these; the two-agent ones also stop after 8 messages, since a model that small seldom says
TERMINATE when asked). The teams follow the use cases AutoGen is
known for: a coding assistant with a code executor, a bull/bear debate, a debugging team, a red team, an analyst
with a human in the loop, and a researcher with tools.

The files are the studio's own, reviewed with its code, so their tool approvals are kept when they are loaded
(`studio.catalog.load_gallery`); any other file's approvals are cleared on import. This module is plain data and
paths: it imports nothing of the studio.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

Variant = Literal["scripted", "openai", "local"]
VARIANTS: tuple[Variant, ...] = ("scripted", "openai", "local")
SUFFIXES: dict[str, str] = {"scripted": "-demo", "openai": "", "local": "-local"}
"""Variant → what its team names append to the gallery id."""


@dataclass(frozen=True, slots=True)
class GalleryTeam:
    """One gallery team: its id, title, a task to try, and a file per variant."""

    id: str
    title: str
    task: str
    summary: str

    def file(self, variant: Variant) -> Path:
        """The bundle file of `variant`."""
        return _root() / f"{self.id}.{variant}.yaml"

    def team_name(self, variant: Variant) -> str:
        """The name of the team in the file of `variant`."""
        return self.id + SUFFIXES[variant]


GALLERY: tuple[GalleryTeam, ...] = (
    GalleryTeam(
        "coding-assistant",
        "Coding assistant",
        "Print the first ten Fibonacci numbers and their sum.",
        "A coder writes Python; an executor runs it in the sandbox; the coder checks the output.",
    ),
    GalleryTeam(
        "debate",
        "Bull / bear debate",
        "Should we invest in NovaCell, a solid-state battery startup?",
        "A bull and a bear argue in turn; a synthesis agent gives a verdict (round robin).",
    ),
    GalleryTeam(
        "debugging",
        "Debugging team",
        "Bug report: average([]) raises ZeroDivisionError instead of returning 0.0.",
        "Developer, tester (runs the tests in the sandbox) and reviewer; a model picks the next speaker.",
    ),
    GalleryTeam(
        "red-team",
        "Red team",
        "Red-team the support bot: try to make it reveal another customer's order details.",
        "Attacker, defender and evaluator in a fixed speaking order (a transition graph).",
    ),
    GalleryTeam(
        "human-analyst",
        "Analyst with a human in the loop",
        "Analyse our Q3 sales.",
        "An analyst asks you what to focus on before it writes its analysis.",
    ),
    GalleryTeam(
        "research-tools",
        "Researcher with tools",
        "Summarise the growth of the home-battery market from these yearly sizes in $B: 12.1, 13.4, 15.0, 16.2, 18.9.",
        "A researcher computes with a reviewed Python tool (run in the sandbox) and the built-in calculator.",
    ),
)
"""Every gallery team, in the order the studio shows them."""


def _root() -> Path:
    # A regular (non-zipped) install: the package directory itself holds the data files.
    return Path(str(resources.files(__name__)))


def gallery_files(variant: Variant | None = None) -> list[Path]:
    """The bundle files of every gallery team (of one variant, or all), in gallery order."""
    variants = VARIANTS if variant is None else (variant,)
    return [team.file(v) for team in GALLERY for v in variants]


def gallery_team(team_id: str) -> GalleryTeam:
    """The gallery team with this id (KeyError listing the ids if none)."""
    for team in GALLERY:
        if team.id == team_id:
            return team
    raise KeyError(f"No gallery team {team_id!r}; the gallery has {', '.join(t.id for t in GALLERY)}.")


def is_gallery_file(path: Path) -> bool:
    """True if `path` is one of the shipped gallery files (the studio's own, so its approvals are kept)."""
    try:
        resolved = Path(path).resolve()
    except OSError:
        return False
    return any(resolved == f.resolve() for f in gallery_files())


__all__ = [
    "GALLERY",
    "SUFFIXES",
    "VARIANTS",
    "GalleryTeam",
    "Variant",
    "gallery_files",
    "gallery_team",
    "is_gallery_file",
]
