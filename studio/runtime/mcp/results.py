"""Turn an MCP `CallToolResult` into the one string an agent feeds back to the model.

Text parts are joined with newlines; binary parts are summarised, never inlined (a base64 image in a chat history
costs thousands of tokens and the model cannot read it as text anyway): `[image: image/png, 20 bytes]`. A result with
no content but structured content becomes its JSON. Long results are truncated with a visible marker (T33: a tool
returning 100 MB must not blow up the history). Parts are read by duck typing so this module never imports the SDK.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any

DEFAULT_MAX_RESULT_CHARS = 100_000


def _decoded_size(data: str) -> int:
    try:
        return len(base64.b64decode(data, validate=False))
    except (binascii.Error, ValueError):
        return len(data) * 3 // 4


def render_part(part: Any) -> str:
    """One content block as text."""
    kind = getattr(part, "type", None)
    if kind == "text":
        return str(part.text)
    if kind in ("image", "audio"):
        return f"[{kind}: {part.mime_type}, {_decoded_size(part.data)} bytes]"
    if kind == "resource_link":
        label = getattr(part, "name", None) or part.uri
        return f"[resource link: {label} <{part.uri}>]"
    if kind == "resource":
        res = part.resource
        text = getattr(res, "text", None)
        if isinstance(text, str):
            return f"[resource: {res.uri}]\n{text}"
        blob = getattr(res, "blob", "")
        return f"[resource: {res.uri}, {res.mime_type or 'application/octet-stream'}, {_decoded_size(blob)} bytes]"
    return f"[{kind or type(part).__name__} content]"


def render_content(parts: Iterable[Any], structured: Any = None) -> str:
    """All content blocks joined by newlines; the structured content as JSON when there are no blocks."""
    texts = [render_part(p) for p in parts]
    if texts:
        return "\n".join(texts)
    if structured is not None:
        try:
            return json.dumps(structured, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return str(structured)
    return ""


def truncate(text: str, max_chars: int) -> str:
    """`text` cut to `max_chars` with a marker saying how much was dropped."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    dropped = len(text) - max_chars
    return f"{text[:max_chars]}\n[... truncated {dropped} characters]"
