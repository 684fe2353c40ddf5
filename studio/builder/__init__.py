"""The builder: the only place that knows both a spec and the runtime.

`build_team(bundle, ...)` turns a validated `Bundle` into live runtime objects (`BuiltTeam`) through closed registries
— agent kinds, providers, executors, built-in tools, termination kinds are looked up in fixed tables, never imported
by a name taken from a spec. `validate_bundle(bundle)` lists what would stop the build without starting anything.
Errors are `BuildError`s whose `path` names the spec value that caused them, e.g. `agents[2].model`.

Modules: `build` (agents, teams), `_models` (clients and keys), `_code` (executor policy), `_tools` (tools, caller and
executor mapping), `builtins` (the built-in tools), `_termination` (conditions and limits), `_team` (`BuiltTeam`),
`validate`.
"""

from studio.builder._models import NO_KEY, SecretResolver, build_client, env_only_resolver
from studio.builder._team import BuiltTeam
from studio.builder._tools import executor_of
from studio.builder.build import MANAGER_NAME, build_team
from studio.builder.builtins import BUILTIN_DESCRIPTIONS
from studio.builder.validate import used_agents, used_models, validate_bundle

__all__ = [
    "BUILTIN_DESCRIPTIONS",
    "MANAGER_NAME",
    "NO_KEY",
    "BuiltTeam",
    "SecretResolver",
    "build_client",
    "build_team",
    "env_only_resolver",
    "executor_of",
    "used_agents",
    "used_models",
    "validate_bundle",
]
