"""Validate a Python tool's source and derive its JSON schema — by reading it, never by running it.

Langflow's "validate" endpoint `exec()`-ed function definitions, so a default argument or a decorator ran attacker
code during validation (CVE-2025-3248); AutoGen Studio's `FunctionTool._from_config` `exec()`s imported source. Here
the source is only ever given to `ast.parse` and `compile` (which builds a code object and runs nothing), after a size
limit checked before parsing (T05). Annotations and defaults are read from the syntax tree: a default is shown to the
model only when `ast.literal_eval` can read it as a plain literal; anything else stays unevaluated text.

The schema has the shape AG2 puts into `llm_config["tools"]` (OpenAI tools format): a parameter's description comes
from `Annotated[T, "desc"]`, otherwise it is the parameter's name; parameters without a default are required.
Documented fallback: a parameter with no annotation, or with one this module cannot describe, is offered to the model
as a string, and a warning says so. `*args`/`**kwargs` are errors: the model can only send named JSON arguments.
"""

from __future__ import annotations

import ast
import copy
import keyword
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from studio.spec._annotations import annotation_schema, literal_default

MAX_SOURCE_BYTES = 256 * 1024
"""Largest tool source accepted, checked before parsing."""


@dataclass(frozen=True, slots=True)
class SourceIssue:
    """One problem (or warning) found in a tool's source, with its 1-based line and column when known."""

    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}" + (f", column {self.column}" if self.column is not None else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ToolSourceInfo:
    """What reading a tool's source found: its schema (when valid), docstring, and every error and warning."""

    name: str
    schema_: dict[str, Any] | None = field(repr=False)
    docstring: str = ""
    is_async: bool = False
    errors: tuple[SourceIssue, ...] = ()
    warnings: tuple[SourceIssue, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the source is a valid tool (warnings allowed)."""
        return not self.errors

    @property
    def schema(self) -> dict[str, Any] | None:
        """The OpenAI-format tool schema (a fresh copy, safe to modify), or None when the source has errors."""
        return copy.deepcopy(self.schema_)


def analyze_tool_source(source: str | bytes, name: str, *, description: str | None = None) -> ToolSourceInfo:
    """Check that `source` defines exactly one top-level function `name`, and derive its tool schema.

    `description` is the tool's description for the model; if empty, the first paragraph of the docstring is used.
    Never executes any part of `source`.
    """
    if isinstance(source, bytes):
        if len(source) > MAX_SOURCE_BYTES:
            return _fail(name, _too_big(len(source)))
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as e:
            return _fail(name, SourceIssue(f"The source is not valid UTF-8 text (bad byte at offset {e.start})."))
    return _analyze(source, name, description or "")


def _too_big(size: int) -> SourceIssue:
    return SourceIssue(
        f"The source is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,} bytes (256 KB). "
        "Split the tool or move data out of the source."
    )


def _fail(name: str, *issues: SourceIssue) -> ToolSourceInfo:
    return ToolSourceInfo(name=name, schema_=None, errors=tuple(issues))


@lru_cache(maxsize=64)
def _analyze(source: str, name: str, description: str) -> ToolSourceInfo:
    if len(source) > MAX_SOURCE_BYTES:
        return _fail(name, _too_big(len(source.encode("utf-8", "replace"))))
    try:
        size = len(source.encode("utf-8"))
    except UnicodeEncodeError as e:
        return _fail(name, SourceIssue(f"The source contains invalid text (a lone surrogate at character {e.start})."))
    if size > MAX_SOURCE_BYTES:
        return _fail(name, _too_big(size))
    if "\x00" in source:
        before = source[: source.index("\x00")]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        return _fail(name, SourceIssue("The source contains a NUL byte; remove it.", line, col))
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        return _fail(name, SourceIssue(f"The tool name {name!r} is not a Python identifier, so no def can have it."))
    tree_or_issue = _parse(source)
    if isinstance(tree_or_issue, SourceIssue):
        return _fail(name, tree_or_issue)
    return _read_module(tree_or_issue, name, description)


def _parse(source: str) -> ast.Module | SourceIssue:
    """`ast.parse` then `compile` (which also reports scoping errors); neither runs the code."""
    try:
        tree = ast.parse(source, filename="<tool>", mode="exec")
        compile(tree, "<tool>", "exec", dont_inherit=True)
    except SyntaxError as e:
        return SourceIssue(f"Syntax error: {str(e.msg).rstrip('.')}.", e.lineno, e.offset)
    except (RecursionError, MemoryError):
        return SourceIssue("The source is nested too deeply to be parsed; simplify the expressions.")
    except ValueError as e:
        return SourceIssue(f"The source cannot be parsed: {e}.")
    return tree


def _read_module(tree: ast.Module, name: str, description: str) -> ToolSourceInfo:
    errors: list[SourceIssue] = []
    defs: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            defs.append(stmt)
        elif _is_lambda_assignment(stmt):
            errors.append(
                SourceIssue(
                    "A tool must be a def, not a lambda; write `def` (helpers go inside the function).",
                    stmt.lineno,
                    stmt.col_offset + 1,
                )
            )
        else:
            for nested in _module_level_defs(stmt):
                errors.append(
                    SourceIssue(
                        f"The function {nested.name!r} is defined inside a module-level block; define the tool at the "
                        "top level and its helpers inside it.",
                        nested.lineno,
                        nested.col_offset + 1,
                    )
                )
    if not defs:
        errors.append(SourceIssue(f"Expected exactly one top-level `def` named like the tool ({name!r}); found none."))
    elif len(defs) > 1:
        found = ", ".join(f"{d.name!r} (line {d.lineno})" for d in defs)
        errors.append(
            SourceIssue(
                f"Expected exactly one top-level `def` named like the tool ({name!r}); found {len(defs)}: {found}. "
                "Move helper functions inside the tool function.",
                defs[1].lineno,
                defs[1].col_offset + 1,
            )
        )
    elif defs[0].name != name:
        errors.append(
            SourceIssue(
                f"Expected exactly one top-level `def` named like the tool ({name!r}); the function is named "
                f"{defs[0].name!r}. Rename the function or the tool.",
                defs[0].lineno,
                defs[0].col_offset + 1,
            )
        )
    if errors:
        return ToolSourceInfo(name=name, schema_=None, errors=tuple(errors))
    return _read_function(defs[0], description)


def _is_lambda_assignment(stmt: ast.stmt) -> bool:
    value = getattr(stmt, "value", None) if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
    return isinstance(value, ast.Lambda)


def _module_level_defs(stmt: ast.stmt) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Defs in module-level compound statements (if/try/with/for), without descending into classes or functions."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.ClassDef):
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append(child)
            elif isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
                stack.append(child)
    return found


def _read_function(fn: ast.FunctionDef | ast.AsyncFunctionDef, description: str) -> ToolSourceInfo:
    errors: list[SourceIssue] = []
    warnings: list[SourceIssue] = []
    if fn.decorator_list:
        d = fn.decorator_list[0]
        warnings.append(
            SourceIssue(
                "Decorators are not evaluated during validation; they run only when the tool runs (in the sandbox) and "
                "may change the function's signature.",
                d.lineno,
                d.col_offset + 1,
            )
        )
    a = fn.args
    for star, prefix in ((a.vararg, "*"), (a.kwarg, "**")):
        if star is not None:
            errors.append(
                SourceIssue(
                    f"The parameter {prefix}{star.arg} cannot be described to the model (it sends named JSON "
                    "arguments only); list the parameters explicitly.",
                    star.lineno,
                    star.col_offset + 1,
                )
            )
    positional = [*a.posonlyargs, *a.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    params = list(zip(positional, defaults, strict=True)) + list(zip(a.kwonlyargs, a.kw_defaults, strict=True))
    properties: dict[str, Any] = {}
    required: list[str] = []
    for arg, default in params:
        prop = _parameter_schema(arg, default, warnings)
        properties[arg.arg] = prop
        if default is None:
            required.append(arg.arg)
    docstring = ast.get_docstring(fn) or ""
    text = description.strip() or docstring.strip().split("\n\n")[0].strip()
    if not text:
        warnings.append(SourceIssue("The tool has no description and no docstring; the model sees only its name."))
    if errors:
        return ToolSourceInfo(
            fn.name, None, docstring, isinstance(fn, ast.AsyncFunctionDef), tuple(errors), tuple(warnings)
        )
    schema = {
        "type": "function",
        "function": {
            "name": fn.name,
            "description": text,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }
    return ToolSourceInfo(fn.name, schema, docstring, isinstance(fn, ast.AsyncFunctionDef), (), tuple(warnings))


def _parameter_schema(arg: ast.arg, default: ast.expr | None, warnings: list[SourceIssue]) -> dict[str, Any]:
    where = (arg.lineno, arg.col_offset + 1)
    if arg.annotation is None:
        warnings.append(
            SourceIssue(
                f"The parameter {arg.arg!r} has no type annotation; it is offered to the model as a string.", *where
            )
        )
        schema: dict[str, Any] = {"type": "string"}
        desc = None
    else:
        schema, desc, unknown = annotation_schema(arg.annotation, 0)
        if unknown is not None:
            warnings.append(
                SourceIssue(
                    f"The annotation {unknown!r} of parameter {arg.arg!r} cannot be described to the model; the parameter"
                    " is offered as a string (documented fallback).",
                    *where,
                )
            )
    schema = dict(schema)
    schema["description"] = desc if desc else arg.arg
    if default is not None:
        ok, value = literal_default(default)
        if ok:
            schema["default"] = value
        else:
            warnings.append(
                SourceIssue(
                    f"The default of {arg.arg!r} is not a plain literal; it is not shown to the model and is evaluated "
                    "only when the tool runs (in the sandbox).",
                    default.lineno,
                    default.col_offset + 1,
                )
            )
    return schema
