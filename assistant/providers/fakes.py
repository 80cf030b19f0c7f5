"""Fakes for tests and demos: chat models that answer from a script or fail like a real endpoint."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult

__all__ = ["FailingChatModel", "FakeListChatModel", "GenericFakeChatModel", "ToolCallingFakeChatModel"]


class FailingChatModel(BaseChatModel):
    """Raises the given exception on every call, e.g. ``TimeoutError`` or a connection error."""

    error: Any = TimeoutError("Request timed out.")

    @property
    def _llm_type(self) -> str:
        return "failing-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise self.error


class ToolCallingFakeChatModel(GenericFakeChatModel):
    """Replies with scripted messages (some with ``tool_calls``) and accepts ``bind_tools``; records
    what it was sent, so a test can see the tool results reach the model."""

    bound_tools: list[str] = []
    received: list[list[BaseMessage]] = []

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        self.bound_tools = [getattr(t, "name", str(t)) for t in tools]
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.received = [*self.received, list(messages)]
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
