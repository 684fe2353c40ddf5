"""Markdown code-block extraction and language inference, with AG2's exact rules (RUNTIME.md §1.7).

A block is a fenced ```` ``` ```` block with a newline after the opening fence *and* before the closing one, so
```` ```python\\nprint(1)``` ```` is prose, not code; ``~~~`` fences and inline `` `x` `` are never code. An unlabelled
block gets its language from `infer_lang`, which only *compiles* the text (compilation never runs it).

Languages are normalised the way AG2's executor does it: lower-cased, ``python``/``py`` → ``python``; the shell names
``bash``/``sh``/``shell`` are kept (all run with a POSIX shell); anything else (``python3`` included, as in AG2) is
returned as written, lower-cased, and the executor answers "unknown language ...".

The functions take a plain `str`: turning a message's content (str, list of parts, None) into text is the caller's job.
"""

from __future__ import annotations

import re

CODE_BLOCK_PATTERN = r"```[ \t]*(\w+)?[ \t]*\r?\n(.*?)\r?\n[ \t]*```"
UNKNOWN = "unknown"
PYTHON_VARIANTS = ("python", "py")
SHELL_LANGUAGES = ("bash", "sh", "shell")

_BLOCK_RE = re.compile(CODE_BLOCK_PATTERN, re.DOTALL)


def infer_lang(code: str) -> str:
    """AG2's `infer_lang`: ``python ``/``python3 ``/``pip`` at the start → ``sh``; compiles as Python → ``python``."""
    if code.startswith(("python ", "python3 ", "pip")):
        return "sh"
    try:
        # compile() only builds a code object; nothing in `code` is executed.
        compile(code, "<code block>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
        return UNKNOWN
    return "python"


def normalize_lang(lang: str) -> str:
    """Lower-case; fold the Python variants into ``python``; keep every other name (shells included) as written."""
    low = lang.strip().lower()
    return "python" if low in PYTHON_VARIANTS else low


def executable_lang(lang: str) -> str | None:
    """The interpreter family for a (normalised) language: ``python``, ``sh`` or None when it cannot be run."""
    low = normalize_lang(lang)
    if low == "python":
        return "python"
    if low in SHELL_LANGUAGES:
        return "sh"
    return None


def extract_code(text: str) -> list[tuple[str, str]]:
    """Every fenced code block of `text`, in order, as ``(language, code)``; ``[]`` when there is none.

    The language is the fence label normalised by `normalize_lang`, or `infer_lang(code)` when the fence has none.
    """
    if not text or "```" not in text:
        return []
    blocks: list[tuple[str, str]] = []
    for label, code in _BLOCK_RE.findall(text):
        blocks.append((normalize_lang(label) if label else infer_lang(code), code))
    return blocks
