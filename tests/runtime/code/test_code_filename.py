"""The `# filename:` rule (RUNTIME.md §7) and the symlink-proof writer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio.runtime.code.filename import FILENAME_ERROR, WorkspacePathError, code_filename, header_filename, safe_write


def test_exact_header_names_the_file() -> None:
    assert code_filename("# filename: analysis.py\nprint(1)", "python") == "analysis.py"
    assert code_filename("# filename: sub/dir/run.sh\necho hi", "sh") == "sub/dir/run.sh"


def test_other_first_line_comments_are_just_code() -> None:
    code = "# compute the sum\nprint(1 + 1)"
    name = code_filename(code, "python")
    assert name.startswith("tmp_code_") and name.endswith(".py")
    assert header_filename("#filename: x.py") is None
    assert header_filename("# Filename: x.py") is None
    assert header_filename("print(1)\n# filename: x.py") is None


def test_non_plain_path_is_not_a_header() -> None:
    assert header_filename("# filename: my script.py") is None
    assert header_filename("# filename: a\\b.py") is None
    assert header_filename("# filename: ./x.py") is None


@pytest.mark.parametrize("path", ["../../evil.py", "../x.py", "a/../../b.py", "/etc/evil.py", "/tmp/x.py"])
def test_escaping_path_is_refused(path: str) -> None:
    with pytest.raises(WorkspacePathError) as info:
        code_filename(f"# filename: {path}\nprint(1)", "python")
    assert str(info.value) == FILENAME_ERROR == "Filename is not in the workspace"


def test_default_name_is_sha256_of_the_code() -> None:
    import hashlib

    code = "print('x')"
    assert code_filename(code, "python") == f"tmp_code_{hashlib.sha256(code.encode()).hexdigest()}.py"
    assert code_filename("echo x", "sh").endswith(".sh")


def test_safe_write_creates_parents(tmp_path: Path) -> None:
    path = safe_write(tmp_path, "a/b/c.py", b"print(1)")
    assert Path(path).read_bytes() == b"print(1)"
    safe_write(tmp_path, "a/b/c.py", b"x")  # overwrite truncates
    assert Path(path).read_bytes() == b"x"


def test_safe_write_never_follows_a_planted_symlink(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("original")
    os.symlink(victim, work / "evil.py")
    os.symlink(tmp_path, work / "escape")
    with pytest.raises(WorkspacePathError):
        safe_write(work, "evil.py", b"pwned")
    with pytest.raises(WorkspacePathError):
        safe_write(work, "escape/victim.txt", b"pwned")
    assert victim.read_text() == "original"


def test_safe_write_refuses_a_planted_fifo_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "tmp.py")
    with pytest.raises(WorkspacePathError):
        safe_write(tmp_path, "tmp.py", b"x")
