"""`studio serve-model` and `studio serve`: the OpenAI-compatible endpoints of `studio/serve.py` on the command line.

    studio serve-model [--model-path FILE] [--host 127.0.0.1] [--port 8000]   # the local GGUF model
    studio serve [TEAM ...] [--host 127.0.0.1] [--port 8000]                 # saved teams; `model` picks one

Both print one line, `Serving <what> at <base_url>`, once the port is open (scripts and tests wait for it), then serve
until Ctrl-C. A token is never taken on the command line, where `ps` would show it: it comes from an environment
variable (`--token-env`, default `STUDIO_SERVE_TOKEN`), or `--generate-token` makes one and prints it once on stderr.
With a token every request needs `Authorization: Bearer <token>`; without one the server binds to loopback only
(another address is refused at start-up).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from typing import Any

DEFAULT_PORT = 8000
TOKEN_ENV = "STUDIO_SERVE_TOKEN"


def add_serve_commands(sub: Any, common: argparse.ArgumentParser | None = None) -> None:
    """Register `serve-model` and `serve` on the CLI's subparsers (`common` supplies --home, as for other commands)."""
    if common is None:
        common = argparse.ArgumentParser(add_help=False)
        common.add_argument("--home", help="the studio's home directory (default: $STUDIO_HOME or ~/.parley)")
    access = argparse.ArgumentParser(add_help=False)
    access.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    access.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free)")
    access.add_argument(
        "--token-env", default=TOKEN_ENV, metavar="NAME", help=f"environment variable holding the token ({TOKEN_ENV})"
    )
    access.add_argument("--generate-token", action="store_true", help="make a random token and print it on stderr")

    p = sub.add_parser(
        "serve-model", parents=[common, access], help="serve the local GGUF model as an OpenAI-compatible endpoint"
    )
    p.add_argument("--model-path", help="a GGUF file (default: the bundled SmolLM2-135M-Instruct)")
    p.add_argument("--n-ctx", type=int, default=4096, help="context window in tokens (default 4096)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all available)")
    p.set_defaults(handler=cmd_serve_model)

    p = sub.add_parser(
        "serve", parents=[common, access], help="serve saved teams as an OpenAI-compatible endpoint (model = team)"
    )
    p.add_argument("teams", nargs="*", metavar="TEAM", help="teams to serve (default: every saved team)")
    p.add_argument("--run-timeout", type=float, default=900.0, help="seconds a run may take (default 900)")
    p.set_defaults(handler=cmd_serve)


def _token(args: argparse.Namespace) -> str | None:
    if args.generate_token:
        token = secrets.token_urlsafe(24)
        print(f"Bearer token (shown once): {token}", file=sys.stderr, flush=True)
        return token
    return os.environ.get(args.token_env) or None


def _run(endpoint: Any, what: str) -> int:
    endpoint.start()
    print(f"Serving {what} at {endpoint.base_url}", flush=True)
    try:
        endpoint.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        endpoint.stop()
    return 0


def cmd_serve_model(args: argparse.Namespace) -> int:
    from studio.serve import serve_model

    endpoint = serve_model(
        args.host, args.port, model_path=args.model_path, token=_token(args), n_ctx=args.n_ctx, n_threads=args.threads
    )
    return _run(endpoint, f"model {endpoint.backend.client.model}")


def cmd_serve(args: argparse.Namespace) -> int:
    from studio.serve import serve_teams
    from studio.store import open_store

    store = open_store(home=args.home)
    endpoint = serve_teams(
        store, args.host, args.port, _token(args), teams=args.teams or None, run_timeout=args.run_timeout
    )
    names = endpoint.backend.model_ids()
    return _run(endpoint, f"{len(names)} team{'' if len(names) == 1 else 's'} ({', '.join(names) or 'none yet'})")


def main(argv: list[str] | None = None) -> int:
    """`python -m studio.cli_serve serve|serve-model ...`: the two commands on their own, with the CLI's error
    handling (a `StudioError` is one line on stderr and exit status 1)."""
    import signal

    from studio.errors import StudioError

    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(prog="studio", description="Serve models and teams over the OpenAI API.")
    add_serve_commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except StudioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
