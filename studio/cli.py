"""`studio`: the command line — run, validate, import, export, list and replay teams, and start the UI.

The only place besides the pages that turns a `StudioError` into output: a one-line (or one-issue-per-line) message on
stderr and exit status 1. `studio run` exits 0 for a completed run, 1 for a failed one and 130 for a cancelled one
(Ctrl-C stops the run through the RunManager, like the Stop button).

`studio run FILE_OR_TEAM` takes a bundle file (ours, JSON or YAML, or AutoGen Studio JSON — recognised by content),
which is first saved into the store (runs always start from a stored team, T09b), or a stored team's name or id. The
live timeline prints one line per message (`agent: text`, line breaks shown as ↵), with tool calls, tool results
and code runs indented under it; `--jsonl` prints every event as one JSON object per line instead (`type`, `run_id`,
`seq`, ...; message events carry `source` and `content`). The task message's `source` is the initiator's name — for an
AutoGen Studio team, whose task comes from its implicit user, that is `user`. The last line is always `run_finished`
with `status` and `stop_reason`. When an agent asks a human, the question is printed and one line is read from stdin
(end of input answers `exit`).

Files from elsewhere are untrusted: their tools come in unapproved and do not run unless `--trust-tools` is given (they
then run in the sandbox). The gallery's own files keep their approvals.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from studio import cli_ui
from studio.errors import NotFoundError, StudioError

EXIT_STATUS = {"completed": 0, "failed": 1, "interrupted": 1, "cancelled": 130}
LIST_KINDS = ("teams", "agents", "models", "tools", "runs", "sessions")
EXPORT_FORMATS = ("parley", "parley-yaml", "autogen-studio", "python")


# -- plumbing --------------------------------------------------------------------------------------------------------


def _store(args: argparse.Namespace) -> Any:
    from studio.store import open_store

    return open_store(home=args.home)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise NotFoundError(f"Cannot read the file {path!r}: {e.strerror or e}.") from None


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


class Printer:
    """Thread-safe line output (the run's events arrive on the worker thread)."""

    def __init__(self, stream: Any = None):
        self.stream = stream or sys.stdout
        self.lock = threading.Lock()

    def line(self, text: str) -> None:
        with self.lock:
            self.stream.write(text + "\n")
            self.stream.flush()


def _one_line(text: Any, limit: int = 4000) -> str:
    value = "" if text is None else str(text)
    value = value.strip().replace("\r\n", "\n").replace("\n", " ↵ ")
    return value if len(value) <= limit else value[:limit] + " …"


def render_text(event: Any) -> list[str]:
    """The timeline lines of one event (empty for events the timeline does not show)."""
    t = event.type
    if t == "run_started":
        return [f"── run {event.run_id} · team {event.team or '?'} ──"]
    if t == "message":
        if event.role in ("tool", "function") or (event.tool_calls and not event.content):
            return []  # shown by the tool_call / tool_result lines
        return [f"{event.source}: {_one_line(event.content) or '(empty)'}"]
    if t == "tool_call":
        return [f"    → {c.get('name')}({_one_line(c.get('arguments'), 300)})" for c in event.calls]
    if t == "tool_result":
        return [
            f"    {'✗' if r.get('is_error') else '←'} {r.get('name')}: {_one_line(r.get('content'), 500)}"
            for r in event.results
        ]
    if t == "code_execution":
        langs = ", ".join(b.get("language", "?") for b in event.blocks) or "code"
        where = event.executor.removesuffix("CodeExecutor").lower() or "?"
        output = _one_line(event.output, 500)
        return [f"    ⚙ {event.source} ran {langs} ({where}): exit {event.exit_code} · {output}"]
    if t == "human_input_requested":
        return [f"? {event.source} asks: {_one_line(event.prompt)}"]
    if t == "human_input":
        return [f"    ✎ {event.source} answered: {_one_line(event.content) or '(nothing)'}"]
    if t == "error":
        return [f"! {event.error_type}: {_one_line(event.message)}"]
    if t == "run_finished":
        return [f"■ {event.status}: {event.stop_reason or '-'}"]
    return []


def _listener(printer: Printer, jsonl: bool, requests: queue.Queue[Any]) -> Callable[[Any], None]:
    def listen(event: Any) -> None:
        if jsonl:
            printer.line(json.dumps(event.to_dict(), ensure_ascii=False, default=str))
        else:
            for line in render_text(event):
                printer.line(line)
        if event.type == "human_input_requested":
            requests.put(event)

    return listen


# -- run -------------------------------------------------------------------------------------------------------------


def _save_file(path: str, store: Any) -> tuple[Any, str]:
    """Save a file's team into the store: (report, source format). Only the gallery's own files keep approvals."""
    from studio.catalog import gallery_module, import_text, save_bundle
    from studio.spec import load_bundle

    if gallery_module().is_gallery_file(Path(path)):
        bundle = load_bundle(_read(path), keep_approvals=True)
        return save_bundle(bundle, store=store, note="gallery file"), "studio"
    result, report = import_text(_read(path), store=store)
    return report, result.source_format


def _team_for_run(target: str, store: Any) -> str:
    """The stored team to run: a file is saved into the store first; anything else is a team name or id."""
    if not Path(target).is_file():
        from studio.store import get_spec

        try:
            return get_spec(target, kind="team", store=store).id
        except NotFoundError:
            raise NotFoundError(
                f"{target!r} is neither a file nor a stored team. List the teams with `studio list teams`."
            ) from None
    report, _ = _save_file(target, store)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"Saved team {report.team_name!r} ({report.team_id}) from {target}.", file=sys.stderr)
    return report.team_id


def _answer_from_stdin(printer: Printer, jsonl: bool) -> str:
    if not jsonl:
        with printer.lock:
            printer.stream.write("> ")
            printer.stream.flush()
    line = sys.stdin.readline()
    if not jsonl and not sys.stdin.isatty():
        printer.line("")  # a piped answer is not echoed: end the prompt's line ourselves
    if line == "":
        return "exit"  # no human on the other end: end the conversation rather than loop on empty answers
    return line.rstrip("\r\n")


def cmd_run(args: argparse.Namespace) -> int:
    from studio.runs import RunManager
    from studio.store import get_setting

    store = _store(args)
    team_id = _team_for_run(args.target, store)
    manager = RunManager(
        store,
        human_input_timeout=float(get_setting("runs.human_input_timeout", default=3600.0, store=store)),
        allow_local_code=bool(get_setting("code.allow_local", default=False, store=store)),
        code_execution_default=str(get_setting("code.default_mode", default="sandbox", store=store)),
        recover=False,  # a CLI run must not mark another process's live runs as interrupted
    )
    printer = Printer()
    requests: queue.Queue[Any] = queue.Queue()
    run = manager.start_run(
        team_id, args.task, listener=_listener(printer, args.jsonl, requests), trust_tools=args.trust_tools
    )
    try:
        _follow(manager, run.id, requests, printer, args.jsonl)
    except KeyboardInterrupt:
        _stop_on_interrupt(manager, run.id)
    info = manager.wait(run.id)
    _shutdown(manager)
    return EXIT_STATUS.get(info.status, 1)


def _follow(manager: Any, run_id: str, requests: queue.Queue[Any], printer: Printer, jsonl: bool) -> None:
    while manager.is_active(run_id) or not requests.empty():
        try:
            requests.get(timeout=0.05)
        except queue.Empty:
            continue
        # The worker asks right after emitting the request; wait until it is actually waiting for the answer.
        while manager.is_active(run_id) and manager.pending_input(run_id) is None:
            time.sleep(0.01)
        if not manager.is_active(run_id):
            break
        answer = _answer_from_stdin(printer, jsonl)
        try:
            manager.answer(run_id, answer)
        except StudioError:
            pass  # the run stopped waiting meanwhile (stopped, timed out)


def _stop_on_interrupt(manager: Any, run_id: str) -> None:
    print("\nStopping the run (Ctrl-C again to quit at once)…", file=sys.stderr)
    try:
        manager.stop(run_id)
    except KeyboardInterrupt:
        os._exit(130)


def _shutdown(manager: Any) -> None:
    manager.shutdown(cancel_running=True)
    sys.stdout.flush()
    deadline = time.monotonic() + 3.0
    for thread in threading.enumerate():
        if thread.name.startswith("studio-run") and thread.is_alive():
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                # A worker stuck in a model call that ignores the stop: the run is already recorded as cancelled,
                # and waiting for the thread would hang the exit.
                sys.stderr.flush()
                os._exit(130)


# -- validate / import / export --------------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from studio.builder import validate_bundle
    from studio.catalog import gallery_module
    from studio.spec import import_bundle, load_bundle

    text = _read(args.file)
    if gallery_module().is_gallery_file(Path(args.file)):
        bundle, warnings = load_bundle(text, keep_approvals=True), []
    else:
        result = import_bundle(text)
        bundle, warnings = result.bundle, result.warnings
    for warning in warnings:
        print(f"note: {warning}")
    for tool in bundle.unapproved_tools():
        print(f"note: the tool {tool.name!r} is unapproved: it runs only after review and approval in the studio.")
    problems = validate_bundle(bundle, trust_tools=True)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print("ok")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from studio.catalog import assemble_bundle

    store = _store(args)
    report, source_format = _save_file(args.file, store)
    what = "AutoGen Studio team" if source_format == "autogen_studio" else "bundle"
    print(f"Imported the {what} {args.file} as team {report.team_name!r} ({report.team_id}):")
    for line in report.lines():
        print(f"  {line}")
    pending = [t.name for t in assemble_bundle(report.team_id, store=store).unapproved_tools()]
    if pending:
        print(f"Tools waiting for review (they do not run until approved): {', '.join(pending)}.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from studio.catalog import assemble_bundle
    from studio.spec import dump_bundle, export_autogen_studio, export_python
    from studio.store import refuse_secret_values

    store = _store(args)
    bundle = assemble_bundle(args.team, store=store)
    if args.format == "parley":
        text = dump_bundle(bundle, "json")
    elif args.format == "parley-yaml":
        text = dump_bundle(bundle, "yaml")
    elif args.format == "autogen-studio":
        text = json.dumps(export_autogen_studio(bundle), indent=2, ensure_ascii=False) + "\n"
    else:
        text = export_python(bundle)
    refuse_secret_values(text, what="the export", store=store)  # fail closed (T16)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Wrote {args.format} export of team {bundle.team.name!r} to {args.output}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


# -- list / replay ---------------------------------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    store = _store(args)
    kind = args.kind
    if kind == "runs":
        from studio.store import list_runs

        runs = list_runs(store=store, limit=args.limit)
        rows = [[r.id, r.status, r.team_name, _when(r.created_at), _one_line(r.stop_reason, 60)] for r in runs]
        print(_table(rows, ["ID", "STATUS", "TEAM", "CREATED", "STOP REASON"]) if rows else "No runs yet.")
        return 0
    if kind == "sessions":
        from studio.store import list_sessions

        sessions = list_sessions(store=store, limit=args.limit)
        rows = [[s.id, _one_line(s.name, 60), _when(s.updated_at)] for s in sessions]
        print(_table(rows, ["ID", "NAME", "UPDATED"]) if rows else "No sessions yet.")
        return 0
    from studio.catalog import check_team
    from studio.store import list_specs

    specs = list_specs(kind[:-1], store=store)
    rows = []
    for spec in specs:
        row = [spec.name, spec.id, f"v{spec.version}", _when(spec.updated_at)]
        if kind == "teams":
            problem = check_team(spec.id, store=store)
            row.append("BROKEN: " + _one_line(problem, 100) if problem else str(spec.data.get("kind", "")))
        rows.append(row)
    header = ["NAME", "ID", "VERSION", "UPDATED"] + (["KIND"] if kind == "teams" else [])
    print(_table(rows, header) if rows else f"No {kind} yet.")
    return 0


def _find_run(ref: str, store: Any) -> Any:
    from studio.store import get_run, list_runs

    try:
        return get_run(ref, store=store, with_snapshot=False)
    except NotFoundError:
        matches = [r for r in list_runs(store=store, limit=None) if r.id.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        raise NotFoundError(
            f"No run with id {ref!r}{' (the prefix is ambiguous)' if matches else ''}; list them with `studio list runs`."
        ) from None


def cmd_replay(args: argparse.Namespace) -> int:
    from studio.store import load_events

    store = _store(args)
    run = _find_run(args.run, store)
    printer = Printer()
    for event in load_events(run.id, store=store):
        if args.jsonl:
            printer.line(json.dumps(event.to_dict(), ensure_ascii=False, default=str))
        else:
            for line in render_text(event):
                printer.line(line)
    return 0


# -- entry point -----------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", help="the studio's home directory (default: $STUDIO_HOME or ~/.parley)")
    parser = argparse.ArgumentParser(prog="studio", description="Parley Studio: design, run and replay agent teams.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", parents=[common], help="run a team (a file or a stored team) on a task")
    p.add_argument("target", metavar="FILE_OR_TEAM")
    p.add_argument("--task", required=True, help="what the team should do")
    p.add_argument("--jsonl", action="store_true", help="print every event as one JSON line")
    p.add_argument("--trust-tools", action="store_true", help="run unapproved tools (in the sandbox)")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("validate", parents=[common], help="check a bundle or AutoGen Studio file")
    p.add_argument("file")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("import", parents=[common], help="save a file's team into the store (tools stay unapproved)")
    p.add_argument("file")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("export", parents=[common], help="export a stored team")
    p.add_argument("team")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="parley")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("list", parents=[common], help="list stored teams, agents, models, tools, runs or sessions")
    p.add_argument("kind", nargs="?", choices=LIST_KINDS, default="teams")
    p.add_argument("--limit", type=int, default=50, help="most runs/sessions to show")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("replay", parents=[common], help="print a stored run's timeline")
    p.add_argument("run", help="run id (or a unique prefix)")
    p.add_argument("--jsonl", action="store_true", help="print the events as JSON lines")
    p.set_defaults(handler=cmd_replay)

    p = sub.add_parser("ui", parents=[common], help="start the studio in the browser")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument(
        "--local-model",
        action="store_true",
        help="also load the gallery's teams on the bundled local model (needs parley-studio[local]; make run-local)",
    )
    p.set_defaults(handler=cli_ui.cmd_ui)

    from studio.cli_serve import add_serve_commands  # `serve-model` and `serve`: the OpenAI-compatible endpoints

    add_serve_commands(sub, common)

    p = sub.add_parser("version", help="print the version")
    p.set_defaults(handler=cli_ui.cmd_version, home=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    # A parent that ignores SIGINT (some process managers do) would make Ctrl-C a no-op; Stop must work.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except StudioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `studio list | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
