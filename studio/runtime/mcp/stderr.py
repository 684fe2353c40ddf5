"""Capture a stdio MCP server's stderr without a thread and without unbounded memory.

The SDK hands the child an `errlog` file; we give it the write end of a pipe and let the session's event loop read
the other end (`add_reader`), keeping only the last `limit` bytes. A server that floods stderr is drained at loop
speed and costs at most `limit` bytes; one that crashes leaves its last words in `tail` for the start-up error.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import IO

STDERR_TAIL_BYTES = 8192


class StderrPipe:
    """A pipe whose write end goes to the child (`errlog`) and whose read end the loop drains into `tail`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int = STDERR_TAIL_BYTES) -> None:
        self._loop = loop
        self._limit = limit
        self._buffer = bytearray()
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        self._fd: int | None = read_fd
        self.errlog: IO[str] = os.fdopen(write_fd, "w")
        loop.add_reader(read_fd, self._drain)

    @property
    def tail(self) -> str:
        return bytes(self._buffer).decode("utf-8", "replace")

    def close_write_end(self) -> None:
        """Close our copy of the write end (once the child holds its own), so EOF comes when the child exits."""
        self.errlog.close()

    def close(self) -> None:
        """Read what is left, then stop watching and close everything. Idempotent."""
        self.errlog.close()
        self._drain(final=True)

    def _drain(self, final: bool = False) -> None:
        fd = self._fd
        if fd is None:
            return
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                if not final:
                    return  # nothing more for now; the loop calls us again
                break
            except OSError:
                data = b""
            if not data:
                break  # EOF: every holder of the write end has exited
            self._buffer.extend(data)
            if len(self._buffer) > self._limit:
                del self._buffer[: -self._limit]
            if not final:
                return  # one read per wake-up keeps the loop responsive under a flood
        with contextlib.suppress(Exception):
            self._loop.remove_reader(fd)
        with contextlib.suppress(OSError):
            os.close(fd)
        self._fd = None
