"""Run one child process with a wall-clock deadline, a cancel flag and capped output — and never hang on a pipe.

The reader is a single `selectors` loop in the calling thread, woken at least every 50 ms, so:

* the **deadline** is checked while output flows or not (``subprocess.communicate(timeout=)`` only raises; the caller
  must still kill and drain, and a grandchild holding the pipe makes the drain block for its lifetime — SECURITY.md
  lesson 9, measured 301 s);
* **cancel** is a `threading.Event` another thread sets; the loop sees it within 50 ms and kills;
* when the **main process exits** but the pipes stay open (something it left behind still holds them), the leftovers
  are killed and reading stops after a short grace instead of waiting for them;
* output beyond `output_cap` bytes per stream is **drained and counted**, not stored (the child never blocks on a full
  pipe, our memory stays bounded), and the caller adds a truncation marker.

How to kill is the caller's business (`kill` callback): the sandbox and the PID-namespace local executor kill one
process group and the kernel tears the namespace down; the plain local fallback also walks `/proc`.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

POLL_INTERVAL = 0.05
MAIN_EXIT_GRACE = 0.1  # after the main process exits, how long leftovers may keep the pipes open
DRAIN_AFTER_KILL = 0.5  # after a kill, how long to wait for EOF before giving up on the pipes
TIMEOUT_EXIT = 124
CANCEL_EXIT = 125


@dataclass(slots=True)
class ProcOutcome:
    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False
    cancelled: bool = False
    omitted: int = 0  # bytes dropped by the output cap (both streams)
    elapsed: float = 0.0


class _Capture:
    __slots__ = ("cap", "data", "omitted")

    def __init__(self, cap: int):
        self.cap = cap
        self.data = bytearray()
        self.omitted = 0

    def add(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.omitted += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (the child was started with ``start_new_session=True``)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def normalise_returncode(returncode: int) -> int:
    """Death by signal N becomes 128+N, the shell's (and bwrap's, and Docker's) convention."""
    return 128 - returncode if returncode < 0 else returncode


def run_process(
    argv: Sequence[str],
    *,
    cwd: str | None,
    env: dict[str, str],
    timeout: float,
    output_cap: int,
    cancel: threading.Event,
    kill: Callable[[subprocess.Popen[bytes]], None] = kill_group,
    stdin: bytes | None = None,
    pass_fds: Sequence[int] = (),
    user: int | None = None,
    group: int | None = None,
) -> ProcOutcome:
    """Run `argv` to completion, deadline, or cancel; see the module docstring for the guarantees."""
    start = time.monotonic()
    deadline = start + timeout
    extra: dict[str, object] = {}
    if user is not None:
        extra = {"user": user, "group": group, "extra_groups": []}
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,
        close_fds=True,
        pass_fds=tuple(pass_fds),
        **extra,  # type: ignore[arg-type]
    )
    assert proc.stdout is not None and proc.stderr is not None
    captures = {proc.stdout.fileno(): _Capture(output_cap), proc.stderr.fileno(): _Capture(output_cap)}
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    sel = selectors.DefaultSelector()
    for fd in captures:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    pending = memoryview(stdin or b"")
    if proc.stdin is not None:
        os.set_blocking(proc.stdin.fileno(), False)
        if pending:
            sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE)
        else:
            proc.stdin.close()
    timed_out = cancelled = False
    main_exited_at: float | None = None
    try:
        while any(fd in sel.get_map() for fd in captures):
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
                break
            if cancel.is_set():
                cancelled = True
                break
            for key, _ in sel.select(min(deadline - now, POLL_INTERVAL)):
                if key.events & selectors.EVENT_WRITE:
                    pending = _feed(proc, sel, pending)
                    continue
                chunk = _read(key.fd)
                if chunk:
                    captures[key.fd].add(chunk)
                elif chunk is not None:
                    sel.unregister(key.fd)
            if proc.poll() is not None:
                main_exited_at = main_exited_at or time.monotonic()
                if time.monotonic() - main_exited_at > MAIN_EXIT_GRACE:
                    break  # leftovers hold the pipes: they are killed below
        kill(proc)
        if timed_out or cancelled:
            _drain(sel, captures, time.monotonic() + DRAIN_AFTER_KILL)
        try:
            returncode = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL of our own child cannot be ignored
            returncode = -signal.SIGKILL
    finally:
        sel.close()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
    return ProcOutcome(
        exit_code=normalise_returncode(returncode),
        stdout=captures[out_fd].text(),
        stderr=captures[err_fd].text(),
        timed_out=timed_out,
        cancelled=cancelled,
        omitted=captures[out_fd].omitted + captures[err_fd].omitted,
        elapsed=time.monotonic() - start,
    )


def _read(fd: int) -> bytes | None:
    """A chunk, ``b""`` at EOF, or None on a spurious wake-up."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def _feed(proc: subprocess.Popen[bytes], sel: selectors.BaseSelector, pending: memoryview) -> memoryview:
    assert proc.stdin is not None
    try:
        pending = pending[os.write(proc.stdin.fileno(), pending[:65536]) :]
    except BlockingIOError:
        return pending
    except OSError:  # the child closed its stdin: the rest is not wanted
        pending = pending[:0]
    if not pending:
        sel.unregister(proc.stdin.fileno())
        proc.stdin.close()
    return pending


def _drain(sel: selectors.BaseSelector, captures: dict[int, _Capture], until: float) -> None:
    while any(fd in sel.get_map() for fd in captures):
        remaining = until - time.monotonic()
        if remaining <= 0:
            return
        for key, _ in sel.select(min(remaining, POLL_INTERVAL)):
            if key.fd not in captures:
                continue
            chunk = _read(key.fd)
            if chunk:
                captures[key.fd].add(chunk)
            elif chunk is not None:
                sel.unregister(key.fd)
