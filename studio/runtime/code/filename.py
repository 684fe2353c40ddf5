"""Where a code block is written: the ``# filename:`` rule (RUNTIME.md §7) and a symlink-proof file writer.

Rule: a block names its file only when its **first line is exactly** ``# filename: <path>`` and ``<path>`` is a plain
relative path (letters, digits, ``._-`` and ``/`` between parts). AG2's executor turns *any* first-line comment into a
file name (``# compute the sum`` → a file called ``compute the sum``); that is a defect we do not copy: other comments
are just code. A named path that leaves the work dir (absolute, ``..``, or through a symlink) is refused with AG2's
message, ``Filename is not in the workspace``, and the block is not run. Without a name the file is
``tmp_code_<sha256 of the code>.<py|sh>`` (autogen-ext's scheme: the same code always maps to the same file).

Writing is done by the *host* process, often root, into a directory that sandboxed code could fill with symlinks
between two blocks. `safe_write` therefore walks the path one component at a time with ``O_NOFOLLOW`` relative to an
open directory fd, so a planted ``evil.py -> /etc/cron.d/x`` can never redirect the write outside the work dir.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat

FILENAME_ERROR = "Filename is not in the workspace"
_HEADER_RE = re.compile(r"# filename: (.+)")
_PLAIN_PART_RE = re.compile(r"[A-Za-z0-9_.\-]+")
_EXTENSIONS = {"python": "py", "sh": "sh"}


class WorkspacePathError(ValueError):
    """A ``# filename:`` header (or a write) points outside the work dir."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(FILENAME_ERROR)


def header_filename(code: str) -> str | None:
    """The path named by an exact first-line ``# filename: <path>`` header, or None when there is no such header.

    Raises `WorkspacePathError` when the header names an absolute path or one containing ``..``; a header whose path
    is not plain (spaces, backslashes, control characters...) is not a header at all and yields None.
    """
    first = code.split("\n", 1)[0].rstrip("\r")
    match = _HEADER_RE.fullmatch(first)
    if match is None:
        return None
    path = match.group(1).strip()
    if path.startswith("/") or ".." in path.split("/"):
        raise WorkspacePathError(path)
    parts = path.split("/")
    if not all(part and part != "." and _PLAIN_PART_RE.fullmatch(part) for part in parts):
        return None
    return path


def code_filename(code: str, lang: str) -> str:
    """The work-dir-relative file name for a block of family `lang` (``python`` or ``sh``)."""
    named = header_filename(code)
    if named is not None:
        return named
    digest = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
    return f"tmp_code_{digest}.{_EXTENSIONS.get(lang, lang)}"


def safe_write(
    work_dir: str | os.PathLike[str], relpath: str, data: bytes, *, owner: tuple[int, int] | None = None
) -> str:
    """Write `data` to `work_dir/relpath` without following any symlink; return the absolute host path.

    Missing parent directories are created. `owner` (uid, gid) is applied to every file and directory created, so a
    root host can hand the files to the sandbox user. Raises `WorkspacePathError` if a component is a symlink or not
    a directory.
    """
    parts = relpath.split("/")
    if not parts or any(part in ("", ".", "..") for part in parts):
        raise WorkspacePathError(relpath)
    flags_dir = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    fds = [os.open(work_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)]
    try:
        for part in parts[:-1]:
            try:
                os.mkdir(part, 0o755, dir_fd=fds[-1])
                if owner is not None:
                    os.chown(part, *owner, dir_fd=fds[-1], follow_symlinks=False)
            except FileExistsError:
                pass
            try:
                fds.append(os.open(part, flags_dir, dir_fd=fds[-1]))
            except OSError as exc:  # ELOOP (a symlink) or ENOTDIR: refuse rather than follow
                raise WorkspacePathError(relpath) from exc
        try:
            # O_NONBLOCK: a FIFO planted under the expected name must fail (ENXIO), not block the host forever.
            flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
            fd = os.open(parts[-1], flags, 0o644, dir_fd=fds[-1])
        except OSError as exc:
            raise WorkspacePathError(relpath) from exc
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise WorkspacePathError(relpath)
            os.ftruncate(fd, 0)
            if owner is not None:
                os.fchown(fd, *owner)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    finally:
        for dir_fd in fds:
            os.close(dir_fd)
    return os.path.join(os.path.abspath(work_dir), relpath)
