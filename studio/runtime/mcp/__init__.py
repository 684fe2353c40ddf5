"""MCP (Model Context Protocol) tools for the runtime, on the official `mcp` SDK.

* `StdioServerParams` / `SseServerParams` / `StreamableHttpServerParams` — how to reach a server (params.py).
* `McpSession` — one synchronous session per server, bridged to asyncio on a private loop thread (session.py).
* `McpTool`, `mcp_tools()`, `McpToolset` — server tools as ordinary agent tools (tools.py).
* `suspicious_characters()`, `reveal()`, hashes — description safety for the UI (safety.py, SECURITY.md T37).

Nothing here imports the SDK at module level: `import studio.runtime.mcp` is cheap, the SDK (about a second to
import) loads when the first session starts.
"""

from studio.runtime.mcp.info import McpToolInfo, normalise_schema
from studio.runtime.mcp.params import (
    ServerParams,
    SseServerParams,
    StdioServerParams,
    StreamableHttpServerParams,
    describe,
    safe_url,
)
from studio.runtime.mcp.safety import (
    SuspiciousChar,
    description_hash,
    reveal,
    suspicious_characters,
    tool_fingerprint,
)
from studio.runtime.mcp.session import McpSession
from studio.runtime.mcp.tools import (
    McpServerConfig,
    McpTool,
    McpToolset,
    ToolOverride,
    describe_servers,
    mcp_tools,
    normalise_name,
)

__all__ = [
    "McpServerConfig",
    "McpSession",
    "McpTool",
    "McpToolInfo",
    "McpToolset",
    "ServerParams",
    "SseServerParams",
    "StdioServerParams",
    "StreamableHttpServerParams",
    "SuspiciousChar",
    "ToolOverride",
    "describe",
    "describe_servers",
    "description_hash",
    "mcp_tools",
    "normalise_name",
    "normalise_schema",
    "reveal",
    "safe_url",
    "suspicious_characters",
    "tool_fingerprint",
]
