"""Tool-description safety (SECURITY.md T37): hashes to pin approvals, and invisible-character detection.

An MCP server controls the text the model reads as a tool description. Two attacks matter:

* *Rug pull*: the description changes after a user approved the server. The studio pins `McpToolInfo.fingerprint`
  (name + description + parameters) or `description_hash` at approval time and disables the server when it changes.
* *Hidden instructions*: text the user cannot see in the UI but the model reads — zero-width characters, bidi
  overrides that reorder what is displayed, Unicode "tag" characters that smuggle ASCII invisibly, variation
  selectors, other format (Cf) and control (Cc) characters. `suspicious_characters()` lists them with their code
  points so the UI can highlight them, and `reveal()` makes them visible as `⟦U+200B⟧` markers.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

_ALLOWED_CONTROLS = frozenset("\n\r\t")


@dataclass(frozen=True, slots=True)
class SuspiciousChar:
    """One invisible or direction-changing character: its position in the text, code point and Unicode name."""

    index: int
    codepoint: int
    name: str

    @property
    def label(self) -> str:
        return f"U+{self.codepoint:04X}"

    def __str__(self) -> str:
        return f"{self.label} {self.name} at index {self.index}"


def _is_suspicious(ch: str) -> bool:
    cp = ord(ch)
    if ch in _ALLOWED_CONTROLS:
        return False
    category = unicodedata.category(ch)
    # Cf covers zero-width (200B-200D, 2060, FEFF), bidi embeddings/overrides/isolates (202A-202E, 2066-2069,
    # 200E/200F, 061C) and the tag block E0000-E007F; Cc the C0/C1 controls; Co private use renders as nothing.
    if category in ("Cf", "Cc", "Co"):
        return True
    # Variation selectors are Mn but invisible, and can carry hidden bytes.
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def suspicious_characters(text: str) -> list[SuspiciousChar]:
    """Every invisible/bidi/control character in `text` (newline, CR and tab are fine), in order."""
    found: list[SuspiciousChar] = []
    for i, ch in enumerate(text):
        if ch.isascii() and (ch.isprintable() or ch in _ALLOWED_CONTROLS):
            continue  # the common case, decided without a Unicode table lookup
        if _is_suspicious(ch):
            found.append(SuspiciousChar(i, ord(ch), unicodedata.name(ch, "UNNAMED CHARACTER")))
    return found


def reveal(text: str) -> str:
    """`text` with each suspicious character replaced by a visible `⟦U+XXXX⟧` marker (for display only)."""
    marks = suspicious_characters(text)
    if not marks:
        return text
    out: list[str] = []
    last = 0
    for mark in marks:
        out.append(text[last : mark.index])
        out.append(f"⟦{mark.label}⟧")
        last = mark.index + 1
    out.append(text[last:])
    return "".join(out)


def description_hash(description: str) -> str:
    """SHA-256 (hex) of the exact description text; any change, visible or not, changes it."""
    return hashlib.sha256(description.encode("utf-8", "surrogatepass")).hexdigest()


def tool_fingerprint(name: str, description: str, parameters: dict[str, Any]) -> str:
    """SHA-256 (hex) over everything the model sees about a tool, with the schema in canonical JSON."""
    canonical = json.dumps(
        {"name": name, "description": description, "parameters": parameters},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
