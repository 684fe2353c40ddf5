"""Code-block extraction and language inference follow AG2 exactly (RUNTIME.md §1.7)."""

from __future__ import annotations

import re

import pytest

from studio.runtime.code.extract import CODE_BLOCK_PATTERN, executable_lang, extract_code, infer_lang


def test_pattern_is_ag2s_verbatim() -> None:
    assert CODE_BLOCK_PATTERN == r"```[ \t]*(\w+)?[ \t]*\r?\n(.*?)\r?\n[ \t]*```"
    assert re.findall(CODE_BLOCK_PATTERN, "```py\nx\n```", flags=re.DOTALL) == [("py", "x")]


def test_labelled_block_is_extracted() -> None:
    assert extract_code("Run this:\n```python\nprint('hi')\n```\nthanks") == [("python", "print('hi')")]


def test_closing_fence_needs_a_newline_before_it() -> None:
    assert extract_code("```python\nprint(1)```") == []


def test_opening_fence_needs_a_newline_after_it() -> None:
    assert extract_code("```python print(1)\n```") == []


def test_tilde_fences_and_inline_code_are_not_code() -> None:
    assert extract_code("~~~python\nprint(1)\n~~~") == []
    assert extract_code("use `print(1)` and ``x = 2``") == []


def test_space_between_fence_and_language_is_allowed() -> None:
    assert extract_code("``` python\nprint(1)\n```") == [("python", "print(1)")]
    assert extract_code("```python  \nprint(1)\n  ```") == [("python", "print(1)")]


def test_crlf_line_endings() -> None:
    assert extract_code("```sh\r\necho hi\r\n```") == [("sh", "echo hi")]


def test_several_blocks_in_order() -> None:
    text = "```python\na = 1\n```\nthen\n```bash\necho two\n```\nand\n```sh\necho three\n```"
    assert extract_code(text) == [("python", "a = 1"), ("bash", "echo two"), ("sh", "echo three")]


def test_python_variants_are_normalised_and_python3_is_not_one() -> None:
    text = "```Python\na\n```\n```py\nb\n```\n```PY\nc\n```\n```python3\nd\n```"
    assert [lang for lang, _ in extract_code(text)] == ["python", "python", "python", "python3"]
    assert executable_lang("python3") is None


@pytest.mark.parametrize("lang", ["bash", "sh", "shell", "Bash", "SH"])
def test_shell_names_run_as_shell(lang: str) -> None:
    assert executable_lang(lang) == "sh"


def test_unlabelled_block_gets_inferred_language() -> None:
    text = "```\nprint(1 + 1)\n```\n```\npip install numpy\n```\n```\npython script.py\n```\n```\nthis is : not python\n```"
    assert extract_code(text) == [
        ("python", "print(1 + 1)"),
        ("sh", "pip install numpy"),
        ("sh", "python script.py"),
        ("unknown", "this is : not python"),
    ]


def test_infer_lang_rules() -> None:
    assert infer_lang("python3 -m pip list") == "sh"
    assert infer_lang("pip3 install x") == "sh"
    assert infer_lang("x = [i for i in range(3)]") == "python"
    assert infer_lang("ls -la | grep x") == "unknown"


def test_infer_lang_compiles_without_running(tmp_path) -> None:
    canary = tmp_path / "CANARY"
    code = f"open({str(canary)!r}, 'w').write('ran')"
    assert infer_lang(code) == "python"
    assert not canary.exists()


def test_infer_lang_survives_pathological_input() -> None:
    assert infer_lang("(" * 100_000) == "unknown"
    assert infer_lang("a = 1\x00") == "unknown"


def test_no_text_no_blocks() -> None:
    assert extract_code("") == []
    assert extract_code("just prose, no fences") == []


def test_empty_block_is_a_block() -> None:
    assert extract_code("```python\n\n```") == [("python", "")]
