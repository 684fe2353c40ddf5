"""Helpers shared by the code-execution tests (a uniquely named module: `conftest` names clash across directories)."""

from __future__ import annotations

import os


def processes_matching(marker: str) -> list[int]:
    """PIDs of live (non-zombie) host processes whose command line contains `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{entry}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state != b"Z":
            found.append(int(entry))
    return found
