"""The seed example runs with only its import line changed, against a local OpenAI-compatible server."""

from __future__ import annotations

import json

STACK_CODE = """class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def pop(self):
        return self.items.pop()


s = Stack()
s.push(1)
s.push(2)
print(s.pop(), s.pop())
"""


def test_seed_example_runs_unchanged_but_for_the_import(openai_server, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    openai_server.add_reply(f"Here is the class:\n```python\n{STACK_CODE}```")
    openai_server.add_reply("TERMINATE")

    from studio import AssistantAgent, UserProxyAgent

    assistant = AssistantAgent(
        name="assistant", system_message="You are a helpful Python engineer.", llm_config={"model": "gpt-4o"}
    )
    user_proxy = UserProxyAgent(
        name="user_proxy", human_input_mode="NEVER", code_execution_config={"work_dir": "coding", "use_docker": False}
    )
    result = user_proxy.initiate_chat(
        assistant, message="Write a Python class that implements a stack with push and pop."
    )

    contents = [m["content"] for m in result.chat_history]
    assert contents[0] == "Write a Python class that implements a stack with push and pop."
    assert contents[2] == "exitcode: 0 (execution succeeded)\nCode output: \n2 1\n"
    assert contents[3] == "TERMINATE"
    assert len(contents) == 4
    assert (tmp_path / "coding").is_dir()

    first, second = (json.loads(r.body) for r in openai_server.requests)
    assert first["model"] == "gpt-4o"
    assert first["messages"] == [
        {"content": "You are a helpful Python engineer.", "role": "system"},
        {
            "content": "Write a Python class that implements a stack with push and pop.",
            "role": "user",
            "name": "user_proxy",
        },
    ]
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert result.cost["usage_including_cached_inference"]["gpt-4o"]["total_tokens"] > 0
