"""The safe renderer for model, tool and MCP output (SECURITY.md T46–T48, posture "Rendering").

`safe_markdown(text)` returns Markdown that Streamlit can render without any risk from the text: nothing in it loads
a resource, runs script or links anywhere but to allow-listed hosts. The design is *escape by default*: in prose,
every character that could start an HTML tag, an entity, an image, a link, an autolink or KaTeX math is
backslash-escaped (`< & ! [ ] @ $`, the `:` of `://`, the `.` of `www.`), so it shows as itself ("$5 and $10" stays
money, not math); the only brackets left unescaped are the links this module writes itself, to a validated http(s)
URL on an allow-listed host. Images are always replaced by
"[image removed: host]"; other links keep their text and lose their URL.

Code keeps its look without trusting the parser to agree with us: fenced blocks are cut out and written back inside a
fence of our own (longer than any backtick run inside, at column 0, so it always closes where we mean it to), and an
inline code span is kept verbatim only when it sits on one line with no `|` (table cells) or `<` (autolinks outrank
code spans); every other backtick is escaped, so Markdown pairs exactly the spans we chose.

Control, bidi-override and zero-width characters (ANSI escapes, RLO, ZWSP, tag characters…) are made visible
(`␛`, `⟨RLO⟩`, `⟨ZWSP⟩`), and length is capped by characters and lines with a marker; `render_text` adds "Show more"
and a download of the full text. Scanning is linear: brackets are matched with a stack and code-span closers looked
up by bisection, so a hostile 10 MB message costs no more than its capped prefix.
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

MAX_CHARS = 20_000
MAX_LINES = 400
LABEL_CHARS = 120

_NAMED = {
    "\u200b": "ZWSP", "\u200c": "ZWNJ", "\u200d": "ZWJ", "\u2060": "WJ", "\ufeff": "BOM", "\u00ad": "SHY",
    "\u180e": "MVS", "\u034f": "CGJ", "\u200e": "LRM", "\u200f": "RLM", "\u061c": "ALM", "\u202a": "LRE",
    "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO", "\u2066": "LRI", "\u2067": "RLI",
    "\u2068": "FSI", "\u2069": "PDI", "\u2028": "LS", "\u2029": "PS", "\u2061": "FA", "\u2062": "IT",
    "\u2063": "IS", "\u2064": "IP", "\u115f": "HF", "\u1160": "HJF", "\u3164": "HF", "\uffa0": "HWHF",
}  # fmt: skip


def _visible_table() -> dict[int, str]:
    table: dict[int, str] = {c: chr(0x2400 + c) for c in range(32) if c not in (9, 10)}  # ␀ … ␛ …
    table[0x7F] = "\u2421"  # ␡
    table.update({c: f"⟨U+{c:04X}⟩" for c in range(0x80, 0xA0)})  # C1 controls (NEL, CSI…)
    table.update({ord(ch): f"⟨{name}⟩" for ch, name in _NAMED.items()})
    # Tag characters smuggle invisible ASCII; supplementary variation selectors hide bytes in "emoji".
    table.update({c: f"⟨U+{c:05X}⟩" for c in (*range(0xE0000, 0xE0080), *range(0xE0100, 0xE01F0))})
    table.update({c: f"⟨U+{c:04X}⟩" for c in range(0xFFF9, 0xFFFC)})  # interlinear annotations
    return table


_VISIBLE = _visible_table()


def visible(text: str) -> str:
    """`text` with control, bidi-override and zero-width characters shown as visible markers (tabs and newlines kept)."""
    return text.replace("\r\n", "\n").translate(_VISIBLE)


@dataclass(frozen=True, slots=True)
class Capped:
    """A prefix of a text cut at `max_chars` characters or `max_lines` lines, whichever comes first."""

    text: str
    truncated: bool
    total_chars: int
    total_lines: int

    @property
    def marker(self) -> str:
        shown_lines = self.text.count("\n") + 1
        return (
            f"… truncated: showing {len(self.text):,} of {self.total_chars:,} characters"
            f" ({shown_lines:,} of {self.total_lines:,} lines)."
        )


def cap(text: str, max_chars: int | None = MAX_CHARS, max_lines: int | None = MAX_LINES) -> Capped:
    total_lines = text.count("\n") + 1
    cut = len(text) if max_chars is None else min(len(text), max_chars)
    if max_lines is not None and total_lines > max_lines:
        pos = -1
        for _ in range(max_lines):
            pos = text.find("\n", pos + 1, cut)
            if pos < 0:
                break
        if pos >= 0:
            cut = pos
    return Capped(text[:cut], cut < len(text), len(text), total_lines)


# -- URLs ------------------------------------------------------------------------------------------------------------

_NETLOC = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")
_URL_SAFE = re.compile(r"[A-Za-z0-9\-._~:/?#%=+,;]*")  # what a bare URL may contain to stay a link
_URL_TEXT = re.compile(r"[^\s<`|\\]*")  # what we show of a bare URL inside a code span


def host_of(url: str) -> str:
    """The host a URL points at, for the "image removed" marker ("" when it has none we can name)."""
    try:
        parts = urlsplit(html.unescape(url).strip())
    except ValueError:
        return ""
    if parts.scheme.lower() == "data":
        return "data URI"
    netloc = parts.netloc.rpartition("@")[2]
    return netloc if _NETLOC.match(netloc) else ""


def allowed_url(url: str, allow_hosts: Iterable[str]) -> str | None:
    """The URL, normalised for a Markdown link, when it is http(s) to an allow-listed host; None otherwise.

    An allow-list entry is a host name (`docs.python.org`) or `*.example.com` for its subdomains. URLs with user
    info, backslashes, whitespace, percent-encoded or non-ASCII hosts are refused rather than interpreted.
    """
    hosts = [h.lower() for h in allow_hosts]
    if not hosts:
        return None
    url = html.unescape(url).strip()
    if any(ch.isspace() or ch == "\\" or unicodedata.category(ch)[0] == "C" for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not _NETLOC.match(parts.netloc):
        return None
    host = (parts.hostname or "").lower()
    if not any(host == h or (h.startswith("*.") and host.endswith(h[1:])) for h in hosts):
        return None
    return quote(url, safe="-._~:/?#%=+,;&!$'*@")


# -- Markdown --------------------------------------------------------------------------------------------------------

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_LANG = re.compile(r"^[A-Za-z0-9_+.#\-]{1,32}$")
_SCAN = re.compile(r"\\[!-/:-@\[-`{-~]|\\|`+|\[|\]|\n[ \t]*\n")
_EMIT = re.compile(r"\\[!-/:-@\[-`{-~]|\\|`+|[!\[\]<&@$]|://|(?<![A-Za-z0-9])www\.", re.I)
_DEST = re.compile(
    r"[ \t]*\n?[ \t]*(?:<([^<>\n]*)>|((?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*))"
    r"(?:[ \t]*\n?[ \t]*(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t]*\)"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*$")
_LOCAL = re.compile(r"[-.\w+]+$")
_DOMAIN = re.compile(r"[-\w]+(?:\.[-\w]+)+")
_MAX_DEPTH = 16


def _split_fences(text: str) -> list[tuple[str, str, str]]:
    """[("prose", text, ""), ("code", content, language), …] over top-level fenced code blocks."""
    parts: list[tuple[str, str, str]] = []
    prose: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None or (m.group(2)[0] == "`" and "`" in m.group(3)):
            prose.append(lines[i])
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3).strip()
        body: list[str] = []
        i += 1
        while i < len(lines):
            close = _FENCE.match(lines[i])
            if (
                close
                and close.group(2)[0] == fence[0]
                and len(close.group(2)) >= len(fence)
                and not close.group(3).strip()
            ):
                i += 1
                break
            line = lines[i]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            i += 1
        if prose:
            parts.append(("prose", "\n".join(prose), ""))
            prose = []
        lang = info.split()[0] if info else ""
        parts.append(("code", "\n".join(body), lang if _LANG.match(lang) else ""))
    if prose:
        parts.append(("prose", "\n".join(prose), ""))
    return parts


def _fenced(code: str, lang: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{code}\n{fence}"


class _Prose:
    """One prose segment: pass 1 finds the code spans we keep and matches brackets, pass 2 writes safe Markdown."""

    def __init__(self, s: str, allow_hosts: tuple[str, ...]):
        self.s, self.allow = s, allow_hosts
        self.spans: dict[int, int] = {}
        self.match: dict[int, int] = {}
        runs: dict[int, list[int]] = {}
        for m in re.finditer(r"`+", s):
            runs.setdefault(len(m.group()), []).append(m.start())
        stack: list[int] = []
        refused: set[int] = set()  # closers of spans we refused: escaped like their openers, never reopened
        pos = 0
        while (m := _SCAN.search(s, pos)) is not None:
            j, tok = m.start(), m.group()
            pos = m.end()
            if tok[0] == "`" and j not in refused:
                end, close = self._code_span(j, len(tok), runs)
                if end:
                    self.spans[j], pos = end, end
                elif close:
                    refused.add(close)
            elif tok == "[":
                stack.append(j)
            elif tok == "]":
                if stack:
                    self.match[stack.pop()] = j
            elif tok[0] == "\n":
                stack.clear()

    def _code_span(self, j: int, k: int, runs: dict[int, list[int]]) -> tuple[int, int]:
        """(end, 0) of the code span the run of `k` backticks at `j` opens if we keep it; else (0, its closer or 0)."""
        starts = runs.get(k, [])
        idx = bisect.bisect_right(starts, j)
        if idx >= len(starts):
            return 0, 0
        close = starts[idx]
        line_end = self.s.find("\n", j)
        if line_end != -1 and close > line_end:
            return 0, 0
        content = self.s[j + k : close]
        if "|" in content or "<" in content:
            return 0, close
        return close + k, 0

    def emit(self, start: int, end: int, depth: int = 0) -> str:
        s, out = self.s, []
        pos = start
        while (m := _EMIT.search(s, pos, end)) is not None:
            j, tok = m.start(), m.group()
            out.append(s[pos:j])
            pos = m.end()
            if tok[0] == "\\":
                out.append(tok if len(tok) == 2 else "\\\\")
            elif tok[0] == "`":
                if j in self.spans and self.spans[j] <= end:
                    out.append(s[j : self.spans[j]])
                    pos = self.spans[j]
                else:
                    out.append("\\`" * len(tok))
            elif tok == "!" and s.startswith("[", j + 1) and (link := self._link(j + 1, end)) is not None:
                host = host_of(link[1])
                out.append(f"\\[image removed: `{host}`\\]" if host else "\\[image removed\\]")
                pos = link[0]
            elif tok == "[" and depth < _MAX_DEPTH and (link := self._link(j, end)) is not None:
                after, url = link
                target = allowed_url(url, self.allow)
                text = self.emit(j + 1, self.match[j], depth + 1)
                out.append(f"[{text}]({target})" if target else text)
                pos = after
            elif tok == "://" or tok.lower() == "www.":
                pos = self._bare_url(j, end, out)
            elif tok == "@" and (domain := _DOMAIN.match(s, j + 1, end)) is not None:
                local = _LOCAL.search(out[-1])
                if local:
                    out[-1] = out[-1][: local.start()]
                out.append(f"`{local.group() if local else ''}@{domain.group()}`")
                pos = domain.end()
            else:
                out.append("\\" + tok)
        out.append(s[pos:end])
        return "".join(out)

    def _link(self, j: int, end: int) -> tuple[int, str] | None:
        """(end, destination) of an inline link whose text opens at `j`, within `end`; None if there is none."""
        close = self.match.get(j)
        if close is None or close + 1 >= end or self.s[close + 1] != "(":
            return None
        m = _DEST.match(self.s, close + 2, min(end, close + 2 + 4096))
        if m is None:
            return None
        return m.end(), m.group(1) if m.group(1) is not None else (m.group(2) or "")

    def _bare_url(self, j: int, end: int, out: list[str]) -> int:
        """A bare URL (at its `://` or `www.`): a link of ours if allow-listed, else shown as code. Returns its end.

        GFM turns URL-shaped *text* into links after escapes are resolved, so escaping cannot stop it; code can.
        """
        s = self.s
        scheme = _SCHEME.search(out[-1]) if s.startswith("://", j) else None
        if scheme:
            out[-1] = out[-1][: scheme.start()]
        prefix = scheme.group() if scheme else ""
        head = "://" if s.startswith("://", j) else s[j : j + 4]
        safe = _URL_SAFE.match(s, j + len(head), end)
        url = prefix + head + (safe.group() if safe else "")
        target = allowed_url(url if prefix else "https://" + url, self.allow) if self.allow else None
        if target and (safe is None or safe.end() >= end or s[safe.end()].isspace()):
            out.append(f"[{_text(url)}]({target})")
            return safe.end() if safe else j + len(head)
        shown = _URL_TEXT.match(s, j + len(head), end)
        out.append(f"`{prefix}{head}{shown.group() if shown else ''}`")
        return shown.end() if shown else j + len(head)


def _text(s: str) -> str:
    """Plain text for inside our own markers: no Markdown meaning, no autolink."""
    return re.sub(r"([\\`*_\[\]<>&@!.:$~|#])", r"\\\1", s)


def safe_markdown(
    text: str,
    *,
    allow_hosts: Iterable[str] = (),
    max_chars: int | None = MAX_CHARS,
    max_lines: int | None = MAX_LINES,
) -> str:
    """Markdown for untrusted `text`: escaped, images and non-allow-listed links removed, controls visible, capped."""
    capped = cap(text if isinstance(text, str) else str(text), max_chars, max_lines)
    hosts = tuple(allow_hosts)
    pieces: list[str] = []
    for kind, body, lang in _split_fences(visible(capped.text)):
        if kind == "code":
            pieces.append(_fenced(body, lang))
        else:
            pieces.append(_Prose(body, hosts).emit(0, len(body)))
    result = "\n\n".join(pieces)
    if capped.truncated:
        result += f"\n\n*{_text(capped.marker)}*"
    return result


def code_block(code: str, language: str = "") -> str:
    """A fenced Markdown code block that shows `code` literally, whatever fences or backticks it contains."""
    lang = language if _LANG.match(language or "") else ""
    return _fenced(visible(code), lang)


def safe_label(text: str, max_chars: int = LABEL_CHARS) -> str:
    """A one-line label (expander, caption) from untrusted text: labels render Markdown, including images."""
    line = " ".join(str(text).split())
    if len(line) > max_chars:
        line = line[: max_chars - 1] + "…"
    return safe_markdown(line, max_chars=None, max_lines=None).replace("\n", " ")


# -- Streamlit -------------------------------------------------------------------------------------------------------


def render_text(
    text: str,
    *,
    key: str | None = None,
    allow_hosts: Iterable[str] = (),
    max_chars: int = MAX_CHARS,
    max_lines: int = MAX_LINES,
    prefix: str = "",
) -> None:
    """Render untrusted text as safe Markdown. When it is cut, offer "Show more" (with a `key`) and a download.

    `prefix` is Markdown of ours (already safe) shown first in the same element: one element per bubble, not two,
    halves what the browser has to lay out for a long conversation.
    """
    import streamlit as st

    limit_key = f"_render_limit_{key}" if key else None
    factor = int(st.session_state.get(limit_key, 1)) if limit_key else 1
    chars, lines = max_chars * factor, max_lines * factor
    body = safe_markdown(text, allow_hosts=allow_hosts, max_chars=chars, max_lines=lines)
    st.markdown(f"{prefix}\n\n{body}" if prefix else body)
    if not cap(text, chars, lines).truncated or key is None:
        return
    left, right = st.columns(2)
    if factor < 16:
        left.button("Show more", key=f"_more_{key}", on_click=_grow, args=(limit_key, factor * 4))
    right.download_button(
        "Download the full text", data=lambda: text, file_name=f"{key}.txt", mime="text/plain",
        key=f"_dl_{key}", on_click="ignore",
    )  # fmt: skip


def render_code(text: str, *, language: str | None = None, max_lines: int = MAX_LINES) -> None:
    """Code or tool output in `st.code` (never interpreted), controls visible, capped with a marker."""
    import streamlit as st

    capped = cap(str(text), MAX_CHARS * 2, max_lines)
    lang = language if language and _LANG.match(language) else None
    st.code(visible(capped.text), language=lang)
    if capped.truncated:
        st.caption(_text(capped.marker))


def _grow(limit_key: str, factor: int) -> None:
    import streamlit as st

    st.session_state[limit_key] = factor


__all__ = [
    "LABEL_CHARS",
    "MAX_CHARS",
    "MAX_LINES",
    "Capped",
    "allowed_url",
    "cap",
    "code_block",
    "host_of",
    "render_code",
    "render_text",
    "safe_label",
    "safe_markdown",
    "visible",
]
