"""A tool-calling chain for LLM modes: the model may search the knowledge base, look up a requirement,
find similar incidents or triage a ticket (``assistant.tools``) before it answers.

The loop is bounded (``max_steps`` model calls); a tool the model names that was not bound is
answered with an error message instead of being run, and every call is recorded so the caller can
show what the answer rests on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool

from assistant.chains.prompts import AGENT_SYSTEM_PROMPT
from assistant.errors import ConfigError, ProviderError
from assistant.providers.llm import describe_llm_error


@dataclass
class ToolCall:
    name: str
    args: dict[str, Any]
    result: Any


@dataclass
class AgentAnswer:
    answer: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    steps: int = 0
    complete: bool = True  # False when the step limit ended the loop


def run_tool_agent(
    llm: Any, tools: Sequence[BaseTool], question: str, language: str = "en", max_steps: int = 4
) -> AgentAnswer:
    """Let the model call tools until it answers (or ``max_steps`` model calls are used up).

    Raises:
        ConfigError: no LLM is configured (mode ``none``).
        ProviderError: the endpoint failed.
    """
    if llm is None:
        raise ConfigError("this needs an LLM mode: set ASSISTANT_LLM__MODE and ASSISTANT_LLM__BASE_URL")
    by_name = {t.name: t for t in tools}
    model = llm.bind_tools(list(tools))
    messages: list[BaseMessage] = [
        SystemMessage(AGENT_SYSTEM_PROMPT.format(language=language)),
        HumanMessage(question),
    ]
    calls: list[ToolCall] = []
    for step in range(1, max_steps + 1):
        try:
            reply = model.invoke(messages)
        except Exception as e:
            raise ProviderError(f"the LLM endpoint failed: {describe_llm_error(e)}") from e
        assert isinstance(reply, AIMessage)
        messages.append(reply)
        if not reply.tool_calls:
            return AgentAnswer(answer=str(reply.content).strip(), tool_calls=calls, steps=step)
        for tc in reply.tool_calls:
            chosen = by_name.get(tc["name"])
            result: Any = (
                chosen.invoke(tc["args"])
                if chosen is not None
                else {"error": f"no tool {tc['name']!r}; available: {', '.join(by_name)}"}
            )
            calls.append(ToolCall(tc["name"], dict(tc["args"]), result))
            messages.append(
                ToolMessage(json.dumps(result, ensure_ascii=False, default=str), tool_call_id=tc["id"] or "")
            )
    return AgentAnswer(answer="", tool_calls=calls, steps=max_steps, complete=False)
