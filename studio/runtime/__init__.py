"""The runtime: AG2's classic programming model (agents, chats, group chats, tools, code, termination).

It knows nothing of specs, databases or Streamlit and works alone, as a library.
"""

from studio.runtime.agent import Agent
from studio.runtime.agents import AssistantAgent, UserProxyAgent
from studio.runtime.chat import ChatResult, initiate_chats
from studio.runtime.conversable import ConversableAgent
from studio.runtime.groupchat import GroupChat, GroupChatManager
from studio.runtime.messages import content_str
from studio.runtime.tools_mixin import register_function

__all__ = [
    "Agent",
    "AssistantAgent",
    "ChatResult",
    "ConversableAgent",
    "GroupChat",
    "GroupChatManager",
    "UserProxyAgent",
    "content_str",
    "initiate_chats",
    "register_function",
]
