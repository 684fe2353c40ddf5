"""The team graph (streamlit-agraph): agents, the group chat's manager, who may speak after whom, and tools.

`graph_elements(bundle)` is pure — it accepts a `Bundle` or plain bundle data (a draft that does not validate yet
still draws) and returns agraph `Node`s and `Edge`s, so it is unit tested without a browser:

* two-agent chat: the initiator → the recipient (the task) and back (replies);
* group chat: a manager node; manager → each participant ("selects"); an initiator outside the participants sends the
  task to the manager; with `graph` selection the allowed transitions are drawn between agents, with `round_robin`
  the speaking order;
* each tool is a small box linked from the agents that may call it.

`transition_elements(counts)` draws who spoke after whom in a run, edge labels being the counts (the Replay page).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit_agraph import Config, Edge, Node

MANAGER_ID = "chat_manager"
KIND_COLOURS = {"assistant": "#4C78A8", "user_proxy": "#F58518", "code_executor": "#54A24B"}
MANAGER_COLOUR = "#9D755D"
TOOL_COLOUR = "#BAB0AC"
TRANSITION_COLOUR = "#E45756"
ORDER_COLOUR = "#B279A2"
LINK_COLOUR = "#888888"


def _data(bundle: Any) -> dict[str, Any]:
    if hasattr(bundle, "model_dump"):
        return bundle.model_dump(mode="json")
    return dict(bundle) if isinstance(bundle, Mapping) else {}


def _agent_node(name: str, agent: Mapping[str, Any] | None) -> Node:
    kind = str((agent or {}).get("kind") or "assistant")
    description = str((agent or {}).get("description") or "")
    chat_name = str((agent or {}).get("chat_name") or "")
    label = f"{chat_name} ({name})" if chat_name and chat_name != name else name  # as it speaks (as it is stored)
    title = f"{label} ({kind.replace('_', ' ')})" + (f"\n{description[:200]}" if description else "")
    if agent is None:
        title = f"{name} (not defined in this bundle)"
    return Node(id=f"agent:{name}", label=label, title=title, color=KIND_COLOURS.get(kind, "#72B7B2"), size=22)


def graph_elements(bundle: Any) -> tuple[list[Node], list[Edge]]:
    """Nodes and edges of a team (see the module docstring). Unknown agent names still get a node."""
    data = _data(bundle)
    team = data.get("team") or {}
    agents = {str(a.get("name")): a for a in data.get("agents") or [] if isinstance(a, Mapping)}
    members = [str(m) for m in team.get("agents") or []]
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []

    def agent(name: str) -> str:
        node_id = f"agent:{name}"
        if node_id not in nodes:
            nodes[node_id] = _agent_node(name, agents.get(name))
        return node_id

    for name in members:
        agent(name)
    if team.get("kind") == "two_agent":
        if len(members) >= 2:
            edges.append(Edge(agent(members[0]), agent(members[1]), label="task", color=LINK_COLOUR))
            edges.append(Edge(agent(members[1]), agent(members[0]), label="reply", color=LINK_COLOUR, dashes=True))
    else:
        _group_edges(team, members, agent, nodes, edges)
    _tool_edges(data, members, agents, agent, nodes, edges)
    return list(nodes.values()), edges


def _group_edges(
    team: Mapping[str, Any], members: list[str], agent: Any, nodes: dict[str, Node], edges: list[Edge]
) -> None:
    selection = str(team.get("speaker_selection") or "round_robin")
    nodes[MANAGER_ID] = Node(
        id=MANAGER_ID, label="manager", title=f"Group chat manager: speaker selection {selection}",
        color=MANAGER_COLOUR, shape="diamond", size=26,
    )  # fmt: skip
    for name in members:
        edges.append(Edge(MANAGER_ID, agent(name), color=LINK_COLOUR, dashes=True, title="selects"))
    initiator = team.get("initiator")
    if initiator and initiator not in members:
        edges.append(Edge(agent(str(initiator)), MANAGER_ID, label="task", color=LINK_COLOUR))
    if selection == "graph":
        for source, targets in (team.get("allowed_transitions") or {}).items():
            for target in targets or []:
                edges.append(
                    Edge(agent(str(source)), agent(str(target)), color=TRANSITION_COLOUR, title="may speak next")
                )
    elif selection == "round_robin" and len(members) >= 2:
        for i, name in enumerate(members):
            nxt = members[(i + 1) % len(members)]
            edges.append(Edge(agent(name), agent(nxt), color=ORDER_COLOUR, title="speaks next (round robin)"))


def _tool_edges(
    data: Mapping[str, Any],
    members: list[str],
    agents: Mapping[str, Any],
    agent: Any,
    nodes: dict[str, Node],
    edges: list[Edge],
) -> None:
    tool_kinds = {str(t.get("name")): str(t.get("kind", "")) for t in data.get("tools") or [] if isinstance(t, Mapping)}
    for name in [*members, *[n for n in agents if n not in members]]:
        spec = agents.get(name)
        if spec is None or (name not in members and f"agent:{name}" not in nodes):
            continue
        for tool in spec.get("tools") or []:
            tool_id = f"tool:{tool}"
            if tool_id not in nodes:
                kind = tool_kinds.get(str(tool), "")
                nodes[tool_id] = Node(
                    id=tool_id, label=str(tool), title=f"tool {tool}" + (f" ({kind})" if kind else ""),
                    color=TOOL_COLOUR, shape="box", size=12,
                )  # fmt: skip
            edges.append(Edge(agent(name), tool_id, color=TOOL_COLOUR, title="may call"))


def transition_elements(counts: Mapping[tuple[str, str], int]) -> tuple[list[Node], list[Edge]]:
    """Who spoke after whom in a run: one node per speaker, one edge per (previous, next) with its count."""
    speakers: dict[str, int] = {}
    for (a, b), n in counts.items():
        speakers[a] = speakers.get(a, 0) + n
        speakers.setdefault(b, 0)
    top = max(counts.values(), default=1) or 1
    nodes = [
        Node(
            id=f"agent:{s}", label=s, title=f"{s}: {n} hand-over(s) to others", color=KIND_COLOURS["assistant"], size=20
        )
        for s, n in speakers.items()
    ]
    edges = [
        Edge(
            f"agent:{a}",
            f"agent:{b}",
            label=str(n),
            title=f"{a} → {b}: {n}",
            color=TRANSITION_COLOUR,
            width=1 + 4 * n / top,
        )
        for (a, b), n in sorted(counts.items())
        if n > 0
    ]
    return nodes, edges


def _config(height: int) -> Config:
    # `groups` must be an object for vis-network (agraph leaves it null, which it logs as an error).
    return Config(height=height, width="100%", directed=True, physics=True, hierarchical=False, groups={})


def draw(nodes: list[Node], edges: list[Edge], *, key: str, height: int = 360) -> None:
    """Render nodes and edges with streamlit-agraph (keyed, so several graphs can share a page)."""
    import json

    import streamlit_agraph

    if not nodes:
        st.caption("Nothing to draw yet.")
        return
    config = _config(height)
    config.height = f"{height}px"
    config.width = "100%"
    payload = json.dumps({"nodes": [n.to_dict() for n in nodes], "edges": [e.to_dict() for e in edges]})
    # `agraph()` takes no key; the component it wraps does, and two identical graphs would otherwise clash.
    streamlit_agraph._agraph(data=payload, config=json.dumps(config.__dict__), key=key, default=None)


def team_graph(bundle: Any, *, key: str = "team_graph", height: int = 360) -> None:
    """Draw a team's graph (a Bundle or bundle data) with a short legend."""
    nodes, edges = graph_elements(bundle)
    draw(nodes, edges, key=key, height=height)
    st.caption("🟦 assistant · 🟧 user proxy · 🟩 code executor · ◆ manager · ▭ tool · red arrows: allowed transitions")


def transition_graph(
    counts: Mapping[tuple[str, str], int], *, key: str = "transition_graph", height: int = 360
) -> None:
    """Draw the speaker-transition graph of a run: `counts[(previous, next)]` = how often `next` followed."""
    nodes, edges = transition_elements(counts)
    draw(nodes, edges, key=key, height=height)
