"""`AssistantAgent` and `UserProxyAgent`: `ConversableAgent` with AG2's defaults (RUNTIME.md §1.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from studio.runtime.conversable import ConversableAgent

ASSISTANT_SYSTEM_MESSAGE = """You are a helpful AI assistant.
Solve tasks using your coding and language skills.
In the following cases, suggest python code (in a python coding block) or shell script (in a sh coding block) for the user to execute.
    1. When you need to collect info, use the code to output the info you need, for example, browse or search the web, download/read a file, print the content of a webpage or a file, get the current date/time, check the operating system. After sufficient info is printed and the task is ready to be solved based on your language skill, you can solve the task by yourself.
    2. When you need to perform some task with code, use the code to perform the task and output the result. Finish the task smartly.
Solve the task step by step if you need to. If a plan is not provided, explain your plan first. Be clear which step uses code, and which step uses your language skill.
When using code, you must indicate the script type in the code block. The user cannot provide any other feedback or perform any other action beyond executing the code you suggest. The user can't modify your code. So do not suggest incomplete code which requires users to modify. Don't use a code block if it's not intended to be executed by the user.
If you want the user to save the code in a file before executing it, put # filename: <filename> inside the code block as the first line. Don't include multiple code blocks in one response. Do not ask users to copy and paste the result. Instead, use 'print' function for the output when relevant. Check the execution result returned by the user.
If the result indicates there is an error, fix the error and output the code again. Suggest the full code instead of partial code or code changes. If the error can't be fixed or if the task is not solved even after the code is executed successfully, analyze the problem, revisit your assumption, collect additional info you need, and think of a different approach to try.
When you find an answer, verify the answer carefully. Include verifiable evidence in your response if possible.
Reply "TERMINATE" in the end when everything is done.
    """  # noqa: E501

ASSISTANT_DESCRIPTION = (
    "A helpful and general-purpose AI assistant that has strong language skills, Python skills, and Linux command line"
    " skills."
)

USER_PROXY_DESCRIPTIONS = {
    "ALWAYS": "An attentive HUMAN user who can answer questions about the task, and can perform tasks such as running"
    " Python code or inputting command line commands at a Linux terminal and reporting back the execution results.",
    "TERMINATE": "A user that can run Python code or input command line commands at a Linux terminal and report back"
    " the execution results.",
    "NEVER": "A computer terminal that performs no other action than running Python scripts (provided to it quoted in"
    " ```python code blocks), or sh shell scripts (provided to it quoted in ```sh code blocks).",
}


class AssistantAgent(ConversableAgent):
    """An LLM agent that writes code and text; never asks a human by default."""

    DEFAULT_SYSTEM_MESSAGE = ASSISTANT_SYSTEM_MESSAGE
    DEFAULT_DESCRIPTION = ASSISTANT_DESCRIPTION

    def __init__(
        self,
        name: str,
        system_message: str | None = ASSISTANT_SYSTEM_MESSAGE,
        llm_config: dict[str, Any] | Literal[False] | None = None,
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        max_consecutive_auto_reply: int | None = None,
        human_input_mode: Literal["ALWAYS", "NEVER", "TERMINATE"] = "NEVER",
        description: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            name,
            system_message,
            is_termination_msg,
            max_consecutive_auto_reply,
            human_input_mode,
            llm_config=llm_config,
            description=description,
            **kwargs,
        )
        if description is None and system_message == self.DEFAULT_SYSTEM_MESSAGE:
            self.description = self.DEFAULT_DESCRIPTION


class UserProxyAgent(ConversableAgent):
    """A proxy for the human: asks for input (ALWAYS by default), runs code blocks it receives, no LLM by default."""

    def __init__(
        self,
        name: str,
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        max_consecutive_auto_reply: int | None = None,
        human_input_mode: Literal["ALWAYS", "NEVER", "TERMINATE"] = "ALWAYS",
        function_map: dict[str, Callable[..., Any]] | None = None,
        code_execution_config: dict[str, Any] | Literal[False] | None = None,
        default_auto_reply: str | dict[str, Any] = "",
        llm_config: dict[str, Any] | Literal[False] | None = False,
        system_message: str | list[Any] | None = "",
        description: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            name=name,
            system_message=system_message,
            is_termination_msg=is_termination_msg,
            max_consecutive_auto_reply=max_consecutive_auto_reply,
            human_input_mode=human_input_mode,
            function_map=function_map,
            code_execution_config={} if code_execution_config is None else code_execution_config,
            default_auto_reply=default_auto_reply,
            llm_config=llm_config,
            description=description if description is not None else USER_PROXY_DESCRIPTIONS[human_input_mode],
            **kwargs,
        )
