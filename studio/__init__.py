"""Parley Studio: an AutoGen-compatible multi-agent runtime and a studio to design, run and replay conversations.

`from studio import AssistantAgent, UserProxyAgent` is all AutoGen code needs to change.
"""

from studio.errors import (
    BuildError,
    CodeExecutionError,
    ConfigurationError,
    ModelError,
    RunError,
    SpecError,
    StoreError,
    StudioError,
    ToolError,
)
from studio.runtime import (
    Agent,
    AssistantAgent,
    ChatResult,
    ConversableAgent,
    GroupChat,
    GroupChatManager,
    UserProxyAgent,
    content_str,
    initiate_chats,
    register_function,
)

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "AssistantAgent",
    "BuildError",
    "ChatResult",
    "CodeExecutionError",
    "ConfigurationError",
    "ConversableAgent",
    "GroupChat",
    "GroupChatManager",
    "ModelError",
    "RunError",
    "SpecError",
    "StoreError",
    "StudioError",
    "ToolError",
    "UserProxyAgent",
    "__version__",
    "content_str",
    "initiate_chats",
    "register_function",
]
