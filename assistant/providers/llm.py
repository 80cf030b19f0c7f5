"""Chat models as LangChain ``BaseChatModel``: ``openai`` (any OpenAI-compatible endpoint: Ollama,
vLLM, llama.cpp server, DeepSeek, Qwen, OpenAI) and ``ollama`` (its native API). ``none`` means no
LLM: the help desk answers extractively.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.errors import ConfigError, ProviderError
from assistant.providers import pick
from assistant.settings import LLMSettings


def _openai(settings: LLMSettings) -> Any:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as e:
        raise ConfigError("the openai mode needs: pip install langchain-openai") from e
    if not settings.base_url:
        raise ConfigError(
            "set ASSISTANT_LLM__BASE_URL to the OpenAI-compatible endpoint, e.g. http://localhost:11434/v1"
        )
    key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
    return ChatOpenAI(
        base_url=settings.base_url,
        model=settings.model,
        api_key=key,  # type: ignore[arg-type]
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        temperature=0.1,
    )


def _ollama(settings: LLMSettings) -> Any:
    try:
        from langchain_ollama import ChatOllama
    except ImportError as e:
        raise ConfigError("the ollama mode needs: pip install langchain-ollama") from e
    return ChatOllama(
        base_url=settings.base_url or "http://localhost:11434",
        model=settings.model,
        temperature=0.1,
        client_kwargs={"timeout": settings.timeout},
    )


CHAT_MODELS: dict[str, Callable[[LLMSettings], Any]] = {
    "none": lambda settings: None,
    "openai": _openai,
    "ollama": _ollama,
}


def make_chat_model(settings: LLMSettings) -> Any:
    """The configured chat model, or None in ``none`` mode."""
    return pick("answer mode", settings.mode, CHAT_MODELS)(settings)


def describe_llm_error(error: BaseException) -> str:
    """A one-line reason for an LLM failure, without secrets."""
    name = type(error).__name__
    text = str(error).splitlines()[0][:200] if str(error) else ""
    lowered = (name + " " + text).lower()
    if "timeout" in lowered or "timed out" in lowered:
        return "the LLM endpoint did not answer in time"
    if "auth" in lowered or "401" in lowered or "api key" in lowered or "403" in lowered:
        return "the LLM endpoint refused the API key"
    if "connect" in lowered or "refused" in lowered:
        return "the LLM endpoint is not reachable"
    return f"the LLM call failed ({name}: {text})"


def wrap_llm_error(error: BaseException) -> ProviderError:
    return ProviderError(describe_llm_error(error))
