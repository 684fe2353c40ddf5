"""Specs: what a person designs in the studio — models, tools, agents, termination conditions, teams — as data.

Pure data and text: pydantic models (`extra="forbid"`, strict, documented field by field), JSON/YAML reading and
writing with limits, ordered schema migrations, AutoGen Studio import/export and a Python-script export. Nothing here
performs I/O beyond text, imports the runtime, or executes a tool's source.
"""

from studio.spec._base import SecretRef, looks_like_secret
from studio.spec._errors import SpecIssue, SpecValidationError
from studio.spec.agent import AgentKind, AgentSpec, CodeExecutionSpec, HumanInputMode
from studio.spec.autogen_studio import export_autogen_studio, import_autogen_studio, is_autogen_studio
from studio.spec.bundle import CURRENT_SCHEMA_VERSION, Bundle
from studio.spec.io import (
    ImportResult,
    bundle_from_data,
    dump_bundle,
    dump_spec,
    import_bundle,
    load_bundle,
    load_bundle_with_notes,
    load_spec,
    spec_from_data,
    spec_to_data,
)
from studio.spec.migrations import MIGRATIONS, Migration, migrate_bundle, migrate_spec
from studio.spec.model import (
    LOCAL_MODEL_NAME,
    LOCAL_SERVE_BASE_URL,
    PRESET_BASE_URLS,
    ModelInfo,
    ModelParams,
    ModelSpec,
    ScriptedToolCall,
)
from studio.spec.python_export import export_python
from studio.spec.team import DEFAULT_SELECTOR_PROMPT, TeamLimits, TeamSpec
from studio.spec.termination import (
    AndTermination,
    ExternalTermination,
    FunctionCallTermination,
    HandoffTermination,
    MaxMessagesTermination,
    OrTermination,
    SourceMatchTermination,
    StopMessageTermination,
    TerminationSpec,
    TextMentionTermination,
    TextMessageTermination,
    TimeoutTermination,
    TokenUsageTermination,
)
from studio.spec.tool import BUILTIN_TOOLS, BuiltinToolSpec, McpToolSpec, PythonToolSpec, ToolSpec
from studio.spec.tool_source import MAX_SOURCE_BYTES, SourceIssue, ToolSourceInfo, analyze_tool_source

__all__ = [
    "BUILTIN_TOOLS",
    "CURRENT_SCHEMA_VERSION",
    "DEFAULT_SELECTOR_PROMPT",
    "MAX_SOURCE_BYTES",
    "MIGRATIONS",
    "LOCAL_MODEL_NAME",
    "LOCAL_SERVE_BASE_URL",
    "PRESET_BASE_URLS",
    "AgentKind",
    "AgentSpec",
    "AndTermination",
    "BuiltinToolSpec",
    "Bundle",
    "CodeExecutionSpec",
    "ExternalTermination",
    "FunctionCallTermination",
    "HandoffTermination",
    "HumanInputMode",
    "ImportResult",
    "MaxMessagesTermination",
    "McpToolSpec",
    "Migration",
    "ModelInfo",
    "ModelParams",
    "ModelSpec",
    "OrTermination",
    "PythonToolSpec",
    "ScriptedToolCall",
    "SecretRef",
    "SourceIssue",
    "SourceMatchTermination",
    "SpecIssue",
    "SpecValidationError",
    "StopMessageTermination",
    "TeamLimits",
    "TeamSpec",
    "TerminationSpec",
    "TextMentionTermination",
    "TextMessageTermination",
    "TimeoutTermination",
    "TokenUsageTermination",
    "ToolSourceInfo",
    "ToolSpec",
    "analyze_tool_source",
    "bundle_from_data",
    "dump_bundle",
    "dump_spec",
    "export_autogen_studio",
    "export_python",
    "import_autogen_studio",
    "import_bundle",
    "is_autogen_studio",
    "load_bundle",
    "load_bundle_with_notes",
    "load_spec",
    "looks_like_secret",
    "migrate_bundle",
    "migrate_spec",
    "spec_from_data",
    "spec_to_data",
]
