"""Model clients: the `ModelClient` protocol, the OpenAI(-compatible) client, the scripted client, and AG2-style
llm_config parsing. Importing this package does not import `openai`; the first real model call does."""

from .base import ChunkCallback, ModelClient, ModelResponse, Usage
from .config import make_client
from .fallback import FallbackClient
from .openai_client import OpenAIClient
from .pricing import cost_of
from .scripted import ScriptedClient, ScriptedRequest, ScriptExhaustedError

__all__ = [
    "ChunkCallback",
    "FallbackClient",
    "ModelClient",
    "ModelResponse",
    "OpenAIClient",
    "ScriptExhaustedError",
    "ScriptedClient",
    "ScriptedRequest",
    "Usage",
    "cost_of",
    "make_client",
]
