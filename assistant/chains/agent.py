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
from pydantic import ValidationError

from assistant.chains.prompts import AGENT_SYSTEM_PROMPT, LANGUAGE_NAMES
from assistant.errors import AssistantError, ConfigError, InvalidInput, ProviderError
from assistant.providers.llm import describe_llm_error

MAX_STEPS = 10


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
    if not 1 <= max_steps <= MAX_STEPS:
        raise InvalidInput(f"max_steps must be between 1 and {MAX_STEPS}")
    by_name = {t.name: t for t in tools}
    model = llm.bind_tools(list(tools))
    messages: list[BaseMessage] = [
        SystemMessage(AGENT_SYSTEM_PROMPT.format(language=LANGUAGE_NAMES.get(language, language))),
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
            result = _run_tool(by_name, tc["name"], tc["args"])
            calls.append(ToolCall(tc["name"], dict(tc["args"]), result))
            messages.append(
                ToolMessage(json.dumps(result, ensure_ascii=False, default=str), tool_call_id=tc["id"] or "")
            )
    return AgentAnswer(answer="", tool_calls=calls, steps=max_steps, complete=False)


def _run_tool(by_name: dict[str, BaseTool], name: str, args: dict[str, Any]) -> Any:
    """A tool's result, or an error the model can read: an unknown tool, arguments that do not fit its
    schema, or a refusal from the service (the model's mistakes must not end the conversation)."""
    chosen = by_name.get(name)
    if chosen is None:
        return {"error": f"no tool {name!r}; available: {', '.join(by_name)}"}
    try:
        return chosen.invoke(args)
    except (ValidationError, AssistantError, ValueError, TypeError) as e:
        return {"error": f"{name} could not run with {args!r}: {e}"}
