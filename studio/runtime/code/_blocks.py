"""The block loop every executor shares: languages, file names, output format, timeout/cancel markers, output cap.

Behaviour (AG2's command-line executor, RUNTIME.md §1.7/§4.1):

* blocks run in order; the run **stops at the first non-zero exit**;
* a language that is neither Python (``python``/``py``) nor a shell (``bash``/``sh``/``shell``) gives exit 1 and
  ``"\\nunknown language {lang}"``; a ``# filename:`` header leaving the work dir gives exit 1 and exactly
  ``"Filename is not in the workspace"`` (AG2 returns that alone, dropping earlier blocks' output — so do we);
* a block's output is its **stderr then its stdout**; the result's `output` concatenates the blocks;
* timeout → exit 124 and ``"\\nTimeout"`` appended to what was captured; cancel → exit 125 and ``"\\nCancelled"``
  (partial output is kept, unlike AG2 which drops it — the run transcript wants it);
* the whole output is capped at `output_cap` characters with a ``"\\n[output truncated: N bytes omitted]"`` marker.

Subclasses implement `_run_file(lang, relpath)` (run one written file) and the file ownership hook.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from pathlib import Path

from studio.runtime.code._proc import CANCEL_EXIT, TIMEOUT_EXIT, ProcOutcome
from studio.runtime.code.base import CodeBlock, CodeResult
from studio.runtime.code.extract import executable_lang, infer_lang, normalize_lang
from studio.runtime.code.filename import FILENAME_ERROR, WorkspacePathError, code_filename, safe_write

DEFAULT_OUTPUT_CAP = 1 << 20
TIMEOUT_MESSAGE = "Timeout"
CANCEL_MESSAGE = "Cancelled"


def truncation_marker(omitted: int) -> str:
    return f"\n[output truncated: {omitted} bytes omitted]"


class BlockExecutor(ABC):
    """Base of the local, sandbox and Docker executors (implements the `CodeExecutor` protocol)."""

    def __init__(self, *, timeout: float, output_cap: int = DEFAULT_OUTPUT_CAP):
        if timeout < 1:
            raise ValueError(f"timeout must be at least 1 second, got {timeout!r}.")
        if output_cap < 1:
            raise ValueError(f"output_cap must be a positive number of bytes, got {output_cap!r}.")
        self.timeout = float(timeout)
        self.output_cap = int(output_cap)
        self._cancel = threading.Event()

    @property
    @abstractmethod
    def work_dir(self) -> Path: ...

    @abstractmethod
    def _run_file(self, lang: str, relpath: str) -> ProcOutcome:
        """Run the file `relpath` (relative to the work dir) with the interpreter of family `lang` (python|sh)."""

    def _file_owner(self) -> tuple[int, int] | None:
        """(uid, gid) the written code files should belong to, or None to keep the writer's."""
        return None

    def cancel(self) -> None:
        """Kill whatever is running now, from any thread; the current `execute_code_blocks` returns exit 125."""
        self._cancel.set()

    def _cap(self, text: str) -> tuple[str, int]:
        if len(text) <= self.output_cap:
            return text, 0
        return text[: self.output_cap], len(text[self.output_cap :].encode("utf-8", "replace"))

    def execute_code_blocks(self, code_blocks: list[CodeBlock]) -> CodeResult:
        self._cancel.clear()
        outputs: list[str] = []
        stdouts: list[str] = []
        stderrs: list[str] = []
        omitted = 0
        exit_code = 0
        code_file: str | None = None
        timed_out = cancelled = False
        tail = ""  # the timeout/cancel marker, kept outside the capped body so it is never cut off
        for block in code_blocks:
            if self._cancel.is_set():
                exit_code, cancelled = CANCEL_EXIT, True
                tail = "\n" + CANCEL_MESSAGE
                break
            lang = normalize_lang(block.language) if block.language else infer_lang(block.code)
            family = executable_lang(lang)
            if family is None:
                exit_code = 1
                outputs.append(f"\nunknown language {lang}")
                stderrs.append(f"unknown language {lang}")
                break
            try:
                relpath = code_filename(block.code, family)
                safe_write(
                    self.work_dir, relpath, block.code.encode("utf-8", "surrogatepass"), owner=self._file_owner()
                )
            except WorkspacePathError:
                return CodeResult(exit_code=1, output=FILENAME_ERROR, stderr=FILENAME_ERROR, code_file=code_file)
            code_file = code_file or str(self.work_dir / relpath)
            outcome = self._run_file(family, relpath)
            outputs.append(outcome.stderr + outcome.stdout)
            stdouts.append(outcome.stdout)
            stderrs.append(outcome.stderr)
            omitted += outcome.omitted
            exit_code = outcome.exit_code
            if outcome.timed_out:
                exit_code, timed_out = TIMEOUT_EXIT, True
                tail = "\n" + TIMEOUT_MESSAGE
                break
            if outcome.cancelled:
                exit_code, cancelled = CANCEL_EXIT, True
                tail = "\n" + CANCEL_MESSAGE
                break
            if exit_code != 0:
                break
        output, cut = self._cap("".join(outputs))
        omitted += cut
        if omitted:
            output += truncation_marker(omitted)
        return CodeResult(
            exit_code=exit_code,
            output=output + tail,
            stdout=self._cap("".join(stdouts))[0],
            stderr=self._cap("".join(stderrs))[0],
            code_file=code_file,
            timed_out=timed_out,
            cancelled=cancelled,
            truncated=bool(omitted),
        )
