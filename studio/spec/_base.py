"""Shared building blocks of every spec: the base model, validated names, secret references, URL checks.

Every spec model derives from `SpecModel`: `extra="forbid"` (a misspelt field is an error, never silently ignored),
`strict=True` (a number typed as text is an error, T08) and `use_attribute_docstrings=True`, so the docstring under
each field is at once its JSON-schema description and the help text of the form field the UI generates from it.

Names are identifiers on purpose (T06): they are referenced from other specs, become Python identifiers in the script
export and agent names the model sees. Only ASCII letters, digits, `_` and `-` are allowed, so zero-width and
direction-changing characters cannot make two different names look the same.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
NAME_MAX = 64
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Prefixes of credentials people paste by mistake; checked so a key never lands in a spec (T15, T16).
_SECRET_PREFIXES = (
    "sk-",
    "sk_",
    "rk-",
    "pk-",
    "AIza",
    "ghp_",
    "gho_",
    "github_pat_",
    "xoxb-",
    "xoxp-",
    "AKIA",
    "Bearer ",
    "bearer ",
    "eyJ",
    "hf_",
    "glpat-",
)
_QUERY_SECRET_RE = re.compile(r"key|token|secret|password|passwd|sig|auth", re.IGNORECASE)


class SpecModel(BaseModel):
    """Base of every spec: strict, closed, documented by its field docstrings."""

    model_config = ConfigDict(extra="forbid", strict=True, use_attribute_docstrings=True)


def looks_like_secret(value: str) -> bool:
    """True if `value` looks like a credential (an API key, a bearer token), not like the *name* of one."""
    text = value.strip()
    if text.startswith(_SECRET_PREFIXES):
        return True
    # A long token mixing lower case, upper case and digits is a key; variable and secret names are not like that.
    return (
        len(text) >= 32
        and " " not in text
        and any(c.islower() for c in text)
        and any(c.isupper() for c in text)
        and any(c.isdigit() for c in text)
    )


def quote(value: object, limit: int = 60) -> str:
    """Quote a bad value for an error message: shortened, and never a secret."""
    if isinstance(value, str):
        if looks_like_secret(value):
            return "(a value that looks like a secret, not shown)"
        text = value if len(value) <= limit else value[:limit] + "…"
        return repr(text)
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp") and ch not in "\t\n"


def check_identifier(value: Any, *, what: str = "name", allow_hyphen: bool = True) -> Any:
    """Validate a spec name with a message that says exactly what is wrong with it (used as a BeforeValidator)."""
    if not isinstance(value, str):
        return value  # the str validator reports the type error
    if value == "":
        raise ValueError(f"The {what} must not be empty.")
    if len(value) > NAME_MAX:
        raise ValueError(f"The {what} is {len(value)} characters long; the limit is {NAME_MAX}.")
    bad = next((c for c in value if _invisible(c)), None)
    if bad is not None:
        raise ValueError(
            f"The {what} {quote(value)} contains the invisible or direction-changing character "
            f"U+{ord(bad):04X}; retype the {what} with letters, digits, '_' and '-' only."
        )
    if any(c.isspace() for c in value):
        raise ValueError(f"The {what} {quote(value)} contains whitespace; use '_' or '-' instead.")
    if not ("a" <= value[0].lower() <= "z"):
        raise ValueError(f"The {what} {quote(value)} must start with an ASCII letter.")
    if not _NAME_RE.fullmatch(value) or (not allow_hyphen and "-" in value):
        allowed = "letters, digits and '_'" if not allow_hyphen else "letters, digits, '_' and '-'"
        raise ValueError(f"The {what} {quote(value)} may contain only ASCII {allowed}.")
    return value


def _check_name(value: Any) -> Any:
    return check_identifier(value)


# Field first, validator second: the constraints then appear in the JSON schema (the form), and the friendly check
# still runs before them.
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX, pattern=NAME_PATTERN), BeforeValidator(_check_name)]
"""A spec name: an ASCII letter, then letters, digits, `_` or `-`; at most 64 characters."""

Description = Annotated[str, Field(max_length=4000)]
LongText = Annotated[str, Field(max_length=200_000)]


class SecretRef(SpecModel):
    """Where an API key comes from: an environment variable or a secret stored in the studio. Never the key itself."""

    env: Annotated[str, Field(max_length=128, pattern=ENV_PATTERN)] | None = None
    """Name of the environment variable that holds the key, e.g. `OPENAI_API_KEY`."""
    secret: Name | None = None
    """Name of a secret stored once in the studio's secret store, e.g. `openai-prod`."""

    @model_validator(mode="before")
    @classmethod
    def _not_a_value(cls, data: Any) -> Any:
        if isinstance(data, str):
            raise ValueError(
                'An API key must be given as a reference, {"env": "OPENAI_API_KEY"} or {"secret": "name"}, '
                "never as the key itself. Store the key as a secret in the studio and reference it by name."
            )
        if isinstance(data, dict):
            for field in ("env", "secret"):
                value = data.get(field)
                if isinstance(value, str) and looks_like_secret(value):
                    raise ValueError(
                        f"The {field!r} reference looks like a key value, not a name. Store the key as a secret in "
                        "the studio (or in an environment variable) and put only its name here."
                    )
            if isinstance(data.get("env"), str) and not _ENV_RE.fullmatch(data["env"]):
                raise ValueError(
                    f"{quote(data['env'])} is not an environment variable name; use letters, digits and '_' "
                    "(e.g. OPENAI_API_KEY)."
                )
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.secret is None):
            raise ValueError('A secret reference names exactly one of "env" or "secret".')
        return self

    def label(self) -> str:
        """Human-readable form: `env:OPENAI_API_KEY` or `secret:openai-prod`."""
        return f"env:{self.env}" if self.env is not None else f"secret:{self.secret}"


def check_http_url(value: str, *, what: str = "URL") -> str:
    """Accept only http(s) URLs without embedded credentials (T07: no file://, no user:pass@, no ?key=)."""
    if any(c.isspace() or _invisible(c) for c in value):
        raise ValueError(f"The {what} {quote(value)} contains whitespace or invisible characters.")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a malformed port
    except ValueError as e:
        raise ValueError(f"The {what} {quote(value)} is malformed ({e}).") from None
    del port
    if parts.scheme not in ("http", "https"):
        raise ValueError(
            f"The {what} {quote(value)} uses the scheme {parts.scheme or '(none)'!r}; only http:// and https:// "
            "are allowed."
        )
    if not parts.hostname:
        raise ValueError(f"The {what} {quote(value)} has no host name.")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"The {what} must not carry credentials (user:password@); reference the key with api_key instead."
        )
    for key, val in parse_qsl(parts.query, keep_blank_values=True):
        if _QUERY_SECRET_RE.search(key) or looks_like_secret(val):
            raise ValueError(
                f"The {what} has a query parameter {key!r} that looks like a credential; keys never go into URLs, "
                "reference them with api_key instead."
            )
    return value


def _http_url(value: Any) -> Any:
    return check_http_url(value) if isinstance(value, str) else value


HttpUrl = Annotated[str, Field(max_length=2048), BeforeValidator(_http_url)]
"""An http:// or https:// URL without credentials in it."""
